/**
 * Per-principal limits (src/security/principal-limits.ts): a token bucket per
 * principal and per operation, the time until the next permit, role
 * overrides, the quota unit, and the configuration refused with
 * `SecurityConfigError`. The bucket behaviour is checked on the in-memory
 * state and on a SQLite file (both answer synchronously); Date is faked so
 * time moves only when a test says. On PostgreSQL and Redis (their servers'
 * clocks) the same buckets are checked without moving time.
 * Two processes sharing one limit are in
 * test/integration/durability/principal-limits.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import Database from 'better-sqlite3'
import { memoryPolicyState, RateLimitedError, SecurityConfigError, StorageError, type PolicyStateStore } from 'weft-sdk'
import { PrincipalLimits, type PrincipalLimitsConfig } from '../../src/security/principal-limits.js'
import { principal } from '../../src/security/principal.js'
import { sqlitePolicyState } from '../../src/integration/shared-state/sqlite-policy-state.js'
import { postgresPolicyState } from 'weft-sdk/postgres'
import { redisPolicyState } from 'weft-sdk/redis'
import { createTestDatabase, describePostgres, type TestDatabase } from '../support/postgres.js'
import { describeRedis, dropKeys } from '../support/redis.js'

const folder = mkdtempSync(join(tmpdir(), 'weft-principal-limits-'))
afterAll(() => rmSync(folder, { recursive: true, force: true }))

const alice = principal({ subject: 'alice', roles: ['user'] })
const bob = principal({ subject: 'bob', roles: ['user'] })

/** What `promise` rejects with; `undefined` when it resolves. */
const thrown = (promise: Promise<unknown>): Promise<unknown> => promise.then(() => undefined, (error: unknown) => error)

/** How many of `n` takes in a row (no time passing) are allowed. */
async function allowed(limits: PrincipalLimits, who: ReturnType<typeof principal>, operation: string, n: number): Promise<number> {
  let ok = 0
  for (let i = 0; i < n; i++) if ((await thrown(limits.take(who, operation))) === undefined) ok += 1
  return ok
}

let files = 0
const backends: readonly [string, () => PolicyStateStore][] = [
  ['in memory', () => memoryPolicyState()],
  ['on a SQLite file', () => sqlitePolicyState({ path: join(folder, `limits-${(files += 1)}.db`) })],
]

