// The history's exact percentiles on SQLite: one aggregate function registered on the store's connection that
// collects a group's values once, sorts them once (a Float64Array) and reads the three reported percentiles with
// the arithmetic every Weft percentile uses (core/percentile-rank.ts). SQLite's own percentile_disc collects and
// sorts its values once per call, and takes the value at ⌊f·(n − 1)⌋ rather than the nearest rank, so reading
// p50, p95 and p99 by nearest rank with it took five calls (two per tail percentile): twice the time of this
// aggregate on the 1,000,000-run history bench (bench/history.mjs), where the sorting is most of a task row's cost.

import { percentileOfSorted, reportedFractions, type PercentileDefinition } from '../../core/percentile-rank.js'
import type { SqliteDatabaseLike } from './sqlite-database.js'

/** The aggregate's name in SQL: `weft_percentiles(value, definition)`, nulls ignored. */
export const sqlitePercentilesFunction = 'weft_percentiles'

/** A group's values as the aggregate collects them. */
interface Collected {
  readonly values: number[]
  definition: PercentileDefinition
}

/** better-sqlite3's `Database#aggregate`, which {@link SqliteDatabaseLike} leaves out (its typings infer the state's type from the options). */
interface AggregateRegistry {
  aggregate(name: string, options: { start: () => Collected; step: (collected: Collected, value: unknown, definition: unknown) => Collected; result: (collected: Collected) => string | null }): unknown
}

/**
 * Registers {@link sqlitePercentilesFunction} on a connection: for a group's non-null values and a definition
 * (`'nearest-rank'` or `'linear'`), the JSON array `[p50, p95, p99]`, or null when the group has no values
 * ({@link parseSqlitePercentiles} reads it).
 */
export function registerSqlitePercentiles(db: SqliteDatabaseLike): void {
  const registry = db as unknown as AggregateRegistry
  registry.aggregate(sqlitePercentilesFunction, {
    start: (): Collected => ({ values: [], definition: 'nearest-rank' }),
    step: (collected: Collected, value: unknown, definition: unknown) => {
      if (value === null) return collected
      collected.values.push(Number(value))
      if (definition === 'linear') collected.definition = 'linear'
      return collected
    },
    result: (collected: Collected) => {
      if (collected.values.length === 0) return null
      const sorted = Float64Array.from(collected.values).sort()
      return JSON.stringify(reportedFractions.map((fraction) => percentileOfSorted(sorted, fraction, collected.definition)))
    },
  })
}

/** The three percentiles of a {@link sqlitePercentilesFunction} column (`undefined` when the group had no values). */
export function parseSqlitePercentiles(column: string | null): number[] | undefined {
  return column === null ? undefined : (JSON.parse(column) as number[])
}
