// The history's SQL, for SQLite and PostgreSQL: counts, sums and exact percentiles computed by the database.
// PostgreSQL: one grouped query, percentiles from the ordered-set aggregates percentile_disc / percentile_cont. SQLite:
// one aggregate per workflow over a range of the runs' history index (weft_runs_history: an index-only scan, no table
// visit and no sort of the groups), percentiles from SQLite's percentile_disc / percentile_cont aggregates (built into
// the SQLite that better-sqlite3 ships). Both compute the ranks in double precision, as core/percentile-rank.ts does.

import { nearestRankIndex, reportedFractions, type PercentileDefinition } from '../../core/percentile-rank.js'
import { type DurationPercentiles, type HistoryQuery } from '../history-store.js'
import type { SqlDialect } from './migrations.js'

/** The earliest and latest times a query without bounds covers (the range of a JavaScript Date). */
const earliest = -8.64e15
const latest = 8.64e15

/** The bounds of a query's window, for binding. */
export function historyBounds(query: HistoryQuery): { readonly from: number; readonly to: number } {
  return { from: query.from ?? earliest, to: query.to ?? latest }
}

/** The filter over `weft_runs r`; `param(name)` writes a parameter of the dialect. The workflow test only when asked, so the planner can use its index. */
export function runFilter(query: HistoryQuery, param: (name: 'workflow' | 'from' | 'to') => string): string {
  const window = `r.created_at >= ${param('from')} and r.created_at < ${param('to')}`
  return query.workflow === undefined ? window : `r.workflow = ${param('workflow')} and ${window}`
}

/** A run's duration when it ended after a start (completed, failed, cancelled); null otherwise. */
export const runDurationSql = `case when r.started_at is not null and r.finished_at is not null and r.status in ('completed', 'failed', 'cancelled') then r.finished_at - r.started_at end`
/** A run's queue wait when it started; null otherwise. */
export const queueWaitSql = `r.started_at - r.created_at`
/** A task step's duration when it ran and has a start; null otherwise. */
export const stepDurationSql = `case when s.status <> 'skipped' and s.started_at is not null then s.finished_at - s.started_at end`

/** The workflow aggregate's counts and sums, in the dialect (booleans summed as integers). */
export function workflowCountsSql(dialect: SqlDialect, filter: string): string {
  const count = (condition: string) => (dialect === 'postgres' ? `(count(*) filter (where ${condition}))::int` : `sum(${condition})`)
  return `select r.workflow as workflow, count(*) as total, ${count(`r.status = 'completed'`)} as completed, ${count(`r.status = 'failed'`)} as failed,
    ${count(`r.status = 'cancelled'`)} as cancelled, ${count(`r.status = 'dead-lettered'`)} as dead_lettered, coalesce(sum(r.recoveries), 0) as recovered,
    min(r.created_at) as first_created_at, count(${runDurationSql}) as d_count, sum(${runDurationSql}) as d_sum, max(${runDurationSql}) as d_max,
    count(${queueWaitSql}) as w_count, sum(${queueWaitSql}) as w_sum, max(${queueWaitSql}) as w_max`
}

/** The task aggregate's counts and sums over the task's own steps (key = task), in the dialect. */
export function taskCountsSql(dialect: SqlDialect): string {
  const count = (condition: string) => (dialect === 'postgres' ? `(count(*) filter (where ${condition}))::int` : `sum(${condition})`)
  const usage = (field: string) => (dialect === 'postgres' ? `coalesce(sum((s.usage::json ->> '${field}')::float8), 0)` : `coalesce(sum(json_extract(s.usage, '$.${field}')), 0)`)
  return `select r.workflow as workflow, s.task as task, ${count(`s.status = 'completed'`)} as completed, ${count(`s.status = 'failed'`)} as failed,
    ${count(`s.status = 'skipped'`)} as skipped, coalesce(sum(case when s.status <> 'skipped' and s.attempts > 1 then s.attempts - 1 else 0 end), 0) as retries,
    count(${stepDurationSql}) as d_count, sum(${stepDurationSql}) as d_sum, max(${stepDurationSql}) as d_max, ${usage('tokens')} as tokens, ${usage('costUsd')} as cost_usd`
}

/** PostgreSQL: the three percentiles of `value` as one float8[] column (nulls ignored), under `definition`. */
export function pgPercentilesSql(value: string, definition: PercentileDefinition): string {
  const fn = definition === 'linear' ? 'percentile_cont' : 'percentile_disc'
  return `${fn}(array[${reportedFractions.join(', ')}]::float8[]) within group (order by ${value})`
}

/** SQLite: the names of the workflows that have runs, in order, one seek of the history index each (a loose index scan). */
export const sqliteWorkflowNamesSql = `with recursive names(workflow) as (select min(workflow) from weft_runs
    union all select (select min(r.workflow) from weft_runs r where r.workflow > names.workflow) from names where names.workflow is not null)
  select workflow from names where workflow is not null`