describe.each(backends)('per-principal limits %s', (_, makeState) => {
  const open: PrincipalLimits[] = []
  const states: PolicyStateStore[] = []
  const limitsOf = (config: Omit<PrincipalLimitsConfig, 'state'>) => {
    const state = makeState()
    const limits = new PrincipalLimits({ ...config, state })
    states.push(state)
    open.push(limits)
    return limits
  }
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(1_800_000_000_000)
  })
  afterEach(async () => {
    vi.useRealTimers()
    await Promise.all(open.splice(0).map((limits) => limits.close()))
    await Promise.all(states.splice(0).map((state) => state.close()))
  })

  it('gives each principal a bucket of its own', async () => {
    const limits = limitsOf({ limits: { start: { limit: 3, window: '1 m' } } })
    expect(await allowed(limits, alice, 'start', 5)).toBe(3)
    expect(await allowed(limits, bob, 'start', 5)).toBe(3)
  })

  it('gives each operation a bucket of its own', async () => {
    const limits = limitsOf({ limits: { start: { limit: 2, window: '1 m' }, emit: { limit: 4, window: '1 m' } } })
    expect(await allowed(limits, alice, 'start', 3)).toBe(2)
    expect(await allowed(limits, alice, 'emit', 6)).toBe(4)
  })

  it('refuses over the limit with RateLimitedError, naming the bucket and the time until the next permit', async () => {
    const limits = limitsOf({ limits: { start: { limit: 2, window: '1 s' } } })
    await limits.take(alice, 'start')
    await limits.take(alice, 'start')
    const refused = await thrown(limits.take(alice, 'start'))
    expect(refused).toBeInstanceOf(RateLimitedError)
    expect(refused).toMatchObject({ code: 'WEFT_RATE_LIMITED', limiter: 'principal-limit:start:subject=alice', retryAfterMs: 500 })
    vi.advanceTimersByTime(200)
    expect(await thrown(limits.take(alice, 'start'))).toMatchObject({ retryAfterMs: 300 })
    vi.advanceTimersByTime(300)
    await expect(limits.take(alice, 'start')).resolves.toBeUndefined()
    expect(await thrown(limits.take(alice, 'start'))).toMatchObject({ retryAfterMs: 500 })
  })

  it('refills one permit every window / limit, up to the limit', async () => {
    const limits = limitsOf({ limits: { emit: { limit: 4, window: '1 s' } } })
    expect(await allowed(limits, alice, 'emit', 6)).toBe(4)
    vi.advanceTimersByTime(500)
    expect(await allowed(limits, alice, 'emit', 6)).toBe(2)
    vi.advanceTimersByTime(60_000)
    expect(await allowed(limits, alice, 'emit', 6)).toBe(4)
  })

  it("per 'principal', the same subject in two tenants is two principals", async () => {
    const limits = limitsOf({ limits: { start: { limit: 1, window: '1 m' } } })
    const acme = principal({ subject: 'alice', roles: [], tenant: 'acme' })
    await limits.take(acme, 'start')
    await limits.take(principal({ subject: 'alice', roles: [], tenant: 'globex' }), 'start')
    expect(await thrown(limits.take(acme, 'start'))).toMatchObject({ limiter: 'principal-limit:start:tenant=acme,subject=alice' })
  })

  it("per 'tenant', the principals of a tenant share one bucket, and one without a tenant counts alone", async () => {
    const limits = limitsOf({ limits: { start: { limit: 2, window: '1 m' } }, per: 'tenant' })
    await limits.take(principal({ subject: 'alice', roles: [], tenant: 'acme' }), 'start')
    await limits.take(principal({ subject: 'bob', roles: [], tenant: 'acme' }), 'start')
    expect(await thrown(limits.take(principal({ subject: 'carol', roles: [], tenant: 'acme' }), 'start'))).toMatchObject({ limiter: 'principal-limit:start:tenant=acme' })
    expect(await allowed(limits, alice, 'start', 3)).toBe(2)
  })

  it('keeps subjects that look alike apart (values are encoded in the bucket name)', async () => {
    const limits = limitsOf({ limits: { start: { limit: 1, window: '1 m' } } })
    await limits.take(principal({ subject: 'b', roles: [], tenant: 'a' }), 'start')
    await expect(limits.take(principal({ subject: 'tenant=a,subject=b', roles: [] }), 'start')).resolves.toBeUndefined()
    expect(await thrown(limits.take(principal({ subject: 'x:y', roles: [] }), 'start').then(() => limits.take(principal({ subject: 'x:y', roles: [] }), 'start')))).toMatchObject({
      limiter: 'principal-limit:start:subject=x%3Ay',
    })
  })
})

/** The checks that need no control of time, on a state whose clock is its server's. */
function serverStateChecks(makeState: () => PolicyStateStore): void {
  it('gives each principal and each operation a bucket of its own, and refuses over the limit with the time until the next permit', async () => {
    const state = makeState()
    const limits = new PrincipalLimits({ limits: { start: { limit: 3, window: '1 m' }, emit: { limit: 2, window: '1 m' } }, state })
    try {
      expect(await allowed(limits, alice, 'start', 4)).toBe(3)
      expect(await allowed(limits, bob, 'start', 4)).toBe(3)
      expect(await allowed(limits, alice, 'emit', 3)).toBe(2)
      const refused = await thrown(limits.take(alice, 'start'))
      expect(refused).toBeInstanceOf(RateLimitedError)
      expect(refused).toMatchObject({ limiter: 'principal-limit:start:subject=alice' })
      // One permit every 20 s; some of it has passed since the bucket was made.
      expect((refused as RateLimitedError).retryAfterMs).toBeGreaterThan(15_000)
      expect((refused as RateLimitedError).retryAfterMs).toBeLessThanOrEqual(20_000)
    } finally {
      await limits.close()
      await state.close()
    }
  })
}

