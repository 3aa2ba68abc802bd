/**
 * Sessions (src/security/sessions.ts) on memory, a SQLite file and
 * PostgreSQL: login, refresh with rotation, a reused refresh token revoking
 * its whole session, expiry, logout and revocation seen by another store
 * instance on the same database within the cache's TTL, two instances
 * refreshing one token at once (exactly one wins), and the tables holding
 * only SHA-256 hashes of refresh tokens. The clock is a variable the tests move.
 */
import { createHash } from 'node:crypto'
import { Redacted } from 'effect'
import { describe, expect, it } from 'vitest'
import { AuthenticationError, SecurityConfigError } from '../../src/core/security-errors.js'
import { principal } from '../../src/security/principal.js'
import { SessionManager, type AccessTokenClaims, type SessionManagerOptions } from '../../src/security/sessions.js'
import type { WorkflowStore } from '../../src/storage/workflow-store.js'
import { describeWithServer } from '../support/server-suites.js'
import { fixtureKinds, thrown } from './session-fixtures.js'

const ada = principal({ subject: 'user:ada', roles: ['analyst'], tenant: 'acme' })
const bob = principal({ subject: 'user:bob', roles: ['viewer'] })
const minute = 60_000
const day = 86_400_000

/** A signer that records what it was asked to sign and returns a recognisable token. */
function recordingSigner(): { sign(claims: AccessTokenClaims): Promise<string>; readonly signed: AccessTokenClaims[] } {
  const signed: AccessTokenClaims[] = []
  return {
    signed,
    sign: async (claims) => {
      signed.push(claims)
      return `access-${signed.length}-${claims.sid}`
    },
  }
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex')
const reasonOf = (error: unknown): string | undefined => (error instanceof AuthenticationError ? error.reason : undefined)

for (const kind of fixtureKinds) {
  describeWithServer(`sessions on ${kind.name}`, kind.skipReason(), () => {
    const fixture = kind.setup()
    let now = 1_000_000_000
    const clock = () => now
    const signer = recordingSigner()
    const manager = (store: WorkflowStore, options: Partial<SessionManagerOptions> = {}) => new SessionManager({ store: store.sessions!, signer, now: clock, ...options })

    it('logs in: Redacted tokens, a 256-bit base64url refresh token, an access token signed with sub, roles, tenant and sid', async () => {
      now = 1_000_000_000
      const tokens = await manager(await fixture().open()).login(ada)
      expect(Redacted.value(tokens.refreshToken)).toMatch(/^[A-Za-z0-9_-]{43}$/)
      expect(Buffer.from(Redacted.value(tokens.refreshToken), 'base64url')).toHaveLength(32)
      expect(String(tokens.refreshToken)).not.toContain(Redacted.value(tokens.refreshToken))
      expect(JSON.stringify(tokens)).not.toContain(Redacted.value(tokens.refreshToken))
      expect(signer.signed.at(-1)).toEqual({ sub: 'user:ada', roles: ['analyst'], tenant: 'acme', sid: tokens.sessionId, lifetimeMs: 15 * minute })
      expect(Redacted.value(tokens.accessToken)).toBe(`access-${signer.signed.length}-${tokens.sessionId}`)
      expect(tokens.expiresAt).toBe(now + 15 * minute)
      expect(tokens.refreshExpiresAt).toBe(now + 14 * day)
    })

    it('refreshes by rotation: a new refresh token in the same session, the old one marked used and the parent of the new', async () => {
      const store = await fixture().open()
      const sessions = manager(store)
      const first = await sessions.login(ada)
      now += minute
      const second = await sessions.refresh(first.refreshToken)
      expect(second.sessionId).toBe(first.sessionId)
      expect(Redacted.value(second.refreshToken)).not.toBe(Redacted.value(first.refreshToken))
      const used = await store.sessions!.findRefreshToken(sha256(Redacted.value(first.refreshToken)))
      const next = await store.sessions!.findRefreshToken(sha256(Redacted.value(second.refreshToken)))
      expect(used?.usedAt).toBe(now)
      expect(next).toMatchObject({ sessionId: first.sessionId, parent: used?.hash, issuedAt: now })
      expect(next?.usedAt).toBeUndefined()
      expect(second.expiresAt).toBe(now + 15 * minute)
    })

    it('treats a second use of a refresh token as theft: refresh-reused, and the whole session (its newest token too) is revoked', async () => {
      const store = await fixture().open()
      const sessions = manager(store)
      const first = await sessions.login(ada)
      const second = await sessions.refresh(first.refreshToken)
      const reuse = await thrown(sessions.refresh(first.refreshToken))
      expect(reuse).toBeInstanceOf(AuthenticationError)
      expect(reasonOf(reuse)).toBe('refresh-reused')
      expect((reuse as Error).message).not.toContain(Redacted.value(first.refreshToken))
      expect(reasonOf(await thrown(sessions.refresh(second.refreshToken)))).toBe('revoked')
      expect(await sessions.sessionIsActive(first.sessionId)).toBe(false)
      expect(await store.sessions!.getSession(first.sessionId)).toMatchObject({ revokeReason: 'refresh-reused' })
    })

    it('refuses an expired refresh token without revoking the session, and any refresh past the session\'s absolute lifetime', async () => {
      const sessions = manager(await fixture().open(), { refreshTokenTtl: '1 h', maxSessionAge: '3 h' })
      const first = await sessions.login(ada)
      now += 61 * minute
      expect(reasonOf(await thrown(sessions.refresh(first.refreshToken)))).toBe('expired')
      expect(await sessions.sessionIsActive(first.sessionId)).toBe(true)
      const other = await sessions.login(ada)
      let token = other.refreshToken
      for (let i = 0; i < 3; i++) {
        now += 50 * minute
        token = (await sessions.refresh(token)).refreshToken
      }
      now += 50 * minute // 200 minutes after the login: past the 3 h lifetime
      expect(reasonOf(await thrown(sessions.refresh(token)))).toBe('expired')
    })

    it('refuses unknown and malformed refresh tokens without quoting them', async () => {
      const sessions = manager(await fixture().open())
      const unknown = 'A'.repeat(43)
      const error = await thrown(sessions.refresh(Redacted.make(unknown)))
      expect(reasonOf(error)).toBe('invalid-credentials')
      expect((error as Error).message).not.toContain(unknown)
      const malformed = await thrown(sessions.refresh('not-a-token secret-part'))
      expect(reasonOf(malformed)).toBe('malformed')
      expect((malformed as Error).message).not.toContain('secret-part')
    })

    it('logs out by refresh token or by session id: refresh refused as revoked, the session inactive', async () => {
      const sessions = manager(await fixture().open())
      const one = await sessions.login(ada)
      const two = await sessions.login(ada)
      expect(await sessions.logout({ refreshToken: one.refreshToken })).toBe(true)
      expect(await sessions.logout({ sessionId: two.sessionId })).toBe(true)
      expect(await sessions.logout({ sessionId: two.sessionId })).toBe(false)
      expect(reasonOf(await thrown(sessions.refresh(one.refreshToken)))).toBe('revoked')
      expect(reasonOf(await thrown(sessions.refresh(two.refreshToken)))).toBe('revoked')
      expect([await sessions.sessionIsActive(one.sessionId), await sessions.sessionIsActive(two.sessionId)]).toEqual([false, false])
    })

    it('revokes every session of one subject and none of another', async () => {
      const sessions = manager(await fixture().open())
      const [a1, a2, b1] = [await sessions.login(ada), await sessions.login(ada), await sessions.login(bob)]
      expect(await sessions.revokeSubject('user:ada')).toBe(2)
      expect(await Promise.all([a1, a2, b1].map((t) => sessions.sessionIsActive(t.sessionId)))).toEqual([false, false, true])
      expect((await sessions.refresh(b1.refreshToken)).sessionId).toBe(b1.sessionId)
    })

    it('issues refreshed tokens for the current principal when asked, and revokes the session when it is gone', async () => {
      let roles: string[] | undefined = ['analyst', 'approver']
      const sessions = manager(await fixture().open(), { currentPrincipal: async (s) => (roles === undefined ? undefined : principal({ subject: s.subject, roles, tenant: s.tenant })) })
      const first = await sessions.login(ada)
      const second = await sessions.refresh(first.refreshToken)
      expect(signer.signed.at(-1)?.roles).toEqual(['analyst', 'approver'])
      roles = undefined
      expect(reasonOf(await thrown(sessions.refresh(second.refreshToken)))).toBe('revoked')
      expect(await sessions.sessionIsActive(first.sessionId)).toBe(false)
    })

    // The memory store has no tables to read.
    if (kind.durable) it('keeps refresh tokens only as SHA-256 hashes: no token in clear in any table', async () => {
      const store = await fixture().open()
      const sessions = manager(store)
      const first = await sessions.login(ada)
      const second = await sessions.refresh(first.refreshToken)
      const dump = (await fixture().dump())!
      for (const token of [first.refreshToken, second.refreshToken].map((t) => Redacted.value(t))) {
        expect(dump).not.toContain(token)
        expect(dump).toContain(sha256(token))
      }
    })

    it('prunes sessions ended longer ago than the retention, with their refresh tokens, and keeps the others', async () => {
      const store = await fixture().open()
      const sessions = manager(store, { maxSessionAge: '1 d' })
      const [ended, expired] = [await sessions.login(ada), await sessions.login(bob)]
      await sessions.revoke(ended.sessionId)
      now += 3 * day
      const [fresh, live] = [await sessions.login(bob), await sessions.login(ada)]
      await sessions.revoke(fresh.sessionId) // ended, but within the retention
      expect(await sessions.pruneSessions('2 d')).toBe(2) // the revoked one and the expired one
      expect(await store.sessions!.getSession(ended.sessionId)).toBeUndefined()
      expect(await store.sessions!.getSession(expired.sessionId)).toBeUndefined()
      expect(await store.sessions!.findRefreshToken(sha256(Redacted.value(ended.refreshToken)))).toBeUndefined()
      expect(await store.sessions!.getSession(fresh.sessionId)).toMatchObject({ revokeReason: 'revoked' })
      expect(await sessions.sessionIsActive(live.sessionId)).toBe(true)
      expect((await sessions.refresh(live.refreshToken)).sessionId).toBe(live.sessionId)
    })

    it('refuses lifetimes of zero at configuration', async () => {
      const store = await fixture().open()
      expect(() => manager(store, { accessTokenTtl: 0 })).toThrow(SecurityConfigError)
    })

    // Memory stores share nothing: these are declared for the databases only.
    if (kind.durable) describe('across store instances on one database', () => {
      it('of two instances refreshing the same token at once, exactly one wins; the other is told refresh-reused', async () => {
        const [a, b] = [manager(await fixture().open()), manager(await fixture().open())]
        for (let round = 0; round < 8; round++) {
          const tokens = await a.login(ada)
          const results = await Promise.allSettled([a.refresh(tokens.refreshToken), b.refresh(tokens.refreshToken)])
          expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
          const loser = results.find((r) => r.status === 'rejected') as PromiseRejectedResult
          expect(reasonOf(loser.reason)).toBe('refresh-reused')
        }
      })

      it('sees a logout made through another instance at its next check after the cache TTL, at once without a cache', async () => {
        const a = manager(await fixture().open())
        const cached = manager(await fixture().open(), { revocationCacheTtl: '5 s' })
        const uncached = manager(await fixture().open(), { revocationCacheTtl: 0 })
        const tokens = await a.login(ada)
        expect(await cached.sessionIsActive(tokens.sessionId)).toBe(true)
        await a.logout({ refreshToken: tokens.refreshToken })
        expect(await uncached.sessionIsActive(tokens.sessionId)).toBe(false)
        expect(await cached.sessionIsActive(tokens.sessionId)).toBe(true) // within the documented bound
        now += 5_000
        expect(await cached.sessionIsActive(tokens.sessionId)).toBe(false)
        expect(reasonOf(await thrown(cached.refresh(tokens.refreshToken)))).toBe('revoked')
      })
    })
  })
}

describe('the same-instance answer of concurrent refreshes (memory)', () => {
  it('lets one of two concurrent refreshes of one token win', async () => {
    const { MemoryWorkflowStore } = await import('../../src/storage/memory-workflow-store.js')
    const sessions = new SessionManager({ store: new MemoryWorkflowStore().sessions, signer: recordingSigner() })
    const tokens = await sessions.login(ada)
    const results = await Promise.allSettled([sessions.refresh(tokens.refreshToken), sessions.refresh(tokens.refreshToken)])
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected'])
  })
})
