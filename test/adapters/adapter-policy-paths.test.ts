import { describe, expect, it } from 'vitest'
import { AdapterBase, type AdapterBaseOptions, type AdapterEvent, type CallOptions } from 'weft-sdk'

/**
 * An adapter whose calls run what the test gives them. Its calls take the
 * direct path (no Effect) while no policy acts, and the Effect composition
 * when one does: these tests hold the behaviour across both.
 */
class Gate extends AdapterBase<Record<string, never>> {
  readonly kind = 'gate'
  readonly events: string[] = []

  constructor(options: Partial<AdapterBaseOptions>) {
    super({ name: 'gate', ...options })
    this.observe((event: AdapterEvent) => void (event.type.startsWith('breaker.') && this.events.push(event.type)))
  }

  run<A>(body: (signal: AbortSignal | undefined, attempt: number) => Promise<A>, options: CallOptions = {}): Promise<A> {
    return this.call('run', options, body)
  }

  bind() {
    return {}
  }

  protected async ping(): Promise<void> {}
}

function deferred<A>() {
  let resolve!: (value: A) => void
  const promise = new Promise<A>((r) => (resolve = r))
  return { promise, resolve }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('adapter policies, direct and through Effect', () => {
  it('bulkhead: calls past its slots wait in its queue, calls past the queue are rejected, waiters run when a slot frees', async () => {
    const gate = new Gate({ bulkhead: { maxConcurrent: 1, maxQueue: 1 } })
    await gate.run(async () => 'warm')
    const first = deferred<string>()
    const running: string[] = []
    const a = gate.run(async () => (running.push('a'), first.promise))
    const b = gate.run(async () => (running.push('b'), 'b'))
    const c = gate.run(async () => (running.push('c'), 'c'))
    await expect(c).rejects.toMatchObject({ code: 'WEFT_BULKHEAD_FULL' })
    await pause(5)
    expect(running).toEqual(['a'])
    first.resolve('a')
    expect(await Promise.all([a, b])).toEqual(['a', 'b'])
    expect(running).toEqual(['a', 'b'])
    expect(await gate.run(async () => 'after')).toBe('after')
    await gate.close()
  })

  it('bulkhead: a call cancelled while it waits leaves the queue and takes no slot; the next one queues and runs', async () => {
    const gate = new Gate({ bulkhead: { maxConcurrent: 1, maxQueue: 1 } })
    const first = deferred<string>()
    const ran: string[] = []
    const a = gate.run(async () => (ran.push('a'), first.promise))
    const cancel = new AbortController()
    const b = gate.run(async () => (ran.push('b'), 'b'), { signal: cancel.signal })
    await pause(5)
    cancel.abort(new Error('cancelled while queued'))
    await expect(b).rejects.toThrow('cancelled while queued')
    const c = gate.run(async () => (ran.push('c'), 'c')) // would be rejected if b still held the queue's one place
    first.resolve('a')
    expect(await Promise.all([a, c])).toEqual(['a', 'c'])
    expect(ran).toEqual(['a', 'c'])
    // Every slot came back: two calls at once, one runs and one queues, both finish.
    expect(await Promise.all([gate.run(async () => 1), gate.run(async () => 2)])).toEqual([1, 2])
    await gate.close()
  })

  it('breaker: opens after its failures, refuses, lets one probe through when half-open and closes on its success, in event order', async () => {
    const gate = new Gate({ circuitBreaker: { consecutiveFailures: 2, halfOpenAfter: '40 ms' } })
    await gate.run(async () => 'ok')
    for (let i = 0; i < 2; i++) await expect(gate.run(async () => Promise.reject(new Error('down')))).rejects.toThrow('down')
    await expect(gate.run(async () => 'refused')).rejects.toMatchObject({ code: 'WEFT_CIRCUIT_OPEN' })
    await pause(60)
    const probe = deferred<string>()
    const probing = gate.run(async () => probe.promise)
    await pause(5)
    await expect(gate.run(async () => 'second')).rejects.toMatchObject({ code: 'WEFT_CIRCUIT_OPEN' })
    probe.resolve('probe')
    expect(await probing).toBe('probe')
    expect(await gate.run(async () => 'closed again')).toBe('closed again')
    await pause(5)
    expect(gate.events).toEqual(['breaker.opened', 'breaker.half-open', 'breaker.closed'])
    expect((await gate.health()).breakers).toEqual([{ name: 'gate', state: 'closed' }])
    await gate.close()
  })

  it('a success resets the consecutive count; a call the caller cancels does not count against the breaker', async () => {
    const gate = new Gate({ circuitBreaker: { consecutiveFailures: 2, halfOpenAfter: '1 h' } })
    await expect(gate.run(async () => Promise.reject(new Error('one')))).rejects.toThrow('one')
    await gate.run(async () => 'ok')
    await expect(gate.run(async () => Promise.reject(new Error('two')))).rejects.toThrow('two')
    const controller = new AbortController()
    let seen: AbortSignal | undefined
    const cancelled = gate.run((signal) => ((seen = signal), new Promise(() => {})), { signal: controller.signal })
    controller.abort(new Error('task cancelled'))
    await expect(cancelled).rejects.toThrow('task cancelled')
    expect(seen?.aborted).toBe(true)
    expect(await gate.run(async () => 'still closed')).toBe('still closed')
    expect(gate.events).toEqual([])
    await gate.close()
  })

  it('a signal that fires while the call waits to retry fails it with its reason, and no attempt follows', async () => {
    const gate = new Gate({ retry: { maxAttempts: 5, backoff: { initial: '40 ms', jitter: 'none' } }, timeout: '1 h' })
    const controller = new AbortController()
    let attempts = 0
    const call = gate.run(async () => (attempts++, Promise.reject(new Error('flaky'))), { signal: controller.signal })
    await pause(5)
    controller.abort(new Error('task cancelled'))
    await expect(call).rejects.toThrow('task cancelled')
    await pause(60)
    expect(attempts).toBe(1)
    await gate.close()
  })

  it('a signal aborted before the call runs no attempt and fails with its reason', async () => {
    const gate = new Gate({ retry: { maxAttempts: 3 }, bulkhead: { maxConcurrent: 1 } })
    let attempts = 0
    await expect(gate.run(async () => ++attempts, { signal: AbortSignal.abort(new Error('already cancelled')) })).rejects.toThrow('already cancelled')
    expect(attempts).toBe(0)
    expect(await gate.run(async () => 'slot free')).toBe('slot free')
    await gate.close()
  })

  it('an attempt that answers after its timeout is ignored: the retry that follows gives the result', async () => {
    const gate = new Gate({ timeout: '20 ms', retry: { maxAttempts: 2, backoff: { initial: '1 ms', jitter: 'none' } }, bulkhead: { maxConcurrent: 1 } })
    await gate.run(async () => 'warm')
    const late = deferred<string>()
    const second = deferred<string>()
    const secondStarted = deferred<void>()
    const call = gate.run(async (_signal, attempt) => {
      if (attempt === 1) return late.promise
      secondStarted.resolve(undefined)
      return second.promise
    })
    await secondStarted.promise // the first attempt timed out
    late.resolve('first, too late')
    await pause(5)
    second.resolve('second')
    expect(await call).toBe('second')
    await gate.close()
  })

  it('timeout: aborts the attempt signal and fails with TaskTimeoutError; each retry has its own timeout', async () => {
    const gate = new Gate({ timeout: '20 ms', retry: { maxAttempts: 3, backoff: { initial: '1 ms', jitter: 'none' } } })
    const signals: AbortSignal[] = []
    const value = await gate.run(async (signal, attempt) => {
      signals.push(signal!)
      return attempt < 3 ? new Promise<number>(() => {}) : attempt
    })
    expect(value).toBe(3)
    expect(signals.map((s) => s.aborted)).toEqual([true, true, false])
    const once = new Gate({ timeout: '20 ms' })
    await expect(once.run(() => new Promise(() => {}))).rejects.toMatchObject({ code: 'WEFT_TASK_TIMEOUT', message: 'task "gate.run" timed out after 20 ms' })
    await Promise.all([gate.close(), once.close()])
  })

  it('timeout: of many attempts in flight on one timer, only the ones still running at their deadline time out, each after its own full timeout', async () => {
    const gate = new Gate({ timeout: '60 ms' })
    const started = performance.now()
    const outcomes = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        pause(i * 5)
          .then(() => gate.run((signal) => (i % 3 === 0 ? new Promise<number>(() => {}) : pause(10).then(() => (signal?.aborted ? -1 : i)))))
          .then(
            (value) => ({ i, value, at: performance.now() - started }),
            (error: { code?: string }) => ({ i, value: error.code, at: performance.now() - started }),
          ),
      ),
    )
    for (const { i, value, at } of outcomes) {
      if (i % 3 === 0) {
        expect(value).toBe('WEFT_TASK_TIMEOUT')
        expect(at).toBeGreaterThanOrEqual(i * 5 + 55) // its own 60 ms, not the first attempt's deadline
      } else expect(value).toBe(i)
    }
    await gate.close()
  })

  it('rate limit: over a failing limit the call fails with RateLimitedError; a waiting limit delays it to the next window', async () => {
    const failing = new Gate({ rateLimit: { limit: 2, window: '1 h', onLimit: 'fail' } })
    for (let i = 0; i < 2; i++) await failing.run(async () => i)
    await expect(failing.run(async () => 3)).rejects.toMatchObject({ code: 'WEFT_RATE_LIMITED' })
    const waiting = new Gate({ rateLimit: { limit: 1, window: '60 ms' } })
    await waiting.run(async () => 1)
    const started = performance.now()
    await waiting.run(async () => 2)
    expect(performance.now() - started).toBeGreaterThanOrEqual(20)
    await Promise.all([failing.close(), waiting.close()])
  })
})
