/**
 * Sessions and local users given the whole store commit each audit entry with the store write it records, on
 * memory, a SQLite file and PostgreSQL: a login, a refresh, a reused refresh token's revocation, a revocation, a
 * subject's revocation, a user saved or deleted and a password accepted each write their entry in their own
 * transaction. To make an entry's insert fail, another writer appends to the instance's chain behind its back (the
 * instance's next entry takes an index that is taken): the operation then fails and changes nothing, the next
 * attempt goes through (the chain's head read again), and the chains verify.
 */
import { createHash } from 'node:crypto'
import { Redacted } from 'effect'
import { expect, it } from 'vitest'
import { StorageError } from '../../src/core/storage-errors.js'
import { AuthenticationError } from '../../src/core/security-errors.js'
import { AuditLog } from '../../src/security/audit-log.js'
import { verifyAudit } from '../../src/security/audit-verify.js'
import { LocalUsers } from '../../src/security/local-users.js'
import { principal } from '../../src/security/principal.js'
import { SessionManager, type AccessTokenClaims, type SessionTokens } from '../../src/security/sessions.js'
import type { AuditEntry } from '../../src/storage/audit-store.js'
import type { NewRefreshToken, NewSession, SessionStore } from '../../src/storage/session-store.js'
import type { WorkflowStore } from '../../src/storage/workflow-store.js'
import { describeWithServer } from '../support/server-suites.js'
import { fixtureKinds, thrown } from './session-fixtures.js'

const ada = principal({ subject: 'user:ada', roles: ['analyst'], tenant: 'acme' })
const password = 'correct horse battery staple'
const cheap = { logN: 10, r: 8, p: 1 }
const signer = { sign: async (claims: AccessTokenClaims) => `access.${claims.sid}` }
/** The clock of every writer: entries list in chain order. */
const now = 2_000_000_000_000

/** Every entry of the store's audit log, oldest first, as `action outcome resource`. */
async function lines(store: WorkflowStore): Promise<string[]> {
  const { entries } = await store.audit!.listAudit({ limit: 1000 })
  return entries.reverse().map((e: AuditEntry) => `${e.action} ${e.outcome} ${e.resource ?? '-'}`)
}

/** Another writer appends one entry to `chain`: the owner's next entry takes an index that is stored already. */
async function intrude(store: WorkflowStore, chain: string): Promise<void> {
  const intruder = await AuditLog.open({ store: store.audit!, writer: chain, clock: () => now })
  await intruder.record({ action: 'test.intrusion', outcome: 'succeeded', resource: 'test' })
  await intruder.close()
}

/** The chain the instance wrote its last entry on. */
async function chainOf(store: WorkflowStore): Promise<string> {
  return (await store.audit!.listAudit({ limit: 1 })).entries[0]!.chain
}

/** The store's sessions, noting the id of every session it is asked to create (the store does the work). */
function notingCreated(sessions: SessionStore): { readonly store: SessionStore; readonly ids: string[] } {
  const ids: string[] = []
  const store: SessionStore = Object.assign(Object.create(sessions) as SessionStore, {
    createSession: (session: NewSession, first: NewRefreshToken, audit?: readonly AuditEntry[]) => {
      ids.push(session.id)
      return sessions.createSession(session, first, audit)
    },
  })
  return { store, ids }
}

function hashOf(tokens: SessionTokens): string {
  return createHash('sha256').update(Redacted.value(tokens.refreshToken)).digest('hex')
}

/** Rejects with the store's refusal of the taken chain index. */
async function expectIndexTaken(operation: Promise<unknown>): Promise<void> {
  const error = await thrown(operation)
  expect(error).toBeInstanceOf(StorageError)
  expect((error as StorageError).code).toBe('WEFT_STORAGE')
}

