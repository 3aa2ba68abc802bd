/**
 * What sessions and local users write to the audit log (src/security/auth-audit.ts, audit-trail.ts), on memory,
 * a SQLite file and PostgreSQL: given the whole store they audit to its hash-chained log on a chain of their own;
 * each login, refresh, refused refresh (a reuse revoking the family, an unknown, malformed or expired token),
 * logout and revocation, and each password check (with its real reason) leaves its entry; no entry holds a
 * password or a token; the chains verify (with signed checkpoints taken at close); and an audit write that fails
 * is reported without changing what the operation answers.
 */
import { createHash } from 'node:crypto'
import { Redacted } from 'effect'
import { describe, expect, it } from 'vitest'
import { AuthenticationError, SecurityConfigError } from '../../src/core/security-errors.js'
import { AuditSigner, generateAuditKeys, type AuditCheckpoint } from '../../src/security/audit-checkpoints.js'
import { verifyAudit } from '../../src/security/audit-verify.js'
import { LocalUsers, type LocalUsersOptions } from '../../src/security/local-users.js'
import { MemoryAuditSink } from '../../src/security/memory-audit.js'
import type { AuditRecord } from '../../src/security/ports.js'
import { principal } from '../../src/security/principal.js'
import { SessionManager, type AccessTokenClaims, type SessionManagerOptions } from '../../src/security/sessions.js'
import type { AuditEntry } from '../../src/storage/audit-store.js'
import { MemoryWorkflowStore } from '../../src/storage/memory-workflow-store.js'
import type { WorkflowStore } from '../../src/storage/workflow-store.js'
import { describeWithServer } from '../support/server-suites.js'
import { fixtureKinds, thrown } from './session-fixtures.js'

const ada = principal({ subject: 'user:ada', roles: ['analyst'], tenant: 'acme' })
const password = 'correct horse battery staple'
const wrongPassword = 'Tr0ub4dor&3-guess'
const cheap = { logN: 10, r: 8, p: 1 }
const day = 86_400_000
const signer = { sign: async (claims: AccessTokenClaims) => `access.${claims.sid}.${claims.lifetimeMs}` }

/** Every entry of the store's audit log, oldest first. */
async function entriesOf(store: WorkflowStore): Promise<AuditEntry[]> {
  const { entries } = await store.audit!.listAudit({ limit: 1000 })
  return entries.reverse()
}

/** The entries' fields a reader looks at (not the chain's). */
const summary = (entries: readonly (AuditEntry | AuditRecord)[]) =>
  entries.map(({ action, outcome, subject, tenant, resource, reason }) => ({ action, outcome, subject: subject ?? undefined, tenant: tenant ?? undefined, resource, reason: reason ?? undefined }))

/** A checkpoint sink that keeps what it is given. */
function keptCheckpoints(): { write(checkpoint: AuditCheckpoint): Promise<void>; readonly kept: AuditCheckpoint[] } {
  const kept: AuditCheckpoint[] = []
  return { kept, write: async (checkpoint) => void kept.push(checkpoint) }
}

