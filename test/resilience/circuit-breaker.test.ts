import { describe, expect, it } from 'vitest'
import { CircuitOpenError, defineWorkflow, type RunFailedError, type WeftEvent } from 'weft-sdk'
import { flush, virtualTime } from '../support/test-clock.js'
import { memoryEngine } from '../support/engines.js'

/** A dependency whose behaviour the test switches, counting calls. */
class Dependency {
  calls = 0
  mode: 'ok' | 'fail' | 'slow' = 'ok'
  private readonly slow: (() => void)[] = []

  call(): Promise<string> {
    this.calls++
    if (this.mode === 'fail') return Promise.reject(new Error('down'))
    if (this.mode === 'slow') return new Promise((resolve) => this.slow.push(() => resolve('late')))
    return Promise.resolve('ok')
  }

  releaseSlow(): void {
    for (const release of this.slow.splice(0)) release()
  }
}

function setup(breaker: Parameters<typeof defineWorkflow>[0] extends never ? never : Record<string, unknown>) {
  const time = virtualTime()
  const dependency = new Dependency()
  const workflow = defineWorkflow({ name: 'guarded', version: 1 })
    .task('call', { circuitBreaker: { name: 'dep', halfOpenAfter: '30 s', ...breaker } as never }, () => dependency.call())
    .build()
  const engine = memoryEngine({ clock: time.clock })
  const events: string[] = []
  engine.on((event: WeftEvent) => {
    if (event.type.startsWith('breaker.')) events.push(event.type)
  })
  const call = async () => (await engine.start(workflow)).outcome()
  return { time, dependency, workflow, engine, events, call }
}

function errorOf(outcome: { error: Error | undefined }): unknown {
  return (outcome.error as RunFailedError | undefined)?.cause
}

describe('@CircuitBreaker', () => {
  it('opens after the consecutive-failure threshold and then calls nothing', async () => {
    const { dependency, engine, events, call } = setup({ consecutiveFailures: 3 })
    dependency.mode = 'fail'
    for (let i = 0; i < 3; i++) expect((await call()).status).toBe('failed')
    expect(dependency.calls).toBe(3)
    await flush()
    expect(events).toEqual(['breaker.opened'])
    dependency.mode = 'ok'
    const rejected = await call()
    expect(dependency.calls).toBe(3)
    expect(errorOf(rejected)).toBeInstanceOf(CircuitOpenError)
    expect((errorOf(rejected) as CircuitOpenError).state).toBe('open')
    expect((errorOf(rejected) as CircuitOpenError).code).toBe('WEFT_CIRCUIT_OPEN')
    await engine.close()
  })

  it('lets exactly one probe through after halfOpenAfter, even with 100 concurrent callers', async () => {
    const { time, dependency, engine, call } = setup({ consecutiveFailures: 2 })
    dependency.mode = 'fail'
    await call()
    await call()
    await time.advance(30_000)
    dependency.mode = 'slow'
    const outcomes = Promise.all(Array.from({ length: 100 }, () => call()))
    await flush(20)
    expect(dependency.calls).toBe(3)
    dependency.releaseSlow()
    const results = await outcomes
    expect(results.filter((o) => o.status === 'completed')).toHaveLength(1)
    const rejected = results.filter((o) => o.status === 'failed').map(errorOf)
    expect(rejected).toHaveLength(99)
    expect(rejected.every((e) => e instanceof CircuitOpenError && e.state === 'half-open')).toBe(true)
    await engine.close()
  })

  it('closes when the probe succeeds', async () => {
    const { time, dependency, engine, events, call } = setup({ consecutiveFailures: 1 })
    dependency.mode = 'fail'
    await call()
    await time.advance(30_000)
    dependency.mode = 'ok'
    expect((await call()).status).toBe('completed')
    expect((await call()).status).toBe('completed')
    expect(dependency.calls).toBe(3)
    await flush()
    expect(events).toEqual(['breaker.opened', 'breaker.half-open', 'breaker.closed'])
    await engine.close()
  })

  it('re-opens when the probe fails', async () => {
    const { time, dependency, engine, events, call } = setup({ consecutiveFailures: 1 })
    dependency.mode = 'fail'
    await call()
    await time.advance(30_000)
    expect((await call()).status).toBe('failed')
    expect(dependency.calls).toBe(2)
    expect(errorOf(await call())).toBeInstanceOf(CircuitOpenError)
    expect(dependency.calls).toBe(2)
    await flush()
    expect(events).toEqual(['breaker.opened', 'breaker.half-open', 'breaker.opened'])
    await engine.close()
  })

  it('does not let a slow call that started before the trip close the circuit', async () => {
    const { dependency, engine, call } = setup({ consecutiveFailures: 2 })
    dependency.mode = 'slow'
    const slow = call()
    await flush()
    dependency.mode = 'fail'
    await call()
    await call()
    dependency.releaseSlow()
    expect((await slow).status).toBe('completed')
    dependency.mode = 'ok'
    expect(errorOf(await call())).toBeInstanceOf(CircuitOpenError)
    expect(dependency.calls).toBe(3)
    await engine.close()
  })

  it('opens on the failure rate over its window', async () => {
    const { dependency, engine, call } = setup({ failureRate: { threshold: 0.5, window: 4 } })
    for (const mode of ['ok', 'fail', 'ok', 'fail'] as const) {
      dependency.mode = mode
      await call()
    }
    dependency.mode = 'ok'
    expect(errorOf(await call())).toBeInstanceOf(CircuitOpenError)
    expect(dependency.calls).toBe(4)
    await engine.close()
  })

  it('shares one circuit between tasks that name it', async () => {
    const time = virtualTime()
    let calls = 0
    const breaker = { name: 'shared', consecutiveFailures: 1, halfOpenAfter: '1 m' } as const
    const a = defineWorkflow({ name: 'a', version: 1 }).task('x', { circuitBreaker: breaker }, () => { calls++; throw new Error('down') }).build()
    const b = defineWorkflow({ name: 'b', version: 1 }).task('y', { circuitBreaker: breaker }, () => { calls++; return 1 }).build()
    const engine = memoryEngine({ clock: time.clock })
    await (await engine.start(a)).outcome()
    const outcome = await (await engine.start(b)).outcome()
    expect(errorOf(outcome)).toBeInstanceOf(CircuitOpenError)
    expect(calls).toBe(1)
    await engine.close()
  })
})

