// The SQLite history's aggregate functions, registered on the store's connection (Weft's own code, not SQLite's):
//
// - weft_percentiles(value, definition): a group's three reported percentiles. SQLite's own percentile_disc
//   collects and sorts its values once per call and takes the value at ⌊f·(n − 1)⌋ rather than the nearest rank,
//   so reading p50, p95 and p99 by nearest rank took five calls (two per tail percentile); this collects once and
//   sorts once (a Float64Array): about half the time on the 1,000,000-run history bench (bench/history.mjs).
// - weft_task_stats(task, status, attempts, duration, tokens, cost, definition): every task's counts, sums and
//   percentiles of a workflow's steps in one pass, grouped by task in JavaScript. SQLite groups by sorting its rows
//   (GROUP BY through a temporary b-tree), which took most of a task query's time over millions of steps; an index
//   of the steps by task would avoid the sort but adds a page to every step's commit (PostgreSQL has one:
//   migration 2026_12_11_015_step_history).
//
// Both compute percentiles with the arithmetic every Weft percentile uses (core/percentile-rank.ts).

import { percentileOfSorted, reportedFractions, type PercentileDefinition } from '../../core/percentile-rank.js'
import { StorageError } from '../../core/errors.js'
import type { SqliteDatabaseLike } from './sqlite-database.js'

/** `weft_percentiles(value, definition)`: JSON `[p50, p95, p99]` of the group's non-null values, null when none. */
export const percentilesFunction = 'weft_percentiles'
/** `weft_task_stats(task, status, attempts, duration, tokens, cost, definition)`: JSON of {@link TaskStats}, by task. */
export const taskStatsFunction = 'weft_task_stats'

/** Durations as the aggregates collect them: every non-null value, and their sum and maximum. */
class Durations {
  readonly values: number[] = []
  sum = 0
  max = -Infinity

  add(value: unknown): void {
    if (value === null) return
    const n = Number(value)
    this.values.push(n)
    this.sum += n
    if (n > this.max) this.max = n
  }

  /** The three reported percentiles under `definition` (`null` without values). */
  percentiles(definition: PercentileDefinition): number[] | null {
    if (this.values.length === 0) return null
    const sorted = Float64Array.from(this.values).sort()
    return reportedFractions.map((fraction) => percentileOfSorted(sorted, fraction, definition))
  }
}

/** One task's figures from `weft_task_stats`, as its result's JSON holds them. */
export interface TaskStats {
  readonly task: string
  readonly completed: number
  readonly failed: number
  readonly skipped: number
  readonly retries: number
  readonly durations: { readonly count: number; readonly sum: number; readonly max: number | null; readonly percentiles: number[] | null }
  readonly tokens: number
  readonly costUsd: number
}

/** A task's running figures while `weft_task_stats` folds its steps. */
class TaskFold {
  completed = 0
  failed = 0
  skipped = 0
  retries = 0
  tokens = 0
  costUsd = 0
  readonly durations = new Durations()

  add(status: unknown, attempts: unknown, duration: unknown, tokens: unknown, cost: unknown): void {
    if (status === 'completed') this.completed++
    else if (status === 'failed') this.failed++
    else if (status === 'skipped') this.skipped++
    if (status !== 'skipped' && Number(attempts) > 1) this.retries += Number(attempts) - 1
    this.durations.add(duration)
    // A value that is not a number counts as none (as the memory store and PostgreSQL read it).
    if (typeof tokens === 'number' && Number.isFinite(tokens)) this.tokens += tokens
    if (typeof cost === 'number' && Number.isFinite(cost)) this.costUsd += cost
  }

  stats(task: string, definition: PercentileDefinition): TaskStats {
    const { values, sum, max } = this.durations
    const durations = { count: values.length, sum, max: values.length === 0 ? null : max, percentiles: this.durations.percentiles(definition) }
    return { task, completed: this.completed, failed: this.failed, skipped: this.skipped, retries: this.retries, durations, tokens: this.tokens, costUsd: this.costUsd }
  }
}

/** The state of a group: the definition its calls pass, and what it folded. */
interface PercentilesGroup {
  definition: PercentileDefinition
  readonly durations: Durations
}
interface TaskStatsGroup {
  definition: PercentileDefinition
  readonly tasks: Map<string, TaskFold>
}

const definitionOf = (value: unknown): PercentileDefinition => (value === 'linear' ? 'linear' : 'nearest-rank')

/** better-sqlite3's `Database#aggregate`, which {@link SqliteDatabaseLike} leaves out (its typings infer the state's type from the options). */
interface AggregateRegistry {
  aggregate(name: string, options: { readonly varargs: true; start: () => unknown; step: (group: never, ...values: never[]) => unknown; result: (group: never) => unknown }): unknown
}

/** Connections the aggregates are registered on. */
const registered = new WeakSet<SqliteDatabaseLike>()

/**
 * Registers the history's aggregates on `db` unless they are registered already (the history's first read does
 * it). A connection handed to `sqliteStore({ database })` that is not better-sqlite3's own, and does not forward
 * `aggregate()`, cannot read the history: refused with a StorageError that says so.
 */
export function ensureHistoryAggregates(db: SqliteDatabaseLike): void {
  if (registered.has(db)) return
  const registry = db as Partial<AggregateRegistry>
  if (typeof registry.aggregate !== 'function') {
    throw new StorageError(
      'unknown',
      "reading the history failed: the connection handed to sqliteStore({ database }) has no aggregate() (better-sqlite3's Database#aggregate), which the history's percentiles need; pass the better-sqlite3 Database itself, or forward aggregate() from your wrapper",
    )
  }
  registry.aggregate(percentilesFunction, {
    varargs: true,
    start: (): PercentilesGroup => ({ definition: 'nearest-rank', durations: new Durations() }),
    step: (group: PercentilesGroup, value: unknown, definition: unknown) => {
      group.definition = definitionOf(definition)
      group.durations.add(value)
      return group
    },
    result: (group: PercentilesGroup) => {
      const percentiles = group.durations.percentiles(group.definition)
      return percentiles === null ? null : JSON.stringify(percentiles)
    },
  })
  registry.aggregate(taskStatsFunction, {
    varargs: true,
    start: (): TaskStatsGroup => ({ definition: 'nearest-rank', tasks: new Map() }),
    step: (group: TaskStatsGroup, task: unknown, status: unknown, attempts: unknown, duration: unknown, tokens: unknown, cost: unknown, definition: unknown) => {
      group.definition = definitionOf(definition)
      const name = String(task)
      let fold = group.tasks.get(name)
      if (fold === undefined) group.tasks.set(name, (fold = new TaskFold()))
      fold.add(status, attempts, duration, tokens, cost)
      return group
    },
    // By task name in code-unit order (SQLite's binary collation for the names Weft writes).
    result: (group: TaskStatsGroup) => JSON.stringify([...group.tasks.keys()].sort().map((task) => group.tasks.get(task)!.stats(task, group.definition))),
  })
  registered.add(db)
}

/** The three percentiles of a {@link percentilesFunction} column (`undefined` when the group had no values). */
export function parsePercentiles(column: string | null): number[] | undefined {
  return column === null ? undefined : (JSON.parse(column) as number[])
}

/** The tasks of a {@link taskStatsFunction} column (none when the group had no rows: the aggregate's result is null). */
export function parseTaskStats(column: string | null): TaskStats[] {
  return column === null ? [] : (JSON.parse(column) as TaskStats[])
}
