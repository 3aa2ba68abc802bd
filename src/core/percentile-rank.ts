// The arithmetic of Weft's two percentile definitions over sorted values, in one place: the exact percentiles of
// observability/ and the memory store's history compute with it, and the SQL stores' history queries compute the
// same ranks (nearest-rank: PostgreSQL's percentile_disc; linear: percentile_cont).

/**
 * How a percentile of a finite set of values is defined.
 *
 * - `'nearest-rank'` (the default): the value at rank `ceil(p/100 · n)`
 *   (1-based; rank 1 for p = 0) of the values sorted ascending. Always a
 *   value that was observed; PostgreSQL's `percentile_disc`.
 * - `'linear'`: linear interpolation between the two values around position
 *   `p/100 · (n − 1)` (0-based); Hyndman and Fan's type 7, PostgreSQL's
 *   `percentile_cont`, numpy's default.
 *
 * @example
 * ```ts
 * import { percentile, type PercentileDefinition } from 'weft-sdk'
 * const definition: PercentileDefinition = 'linear'
 * percentile([10, 20, 30, 40], 50, { definition }) // 25
 * percentile([10, 20, 30, 40], 50) // 20 (nearest-rank)
 * ```
 */
export type PercentileDefinition = 'nearest-rank' | 'linear'

/** The 0-based index of the nearest-rank percentile `fraction` (0..1) among `count` sorted values (count ≥ 1). */
export function nearestRankIndex(count: number, fraction: number): number {
  return Math.max(1, Math.ceil(fraction * count)) - 1
}

/** The linear-interpolation percentile `fraction` (0..1) of ascending `sorted` (not empty), computed as PostgreSQL's percentile_cont does. */
export function interpolatedPercentile(sorted: ArrayLike<number>, fraction: number): number {
  const position = fraction * (sorted.length - 1)
  const lower = Math.floor(position)
  const upper = Math.ceil(position)
  const low = sorted[lower]!
  return lower === upper ? low : low + (position - lower) * (sorted[upper]! - low)
}

/** The percentile `fraction` (0..1) of ascending `sorted` (not empty) under `definition`. */
export function percentileOfSorted(sorted: ArrayLike<number>, fraction: number, definition: PercentileDefinition): number {
  return definition === 'linear' ? interpolatedPercentile(sorted, fraction) : sorted[nearestRankIndex(sorted.length, fraction)]!
}

/** The percentiles Weft's metrics report, as fractions: p50, p95, p99. */
export const reportedFractions = [0.5, 0.95, 0.99] as const