for (const kind of fixtureKinds) {
  describeWithServer(`the audit of sessions and local users on ${kind.name}`, kind.skipReason(), () => {
    const fixture = kind.setup()
    let now = 2_000_000_000_000
    const sessionsOn = (store: WorkflowStore, options: Partial<SessionManagerOptions> = {}) => new SessionManager({ store, signer, now: () => now, ...options })
    const usersOn = (store: WorkflowStore, options: Partial<LocalUsersOptions> = {}) => new LocalUsers({ store, scrypt: cheap, now: () => now, lockout: { maxFailures: 2, baseLockMs: 30_000 }, ...options })

    it('records a login, a refresh and a logout on a chain of the manager\'s own, naming the session and its principal', async () => {
      const store = await fixture().open()
      const sessions = sessionsOn(store)
      const first = await sessions.login(ada)
      const second = await sessions.refresh(first.refreshToken)
      await sessions.logout({ refreshToken: second.refreshToken })
      const entries = await entriesOf(store)
      const resource = `session:${first.sessionId}`
      expect(summary(entries)).toEqual([
        { action: 'session.created', outcome: 'succeeded', subject: 'user:ada', tenant: 'acme', resource, reason: undefined },
        { action: 'session.refreshed', outcome: 'succeeded', subject: 'user:ada', tenant: 'acme', resource, reason: undefined },
        { action: 'session.revoked', outcome: 'succeeded', subject: 'user:ada', tenant: 'acme', resource, reason: 'logout' },
      ])
      expect(new Set(entries.map((e) => e.chain)).size).toBe(1)
      expect(entries[0]!.chain).toMatch(/^sessions:[^:]+:\d+:[0-9a-f]{8}$/)
      expect(entries.map((e) => e.at)).toEqual([now, now, now])
    })

    it('records the reuse of a spent refresh token as session.reuse, denied, with the session revoked', async () => {
      const store = await fixture().open()
      const sessions = sessionsOn(store)
      const first = await sessions.login(ada)
      await sessions.refresh(first.refreshToken)
      const error = await thrown(sessions.refresh(first.refreshToken))
      expect(error).toBeInstanceOf(AuthenticationError)
      expect((error as AuthenticationError).reason).toBe('refresh-reused')
      const reuse = (await entriesOf(store)).at(-1)!
      expect(summary([reuse])).toEqual([
        { action: 'session.reuse', outcome: 'denied', subject: 'user:ada', tenant: 'acme', resource: `session:${first.sessionId}`, reason: expect.stringContaining('revoked') },
      ])
      expect(await sessions.sessionIsActive(first.sessionId)).toBe(false)
    })

    it('records an unknown, a malformed and an expired refresh token as auth.failed, denied', async () => {
      const store = await fixture().open()
      const sessions = sessionsOn(store, { refreshTokenTtl: '1 d' })
      const tokens = await sessions.login(ada)
      await thrown(sessions.refresh('A'.repeat(43)))
      await thrown(sessions.refresh('not a token'))
      now += 2 * day
      expect(((await thrown(sessions.refresh(tokens.refreshToken))) as AuthenticationError).reason).toBe('expired')
      expect(summary((await entriesOf(store)).slice(1))).toEqual([
        { action: 'auth.failed', outcome: 'denied', subject: undefined, tenant: undefined, resource: 'session', reason: 'unknown refresh token' },
        { action: 'auth.failed', outcome: 'denied', subject: undefined, tenant: undefined, resource: 'session', reason: 'malformed refresh token' },
        { action: 'auth.failed', outcome: 'denied', subject: 'user:ada', tenant: 'acme', resource: `session:${tokens.sessionId}`, reason: 'refresh token or session expired' },
      ])
    })

    it('records revoke and revokeSubject with their reasons, and nothing for a session that was already ended', async () => {
      const store = await fixture().open()
      const sessions = sessionsOn(store)
      const one = await sessions.login(ada)
      await sessions.login(ada)
      await sessions.login(ada)
      await sessions.revoke(one.sessionId, 'suspicious location')
      await sessions.revoke(one.sessionId, 'again')
      await sessions.revokeSubject('user:ada', 'password changed')
      await sessions.revokeSubject('user:ada', 'again')
      expect(summary((await entriesOf(store)).slice(3))).toEqual([
        { action: 'session.revoked', outcome: 'succeeded', subject: 'user:ada', tenant: 'acme', resource: `session:${one.sessionId}`, reason: 'suspicious location' },
        { action: 'session.revoked', outcome: 'succeeded', subject: 'user:ada', tenant: undefined, resource: 'session:*', reason: 'password changed: 2 sessions' },
      ])
    })

    it('records each password check with its real reason, which the caller is not told', async () => {
      const store = await fixture().open()
      const users = usersOn(store)
      await users.saveUser({ name: 'ada', roles: ['analyst'], tenant: 'acme', password })
      await users.verifyPassword('ada', Redacted.make(password))
      const wrong = await thrown(users.verifyPassword('ada', wrongPassword))
      const unknown = await thrown(users.verifyPassword('nobody', wrongPassword))
      const [wrongMessage, unknownMessage] = [wrong, unknown].map((e) => (e as AuthenticationError).message)
      expect(unknownMessage).toBe(wrongMessage)
      expect(wrongMessage).not.toMatch(/unknown user|wrong password/)
      await thrown(users.verifyPassword('ada', wrongPassword))
      const locked = await thrown(users.verifyPassword('ada', password))
      expect((locked as AuthenticationError).reason).toBe('locked')
      const entries = await entriesOf(store)
      const user = { subject: 'user:ada', tenant: 'acme', resource: 'user:ada' }
      expect(summary(entries)).toEqual([
        { action: 'user.saved', outcome: 'succeeded', ...user, reason: 'created' },
        { action: 'auth.succeeded', outcome: 'succeeded', ...user, reason: undefined },
        { action: 'auth.failed', outcome: 'denied', ...user, reason: 'wrong password' },
        { action: 'auth.failed', outcome: 'denied', subject: undefined, tenant: undefined, resource: `user:?${createHash('sha256').update('nobody').digest('hex').slice(0, 16)}`, reason: 'unknown user' },
        { action: 'auth.failed', outcome: 'denied', ...user, reason: 'wrong password' },
        { action: 'auth.failed', outcome: 'denied', ...user, reason: `locked out until ${new Date(now + 30_000).toISOString()}` },
      ])
      expect(entries[0]!.chain).toMatch(/^local-users:/)
    })

    it('records a user replaced and a user deleted, and nothing for deleting a user that is not there', async () => {
      const store = await fixture().open()
      const users = usersOn(store)
      await users.saveUser({ name: 'ada', roles: ['analyst'], tenant: 'acme', password })
      await users.saveUser({ name: 'ada', roles: ['viewer'], tenant: 'acme', password: `${password}!` })
      expect(await users.deleteUser('ada')).toBe(true)
      expect(await users.deleteUser('ada')).toBe(false)
      expect(summary(await entriesOf(store)).map(({ action, reason, subject }) => [action, reason, subject])).toEqual([
        ['user.saved', 'created', 'user:ada'],
        ['user.saved', 'replaced', 'user:ada'],
        ['user.deleted', undefined, 'user:ada'],
      ])
    })

    it('writes no password and no token into any entry', async () => {
      const store = await fixture().open()
      const users = usersOn(store)
      const sessions = sessionsOn(store)
      await users.saveUser({ name: 'ada', roles: ['analyst'], password })
      const who = await users.verifyPassword('ada', password)
      await thrown(users.verifyPassword('ada', wrongPassword))
      const first = await sessions.login(who)
      const second = await sessions.refresh(first.refreshToken)
      await thrown(sessions.refresh(first.refreshToken))
      await sessions.logout({ refreshToken: second.refreshToken })
      const text = JSON.stringify(await entriesOf(store))
      const secrets = [password, wrongPassword, ...[first, second].flatMap((t) => [Redacted.value(t.refreshToken), Redacted.value(t.accessToken)])]
      expect(text).toContain('session.reuse')
      expect(secrets.filter((secret) => text.includes(secret))).toEqual([])
    })

    it('leaves chains that verify, signed through their last entry by the checkpoint each close() takes', async () => {
      const store = await fixture().open()
      const keys = generateAuditKeys()
      const checkpoints = keptCheckpoints()
      const auditLog = { signer: new AuditSigner(keys.privateKey), checkpoints }
      const users = usersOn(store, { auditLog })
      const sessions = sessionsOn(store, { auditLog })
      await users.saveUser({ name: 'ada', roles: ['analyst'], password })
      const tokens = await sessions.login(await users.verifyPassword('ada', password))
      await sessions.refresh(tokens.refreshToken)
      await thrown(sessions.refresh(tokens.refreshToken))
      await Promise.all([users.close(), sessions.close()])
      const report = await verifyAudit({ store: store.audit!, checkpoints: checkpoints.kept, publicKeys: [keys.publicKey] })
      expect(report.ok).toBe(true)
      expect(report.checkpoints).toMatchObject({ given: 2, valid: 2 })
      expect(report.chains.map(({ chain, entries, checkpointed }) => [chain.split(':')[0], entries, checkpointed]).sort()).toEqual([
        ['local-users', 2, 1],
        ['sessions', 3, 2],
      ])
    })
  })
}

