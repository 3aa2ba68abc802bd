/**
 * The adapter port in the engine: adapters registered by class or token,
 * one instance per engine, injected into workflow constructors (emitted
 * metadata and `@inject(token)`) and `defineWorkflow` services, refused at
 * registration when missing, reported by `engine.health()`, their events on
 * `engine.on`, closed with the engine.
 */
import 'reflect-metadata'
import { inject } from 'tsyringe'
import { describe, expect, it } from 'vitest'
import {
  AdapterClosedError,
  defineWorkflow,
  InvalidOptionsError,
  InvalidWorkflowError,
  Task,
  Workflow,
  type AdapterCallFailed,
  token,
  type BreakerTransitioned,
} from 'weft-sdk'
import { memoryEngine } from '../support/engines.js'
import { thrown } from '../support/thrown.js'
import { EchoAdapter } from './echo-adapter.js'

@Workflow({ name: 'adapter-by-type', version: 1 })
class ByType {
  constructor(readonly echo: EchoAdapter) {}
  @Task() async say() {
    return (await this.echo.echo('by type')).text
  }
}

@Workflow({ name: 'adapter-by-token', version: 1 })
class ByToken {
  constructor(@inject('Search') readonly search: EchoAdapter) {}
  @Task() async say() {
    return this.search.name
  }
}

const Defined = defineWorkflow({ name: 'adapter-services', version: 1 })
  .services({ echo: EchoAdapter })
  .task('say', async (_input, ctx) => (await ctx.services.echo.echo('defined')).text)
  .build()

describe('adapters in the engine', () => {
  it('are injected by class and by token, one instance per engine, into every run', async () => {
    const echo = new EchoAdapter()
    const search = new EchoAdapter({ name: 'search' })
    const engine = memoryEngine({ adapters: [echo, { token: 'Search', adapter: search }] })
    expect((await engine.run(ByType, {})).output('say')).toBe('by type')
    const [first, second] = [await engine.start(ByType, {}), await engine.start(ByType, {})]
    await Promise.all([first.result(), second.result()])
    expect((await engine.run(ByToken, {})).output('say')).toBe('search')
    expect((await engine.run(Defined)).output('say')).toBe('defined')
    expect(engine.container.resolve(EchoAdapter)).toBe(echo)
    expect(echo.stats().operations).toEqual([expect.objectContaining({ operation: 'echo', calls: 4, failures: 0 })])
    await engine.close()
  })

  it('registered after createEngine with engine.adapters.register(token, adapter)', async () => {
    const engine = memoryEngine()
    engine.adapters.register('Search', new EchoAdapter({ name: 'search' }))
    expect((await engine.run(ByToken, {})).output('say')).toBe('search')
    expect(engine.adapters.get('search')?.kind).toBe('echo')
    await engine.close()
  })

  it('a workflow needing an adapter nobody registered is refused at registration, naming the token', () => {
    const engine = memoryEngine()
    const byToken = thrown(() => engine.register(ByToken))
    expect(byToken).toBeInstanceOf(InvalidWorkflowError)
    expect((byToken as Error).message).toContain('asks for Search (@inject), which nothing registered')
    const needsSearch = defineWorkflow({ name: 'adapter-search', version: 1 })
      .services({ search: token<EchoAdapter>('Search') })
      .task('say', (_input, ctx) => ctx.services.search.name)
      .build()
    const byService = thrown(() => engine.register(needsSearch))
    expect((byService as Error).message).toContain('service "search" asks for Search, which nothing registered')
  })

  it('refuses two adapters of one name, or two under one token', () => {
    const engine = memoryEngine({ adapters: [new EchoAdapter()] })
    expect(thrown(() => engine.adapters.register('Other', new EchoAdapter()))).toBeInstanceOf(InvalidOptionsError)
    const sameClass = thrown(() => engine.adapters.register(new EchoAdapter({ name: 'echo-2' })))
    expect((sameClass as Error).message).toBe(
      `adapters "echo" and "echo-2" are both registered under EchoAdapter: register each under a token of its own (engine.adapters.register('echo-2', adapter), or { token, adapter } in createEngine({ adapters })) and inject it with @inject(token)`,
    )
    expect(thrown(() => engine.adapters.register({} as never))).toBeInstanceOf(InvalidOptionsError)
  })

  it('are closed by engine.close(): a later call fails with AdapterClosedError and health says down', async () => {
    const echo = new EchoAdapter()
    const engine = memoryEngine({ adapters: [echo] })
    await engine.close()
    expect(echo.closedConnections).toBe(1)
    await expect(echo.echo('late')).rejects.toBeInstanceOf(AdapterClosedError)
    expect((await echo.health()).state).toBe('down')
  })
})

