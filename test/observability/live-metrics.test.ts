import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { compileWorkflow } from '../../src/authoring/compile-workflow.js'
import { defineWorkflow } from '../../src/authoring/define-workflow.js'
import { InvalidOptionsError } from '../../src/core/errors.js'
import type { RunId } from '../../src/core/ids.js'
import { DurationSketch } from '../../src/observability/duration-sketch.js'
import { LiveMetrics } from '../../src/observability/live-metrics.js'
import { pendingDurationsCapacity } from '../../src/observability/pending-completions.js'
import { percentiles } from '../../src/observability/percentiles.js'
import { SlidingWindow } from '../../src/observability/sliding-window.js'
import type { WeftEvent } from '../../src/runtime/run-events.js'
import { testSeed } from '../support/seed.js'

const seed = testSeed('test/observability/live-metrics.test.ts')
const runId = 'r-1' as RunId

const taskCompleted = (task: string, durationMs: number, at = 1_000, attempts = 1, fromCheckpoint = false): WeftEvent => ({ type: 'task.completed', at, runId, workflow: 'orders', task, attempts, durationMs, fromCheckpoint })
const runCompleted = (durationMs: number, at = 1_000): WeftEvent => ({ type: 'run.completed', at, runId, workflow: 'orders', durationMs })
const error = { name: 'Error', message: 'boom' }

describe('the duration sketch', () => {
  it('keeps p50, p95 and p99 within the relative accuracy of the exact nearest-rank percentiles, and the exact maximum', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0.001, max: 3_600_000, noNaN: true }), { minLength: 1, maxLength: 2_000 }),
        fc.constantFrom(0.01, 0.02, 0.005),
        (values, accuracy) => {
          const sketch = new DurationSketch(accuracy)
          for (const v of values) sketch.add(v)
          const summary = sketch.summary()
          const exact = percentiles(values, [50, 95, 99]) as number[]
          ;[summary.p50!, summary.p95!, summary.p99!].forEach((got, i) => expect(Math.abs(got - exact[i]!)).toBeLessThanOrEqual(accuracy * exact[i]! * (1 + 1e-9)))
          expect(summary.max).toBe(Math.max(...values))
          expect(summary.count).toBe(values.length)
        },
      ),
      { seed, numRuns: 200 },
    )
  })

  it('counts zero durations exactly', () => {
    const sketch = new DurationSketch()
    for (const v of [0, 0, 0, 10]) sketch.add(v)
    expect(sketch.summary()).toMatchObject({ count: 4, p50: 0, p95: 10, max: 10 })
  })

  it('merges into the sketch of every value', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { maxLength: 500 }), fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { maxLength: 500 }), (a, b) => {
        const [left, right, both] = [new DurationSketch(), new DurationSketch(), new DurationSketch()]
        a.forEach((v) => (left.add(v), both.add(v)))
        b.forEach((v) => (right.add(v), both.add(v)))
        left.merge(right)
        const { mean, ...merged } = left.summary()
        const { mean: expectedMean, ...expected } = both.summary()
        expect(merged).toEqual(expected)
        if (expectedMean !== undefined) expect(mean).toBeCloseTo(expectedMean, 6)
      }),
      { seed, numRuns: 100 },
    )
  })

  it('refuses an accuracy outside (0, 1) and merges only sketches of one accuracy', () => {
    expect(() => new DurationSketch(0)).toThrow(InvalidOptionsError)
    expect(() => new DurationSketch(0.01).merge(new DurationSketch(0.02))).toThrow(/relative accuracy 0.02 and 0.01/)
  })
})

describe('the sliding window', () => {
  it('counts the events of the last window only', () => {
    const window = new SlidingWindow(60_000)
    for (const at of [0, 30_000, 59_000]) window.add(at)
    expect(window.count(59_999)).toBe(3)
    for (const at of [61_000, 119_500]) window.add(at)
    expect(window.count(120_000)).toBe(2)
    expect(window.count(200_000)).toBe(0)
    expect(window.perMinute(120_000)).toBe(2)
  })

  it('merges bucket by bucket, newer buckets replacing older ones', () => {
    const [a, b] = [new SlidingWindow(60_000), new SlidingWindow(60_000)]
    a.add(1_000)
    b.add(1_500)
    b.add(70_000)
    a.merge(b)
    expect(a.count(59_000)).toBe(2)
    expect(a.count(70_000)).toBe(1)
    expect(() => a.merge(new SlidingWindow(120_000))).toThrow(InvalidOptionsError)
  })

  it('counts the same whatever order its events are added in, at any time it is read', () => {
    const times = fc.array(fc.integer({ min: 0, max: 400_000 }), { maxLength: 300 })
    fc.assert(
      fc.property(times, fc.array(fc.integer({ min: 0, max: 500_000 }), { minLength: 1, maxLength: 10 }), fc.infiniteStream(fc.double({ min: 0, max: 1, noNaN: true })), (ats, nows, keys) => {
        const [inOrder, shuffled] = [new SlidingWindow(60_000), new SlidingWindow(60_000)]
        for (const at of [...ats].sort((a, b) => a - b)) inOrder.add(at)
        const order = ats.map((at) => ({ at, key: keys.next().value as number })).sort((a, b) => a.key - b.key)
        for (const { at } of order) shuffled.add(at)
        for (const now of nows) expect(shuffled.count(now)).toBe(inOrder.count(now))
      }),
      { seed, numRuns: 200 },
    )
  })
})