/**
 * SQLite: `weft_runs r`, named to be read through the history index when the database has it (a store opened
 * without migrating may read a database its workers have not upgraded yet: then SQLite chooses).
 */
function sqliteRuns(indexed: boolean): string {
  return indexed ? 'weft_runs r indexed by weft_runs_history' : 'weft_runs r'
}

/** SQLite: one workflow's runs in the window, a range of the history index. */
export function sqliteWorkflowRunsSql(indexed: boolean): string {
  return `from ${sqliteRuns(indexed)} where r.workflow = @workflow and r.created_at >= @from and r.created_at < @to`
}

/** SQLite: the own steps of one workflow's runs in the window (the steps found by their primary key, run by run). */
export function sqliteWorkflowStepsSql(indexed: boolean): string {
  return `from ${sqliteRuns(indexed)} join weft_steps s on s.run_id = r.id and s.key = s.task
  where r.workflow = @workflow and r.created_at >= @from and r.created_at < @to`
}

/** SQLite: whether the database has the history index (a row when it does). */
export const sqliteHistoryIndexSql = `select 1 from sqlite_master where type = 'index' and name = 'weft_runs_history'`

/**
 * SQLite: the percentile columns of `value` (nulls ignored) under `definition`, named `<prefix>_lo<i>` (and
 * `<prefix>_hi<i>`), with the fractions bound as @f<i> and @g<i> ({@link sqlitePercentileParameters}). SQLite's
 * percentile_cont is PostgreSQL's (linear). Its percentile_disc takes the value at index ⌊f·(n − 1)⌋ rather than
 * the nearest rank, so both values around that position are read (the second as the descending order's
 * percentile_disc at 1 − f, index n − 1 − ⌊(1 − f)·(n − 1)⌋) and {@link nearestRankOfBounds} picks the one at the
 * nearest rank. For the median only the first is read: ⌈n/2⌉ − 1 = ⌊(n − 1)/2⌋ for every n.
 */
export function sqlitePercentilesSql(value: string, prefix: string, definition: PercentileDefinition): string {
  return reportedFractions
    .map((f, i) => {
      if (definition === 'linear') return `percentile_cont(${value}, @f${i}) as ${prefix}_lo${i}`
      const low = `percentile_disc(${value}, @f${i}) as ${prefix}_lo${i}`
      return f === 0.5 ? low : `${low}, -percentile_disc(-(${value}), @g${i}) as ${prefix}_hi${i}`
    })
    .join(', ')
}

/** The fractions {@link sqlitePercentilesSql} binds: @f<i> = f, @g<i> = 1 − f (computed here, as {@link nearestRankOfBounds} does). */
export function sqlitePercentileParameters(): Record<string, number> {
  return Object.fromEntries(reportedFractions.flatMap((f, i) => [[`f${i}`, f], [`g${i}`, 1 - f]]))
}

/**
 * The nearest-rank percentile `fraction` of `count` sorted values from the values at index ⌊f·(n − 1)⌋ (`low`)
 * and n − 1 − ⌊(1 − f)·(n − 1)⌋ (`high`): the nearest rank's index, ⌈f·n⌉ − 1, lies in [f·n − 1, f·n), so it is
 * one of the two integers around f·(n − 1) = f·n − f. Computed in double precision like the ranks themselves (a
 * property test checks counts up to 10^12 for Weft's fractions).
 */
export function nearestRankOfBounds(count: number, fraction: number, low: number, high: number): number {
  return nearestRankIndex(count, fraction) === Math.floor(fraction * (count - 1)) ? low : high
}

/** A row's percentile columns from {@link sqlitePercentilesSql}, keyed `<prefix>_lo<i>` / `<prefix>_hi<i>`. */
export type SqlitePercentileColumns = Readonly<Record<string, number | null | string>>

/** The three percentiles of a group of `count` values from its {@link sqlitePercentilesSql} columns (`undefined` for none). */
export function sqlitePercentiles(row: SqlitePercentileColumns, prefix: string, count: number, definition: PercentileDefinition): number[] | undefined {
  if (count === 0) return undefined
  return reportedFractions.map((fraction, i) => {
    const low = Number(row[`${prefix}_lo${i}`])
    const high = row[`${prefix}_hi${i}`]
    return definition === 'linear' || high === undefined ? low : nearestRankOfBounds(count, fraction, low, Number(high))
  })
}

/** A summary from an aggregate's count, sum and max and the three percentiles (`undefined` when there were no values). */
export function durationSummary(count: number | string | null, sum: number | string | null, max: number | string | null, percentiles: readonly (number | undefined)[] | undefined): DurationPercentiles {
  const n = Number(count ?? 0)
  if (n === 0 || percentiles === undefined) return { count: 0, mean: undefined, p50: undefined, p95: undefined, p99: undefined, max: undefined }
  return { count: n, mean: Number(sum) / n, p50: percentiles[0], p95: percentiles[1], p99: percentiles[2], max: Number(max) }
}
