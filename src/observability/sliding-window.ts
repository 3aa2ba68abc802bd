// Counts of events over a sliding window, in a fixed ring of time buckets: constant memory and constant work per
// event, mergeable bucket by bucket.

import { InvalidOptionsError } from '../core/errors.js'

/** How many buckets a window has: its counts cover between `windowMs − windowMs / 60` and `windowMs`. */
const buckets = 60

/**
 * How many events happened in the last `windowMs` milliseconds, kept in 60
 * buckets of `windowMs / 60`: the count covers the current (partial) bucket
 * and the 59 before it, so it lags the exact sliding count by at most one
 * bucket's events.
 */
export class SlidingWindow {
  private readonly bucketMs: number
  private readonly counts = new Float64Array(buckets)
  /** The absolute bucket number (time / bucketMs) each slot holds; -1 when never used. */
  private readonly stamps = new Float64Array(buckets).fill(-1)

  constructor(readonly windowMs: number) {
    if (!(windowMs >= buckets)) throw new InvalidOptionsError(`a sliding window must last at least ${buckets} ms, got ${String(windowMs)}`)
    this.bucketMs = SlidingWindow.bucketMs(windowMs)
  }

  /** The width of a window's buckets: events at `a` and `b` fall in one bucket when `Math.floor(a / width) === Math.floor(b / width)`. */
  static bucketMs(windowMs: number): number {
    return windowMs / buckets
  }

  /**
   * Counts `count` events at `at` (epoch milliseconds). An event older than the
   * bucket its slot holds is not counted: that slot's newer bucket had already
   * replaced it had it come in order, so the counts do not depend on the order
   * events are added in.
   */
  add(at: number, count = 1): void {
    const bucket = Math.floor(at / this.bucketMs)
    const slot = bucket % buckets
    const stamp = this.stamps[slot]!
    if (stamp === bucket) this.counts[slot]! += count
    else if (stamp < bucket) {
      this.stamps[slot] = bucket
      this.counts[slot] = count
    }
  }

  /** Events in the window that ends at `now`. */
  count(now: number): number {
    const newest = Math.floor(now / this.bucketMs)
    let total = 0
    for (let slot = 0; slot < buckets; slot++) {
      const stamp = this.stamps[slot]!
      if (stamp > newest - buckets && stamp <= newest) total += this.counts[slot]!
    }
    return total
  }

  /** Events per minute over the window that ends at `now`. */
  perMinute(now: number): number {
    return (this.count(now) * 60_000) / this.windowMs
  }

  /** Adds `other`'s counts (same window): a bucket both hold is summed, a newer one replaces an older. */
  merge(other: SlidingWindow): void {
    if (other.windowMs !== this.windowMs) throw new InvalidOptionsError(`cannot merge sliding windows of ${other.windowMs} ms and ${this.windowMs} ms`)
    for (let slot = 0; slot < buckets; slot++) {
      const stamp = other.stamps[slot]!
      if (stamp > this.stamps[slot]!) {
        this.stamps[slot] = stamp
        this.counts[slot] = other.counts[slot]!
      } else if (stamp === this.stamps[slot] && stamp >= 0) this.counts[slot]! += other.counts[slot]!
    }
  }
}