describe('where the entries of sessions and local users go', () => {
  it('goes to the sink given as audit instead of the store\'s log', async () => {
    const store = new MemoryWorkflowStore()
    const audit = new MemoryAuditSink()
    await new SessionManager({ store, signer, audit }).login(ada)
    expect(audit.entries.map((e) => e.action)).toEqual(['session.created'])
    expect((await store.audit.listAudit()).entries).toEqual([])
  })

  it('records nothing by default when given only the store\'s sessions or local users (no audit log to default to)', async () => {
    const store = new MemoryWorkflowStore()
    await new SessionManager({ store: store.sessions, signer }).login(ada)
    await new LocalUsers({ store: store.localUsers, scrypt: cheap }).saveUser({ name: 'ada', roles: [], password })
    expect((await store.audit.listAudit()).entries).toEqual([])
  })

  it('refuses a store that keeps no sessions or no local users, naming what it needs', () => {
    expect(() => new SessionManager({ store: {}, signer })).toThrow(SecurityConfigError)
    expect(() => new SessionManager({ store: {}, signer })).toThrow(/keeps no sessions/)
    expect(() => new LocalUsers({ store: {} })).toThrow(/keeps no local users/)
  })
})

describe('an audit write that fails', () => {
  const failing = { record: async () => Promise.reject(new Error('audit database unreachable')) }

  it('leaves a login and a refresh successful, and reports each entry to onAuditError', async () => {
    const reported: [string, string][] = []
    const sessions = new SessionManager({ store: new MemoryWorkflowStore(), signer, audit: failing, onAuditError: (error, entry) => void reported.push([(error as Error).message, entry.action]) })
    const tokens = await sessions.login(ada)
    const next = await sessions.refresh(tokens.refreshToken)
    expect(next.sessionId).toBe(tokens.sessionId)
    expect(reported).toEqual([
      ['audit database unreachable', 'session.created'],
      ['audit database unreachable', 'session.refreshed'],
    ])
  })

  it('leaves a refusal a refusal: a wrong password still throws invalid-credentials, and the entry is reported', async () => {
    const reported: AuditRecord[] = []
    const users = new LocalUsers({ store: new MemoryWorkflowStore(), scrypt: cheap, audit: failing, onAuditError: (_, entry) => void reported.push(entry) })
    await users.saveUser({ name: 'ada', roles: [], password })
    const error = await thrown(users.verifyPassword('ada', wrongPassword))
    expect(error).toBeInstanceOf(AuthenticationError)
    expect((error as AuthenticationError).reason).toBe('invalid-credentials')
    expect(summary(reported).map((e) => [e.action, e.reason])).toEqual([
      ['user.saved', 'created'],
      ['auth.failed', 'wrong password'],
    ])
  })

  it('is ignored by default, and so is an onAuditError that throws', async () => {
    const store = new MemoryWorkflowStore()
    const quiet = new SessionManager({ store, signer, audit: failing })
    const loud = new SessionManager({ store, signer, audit: failing, onAuditError: () => { throw new Error('callback failed') } })
    const tokens = await quiet.login(ada)
    expect((await loud.refresh(tokens.refreshToken)).sessionId).toBe(tokens.sessionId)
    expect(await loud.revoke(tokens.sessionId)).toBe(true)
  })
})