describe('the live monitor', () => {
  it('counts runs and tasks by outcome, with rates, retries and durations', () => {
    const monitor = new LiveMetrics({}, 0)
    const events: WeftEvent[] = [
      { type: 'run.started', at: 10, runId, workflow: 'orders', version: 1, queuedMs: 25 },
      { type: 'run.started', at: 10, runId, workflow: 'orders', version: 1, queuedMs: 0 },
      { type: 'run.started', at: 10, runId, workflow: 'orders', version: 1 },
      { type: 'run.recovered', at: 10, runId, workflow: 'orders', recoveries: 1, epoch: 2, replayedSteps: 1 },
      { type: 'task.retrying', at: 20, runId, workflow: 'orders', task: 'charge', attempt: 1, delayMs: 5, error },
      taskCompleted('charge', 40, 30, 2),
      taskCompleted('charge', 999, 30, 1, true),
      { type: 'task.failed', at: 40, runId, workflow: 'orders', task: 'charge', attempts: 3, durationMs: 80, error, handled: false },
      { type: 'task.failed', at: 40, runId, workflow: 'orders', task: 'ship', attempts: 0, durationMs: 0, error, handled: false },
      { type: 'task.skipped', at: 40, runId, workflow: 'orders', task: 'notify', reason: 'dependency' },
      runCompleted(100, 50),
      { type: 'run.failed', at: 60, runId, workflow: 'orders', durationMs: 200, error },
      { type: 'run.cancelled', at: 70, runId, workflow: 'orders', durationMs: 300 },
    ]
    events.forEach(monitor.listener)
    const report = monitor.report(1_000)
    expect(report.workflows).toEqual([
      expect.objectContaining({ workflow: 'orders', runs: { total: 3, completed: 1, failed: 1, cancelled: 1, deadLettered: 0, recovered: 1 }, successRate: 0.5, failureRate: 0.5 }),
    ])
    expect(report.workflows[0]!.duration).toMatchObject({ count: 3, max: 300, mean: 200 })
    expect(report.workflows[0]!.queueWait).toMatchObject({ count: 2, max: 25, p50: 0 })
    expect(report.workflows[0]!.throughputPerMinute).toBe(3)
    const charge = report.tasks.find((t) => t.task === 'charge')!
    expect(charge.tasks).toEqual({ completed: 1, failed: 1, skipped: 0, retries: 1 })
    expect(charge.duration).toMatchObject({ count: 2, max: 80 })
    expect(report.tasks.map((t) => t.task)).toEqual(['charge', 'notify', 'ship'])
    expect(report.tasks.find((t) => t.task === 'ship')!.duration.count).toBe(0)
    expect(report).toMatchObject({ source: 'live', percentiles: 'sketch', relativeAccuracy: 0.01, window: { from: 0, to: 1_000 } })
  })

  it('adds up the tokens and cost that task.call reports carry, per task', () => {
    const monitor = new LiveMetrics({}, 0)
    const call = (attributes: Record<string, number | string>): WeftEvent => ({ type: 'task.call', at: 5, runId, workflow: 'orders', task: 'summarize', attempt: 1, adapter: 'llm', operation: 'chat m', durationMs: 40, attributes, error: undefined })
    monitor.record(call({ 'gen_ai.usage.input_tokens': 100, 'gen_ai.usage.output_tokens': 20, 'weft.llm.cost_usd': 0.002 }))
    monitor.record(call({ 'gen_ai.usage.input_tokens': 50, 'gen_ai.usage.output_tokens': 5, 'weft.llm.cost_usd': 0.001 }))
    monitor.record(call({ 'gen_ai.request.model': 'm' }))
    const usage = monitor.report(10).tasks[0]!.usage
    expect(usage.tokens).toBe(175)
    expect(usage.costUsd).toBeCloseTo(0.003, 12)
  })

  it('counts breaker trips, outbox dead letters and adapter failures', () => {
    const monitor = new LiveMetrics({}, 0)
    const events: WeftEvent[] = [
      { type: 'breaker.opened', at: 1, breaker: 'payments', from: 'closed', adapter: 'payments-api' },
      { type: 'breaker.half-open', at: 2, breaker: 'payments', from: 'open', adapter: 'payments-api' },
      { type: 'breaker.opened', at: 3, breaker: 'payments', from: 'half-open', adapter: 'payments-api' },
      { type: 'adapter.call-failed', at: 4, adapter: 'payments-api', operation: 'POST /charges', attempts: 3, durationMs: 10, retryable: true, error: { name: 'Error', code: undefined, message: 'x' } },
      { type: 'outbox.delivered', at: 5, id: 'm-1', runId, adapter: 'bus', attempts: 1 },
      { type: 'outbox.failed', at: 6, id: 'm-2', runId, adapter: 'bus', attempts: 1, willRetry: true, retryAt: 10, error: { name: 'Error', code: undefined, message: 'x' } },
      { type: 'outbox.failed', at: 7, id: 'm-2', runId, adapter: 'bus', attempts: 5, willRetry: false, retryAt: undefined, error: { name: 'Error', code: undefined, message: 'x' } },
    ]
    events.forEach(monitor.listener)
    const report = monitor.report(10)
    expect(report.breakers).toEqual([{ breaker: 'payments', adapter: 'payments-api', opened: 2, state: 'open' }])
    expect(report.outbox).toEqual({ delivered: 1, failed: 2, dead: 1 })
    expect(report.adapterFailures).toBe(1)
  })

  it('merges: two monitors that each saw half of the events report what one monitor of all of them reports', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 100_000 }), fc.boolean(), fc.constantFrom('a', 'b')), { maxLength: 200 }), (samples) => {
        const [left, right, all] = [new LiveMetrics({}, 0), new LiveMetrics({}, 0), new LiveMetrics({}, 0)]
        samples.forEach(([duration, toLeft, task], i) => {
          const events = [taskCompleted(task, duration, i), runCompleted(duration * 2, i)]
          for (const event of events) {
            all.record(event)
            ;(toLeft ? left : right).record(event)
          }
        })
        const withoutMeans = (report: unknown) => JSON.parse(JSON.stringify(report, (key, value) => (key === 'mean' ? Math.round(value * 1e6) : value)))
        expect(withoutMeans(left.merge(right).report(500))).toEqual(withoutMeans(all.report(500)))
      }),
      { seed, numRuns: 50 },
    )
  })

  it("counts a graph's task completions told through its direct path as it counts task.completed events, a full buffer of durations and more", () => {
    const graph = compileWorkflow(defineWorkflow({ name: 'orders', version: 1 }).task('charge', () => 1).task('ship', () => 2).task('notify', () => 3).build())
    // Durations of 0 ms (most of a fast task's), whole and fractional ones, and negative ones (a clock that stepped back).
    const duration = fc.oneof(fc.constant(0), fc.integer({ min: -5, max: 100_000 }), fc.double({ min: -1, max: 100_000, noNaN: true }))
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), duration, fc.boolean()), { minLength: 1, maxLength: 3 * pendingDurationsCapacity, size: 'max' }), (completions) => {
        const [direct, fromEvents] = [new LiveMetrics({}, 0), new LiveMetrics({}, 0)]
        const recorder = direct.sink.tasksOf(graph)
        completions.forEach(([id, durationMs, fromCheckpoint], i) => {
          const task = graph.tasks[id]!
          recorder.completed(task, i * 10, durationMs, fromCheckpoint)
          fromEvents.record(taskCompleted(task.name, durationMs, i * 10, 1, fromCheckpoint))
        })
        for (const now of [0, completions.length * 5, completions.length * 10 + 60_000]) expect(direct.report(now)).toEqual(fromEvents.report(now))
        expect(direct.histograms([1, 100, 10_000])).toEqual(fromEvents.histograms([1, 100, 10_000]))
      }),
      { seed, numRuns: 20 },
    )
  })

  it('merges completions still pending in its direct path, its own and the other monitor\'s', () => {
    const graph = compileWorkflow(defineWorkflow({ name: 'orders', version: 1 }).task('charge', () => 1).build())
    const [left, right] = [new LiveMetrics({}, 0), new LiveMetrics({}, 0)]
    left.sink.tasksOf(graph).completed(graph.tasks[0]!, 10, 5, false)
    right.sink.tasksOf(graph).completed(graph.tasks[0]!, 20, 7, false)
    const charge = left.merge(right).report(100).tasks[0]!
    expect(charge.tasks.completed).toBe(2)
    expect(charge.duration).toMatchObject({ count: 2, max: 7 })
  })

  it('refuses to merge monitors of different windows', () => {
    expect(() => new LiveMetrics({ window: '1 m' }).merge(new LiveMetrics({ window: '5 m' }))).toThrow(InvalidOptionsError)
  })
})
