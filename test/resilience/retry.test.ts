import { describe, expect, it } from 'vitest'
import {
  defineWorkflow,
  InputValidationError,
  RunFailedError,
  TaskTimeoutError,
  type TaskRetrying,
  type Engine,
} from 'weft-sdk'
import { retryDelayBound } from '../../src/resilience/retry.js'
import { normalizePolicies } from '../../src/graph/normalize-policies.js'
import { flush, virtualTime } from '../support/test-clock.js'
import { memoryEngine } from '../support/engines.js'

class Transient extends Error {}
class Fatal extends Error {}

/** A workflow whose one task fails `failures` times, then returns the attempt number. */
function flaky(failures: number, retry: Parameters<typeof normalizePolicies>[2]['retry'], error: () => Error = () => new Transient('busy')) {
  const calls: number[] = []
  const workflow = defineWorkflow({ name: 'flaky', version: 1 })
    .task('call', { retry }, (_input, ctx) => {
      calls.push(ctx.attempt)
      if (ctx.attempt <= failures) throw error()
      return ctx.attempt
    })
    .build()
  return { workflow, calls }
}

async function runWithClock(workflow: Parameters<Engine['start']>[0], stepMs = 1_000, steps = 200) {
  const time = virtualTime()
  const engine = memoryEngine({ clock: time.clock })
  const retries: TaskRetrying[] = []
  engine.on('task.retrying', (event) => retries.push(event))
  const run = await engine.start(workflow as never)
  let settled = false
  const outcome = run.outcome().then((o) => ((settled = true), o))
  for (let i = 0; i < steps && !settled; i++) await time.advance(stepMs)
  await flush()
  await engine.close()
  return { outcome: await outcome, retries, time }
}

