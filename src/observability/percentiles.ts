// Exact percentiles of a finite set of values (durations, waits), under one of the two definitions of
// core/percentile-rank.ts. The history's store queries compute the same definitions in SQL.

import { InvalidOptionsError } from '../core/errors.js'
import { percentileOfSorted, type PercentileDefinition } from '../core/percentile-rank.js'

/**
 * Options of {@link percentile} and {@link percentiles}.
 *
 * @example
 * ```ts
 * import { percentile, type PercentileOptions } from 'weft-sdk'
 * const options: PercentileOptions = { definition: 'linear' }
 * percentile([1, 2, 3, 4], 95, options) // 3.85
 * ```
 */
export interface PercentileOptions {
  /** Which definition (see {@link PercentileDefinition}). @defaultValue 'nearest-rank' */
  readonly definition?: PercentileDefinition
}

/**
 * The exact percentile `p` (0 to 100) of `values`, by default by nearest
 * rank: the value at rank `ceil(p/100 · n)` of the values sorted ascending,
 * so always a duration that was observed (and what PostgreSQL's
 * `percentile_disc` returns). `{ definition: 'linear' }` interpolates
 * (`percentile_cont`). `undefined` for no values. `values` is not changed.
 *
 * @example
 * ```ts
 * import { percentile } from 'weft-sdk'
 * percentile([120, 80, 300, 95], 50) // 95
 * percentile([120, 80, 300, 95], 99) // 300
 * percentile([], 50) // undefined
 * ```
 * @throws `InvalidOptionsError` when `p` is not a number from 0 to 100, or a value is not a finite number.
 */
export function percentile(values: ArrayLike<number>, p: number, options: PercentileOptions = {}): number | undefined {
  return percentiles(values, [p], options)[0]
}

/**
 * Several exact percentiles of `values` (sorted once), in the order of `ps`
 * (each 0 to 100); see {@link percentile} for the definitions. Each is
 * `undefined` when there are no values.
 *
 * @example
 * ```ts
 * import { percentiles } from 'weft-sdk'
 * const [p50, p95, p99] = percentiles([5, 1, 4, 2, 3], [50, 95, 99]) // 3, 5, 5
 * ```
 * @throws `InvalidOptionsError` when a `p` is not a number from 0 to 100, or a value is not a finite number.
 */
export function percentiles(values: ArrayLike<number>, ps: readonly number[], options: PercentileOptions = {}): (number | undefined)[] {
  for (const p of ps) assertPercent(p)
  const sorted = sortedCopy(values)
  const definition = options.definition ?? 'nearest-rank'
  return ps.map((p) => (sorted.length === 0 ? undefined : percentileOfSorted(sorted, p / 100, definition)))
}

function assertPercent(p: number): void {
  if (typeof p !== 'number' || !(p >= 0 && p <= 100)) throw new InvalidOptionsError(`a percentile must be a number from 0 to 100, got ${String(p)}`)
}

/** The values as an ascending typed array (a numeric sort, not the default string order). */
function sortedCopy(values: ArrayLike<number>): Float64Array {
  const sorted = Float64Array.from(values)
  for (const value of sorted) {
    if (!Number.isFinite(value)) throw new InvalidOptionsError(`percentiles need finite numbers, got ${String(value)}`)
  }
  return sorted.sort()
}
