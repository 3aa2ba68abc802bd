/**
 * Local users (src/security/local-users.ts, password-hash.ts) on memory, a
 * SQLite file and PostgreSQL: scrypt hashes that carry their parameters and
 * a per-user salt, verification, the same refusal for an unknown name and a
 * wrong password, the lockout and its exponential backoff counted in the
 * store (so another store instance on the same database sees it, and parallel
 * guesses cannot pass the limit), re-hashing when the parameters change, and
 * passwords absent from the tables. Cheap scrypt parameters keep it fast; one
 * test compares the time of the two refusals with the real cost.
 */
import { Redacted } from 'effect'
import { describe, expect, it } from 'vitest'
import { AuthenticationError, SecurityConfigError } from '../../src/core/security-errors.js'
import { LocalUsers, type LocalUsersOptions } from '../../src/security/local-users.js'
import { hashPassword, needsRehash, verifyPasswordHash } from '../../src/security/password-hash.js'
import { MemoryWorkflowStore } from '../../src/storage/memory-workflow-store.js'
import { decideAttempt } from '../../src/storage/session-store.js'
import type { WorkflowStore } from '../../src/storage/workflow-store.js'
import { describeWithServer } from '../support/server-suites.js'
import { fixtureKinds, thrown } from './session-fixtures.js'

const cheap = { logN: 10, r: 8, p: 1 }
const password = 'correct horse battery staple'
const policy = { maxFailures: 5, baseLockMs: 30_000, maxLockMs: 3_600_000 }

const failure = (error: unknown) =>
  error instanceof AuthenticationError ? { class: error.constructor.name, code: error.code, reason: error.reason, message: error.message, retryAfterMs: error.retryAfterMs } : error

describe('the lockout rule', () => {
  it('counts attempts, locks from the maxFailures-th for baseLockMs doubling each time up to maxLockMs, and refuses while locked', () => {
    expect(decideAttempt({ failures: 3 }, 100, policy)).toEqual({ kind: 'attempt', next: { failures: 4 } })
    expect(decideAttempt({ failures: 4 }, 100, policy)).toEqual({ kind: 'attempt', next: { failures: 5, lockedUntil: 30_100 } })
    expect(decideAttempt({ failures: 5, lockedUntil: 30_100 }, 100, policy)).toEqual({ kind: 'locked', retryAfterMs: 30_000 })
    expect(decideAttempt({ failures: 5, lockedUntil: 30_100 }, 30_100, policy)).toEqual({ kind: 'attempt', next: { failures: 6, lockedUntil: 90_100 } })
    expect(decideAttempt({ failures: 20 }, 0, policy)).toEqual({ kind: 'attempt', next: { failures: 21, lockedUntil: 3_600_000 } })
  })
})

describe('scrypt password hashes', () => {
  it('carry their parameters and a random salt: one password hashes differently twice and verifies against both', async () => {
    const [a, b] = [await hashPassword(password, cheap), await hashPassword(password, cheap)]
    expect(a).toMatch(/^\$scrypt\$ln=10,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/)
    expect(a).not.toBe(b)
    expect([await verifyPasswordHash(a, password), await verifyPasswordHash(b, password), await verifyPasswordHash(a, `${password}!`)]).toEqual([true, true, false])
  })

  it('match nothing when malformed or out of bounds, and say when they need re-hashing', async () => {
    const stored = await hashPassword(password, cheap)
    expect(await verifyPasswordHash(stored.replace('ln=10', 'ln=40'), password)).toBe(false)
    expect(await verifyPasswordHash('plain text', password)).toBe(false)
    expect([needsRehash(stored, cheap), needsRehash(stored, { ...cheap, logN: 11 })]).toEqual([false, true])
  })
})