describe('@CircuitBreaker with both trip rules', () => {
  it('opens on either rule and reports one sequence of state changes', async () => {
    const { time, dependency, engine, events, call } = setup({ consecutiveFailures: 2, failureRate: { threshold: 0.5, window: 10 } })
    dependency.mode = 'fail'
    await call()
    await call()
    dependency.mode = 'ok'
    expect(errorOf(await call())).toBeInstanceOf(CircuitOpenError)
    expect(dependency.calls).toBe(2)
    await time.advance(30_000)
    expect((await call()).status).toBe('completed')
    await flush()
    expect(events).toEqual(['breaker.opened', 'breaker.half-open', 'breaker.closed'])
    await engine.close()
  })
})

describe('@CircuitBreaker: calls that say nothing about the dependency', () => {
  it('does not count a call cancelled while it runs as a failure', async () => {
    const { dependency, workflow, engine, events, call } = setup({ consecutiveFailures: 2 })
    dependency.mode = 'slow'
    const slow = await engine.start(workflow)
    await flush()
    expect(dependency.calls).toBe(1)
    expect(await slow.cancel('operator')).toBe(true)
    expect((await slow.outcome()).status).toBe('cancelled')
    dependency.mode = 'fail'
    expect((await call()).status).toBe('failed')
    // Cancelled + failed: one failure in a row, below the threshold of two.
    dependency.mode = 'ok'
    expect((await call()).status).toBe('completed')
    expect(dependency.calls).toBe(3)
    await flush()
    expect(events).toEqual([])
    dependency.releaseSlow()
    await engine.close()
  })

  it('still opens on the failures around a cancelled call (a cancellation does not reset the count either)', async () => {
    const { dependency, workflow, engine, events, call } = setup({ consecutiveFailures: 2 })
    dependency.mode = 'fail'
    expect((await call()).status).toBe('failed')
    dependency.mode = 'slow'
    const slow = await engine.start(workflow)
    await flush()
    await slow.cancel()
    await slow.outcome()
    dependency.mode = 'fail'
    expect((await call()).status).toBe('failed')
    await flush()
    expect(events).toEqual(['breaker.opened'])
    dependency.mode = 'ok'
    const rejected = errorOf(await call())
    expect(rejected).toBeInstanceOf(CircuitOpenError)
    expect((rejected as CircuitOpenError).code).toBe('WEFT_CIRCUIT_OPEN')
    expect(dependency.calls).toBe(3)
    dependency.releaseSlow()
    await engine.close()
  })

  it("with both trip rules, does not count the consecutive rule's rejections as failures of the failure-rate rule", async () => {
    // Rate window of 10: the two real failures of 4 calls never open it. Ten rejections while the
    // consecutive rule is open would, if counted (10 of the last 10 failed), open it 20 s later
    // than the consecutive rule, and keep the breaker open past the consecutive rule's 30 s.
    const { time, dependency, engine, events, call } = setup({ consecutiveFailures: 2, failureRate: { threshold: 0.5, window: 10 } })
    for (const mode of ['ok', 'ok', 'fail', 'fail'] as const) {
      dependency.mode = mode
      await call()
    }
    await flush()
    expect(events).toEqual(['breaker.opened'])
    await time.advance(20_000)
    dependency.mode = 'ok'
    for (let i = 0; i < 10; i++) {
      const rejected = errorOf(await call())
      expect(rejected).toBeInstanceOf(CircuitOpenError)
      expect(rejected).toMatchObject({ code: 'WEFT_CIRCUIT_OPEN', state: 'open' })
    }
    expect(dependency.calls).toBe(4)
    await time.advance(10_000)
    const probe = await call()
    expect(probe.status).toBe('completed')
    expect(dependency.calls).toBe(5)
    expect((await call()).status).toBe('completed')
    await flush()
    expect(events).toEqual(['breaker.opened', 'breaker.half-open', 'breaker.closed'])
    await engine.close()
  })
})

describe('shared policy names', () => {
  it('rejects a second workflow that configures the same circuit differently', async () => {
    const a = defineWorkflow({ name: 'a', version: 1 })
      .task('x', { circuitBreaker: { name: 'payments', consecutiveFailures: 5, halfOpenAfter: '30 s' } }, () => 1)
      .build()
    const b = defineWorkflow({ name: 'b', version: 1 })
      .task('y', { circuitBreaker: { name: 'payments', consecutiveFailures: 3, halfOpenAfter: '30 s' } }, () => 1)
      .build()
    const engine = memoryEngine({ workflows: [a] })
    expect(() => engine.register(b)).toThrow(
      'workflow "b" version 1 task "y" configures circuit breaker "payments" differently from workflow "a" version 1 task "x"; use the same settings to share it, or another name',
    )
    await engine.close()
  })
})