describe('engine.health()', () => {
  it('reports each adapter up, down (with the reason, secrets redacted) and the worst state', async () => {
    const echo = new EchoAdapter().withSecret()
    const other = new EchoAdapter({ name: 'other' })
    const engine = memoryEngine({ adapters: [echo, { token: 'Other', adapter: other }] })
    expect(await engine.health()).toMatchObject({ state: 'up', adapters: [{ name: 'echo', kind: 'echo', state: 'up' }, { name: 'other', state: 'up' }] })
    echo.down = true
    const health = await engine.health()
    expect(health.state).toBe('down')
    expect(health.adapters[0]).toMatchObject({ state: 'down', detail: 'echo is down (password <redacted>)' })
    expect(health.adapters[0]!.latencyMs).toBeGreaterThanOrEqual(0)
    await engine.close()
  })

  it('is degraded while a breaker is open, and the engine emits the breaker and failed-call events', async () => {
    const echo = new EchoAdapter({ circuitBreaker: { consecutiveFailures: 2, halfOpenAfter: '1 h' } }).withSecret()
    const engine = memoryEngine({ adapters: [echo] })
    const breakers: BreakerTransitioned[] = []
    const failures: AdapterCallFailed[] = []
    engine.on('breaker.opened', (event) => breakers.push(event))
    engine.on('adapter.call-failed', (event) => failures.push(event))
    for (let i = 0; i < 2; i++) await expect(echo.fail(new Error('token hunter2 refused'))).rejects.toThrow('token hunter2 refused')
    await expect(echo.echo('refused')).rejects.toMatchObject({ code: 'WEFT_CIRCUIT_OPEN' })
    expect(breakers).toEqual([expect.objectContaining({ type: 'breaker.opened', breaker: 'echo', adapter: 'echo', from: 'closed' })])
    expect(failures).toHaveLength(3)
    expect(failures[0]).toMatchObject({ adapter: 'echo', operation: 'fail', attempts: 1, retryable: true, error: { name: 'Error', message: 'token <redacted> refused' } })
    expect(failures[2]).toMatchObject({ operation: 'echo', retryable: false, error: { code: 'WEFT_CIRCUIT_OPEN' } })
    const health = await engine.health()
    expect(health).toMatchObject({ state: 'degraded', adapters: [{ state: 'degraded', detail: 'breaker "echo" is open', breakers: [{ name: 'echo', state: 'open' }] }] })
    await engine.close()
  })

  it('reports limiter headroom: limit minus the attempts admitted in the last window', async () => {
    const echo = new EchoAdapter({ rateLimit: { limit: 5, window: '1 h' } })
    const engine = memoryEngine({ adapters: [echo] })
    for (let i = 0; i < 3; i++) await echo.echo('x')
    expect((await engine.health()).adapters[0]!.limiters).toEqual([{ name: 'echo', limit: 5, windowMs: 3_600_000, remaining: 2 }])
    await engine.close()
  })
})

describe('adapter options', () => {
  it('are checked when the adapter is created, naming the adapter and the operation', () => {
    expect((thrown(() => new EchoAdapter({ retry: { maxAttempts: 0 } })) as Error).message).toContain('adapter "echo": @Retry maxAttempts must be an integer ≥ 1, got 0')
    const perOperation = thrown(() => new EchoAdapter({ operations: { echo: { timeout: '-1 ms' } } })) as Error
    expect(perOperation.message).toContain('adapter "echo" operation "echo"')
  })

  it('retry per operation with the task policies: a retryable failure is retried, the call counted once', async () => {
    const echo = new EchoAdapter({ operations: { fail: { retry: { maxAttempts: 3, backoff: { initial: '1 ms', jitter: 'none' } } } } })
    await expect(echo.fail(new Error('flaky'))).rejects.toThrow('flaky')
    expect(echo.stats().operations).toEqual([expect.objectContaining({ operation: 'fail', calls: 1, failures: 1 })])
    await echo.close()
  })
})