for (const kind of fixtureKinds) {
  describeWithServer(`local users on ${kind.name}`, kind.skipReason(), () => {
    const fixture = kind.setup()
    let now = 5_000_000
    const users = (store: WorkflowStore, options: Partial<LocalUsersOptions> = {}) => new LocalUsers({ store: store.localUsers!, scrypt: cheap, now: () => now, ...options })

    it('verifies a password and returns the user\'s principal', async () => {
      const local = users(await fixture().open())
      await local.saveUser({ name: 'ada', roles: ['analyst'], tenant: 'acme', password: Redacted.make(password) })
      const ada = await local.verifyPassword('ada', Redacted.make(password))
      expect(ada).toMatchObject({ subject: 'user:ada', roles: ['analyst'], tenant: 'acme' })
    })

    it('refuses an unknown name and a wrong password with the same error', async () => {
      const local = users(await fixture().open())
      await local.saveUser({ name: 'ada', roles: [], password })
      const wrong = await thrown(local.verifyPassword('ada', 'Tr0ub4dor&3-guess'))
      const unknown = await thrown(local.verifyPassword('nobody', 'Tr0ub4dor&3-guess'))
      expect(wrong).toBeInstanceOf(AuthenticationError)
      expect(failure(unknown)).toEqual(failure(wrong))
      expect(failure(wrong)).toMatchObject({ reason: 'invalid-credentials' })
      expect((wrong as Error).message).not.toContain('Tr0ub4dor')
    })

    it('locks a name after 5 failures, for 30 s then 60 s, even for the right password, and unlocks with a success after the lock', async () => {
      const local = users(await fixture().open())
      await local.saveUser({ name: 'ada', roles: [], password })
      for (let i = 0; i < 5; i++) expect(failure(await thrown(local.verifyPassword('ada', 'wrong password!')))).toMatchObject({ reason: 'invalid-credentials' })
      expect(failure(await thrown(local.verifyPassword('ada', password)))).toMatchObject({ reason: 'locked', retryAfterMs: 30_000 })
      now += 30_000
      expect(failure(await thrown(local.verifyPassword('ada', 'wrong password!')))).toMatchObject({ reason: 'invalid-credentials' })
      expect(failure(await thrown(local.verifyPassword('ada', password)))).toMatchObject({ reason: 'locked', retryAfterMs: 60_000 })
      now += 60_000
      expect((await local.verifyPassword('ada', password)).subject).toBe('user:ada')
      expect(await thrown(local.verifyPassword('ada', password))).toBeUndefined()
    })

    it('locks an unknown name exactly like a known one (the lockout tells no user apart)', async () => {
      const local = users(await fixture().open())
      await local.saveUser({ name: 'ada', roles: [], password })
      const run = async (name: string) => {
        const answers = []
        for (let i = 0; i < 6; i++) answers.push(failure(await thrown(local.verifyPassword(name, 'wrong password!'))))
        return answers
      }
      expect(await run('nobody')).toEqual(await run('ada'))
    })

    it('lets exactly maxFailures of 12 parallel wrong guesses be checked; the rest are refused as locked', async () => {
      const [a, b] = [users(await fixture().open()), users(await fixture().open())]
      await a.saveUser({ name: 'ada', roles: [], password })
      const guesses = await Promise.all(Array.from({ length: 12 }, (_, i) => thrown((i % 2 === 0 ? a : b).verifyPassword('ada', `guess number ${i}`))))
      const reasons = guesses.map((error) => (error as AuthenticationError).reason)
      expect(reasons.filter((reason) => reason === 'invalid-credentials').length).toBe(5)
      expect(reasons.filter((reason) => reason === 'locked').length).toBe(7)
    })

    // Memory stores share nothing: declared for the databases only.
    if (kind.durable) it('counts failures in the store: a lock made through one instance holds in another', async () => {
      const [a, b] = [users(await fixture().open()), users(await fixture().open())]
      await a.saveUser({ name: 'ada', roles: [], password })
      for (let i = 0; i < 5; i++) await thrown(a.verifyPassword('ada', 'wrong password!'))
      expect(failure(await thrown(b.verifyPassword('ada', password)))).toMatchObject({ reason: 'locked', retryAfterMs: 30_000 })
    })

    it('re-hashes a password with new parameters at its next successful login', async () => {
      const store = await fixture().open()
      await users(store).saveUser({ name: 'ada', roles: [], password })
      await users(store, { scrypt: { ...cheap, logN: 11 } }).verifyPassword('ada', password)
      const stored = await store.localUsers!.getLocalUser('ada')
      expect(stored?.passwordHash).toMatch(/^\$scrypt\$ln=11,r=8,p=1\$/)
      expect((await users(store).verifyPassword('ada', password)).subject).toBe('user:ada')
    })

    it('refuses a short password without quoting it, and keeps no password in clear in any table', async () => {
      const local = users(await fixture().open())
      const error = await thrown(local.saveUser({ name: 'bob', roles: [], password: 'short-pw' }))
      expect(error).toBeInstanceOf(SecurityConfigError)
      expect((error as Error).message).not.toContain('short-pw')
      await local.saveUser({ name: 'ada', roles: [], password })
      await thrown(local.verifyPassword('ada', 'a wrong one, typed in'))
      const dump = await fixture().dump()
      if (dump !== undefined) {
        expect(dump).toContain('$scrypt$ln=10,r=8,p=1$')
        expect(dump).not.toContain(password)
        expect(dump).not.toContain('a wrong one')
      }
    })
  })
}

describe('timing of the two refusals', () => {
  it('takes about as long for an unknown name as for a wrong password (both run scrypt), at realistic cost', async () => {
    const local = new LocalUsers({ store: new MemoryWorkflowStore().localUsers, scrypt: { logN: 14, r: 8, p: 1 }, lockout: { maxFailures: 1000 } })
    await local.saveUser({ name: 'ada', roles: [], password })
    const median = async (name: string) => {
      const times: number[] = []
      for (let i = 0; i < 5; i++) {
        const started = performance.now()
        await thrown(local.verifyPassword(name, 'wrong password!'))
        times.push(performance.now() - started)
      }
      return times.sort((x, y) => x - y)[2]!
    }
    await median('nobody') // warms the dummy hash
    const [known, unknown] = [await median('ada'), await median('nobody')]
    console.log(`median refusal: wrong password ${known.toFixed(1)} ms, unknown name ${unknown.toFixed(1)} ms`)
    expect(unknown / known).toBeGreaterThan(0.5)
    expect(unknown / known).toBeLessThan(2)
  })
})
