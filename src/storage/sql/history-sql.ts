// The history's SQL, for SQLite and PostgreSQL: counts, sums and exact percentiles computed by the database.
// Run rows read the runs' history index (weft_runs_history, migration 014). Task rows: PostgreSQL reads its steps'
// history index (weft_steps_history, migration 015: each step carries its run's workflow and creation time), one
// range per task, or joins each run of the window to its steps on a database without it; SQLite joins and folds the
// steps by task in one pass. PostgreSQL: percentiles from the ordered-set aggregates percentile_disc /
// percentile_cont; SQLite: from Weft's aggregates (sqlite/sqlite-history-aggregates.ts). Both compute the ranks in
// double precision, as core/percentile-rank.ts does.

import { reportedFractions, type PercentileDefinition } from '../../core/percentile-rank.js'
import { type DurationPercentiles, type HistoryQuery } from '../history-store.js'
import { ownStepCondition, type SqlDialect } from './migrations.js'

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

/**
 * PostgreSQL: the task aggregate's counts and sums over the task's own steps (key = task), the workflow read from
 * `workflow` (the run's, or the step's history column). SQLite folds the same figures in weft_task_stats.
 */
export function pgTaskCountsSql(workflow: 'r.workflow' | 's.workflow'): string {
  const count = (condition: string) => `(count(*) filter (where ${condition}))::int`
  // A value that is not a JSON number counts as none (as the memory store and SQLite read it).
  const usage = (field: string) => `coalesce(sum(case when json_typeof(s.usage::json -> '${field}') = 'number' then (s.usage::json ->> '${field}')::float8 end), 0)`
  return `select ${workflow} as workflow, s.task as task, ${count(`s.status = 'completed'`)} as completed, ${count(`s.status = 'failed'`)} as failed,
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

/** SQLite: whether the database has the runs' history index (a row when it does). */
export const sqliteHistoryIndexSql = `select 1 from sqlite_master where type = 'index' and name = 'weft_runs_history'`

/** PostgreSQL's steps' history index's condition (a task's own step), on `weft_steps s`. */
const ownStep = ownStepCondition('s')

/**
 * PostgreSQL: the task rows read through the steps' history index: the (workflow, task) pairs that have steps by a
 * loose index scan (one seek each, a recursive CTE), then each pair's range in the window aggregated on its own (a
 * lateral subquery), so nothing is sorted but each task's durations for its percentiles. Parameters as
 * {@link runFilter}'s: $1 from, $2 to, $3 workflow when the query names one.
 */
export function pgTaskHistorySql(query: HistoryQuery, definition: PercentileDefinition): string {
  const named = query.workflow === undefined ? 's.workflow is not null' : 's.workflow = $3::text'
  return `with recursive pairs(workflow, task) as (
      (select s.workflow, s.task from weft_steps s where ${ownStep} and ${named} order by s.workflow, s.task limit 1)
      union all
      select next.workflow, next.task from pairs p cross join lateral (
        select s.workflow, s.task from weft_steps s where ${ownStep} and ${named} and (s.workflow, s.task) > (p.workflow, p.task)
        order by s.workflow, s.task limit 1) next
    )
    select a.* from pairs p cross join lateral (
      ${pgTaskCountsSql('s.workflow')}, ${pgPercentilesSql(stepDurationSql, definition)} as d_percentiles
      from weft_steps s where s.workflow = p.workflow and s.task = p.task and ${ownStep} and s.run_created_at >= $1::float8 and s.run_created_at < $2::float8
      group by s.workflow, s.task) a
    order by a.workflow collate "C", a.task collate "C"`
}

/** A summary from an aggregate's count, sum and max and the three percentiles (`undefined` when there were no values). */
export function durationSummary(count: number | string | null, sum: number | string | null, max: number | string | null, percentiles: readonly (number | undefined)[] | undefined): DurationPercentiles {
  const n = Number(count ?? 0)
  if (n === 0 || percentiles === undefined) return { count: 0, mean: undefined, p50: undefined, p95: undefined, p99: undefined, max: undefined }
  return { count: n, mean: Number(sum) / n, p50: percentiles[0], p95: percentiles[1], p99: percentiles[2], max: Number(max) }
}