describePostgres('per-principal limits on PostgreSQL', () => {
  let db: TestDatabase
  beforeAll(async () => {
    db = await createTestDatabase()
  })
  afterAll(() => db.drop())
  serverStateChecks(() => postgresPolicyState({ connectionString: db.url, table: 'principal_limits', maxConnections: 2 }))
})

describeRedis('per-principal limits on Redis', (redis) => {
  afterAll(() => dropKeys(redis().url, redis().prefix))
  serverStateChecks(() => redisPolicyState({ url: redis().url, prefix: `${redis().prefix}principal-limits:` }))
})

describe('per-principal limits on a SQLite file another process holds locked', () => {
  it('fail the take with a retryable StorageError naming the bucket once the busy timeout passes, and take again when the lock is gone', async () => {
    const path = join(folder, 'locked.db')
    const state = sqlitePolicyState({ path, busyTimeout: '50 ms' })
    const limits = new PrincipalLimits({ limits: { start: { limit: 5, window: '1 m' } }, state })
    const holder = new Database(path)
    try {
      holder.exec('begin immediate')
      const refused = await thrown(limits.take(alice, 'start'))
      expect(refused).toBeInstanceOf(StorageError)
      expect(refused).toMatchObject({ isRetryable: true })
      expect((refused as Error).message).toContain('rate limit "principal-limit:start:subject=alice"')
      holder.exec('commit')
      await expect(limits.take(alice, 'start')).resolves.toBeUndefined()
    } finally {
      holder.close()
      await limits.close()
      await state.close()
    }
  })
})

describe('which limit applies', () => {
  const limits = new PrincipalLimits({
    limits: { start: { limit: 10, window: '1 m' }, '*': { limit: 50, window: '1 m' } },
    roles: {
      admin: { start: 'unlimited' },
      batch: { start: { limit: 600, window: '1 h' } },
      steady: { start: { limit: 10, window: '1 m' } },
      burst: { start: { limit: 20, window: '2 m' } },
      service: { '*': { limit: 1000, window: '1 m' } },
    },
  })
  afterAll(() => limits.close())
  const as = (...roles: string[]) => principal({ subject: 'p', roles })

  it('is the common limit for a principal whose roles set none', () => {
    expect(limits.limitOf(as('user'), 'start')).toEqual({ limit: 10, windowMs: 60_000 })
  })

  it("is the '*' limit for an operation not listed, and none when there is no '*'", async () => {
    expect(limits.limitOf(as('user'), 'cancel')).toEqual({ limit: 50, windowMs: 60_000 })
    const plain = new PrincipalLimits({ limits: { start: { limit: 1, window: '1 m' } } })
    expect(plain.limitOf(as(), 'cancel')).toBe('unlimited')
    expect(await allowed(plain, alice, 'cancel', 5)).toBe(5)
    await plain.close()
  })

  it("is a role's override, its '*' included, and 'unlimited' lifts it", () => {
    expect(limits.limitOf(as('batch'), 'start')).toEqual({ limit: 600, windowMs: 3_600_000 })
    expect(limits.limitOf(as('service'), 'emit')).toEqual({ limit: 1000, windowMs: 60_000 })
    expect(limits.limitOf(as('admin'), 'start')).toBe('unlimited')
    expect(limits.limitOf(as('admin'), 'emit')).toEqual({ limit: 50, windowMs: 60_000 })
  })

  it('is the most generous of several roles: unlimited, else the highest rate, else the largest burst', () => {
    expect(limits.limitOf(as('batch', 'admin'), 'start')).toBe('unlimited')
    // steady and burst: both 10 per minute; burst allows 20 at once.
    expect(limits.limitOf(as('steady', 'burst'), 'start')).toEqual({ limit: 20, windowMs: 120_000 })
    expect(limits.limitOf(as('burst', 'steady'), 'start')).toEqual({ limit: 20, windowMs: 120_000 })
    expect(limits.limitOf(as('batch', 'service'), 'start')).toEqual({ limit: 1000, windowMs: 60_000 })
  })

  it('lets an unlimited principal take without end', async () => {
    expect(await allowed(limits, as('admin'), 'start', 100)).toBe(100)
  })
})