for (const kind of fixtureKinds) {
  describeWithServer(`audit entries committed with the writes of sessions and local users on ${kind.name}`, kind.skipReason(), () => {
    const fixture = kind.setup()
    const sessionsOn = (store: WorkflowStore) => new SessionManager({ store, signer, now: () => now, revocationCacheTtl: 0 })
    const usersOn = (store: WorkflowStore) => new LocalUsers({ store, scrypt: cheap, now: () => now })

    it('creates no session when the entry of the login cannot be written, and the next login works', async () => {
      const store = await fixture().open()
      const noted = notingCreated(store.sessions!)
      const sessions = new SessionManager({ store: { sessions: noted.store, audit: store.audit }, signer, now: () => now })
      await sessions.login(ada)
      await intrude(store, await chainOf(store))
      await expectIndexTaken(sessions.login(ada))
      expect(noted.ids).toHaveLength(2)
      expect(await store.sessions!.getSession(noted.ids[1]!)).toBeUndefined()
      const third = await sessions.login(ada)
      expect(await store.sessions!.getSession(third.sessionId)).toMatchObject({ subject: 'user:ada' })
      expect((await lines(store)).map((l) => l.split(' ')[0])).toEqual(['session.created', 'test.intrusion', 'session.created'])
      expect((await verifyAudit({ store: store.audit! })).ok).toBe(true)
    })

    it('leaves the refresh token unspent when the entry of its refresh cannot be written, so it refreshes next time', async () => {
      const store = await fixture().open()
      const sessions = sessionsOn(store)
      const tokens = await sessions.login(ada)
      await intrude(store, await chainOf(store))
      await expectIndexTaken(sessions.refresh(tokens.refreshToken))
      expect((await store.sessions!.findRefreshToken(hashOf(tokens)))?.usedAt).toBeUndefined()
      const next = await sessions.refresh(tokens.refreshToken)
      expect(next.sessionId).toBe(tokens.sessionId)
      expect((await lines(store)).slice(-2)).toEqual(['test.intrusion succeeded test', `session.refreshed succeeded session:${tokens.sessionId}`])
      expect((await verifyAudit({ store: store.audit! })).ok).toBe(true)
    })

    it('does not revoke the session of a reused token when the session.reuse entry cannot be written; the next reuse does, with its entry', async () => {
      const store = await fixture().open()
      const sessions = sessionsOn(store)
      const first = await sessions.login(ada)
      await sessions.refresh(first.refreshToken)
      await intrude(store, await chainOf(store))
      await expectIndexTaken(sessions.refresh(first.refreshToken))
      expect(await sessions.sessionIsActive(first.sessionId)).toBe(true)
      const reuse = await thrown(sessions.refresh(first.refreshToken))
      expect(reuse).toBeInstanceOf(AuthenticationError)
      expect((reuse as AuthenticationError).reason).toBe('refresh-reused')
      expect(await sessions.sessionIsActive(first.sessionId)).toBe(false)
      expect((await lines(store)).slice(-2)).toEqual(['test.intrusion succeeded test', `session.reuse denied session:${first.sessionId}`])
      expect((await verifyAudit({ store: store.audit! })).ok).toBe(true)
    })

    it('does not revoke a session when the entry of its revocation cannot be written; the next revoke does', async () => {
      const store = await fixture().open()
      const sessions = sessionsOn(store)
      const tokens = await sessions.login(ada)
      await intrude(store, await chainOf(store))
      await expectIndexTaken(sessions.revoke(tokens.sessionId, 'suspicious'))
      expect(await sessions.sessionIsActive(tokens.sessionId)).toBe(true)
      expect(await sessions.revoke(tokens.sessionId, 'suspicious')).toBe(true)
      expect(await sessions.sessionIsActive(tokens.sessionId)).toBe(false)
      expect((await lines(store)).slice(-2)).toEqual(['test.intrusion succeeded test', `session.revoked succeeded session:${tokens.sessionId}`])
      expect((await verifyAudit({ store: store.audit! })).ok).toBe(true)
    })

    it("revokes none of a subject's sessions when the entry cannot be written; the next revokeSubject revokes them all", async () => {
      const store = await fixture().open()
      const sessions = sessionsOn(store)
      const [one, two] = [await sessions.login(ada), await sessions.login(ada)]
      await intrude(store, await chainOf(store))
      await expectIndexTaken(sessions.revokeSubject('user:ada', 'password changed'))
      expect([await sessions.sessionIsActive(one.sessionId), await sessions.sessionIsActive(two.sessionId)]).toEqual([true, true])
      expect(await sessions.revokeSubject('user:ada', 'password changed')).toBe(2)
      expect([await sessions.sessionIsActive(one.sessionId), await sessions.sessionIsActive(two.sessionId)]).toEqual([false, false])
      expect((await lines(store)).slice(-2)).toEqual(['test.intrusion succeeded test', 'session.revoked succeeded session:*'])
      expect((await verifyAudit({ store: store.audit! })).ok).toBe(true)
    })

    it('saves no user when the entry of saveUser cannot be written, and deletes none when that of deleteUser cannot', async () => {
      const store = await fixture().open()
      const users = usersOn(store)
      await users.saveUser({ name: 'ada', roles: ['analyst'], password })
      const chain = await chainOf(store)
      await intrude(store, chain)
      await expectIndexTaken(users.saveUser({ name: 'bob', roles: [], password }))
      expect(await store.localUsers!.getLocalUser('bob')).toBeUndefined()
      await users.saveUser({ name: 'bob', roles: [], password })
      await intrude(store, chain)
      await expectIndexTaken(users.deleteUser('ada'))
      expect(await store.localUsers!.getLocalUser('ada')).toMatchObject({ subject: 'user:ada' })
      expect(await users.deleteUser('ada')).toBe(true)
      expect(await store.localUsers!.getLocalUser('ada')).toBeUndefined()
      expect(await lines(store)).toEqual([
        'user.saved succeeded user:ada',
        'test.intrusion succeeded test',
        'user.saved succeeded user:bob',
        'test.intrusion succeeded test',
        'user.deleted succeeded user:ada',
      ])
      expect((await verifyAudit({ store: store.audit! })).ok).toBe(true)
    })

    it('lets no one in when the auth.succeeded entry cannot be written: the attempt stays counted, and the next login works', async () => {
      const store = await fixture().open()
      const users = usersOn(store)
      await users.saveUser({ name: 'ada', roles: ['analyst'], password })
      await intrude(store, await chainOf(store))
      await expectIndexTaken(users.verifyPassword('ada', password))
      // The failed login's claim was not cleared: the counter still holds it, so this claim is the second in a row.
      const claim = await store.localUsers!.claimLoginAttempt('ada', now, { maxFailures: 5, baseLockMs: 30_000, maxLockMs: 60_000 })
      expect(claim).toEqual({ kind: 'attempt', next: { failures: 2 } })
      expect((await users.verifyPassword('ada', password)).subject).toBe('user:ada')
      expect((await lines(store)).slice(-2)).toEqual(['test.intrusion succeeded test', 'auth.succeeded succeeded user:ada'])
      expect((await verifyAudit({ store: store.audit! })).ok).toBe(true)
    })
  })
}
