/**
 * Limiter and breaker state shared through Redis, through PostgreSQL and
 * through one SQLite file: two adapters with state of their own each (as two
 * processes have) count against one limit and see one breaker, because both
 * keep the state in the same place. The same checks with state in memory show
 * the difference (each counts for itself), so they can fail. A state that
 * cannot be reached fails limited calls with a StorageError and prints
 * nothing. Two real processes are in
 * test/integration/durability/shared-policy-state.test.ts.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { CircuitOpenError, createEngine, defineWorkflow, HttpAdapter, memoryPolicyState, RateLimitedError, sqlitePolicyState, StorageError, type PolicyStateStore } from 'weft-sdk'
import { postgresPolicyState } from 'weft-sdk/postgres'
import { redisPolicyState } from 'weft-sdk/redis'
import { createTestDatabase, describePostgres, type TestDatabase } from '../support/postgres.js'
import { describeRedis, dropKeys } from '../support/redis.js'
import { json, ScriptedServer } from './http-server.js'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
/** What `promise` rejects with; `undefined` when it resolves. */
const thrown = (promise: Promise<unknown>): Promise<unknown> => promise.then(() => undefined, (error: unknown) => error)

const server = new ScriptedServer()
beforeAll(() => server.start())
afterAll(() => server.stop())

/** Two adapters of the same name on `state` (as the same adapter in two processes). */
function twins(state: () => PolicyStateStore, options: Partial<ConstructorParameters<typeof HttpAdapter>[0]>): [HttpAdapter, HttpAdapter] {
  const make = () => new HttpAdapter({ name: 'crm', baseUrl: server.url, policyState: state(), ...options })
  return [make(), make()]
}

/** A place for shared state: `open(space)` opens a state on it; states of one space share everything, of two spaces nothing. */
type Backend = (space: string) => PolicyStateStore

/** The same checks for each backend. */
function sharedStateChecks(backend: () => Backend): void {
  const states: PolicyStateStore[] = []
  let spaces = 0
  const state = () => {
    const made = backend()(`s${(spaces += 1)}`)
    states.push(made)
    return made
  }
  /** One space for both twins of a test: the second state shares the first's keys. */
  const sharedState = () => {
    const space = `s${(spaces += 1)}`
    return () => {
      const made = backend()(space)
      states.push(made)
      return made
    }
  }
  const adapters: HttpAdapter[] = []
  afterEach(async () => {
    await Promise.all(adapters.splice(0).map((adapter) => adapter.close()))
    await Promise.all(states.splice(0).map((s) => s.close()))
  })

  it('a rate limit counts the calls of both adapters against one limit', async () => {
    server.answer(json(200, { ok: true }))
    const [a, b] = twins(sharedState(), { rateLimit: { limit: 3, window: '10 s', onLimit: 'fail' } })
    adapters.push(a, b)
    await a.get('x')
    await b.get('x')
    await a.get('x')
    const refused = await thrown(b.get('x'))
    expect(refused).toBeInstanceOf(RateLimitedError)
    expect((refused as RateLimitedError).retryAfterMs).toBeGreaterThan(0)
    expect(server.received).toHaveLength(3)
  })

  it('in memory, the same two adapters each count for themselves (the check above can fail)', async () => {
    server.answer(json(200, { ok: true }))
    const [a, b] = twins(memoryPolicyState, { rateLimit: { limit: 3, window: '10 s', onLimit: 'fail' } })
    adapters.push(a, b)
    for (const adapter of [a, b, a, b]) await adapter.get('x')
    expect(server.received).toHaveLength(4)
  })

  it('a breaker opened by one adapter refuses the other\'s calls, and its health reads the open circuit from the shared store', async () => {
    server.answer(json(503, { down: true }))
    const [a, b] = twins(sharedState(), { circuitBreaker: { consecutiveFailures: 2, halfOpenAfter: '30 s' } })
    adapters.push(a, b)
    await thrown(a.get('x'))
    await thrown(a.get('x'))
    const received = server.received.length
    const refused = await thrown(b.get('x'))
    expect(refused).toBeInstanceOf(CircuitOpenError)
    expect(server.received).toHaveLength(received)
    server.answer(json(200, { ok: true })) // the health check's round trip answers: the adapter is up, its breaker open
    const health = await b.health()
    expect(health.breakers).toEqual([{ name: 'crm', state: 'open' }])
    expect(health.state).toBe('degraded')
  })

  it('keeps the state of separate prefixes apart', async () => {
    server.answer(json(200, { ok: true }))
    const a = new HttpAdapter({ name: 'crm', baseUrl: server.url, policyState: state(), rateLimit: { limit: 1, window: '10 s', onLimit: 'fail' } })
    const b = new HttpAdapter({ name: 'crm', baseUrl: server.url, policyState: state(), rateLimit: { limit: 1, window: '10 s', onLimit: 'fail' } })
    adapters.push(a, b)
    await a.get('x')
    await b.get('x')
    expect(server.received).toHaveLength(2)
  })

  it("gives the engine's state to a registered adapter without its own, and closes it with the engine", async () => {
    server.answer(json(200, { ok: true }))
    const shared = sharedState()
    const engineState = shared()
    const registered = new HttpAdapter({ name: 'crm', baseUrl: server.url, rateLimit: { limit: 2, window: '10 s', onLimit: 'fail' } })
    const outsider = new HttpAdapter({ name: 'crm', baseUrl: server.url, policyState: shared(), rateLimit: { limit: 2, window: '10 s', onLimit: 'fail' } })
    adapters.push(outsider)
    const engine = createEngine({ adapters: [registered], policyState: engineState })
    try {
      await registered.get('x')
      await outsider.get('x')
      expect(await thrown(registered.get('x'))).toBeInstanceOf(RateLimitedError)
    } finally {
      await engine.close()
    }
    let closedCalls = 0
    // The engine closed its state (and its adapters): the adapter's next call is refused.
    await registered.get('x').catch(() => (closedCalls += 1))
    expect(closedCalls).toBe(1)
  })
}

