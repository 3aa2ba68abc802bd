// The SQLite history's reads: the workflows with runs by a loose scan of the runs' history index, then one aggregate
// per workflow over its range of that index (counts, sums and percentiles in one statement, no sort of groups); its
// task rows from the same range joined to each run's own steps by their primary key and folded by task in one pass
// (weft_task_stats, sqlite-history-aggregates.ts). Nothing is loaded per run.

import type { PercentileDefinition } from '../../core/percentile-rank.js'
import type { HistoryQuery, TaskHistoryRow, WorkflowHistoryRow } from '../history-store.js'
import {
  durationSummary,
  historyBounds,
  queueWaitSql,
  runDurationSql,
  sqliteHistoryIndexSql,
  sqliteWorkflowNamesSql,
  sqliteWorkflowRunsSql,
  sqliteWorkflowStepsSql,
  stepDurationSql,
  workflowCountsSql,
} from '../sql/history-sql.js'
import type { SqliteContext } from './sqlite-context.js'
import { parsePercentiles, parseTaskStats, percentilesFunction, taskStatsFunction } from './sqlite-history-aggregates.js'

type Sums = Record<'d_count' | 'd_sum' | 'd_max', number | null> & { readonly d_percentiles: string | null }
interface WorkflowCountsRow extends Sums, Record<'w_count' | 'w_sum' | 'w_max', number | null> {
  readonly total: number
  readonly completed: number
  readonly failed: number
  readonly cancelled: number
  readonly dead_lettered: number
  readonly recovered: number
  readonly first_created_at: number
  readonly w_percentiles: string | null
}

/** The percentiles of `value` as one column, `<name>` (JSON, parsed by parsePercentiles). */
const percentilesSql = (value: string, name: string) => `${percentilesFunction}(${value}, @definition) as ${name}`

/** The parameters of one workflow's statements: the window, the workflow and the percentile definition. */
function workflowParameters(query: HistoryQuery, workflow: string, definition: PercentileDefinition): Record<string, unknown> {
  return { ...historyBounds(query), workflow, definition }
}

/** The workflows a query covers, in order: the one it names, or every workflow that has runs. */
function workflowNames(sqlite: SqliteContext, query: HistoryQuery): string[] {
  if (query.workflow !== undefined) return [query.workflow]
  return (sqlite.statement(sqliteWorkflowNamesSql).all() as { workflow: string }[]).map((row) => row.workflow)
}

/** Whether the database has the runs' history index (a store opened without migrating may read an older schema). */
function indexed(sqlite: SqliteContext): boolean {
  return sqlite.statement(sqliteHistoryIndexSql).get() !== undefined
}

/** The statement of one workflow's run row (parameters: @workflow, @from, @to, @definition). */
export function sqliteRunRowSql(indexed: boolean): string {
  return `${workflowCountsSql('sqlite', '')}, ${percentilesSql(runDurationSql, 'd_percentiles')}, ${percentilesSql(queueWaitSql, 'w_percentiles')} ${sqliteWorkflowRunsSql(indexed)}`
}

/** The statement of one workflow's task rows, one column `stats` (parameters as {@link sqliteRunRowSql}'s). */
export function sqliteTaskRowsSql(indexed: boolean): string {
  const stats = `${taskStatsFunction}(s.task, s.status, s.attempts, ${stepDurationSql}, json_extract(s.usage, '$.tokens'), json_extract(s.usage, '$.costUsd'), @definition)`
  return `select ${stats} as stats ${sqliteWorkflowStepsSql(indexed)}`
}

/** One workflow's row, or `undefined` when it has no runs in the window. */
function workflowRow(sqlite: SqliteContext, query: HistoryQuery, workflow: string, definition: PercentileDefinition): WorkflowHistoryRow | undefined {
  const row = sqlite.statement(sqliteRunRowSql(indexed(sqlite))).get(workflowParameters(query, workflow, definition)) as WorkflowCountsRow
  if (row.total === 0) return undefined
  return {
    workflow,
    total: row.total,
    completed: row.completed,
    failed: row.failed,
    cancelled: row.cancelled,
    deadLettered: row.dead_lettered,
    recovered: row.recovered,
    duration: durationSummary(row.d_count, row.d_sum, row.d_max, parsePercentiles(row.d_percentiles)),
    queueWait: durationSummary(row.w_count, row.w_sum, row.w_max, parsePercentiles(row.w_percentiles)),
    firstCreatedAt: row.first_created_at,
  }
}

/** One workflow's task rows, by task: its runs in the window joined to their own steps, folded by task. */
function taskRows(sqlite: SqliteContext, query: HistoryQuery, workflow: string, definition: PercentileDefinition): TaskHistoryRow[] {
  const row = sqlite.statement(sqliteTaskRowsSql(indexed(sqlite))).get(workflowParameters(query, workflow, definition)) as { stats: string | null }
  return parseTaskStats(row.stats).map((task) => ({
    workflow,
    task: task.task,
    completed: task.completed,
    failed: task.failed,
    skipped: task.skipped,
    retries: task.retries,
    duration: durationSummary(task.durations.count, task.durations.sum, task.durations.max, task.durations.percentiles ?? undefined),
    tokens: task.tokens,
    costUsd: task.costUsd,
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