describe('a configuration that cannot work', () => {
  const refusal = (config: unknown): unknown => {
    try {
      new PrincipalLimits(config as PrincipalLimitsConfig)
      return undefined
    } catch (error) {
      return error
    }
  }
  const cases: readonly [string, unknown, string][] = [
    ['no configuration', undefined, 'principal limits need a configuration object'],
    ['limits missing', {}, 'limits must be an object of limits by operation'],
    ['a limit of 0', { limits: { start: { limit: 0, window: '1 m' } } }, 'limits.start.limit must be a whole number ≥ 1, got 0'],
    ['a fractional limit', { limits: { start: { limit: 1.5, window: '1 m' } } }, 'limits.start.limit must be a whole number ≥ 1, got 1.5'],
    ['a NaN limit', { limits: { emit: { limit: Number.NaN, window: '1 m' } } }, 'limits.emit.limit must be a whole number ≥ 1, got NaN'],
    ['no window', { limits: { start: { limit: 5 } } }, 'limits.start.window is missing'],
    ['a window of 0', { limits: { start: { limit: 5, window: '0 s' } } }, 'limits.start.window must be longer than 0, got "0 s"'],
    ['a window that is no duration', { limits: { start: { limit: 5, window: '1 minute' } } }, "limits.start.window must be a number of milliseconds or a string like '250 ms'"],
    ['an unknown field', { limits: { start: { limit: 5, window: '1 m', burst: 2 } } }, 'limits.start has unknown field "burst"'],
    ['a rule that is neither a limit nor unlimited', { limits: { start: 'none' } }, `limits.start must be { limit, window } or 'unlimited', got "none"`],
    ['a bad operation name', { limits: { 'start now': { limit: 5, window: '1 m' } } }, 'limits: operation "start now" is not a valid name'],
    ["a bad role's limit", { limits: {}, roles: { admin: { start: { limit: -1, window: '1 m' } } } }, 'roles.admin.start.limit must be a whole number ≥ 1, got -1'],
    ['roles as an array', { limits: {}, roles: [] }, 'roles must be an object of limits by role'],
    ['an unknown unit', { limits: {}, per: 'user' }, `per must be 'principal' or 'tenant', got "user"`],
  ]

  it('refuses a take of an operation no configuration could name, and of a value that is no principal', async () => {
    const limits = new PrincipalLimits({ limits: { '*': { limit: 5, window: '1 m' } } })
    for (const operation of ['*', 'start now', '', 'x'.repeat(65)]) {
      const error = await thrown(limits.take(alice, operation))
      expect(error).toBeInstanceOf(SecurityConfigError)
      expect((error as Error).message).toContain('is not a valid name')
    }
    expect(await thrown(limits.take({ subject: 'alice' } as never, 'start'))).toMatchObject({ code: 'WEFT_INVALID_PRINCIPAL' })
    await limits.close()
  })

  it.each(cases)('is refused with SecurityConfigError: %s', (_, config, message) => {
    const error = refusal(config)
    expect(error).toBeInstanceOf(SecurityConfigError)
    expect(error).toMatchObject({ code: 'WEFT_SECURITY_CONFIG' })
    expect((error as Error).message).toContain(message)
  })
})