describeRedis('limits and breakers on Redis', (redis) => {
  afterAll(() => dropKeys(redis().url, redis().prefix))
  sharedStateChecks(() => (space) => redisPolicyState({ url: redis().url, prefix: `${redis().prefix}${space}:` }))
})

describePostgres('limits and breakers on PostgreSQL', () => {
  let db: TestDatabase
  beforeAll(async () => {
    db = await createTestDatabase()
  })
  afterAll(() => db.drop())
  sharedStateChecks(() => (space) => postgresPolicyState({ connectionString: db.url, table: `policy_${space}`, maxConnections: 2 }))
})

describe('limits and breakers on SQLite (one file, one state per process)', () => {
  const folder = mkdtempSync(join(tmpdir(), 'weft-sqlite-policy-'))
  afterAll(() => rmSync(folder, { recursive: true, force: true }))
  sharedStateChecks(() => (space) => sqlitePolicyState({ path: join(folder, 'limits.db'), table: `policy_${space}` }))
})

describe('a shared state that cannot be reached', () => {
  it('fails a limited call with a retryable StorageError naming the limit, and lets a guarded call through unrecorded', async () => {
    server.answer(json(200, { ok: true }))
    const state = redisPolicyState({ url: 'redis://127.0.0.1:1', redisOptions: { maxRetriesPerRequest: 0, retryStrategy: () => null } })
    const limited = new HttpAdapter({ name: 'limited', baseUrl: server.url, policyState: state, rateLimit: { limit: 5, window: '1 s' } })
    const guarded = new HttpAdapter({ name: 'guarded', baseUrl: server.url, policyState: state, circuitBreaker: { consecutiveFailures: 2, halfOpenAfter: '1 s' } })
    try {
      const refused = await thrown(limited.get('x'))
      expect(refused).toBeInstanceOf(StorageError)
      expect((refused as StorageError).isRetryable).toBe(true)
      expect((refused as StorageError).message).toMatch(/rate limit "limited": its state could not be read or written/)
      expect(server.received).toHaveLength(0)
      await expect(guarded.get('x')).resolves.toEqual({ ok: true })
      expect(server.received).toHaveLength(1)
    } finally {
      await Promise.all([limited.close(), guarded.close()])
      await state.close()
    }
  })
})

describe('a shared breaker state that cannot be reached', () => {
  /** Everything written to the console, stdout or stderr while `body` runs. */
  async function printedDuring(body: () => Promise<void>): Promise<string[]> {
    const printed: string[] = []
    const spies = [
      ...(['log', 'info', 'warn', 'error', 'debug', 'trace', 'group', 'groupCollapsed'] as const).map((method) => vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void printed.push(`console.${method}: ${args.map(String).join(' ')}`))),
      vi.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => (printed.push(`stdout: ${String(chunk)}`), true)),
      vi.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => (printed.push(`stderr: ${String(chunk)}`), true)),
    ]
    try {
      await body()
    } finally {
      for (const spy of spies) spy.mockRestore()
    }
    return printed
  }

  const unreachable: [string, () => PolicyStateStore][] = [
    ['Redis', () => redisPolicyState({ url: 'redis://127.0.0.1:1', redisOptions: { maxRetriesPerRequest: 0, retryStrategy: () => null } })],
    ['PostgreSQL', () => postgresPolicyState({ connectionString: 'postgres://weft@127.0.0.1:1/weft' })],
  ]

  it.each(unreachable)('on %s: prints nothing on the console while the guarded calls go through unrecorded, on an adapter and on an engine\'s task', async (_server, open) => {
    server.answer(json(200, { ok: true }))
    const state = open()
    const guarded = new HttpAdapter({ name: 'guarded', baseUrl: server.url, policyState: state, circuitBreaker: { consecutiveFailures: 2, halfOpenAfter: '1 s' } })
    const Guarded = defineWorkflow({ name: 'guarded-task', version: 1 })
      .task('call', { circuitBreaker: { consecutiveFailures: 2, halfOpenAfter: '1 s' } }, () => 'called')
      .build()
    const engine = createEngine({ policyState: state })
    try {
      const printed = await printedDuring(async () => {
        for (let i = 0; i < 3; i++) await expect(guarded.get('x')).resolves.toEqual({ ok: true })
        expect((await engine.run(Guarded)).output('call')).toBe('called')
      })
      expect(server.received).toHaveLength(3)
      expect(printed).toEqual([])
    } finally {
      await Promise.all([guarded.close(), engine.close()])
      await state.close()
    }
  })
})

describe('adopting the engine\'s state', () => {
  it('is refused for an adapter that already made calls on state of its own in memory, naming the fix', async () => {
    server.answer(json(200, { ok: true }))
    const adapter = new HttpAdapter({ name: 'early', baseUrl: server.url, rateLimit: { limit: 5, window: '1 s' } })
    await adapter.get('x')
    expect(() => createEngine({ adapters: [adapter], policyState: memoryPolicyState() })).toThrow(/register it with the engine before using it/)
    await adapter.close()
  })
})
