// The SQLite history's reads: the workflows with runs by a loose scan of the runs' history index, then one aggregate
// per workflow over its range of that index (counts, sums and percentiles in one statement, no sort of groups; the
// tasks' aggregate joins each run's own steps by their primary key). Nothing is loaded per run.

import type { PercentileDefinition } from '../../core/percentile-rank.js'
import type { HistoryQuery, TaskHistoryRow, WorkflowHistoryRow } from '../history-store.js'
import {
  durationSummary,
  historyBounds,
  queueWaitSql,
  runDurationSql,
  sqlitePercentileParameters,
  sqlitePercentiles,
  sqlitePercentilesSql,
  sqliteHistoryIndexSql,
  sqliteWorkflowNamesSql,
  sqliteWorkflowRunsSql,
  sqliteWorkflowStepsSql,
  stepDurationSql,
  taskCountsSql,
  workflowCountsSql,
  type SqlitePercentileColumns,
} from '../sql/history-sql.js'
import type { SqliteContext } from './sqlite-context.js'

type Sums = Record<'d_count' | 'd_sum' | 'd_max', number | null>
interface WorkflowCountsRow extends Sums, Record<'w_count' | 'w_sum' | 'w_max', number | null> {
  readonly total: number
  readonly completed: number
  readonly failed: number
  readonly cancelled: number
  readonly dead_lettered: number
  readonly recovered: number
  readonly first_created_at: number
}
interface TaskCountsRow extends Sums {
  readonly task: string
  readonly completed: number
  readonly failed: number
  readonly skipped: number
  readonly retries: number
  readonly tokens: number
  readonly cost_usd: number
}

/** The parameters of one workflow's statements: the window, the workflow and the percentile fractions. */
function workflowParameters(query: HistoryQuery, workflow: string): Record<string, unknown> {
  return { ...historyBounds(query), workflow, ...sqlitePercentileParameters() }
}

/** The workflows a query covers, in order: the one it names, or every workflow that has runs. */
function workflowNames(sqlite: SqliteContext, query: HistoryQuery): string[] {
  if (query.workflow !== undefined) return [query.workflow]
  return (sqlite.statement(sqliteWorkflowNamesSql).all() as { workflow: string }[]).map((row) => row.workflow)
}

/** Whether the database has the runs' history index (migration 2026_12_10_014_history_index). */
function indexed(sqlite: SqliteContext): boolean {
  return sqlite.statement(sqliteHistoryIndexSql).get() !== undefined
}

/** One workflow's row, or `undefined` when it has no runs in the window. */
function workflowRow(sqlite: SqliteContext, query: HistoryQuery, workflow: string, definition: PercentileDefinition): WorkflowHistoryRow | undefined {
  const parameters = workflowParameters(query, workflow)
  const sql = `${workflowCountsSql('sqlite', '')}, ${sqlitePercentilesSql(runDurationSql, 'd', definition)}, ${sqlitePercentilesSql(queueWaitSql, 'w', definition)} ${sqliteWorkflowRunsSql(indexed(sqlite))}`
  const row = sqlite.statement(sql).get(parameters) as WorkflowCountsRow & SqlitePercentileColumns
  if (row.total === 0) return undefined
  const percentilesOf = (prefix: 'd' | 'w', count: number | null) => sqlitePercentiles(row, prefix, Number(count ?? 0), definition)
  return {
    workflow,
    total: row.total,
    completed: row.completed,
    failed: row.failed,
    cancelled: row.cancelled,
    deadLettered: row.dead_lettered,
    recovered: row.recovered,
    duration: durationSummary(row.d_count, row.d_sum, row.d_max, percentilesOf('d', row.d_count)),
    queueWait: durationSummary(row.w_count, row.w_sum, row.w_max, percentilesOf('w', row.w_count)),
    firstCreatedAt: row.first_created_at,
  }
}

/** One workflow's task rows, by task. */
function taskRows(sqlite: SqliteContext, query: HistoryQuery, workflow: string, definition: PercentileDefinition): TaskHistoryRow[] {
  const parameters = workflowParameters(query, workflow)
  const sql = `${taskCountsSql('sqlite')}, ${sqlitePercentilesSql(stepDurationSql, 'd', definition)} ${sqliteWorkflowStepsSql(indexed(sqlite))} group by s.task order by s.task`
  const rows = sqlite.statement(sql).all(parameters) as (TaskCountsRow & SqlitePercentileColumns)[]
  return rows.map((row) => ({
    workflow,
    task: row.task,
    completed: row.completed,
    failed: row.failed,
    skipped: row.skipped,
    retries: row.retries,
    duration: durationSummary(row.d_count, row.d_sum, row.d_max, sqlitePercentiles(row, 'd', Number(row.d_count ?? 0), definition)),
    tokens: row.tokens,
    costUsd: row.cost_usd,
  }))
}

/** The SQLite history's workflow rows (`store.history.workflows`), by workflow. */
export function sqliteWorkflowHistory(sqlite: SqliteContext, query: HistoryQuery): WorkflowHistoryRow[] {
  const definition = query.definition ?? 'nearest-rank'
  return workflowNames(sqlite, query).flatMap((workflow) => workflowRow(sqlite, query, workflow, definition) ?? [])
}

/** The SQLite history's task rows (`store.history.tasks`), by workflow then task. */
export function sqliteTaskHistory(sqlite: SqliteContext, query: HistoryQuery): TaskHistoryRow[] {
  const definition = query.definition ?? 'nearest-rank'
  return workflowNames(sqlite, query).flatMap((workflow) => taskRows(sqlite, query, workflow, definition))
}
