// The history's SQL, for SQLite and PostgreSQL: one filter over the runs (served by the runs' (workflow, created_at)
// and (created_at, id) indexes), counts and sums grouped in the database, and percentiles computed by the database:
// PostgreSQL's percentile_disc / percentile_cont, SQLite's window functions (each group's values ranked, only the
// rows at the ranks a percentile needs returned). Both compute the ranks in double precision, as core/percentile-rank.ts does.

import { reportedFractions, type PercentileDefinition } from '../../core/percentile-rank.js'
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

/** SQLite's ceil and floor of a non-negative double, written without the optional math functions. */
const ceilSql = (x: string) => `(cast(${x} as integer) + (${x} > cast(${x} as integer)))`
const floorSql = (x: string) => `cast(${x} as integer)`

/** The 1-based ranks (SQL expressions over the group's size `n`) whose values a definition's percentiles need. */
function rankTerms(definition: PercentileDefinition): string[] {
  return reportedFractions.flatMap((f) =>
    definition === 'linear' ? [`${floorSql(`${f} * (n - 1)`)} + 1`, `${ceilSql(`${f} * (n - 1)`)} + 1`] : [`max(1, ${ceilSql(`${f} * n`)})`],
  )
}

/**
 * SQLite: the values at the ranks `definition` needs of each group's values,
 * sorted in the database (window functions): rows (workflow, task, n, rn, v).
 * `source` selects `workflow`, `task` and `v` (null values are left out).
 */
export function sqliteRankedSql(source: string, definition: PercentileDefinition): string {
  return `with d as (${source}), ranked as (
      select workflow, task, v, row_number() over (partition by workflow, task order by v) as rn, count(*) over (partition by workflow, task) as n from d where v is not null)
    select workflow, task, n, rn, v from ranked where rn in (${rankTerms(definition).join(', ')})`
}

/** A row of {@link sqliteRankedSql}. */
export interface RankedRow {
  readonly workflow: string
  readonly task: string
  readonly n: number
  readonly rn: number
  readonly v: number
}

/** The ranked rows by group (`workflow\0task`), each a sparse array-like of the group's sorted values (only the needed ranks present). */
export function rankedGroups(rows: readonly RankedRow[]): Map<string, ArrayLike<number>> {
  const groups = new Map<string, { length: number; [index: number]: number }>()
  for (const row of rows) {
    const key = `${row.workflow}\u0000${row.task}`
    let group = groups.get(key)
    if (group === undefined) groups.set(key, (group = { length: Number(row.n) }))
    group[Number(row.rn) - 1] = Number(row.v)
  }
  return groups
}

/** A summary from an aggregate's count, sum and max and the three percentiles (`undefined` when there were no values). */
export function durationSummary(count: number | string | null, sum: number | string | null, max: number | string | null, percentiles: readonly (number | undefined)[] | undefined): DurationPercentiles {
  const n = Number(count ?? 0)
  if (n === 0 || percentiles === undefined) return { count: 0, mean: undefined, p50: undefined, p95: undefined, p99: undefined, max: undefined }
  return { count: n, mean: Number(sum) / n, p50: percentiles[0], p95: percentiles[1], p99: percentiles[2], max: Number(max) }
}
