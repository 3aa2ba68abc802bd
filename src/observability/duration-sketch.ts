// Live duration percentiles: a DDSketch (mergeable, bounded memory, relative error α) read by nearest rank, the
// definition the history uses by default, so live and historical p95 mean the same rank.

import { DDSketch } from '@datadog/sketches-js'
import { InvalidOptionsError } from '../core/errors.js'
import { nearestRankIndex, reportedFractions } from '../core/percentile-rank.js'
import type { DurationPercentiles } from '../storage/workflow-store.js'

/** The live monitor's default relative accuracy: each percentile within 1 % of the exact nearest-rank value. */
export const defaultRelativeAccuracy = 0.01

/**
 * Durations (milliseconds, ≥ 0) in a DDSketch. A percentile p is the
 * sketch's value at the nearest rank `ceil(p/100 · n)`: for values above
 * ~1e-9 ms it is within `relativeAccuracy · x` of the exact nearest-rank
 * percentile x (DDSketch's guarantee, tested against exact percentiles),
 * and it is clamped to the exact minimum and maximum. Zero durations are
 * counted exactly. Two sketches of the same accuracy merge losslessly.
 */
export class DurationSketch {
  private readonly sketch: DDSketch

  constructor(readonly relativeAccuracy: number = defaultRelativeAccuracy) {
    if (!(relativeAccuracy > 0 && relativeAccuracy < 1)) throw new InvalidOptionsError(`relativeAccuracy must be a number between 0 and 1 (exclusive), got ${String(relativeAccuracy)}`)
    this.sketch = new DDSketch({ relativeAccuracy })
  }

  /** How many durations were added. */
  get count(): number {
    return this.sketch.count
  }

  /** Adds a duration `times` times (a negative one, from a clock that stepped back, counts as 0). */
  add(ms: number, times = 1): void {
    if (times > 0) this.sketch.accept(ms > 0 ? ms : 0, times)
  }

  /** Adds every duration of `other` (same accuracy). */
  merge(other: DurationSketch): void {
    if (other.relativeAccuracy !== this.relativeAccuracy) throw new InvalidOptionsError(`cannot merge sketches of relative accuracy ${other.relativeAccuracy} and ${this.relativeAccuracy}`)
    if (other.count > 0) this.sketch.merge(other.sketch)
  }

  /** The exact sum of the durations added (milliseconds). */
  get sum(): number {
    return this.sketch.sum
  }

  /**
   * How many durations are ≤ `boundMs`: exact when the bound is below the
   * minimum or at or above the maximum; otherwise the values in the
   * bound's own sketch bin (those within about `2 · relativeAccuracy · boundMs`
   * of it) count as ≤ it. Non-decreasing in `boundMs`.
   */
  countAtMost(boundMs: number): number {
    const { count, zeroCount, store, mapping, min, max } = this.sketch
    if (count === 0 || boundMs < min) return 0
    if (boundMs >= max) return count
    if (boundMs <= 0) return zeroCount
    const key = mapping.key(boundMs)
    let total = zeroCount
    for (let i = 0; i < store.bins.length && i + store.offset <= key; i++) total += store.bins[i] ?? 0
    return total
  }

  /** The sketch's counts now, to read later the durations added since (see {@link percentileSince}). */
  snapshot(): SketchSnapshot {
    const { count, zeroCount, store } = this.sketch
    return { count, zeroCount, offset: store.offset, bins: store.bins.slice() }
  }

  /**
   * The nearest-rank percentile (`fraction` in (0, 1]) of the durations
   * added since `older` was taken (all of them when `undefined`), within the
   * relative accuracy, and how many there were: the sketch's bins less the
   * snapshot's. Not clamped to a minimum and maximum (those of a window are
   * not kept).
   */
  percentileSince(older: SketchSnapshot | undefined, fraction: number): { readonly count: number; readonly value: number | undefined } {
    const { count, zeroCount, store, mapping } = this.sketch
    const added = count - (older?.count ?? 0)
    if (added <= 0) return { count: 0, value: undefined }
    const rank = nearestRankIndex(added, fraction)
    let running = zeroCount - (older?.zeroCount ?? 0)
    if (rank < running) return { count: added, value: 0 }
    for (let i = 0; i < store.bins.length; i++) {
      const key = i + store.offset
      running += (store.bins[i] ?? 0) - (older?.bins[key - older.offset] ?? 0)
      if (running > rank) return { count: added, value: mapping.value(key) }
    }
    return { count: added, value: this.sketch.max }
  }

  /** The count, mean, p50, p95, p99 (within the accuracy) and exact maximum. */
  summary(): DurationPercentiles {
    const { count, sum, max } = this.sketch
    if (count === 0) return { count: 0, mean: undefined, p50: undefined, p95: undefined, p99: undefined, max: undefined }
    const [p50, p95, p99] = reportedFractions.map((f) => this.atRank(nearestRankIndex(count, f)))
    return { count, mean: sum / count, p50, p95, p99, max }
  }

  /** The sketch's value at 0-based rank `rank`, clamped to the exact minimum and maximum. */
  private atRank(rank: number): number {
    const { zeroCount, store, mapping, min, max } = this.sketch
    if (rank < zeroCount) return 0
    const value = mapping.value(store.keyAtRank(rank - zeroCount))
    return Math.min(max, Math.max(min, value))
  }
}

/** A {@link DurationSketch}'s counts at one moment (see `DurationSketch.snapshot`). */
export interface SketchSnapshot {
  readonly count: number
  readonly zeroCount: number
  readonly offset: number
  readonly bins: readonly number[]
}
