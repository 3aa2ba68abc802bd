/**
 * The windows of alert rules without work per event: a duration sketch's
 * bins less an earlier snapshot give the percentile of the durations added
 * since, within the sketch's relative accuracy (against an exact
 * nearest-rank reference on random data), and the monitor's ticks give each
 * window the newest baseline at least a window old.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DurationSketch } from '../../src/observability/duration-sketch.js'
import { MetricTicks, type TargetCounts } from '../../src/observability/alerts/metric-ticks.js'
import { testSeed } from '../support/seed.js'

const seed = testSeed('test/observability/alert-windows.property.test.ts')

/** Nearest rank: the smallest value with at least `fraction` of the values at or below it. */
function nearestRank(values: readonly number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.max(0, Math.ceil(fraction * sorted.length) - 1)]!
}

const durations = fc.array(fc.oneof(fc.constant(0), fc.double({ min: 0.01, max: 600_000, noNaN: true })), { maxLength: 300 })

describe('a windowed percentile from sketch snapshots', () => {
  it('is the percentile of the durations added after the snapshot, within the relative accuracy', () => {
    fc.assert(
      fc.property(durations, durations, fc.integer({ min: 1, max: 100 }), (before, after, p) => {
        const sketch = new DurationSketch(0.01)
        for (const d of before) sketch.add(d)
        const snapshot = sketch.snapshot()
        for (const d of after) sketch.add(d)
        const { count, value } = sketch.percentileSince(snapshot, p / 100)
        expect(count).toBe(after.length)
        if (after.length === 0) {
          expect(value).toBeUndefined()
          return
        }
        const exact = nearestRank(after, p / 100)
        expect(Math.abs(value! - exact)).toBeLessThanOrEqual(0.01 * exact + 1e-9)
      }),
      { seed, numRuns: 400 },
    )
  })

  it('covers every duration without a snapshot', () => {
    const sketch = new DurationSketch(0.01)
    for (const d of [10, 20, 30, 40, 1_000]) sketch.add(d)
    expect(sketch.percentileSince(undefined, 0.5)).toEqual({ count: 5, value: expect.closeTo(30, 0) })
    expect(sketch.percentileSince(undefined, 1).value).toBeGreaterThan(990)
  })
})

describe('the ticks of the alert monitor', () => {
  const tick = (completed: number): ReadonlyMap<string, TargetCounts> => new Map([['orders', { completed, failed: 0, escalated: 0, sketch: undefined }]])

  it('gives a window the newest tick at least a window old, and none while the monitor is younger than the window', () => {
    const ticks = new MetricTicks(1_000)
    for (const [at, completed] of [[0, 0], [400, 4], [800, 8], [1_200, 12], [1_600, 16]] as const) ticks.record(at, tick(completed))
    expect(ticks.baseline(1_600, 1_000)?.get('orders')?.completed).toBe(4)
    expect(ticks.baseline(1_600, 400)?.get('orders')?.completed).toBe(12)
    expect(ticks.baseline(1_600, 5_000)).toBeUndefined()
  })

  it('keeps only the ticks the longest window still needs', () => {
    const ticks = new MetricTicks(1_000)
    for (let at = 0; at <= 100_000; at += 100) ticks.record(at, tick(at))
    expect(ticks.baseline(100_000, 1_000)?.get('orders')?.completed).toBe(99_000)
    expect((ticks as unknown as { ticks: unknown[] }).ticks.length).toBeLessThanOrEqual(12)
  })
})