describe('@Retry', () => {
  it('makes exactly maxAttempts attempts, counting the first call', async () => {
    const { workflow, calls } = flaky(10, { maxAttempts: 4, backoff: { initial: 10, max: 100 } })
    const { outcome, retries } = await runWithClock(workflow)
    expect(calls).toEqual([1, 2, 3, 4])
    expect(outcome.status).toBe('failed')
    expect(outcome.tasks[0]).toMatchObject({ status: 'failed', attempts: 4 })
    expect(retries.map((r) => r.attempt)).toEqual([1, 2, 3])
  })

  it('succeeds on the attempt that works and stops retrying', async () => {
    const { workflow, calls } = flaky(2, { maxAttempts: 5, backoff: { initial: 10 } })
    const { outcome } = await runWithClock(workflow)
    expect(calls).toEqual([1, 2, 3])
    expect(outcome.outputs).toEqual({ call: 3 })
  })

  it('makes one attempt with maxAttempts 1', async () => {
    const { workflow, calls } = flaky(5, { maxAttempts: 1 })
    const { retries } = await runWithClock(workflow)
    expect(calls).toEqual([1])
    expect(retries).toEqual([])
  })

  it('keeps every full-jitter delay within [0, min(max, initial·2^(n-1))]', async () => {
    const retry = { maxAttempts: 12, backoff: { initial: 50, max: 1_000 } }
    const policy = normalizePolicies('flaky', 'call', { retry }).retry!
    const { workflow } = flaky(100, retry)
    const delays: number[] = []
    for (let round = 0; round < 5; round++) {
      const { retries } = await runWithClock(workflow)
      for (const r of retries) {
        expect(r.delayMs).toBeGreaterThanOrEqual(0)
        expect(r.delayMs).toBeLessThanOrEqual(retryDelayBound(policy, r.attempt))
        delays.push(r.delayMs)
      }
    }
    expect(retryDelayBound(policy, 1)).toBe(50)
    expect(retryDelayBound(policy, 5)).toBe(800)
    expect(retryDelayBound(policy, 6)).toBe(1_000)
    // Full jitter spreads delays: not all at the bound, not all equal.
    expect(new Set(delays.map((d) => Math.round(d))).size).toBeGreaterThan(10)
  })

  it('waits, on virtual time, exactly the jittered delay it reports before each retry', async () => {
    const time = virtualTime()
    const startedAt: number[] = []
    const workflow = defineWorkflow({ name: 'flaky', version: 1 })
      .task('call', { retry: { maxAttempts: 8, backoff: { initial: 100, max: 2_000 } } }, (_input, ctx) => {
        startedAt.push(time.now())
        if (ctx.attempt < 8) throw new Transient('busy')
        return ctx.attempt
      })
      .build()
    const engine = memoryEngine({ clock: time.clock })
    const retries: TaskRetrying[] = []
    engine.on('task.retrying', (event) => retries.push(event))
    const run = await engine.start(workflow)
    let settled = false
    const outcome = run.outcome().then((o) => ((settled = true), o))
    // Steps longer than any delay: each step wakes at most one sleeping retry, at its exact deadline
    // (the clock keeps nanoseconds, so a wait equals its delay to the nanosecond).
    for (let i = 0; i < 50 && !settled; i++) await time.advance(2_500)
    expect((await outcome).outputs).toEqual({ call: 8 })
    await engine.close()
    expect(retries.map((r) => r.attempt)).toEqual([1, 2, 3, 4, 5, 6, 7])
    const waited = startedAt.slice(1).map((at, i) => at - startedAt[i]!)
    const reported = retries.map((r) => r.delayMs)
    for (let i = 0; i < reported.length; i++) expect(waited[i], `wait before attempt ${i + 2}`).toBeCloseTo(reported[i]!, 5)
    // Full jitter: the delays are not the bounds (a wait of the bound would pass only by chance).
    expect(reported.filter((delay, i) => delay === Math.min(2_000, 100 * 2 ** i))).toEqual([])
  })

  it('reports each retry on task.retrying when it is scheduled, at the time the failed attempt ended', async () => {
    const time = virtualTime()
    const failedAt: number[] = []
    const workflow = defineWorkflow({ name: 'flaky', version: 1 })
      .task('call', { retry: { maxAttempts: 4, backoff: { initial: 100, max: 1_000 } } }, (_input, ctx) => {
        failedAt.push(time.now())
        if (ctx.attempt < 4) throw new Transient('busy')
        return ctx.attempt
      })
      .build()
    const engine = memoryEngine({ clock: time.clock })
    const retries: TaskRetrying[] = []
    engine.on('task.retrying', (event) => retries.push(event))
    const run = await engine.start(workflow)
    let settled = false
    const outcome = run.outcome().then((o) => ((settled = true), o))
    for (let i = 0; i < 50 && !settled; i++) await time.advance(1_500)
    await outcome
    await engine.close()
    expect(retries.map((r) => r.at)).toEqual(failedAt.slice(0, 3))
    expect(retries.map((r) => r.error)).toEqual(Array(3).fill(expect.objectContaining({ name: 'Error', message: 'busy' })))
  })

  it('waits exactly the bound without jitter, on virtual time', async () => {
    const { workflow } = flaky(3, { maxAttempts: 4, backoff: { initial: 100, factor: 3, jitter: 'none' } })
    const { retries } = await runWithClock(workflow, 10)
    expect(retries.map((r) => r.delayMs)).toEqual([100, 300, 900])
  })

  it('tries a non-retryable error class once', async () => {
    const { workflow, calls } = flaky(5, { maxAttempts: 5, nonRetryable: [Fatal] }, () => new Fatal('bad request'))
    const { outcome, retries } = await runWithClock(workflow)
    expect(calls).toEqual([1])
    expect(retries).toEqual([])
    expect((outcome.error as RunFailedError).cause).toBeInstanceOf(Fatal)
  })

  it('tries a Weft error that is not retryable once', async () => {
    const error = () => new InputValidationError('x', [{ path: 'a', message: 'bad' }])
    const { workflow, calls } = flaky(5, { maxAttempts: 5 }, error)
    await runWithClock(workflow)
    expect(calls).toEqual([1])
  })

  it('asks retryIf with the error and the attempt that failed', async () => {
    const seen: [string, number][] = []
    const retryIf = (error: unknown, attempt: number) => {
      seen.push([(error as Error).message, attempt])
      return attempt < 2
    }
    const { workflow, calls } = flaky(5, { maxAttempts: 5, retryIf, backoff: { initial: 1 } })
    await runWithClock(workflow)
    expect(calls).toEqual([1, 2])
    expect(seen.filter(([, attempt]) => attempt === 2)).not.toEqual([])
    expect(seen.every(([message]) => message === 'busy')).toBe(true)
  })

  it('stops at the deadline with TaskTimeoutError, with total time within it', async () => {
    const { workflow, calls } = flaky(100, { maxAttempts: 100, deadline: '1 s', backoff: { initial: 100, jitter: 'none', factor: 1 } })
    const { outcome, time } = await runWithClock(workflow, 50, 100)
    const error = (outcome.error as RunFailedError).cause
    expect(error).toBeInstanceOf(TaskTimeoutError)
    expect((error as TaskTimeoutError).message).toBe('task "call" timed out after 1000 ms')
    expect(outcome.finishedAt - outcome.startedAt).toBeLessThanOrEqual(1_000 + 50)
    expect(calls.length).toBeGreaterThanOrEqual(10)
    expect(calls.length).toBeLessThanOrEqual(11)
    expect(time.now()).toBeGreaterThanOrEqual(1_000)
  })
})
