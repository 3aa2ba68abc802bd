/**
 * The latency percentiles of one operation over its bounded window, in
 * milliseconds (nearest-rank: each is a latency that was observed).
 *
 * @example
 * ```ts
 * import { LatencyWindow, type LatencyPercentiles } from 'weft-sdk'
 * const window = new LatencyWindow()
 * window.add(12)
 * const latency: LatencyPercentiles | undefined = window.percentiles() // { p50: 12, p95: 12, p99: 12 }
 * ```
 */
export interface LatencyPercentiles {
  /** Median. */
  readonly p50: number
  /** 95th percentile. */
  readonly p95: number
  /** 99th percentile. */
  readonly p99: number
}

/**
 * How many of the latest calls an operation's latency percentiles cover
 * (the default size of a {@link LatencyWindow}).
 *
 * @example
 * ```ts
 * import { LatencyWindow, latencyWindowSize } from 'weft-sdk'
 * new LatencyWindow().size === latencyWindowSize // true: 1024
 * ```
 */
export const latencyWindowSize = 1024

/**
 * The latencies of the last {@link latencyWindowSize} calls, in a ring
 * buffer (bounded memory whatever the traffic). Percentiles are exact over
 * that window, by the **nearest-rank** definition: the p-th percentile of n
 * sorted samples is the sample at rank `ceil(p/100 · n)` (1-based), always a
 * latency that was observed. Older calls are forgotten; a mergeable sketch
 * over all calls is the observability layer's job.
 *
 * @example
 * ```ts
 * import { LatencyWindow } from 'weft-sdk'
 * const window = new LatencyWindow()
 * for (const ms of [5, 1, 3, 2, 4]) window.add(ms)
 * window.percentiles() // { p50: 3, p95: 5, p99: 5 }
 * ```
 */
export class LatencyWindow {
  private readonly samples: Float64Array
  private count = 0
  private next = 0

  /** @param size - how many of the latest samples are kept. */
  constructor(readonly size: number = latencyWindowSize) {
    this.samples = new Float64Array(size)
  }

  /** Records one latency in milliseconds, replacing the oldest once the window is full. */
  add(ms: number): void {
    this.samples[this.next] = ms
    this.next = (this.next + 1) % this.size
    if (this.count < this.size) this.count++
  }

  /** Samples in the window. */
  get length(): number {
    return this.count
  }

  /** Nearest-rank percentiles of the window; `undefined` before the first sample. */
  percentiles(): LatencyPercentiles | undefined {
    if (this.count === 0) return undefined
    const sorted = this.samples.slice(0, this.count).sort()
    return { p50: nearestRank(sorted, 50), p95: nearestRank(sorted, 95), p99: nearestRank(sorted, 99) }
  }
}

/**
 * The sample at rank `ceil(p/100 · n)` (1-based) of ascending `sorted`: the
 * nearest-rank percentile, always one of the samples. `sorted` must be
 * sorted ascending and not empty.
 *
 * @example
 * ```ts
 * import { nearestRank } from 'weft-sdk'
 * nearestRank([10, 20, 30, 40], 50) // 20 (rank ceil(0.5 · 4) = 2)
 * nearestRank([10, 20, 30, 40], 99) // 40
 * ```
 */
export function nearestRank(sorted: ArrayLike<number>, p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length))
  return sorted[rank - 1]!
}
