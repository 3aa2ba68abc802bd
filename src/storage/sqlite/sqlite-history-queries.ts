// The SQLite history's reads: the workflows with runs by a loose scan of the runs' history index, then one aggregate
// per workflow over its range of that index; the tasks of a workflow by a loose scan of the steps' history index,
// then one aggregate per task over its range of that index (counts, sums and percentiles in one statement each, no
// sort but each group's durations for its percentiles). A database without the steps' index (not migrated yet)
// joins each run of the window to its own steps instead. Nothing is loaded per run.

import type { PercentileDefinition } from '../../core/percentile-rank.js'
import type { HistoryQuery, TaskHistoryRow, WorkflowHistoryRow } from '../history-store.js'
import {
  durationSummary,
  historyBounds,
  queueWaitSql,
  runDurationSql,
  sqliteHistoryIndexSql,
  sqliteStepHistoryIndexSql,
  sqliteTaskNamesSql,
  sqliteTaskStepsSql,
  sqliteWorkflowNamesSql,
  sqliteWorkflowRunsSql,
  sqliteWorkflowStepsSql,
  stepDurationSql,
  taskCountsSql,
  workflowCountsSql,
} from '../sql/history-sql.js'
import type { SqliteContext } from './sqlite-context.js'
import { parseSqlitePercentiles, sqlitePercentilesFunction } from './sqlite-percentiles.js'

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
interface TaskCountsRow extends Sums {
  readonly task: string
  readonly steps: number
  readonly completed: number
  readonly failed: number
  readonly skipped: number
  readonly retries: number
  readonly tokens: number
  readonly cost_usd: number
}

/** The percentiles of `value` as one column, `<name>` (JSON, parsed by parseSqlitePercentiles). */
const percentilesSql = (value: string, name: string) => `${sqlitePercentilesFunction}(${value}, @definition) as ${name}`

/** The parameters of one workflow's statements: the window, the workflow and the percentile definition. */
function workflowParameters(query: HistoryQuery, workflow: string, definition: PercentileDefinition): Record<string, unknown> {
  return { ...historyBounds(query), workflow, definition }
}

/** The workflows a query covers, in order: the one it names, or every workflow that has runs. */
function workflowNames(sqlite: SqliteContext, query: HistoryQuery): string[] {
  if (query.workflow !== undefined) return [query.workflow]
  return (sqlite.statement(sqliteWorkflowNamesSql).all() as { workflow: string }[]).map((row) => row.workflow)
}

/** Whether the database has the index `sql` looks for (a store opened without migrating may read an older schema). */
function hasIndex(sqlite: SqliteContext, sql: string): boolean {
  return sqlite.statement(sql).get() !== undefined
}

/** One workflow's row, or `undefined` when it has no runs in the window. */
function workflowRow(sqlite: SqliteContext, query: HistoryQuery, workflow: string, definition: PercentileDefinition): WorkflowHistoryRow | undefined {
  const sql = `${workflowCountsSql('sqlite', '')}, ${percentilesSql(runDurationSql, 'd_percentiles')}, ${percentilesSql(queueWaitSql, 'w_percentiles')} ${sqliteWorkflowRunsSql(hasIndex(sqlite, sqliteHistoryIndexSql))}`
  const row = sqlite.statement(sql).get(workflowParameters(query, workflow, definition)) as WorkflowCountsRow
  if (row.total === 0) return undefined
  return {
    workflow,
    total: row.total,
    completed: row.completed,
    failed: row.failed,
    cancelled: row.cancelled,
    deadLettered: row.dead_lettered,
    recovered: row.recovered,
    duration: durationSummary(row.d_count, row.d_sum, row.d_max, parseSqlitePercentiles(row.d_percentiles)),
    queueWait: durationSummary(row.w_count, row.w_sum, row.w_max, parseSqlitePercentiles(row.w_percentiles)),
    firstCreatedAt: row.first_created_at,
  }
}

/** A task row from its aggregate. */
function taskRow(workflow: string, row: TaskCountsRow): TaskHistoryRow {
  return {
    workflow,
    task: row.task,
    completed: row.completed,
    failed: row.failed,
    skipped: row.skipped,
    retries: row.retries,
    duration: durationSummary(row.d_count, row.d_sum, row.d_max, parseSqlitePercentiles(row.d_percentiles)),
    tokens: row.tokens,
    costUsd: row.cost_usd,
  }
}

/** One workflow's task rows, by task: one range of the steps' history index per task that has steps in the window. */
function indexedTaskRows(sqlite: SqliteContext, query: HistoryQuery, workflow: string, definition: PercentileDefinition): TaskHistoryRow[] {
  const parameters = workflowParameters(query, workflow, definition)
  const tasks = (sqlite.statement(sqliteTaskNamesSql).all({ workflow }) as { task: string }[]).map((row) => row.task)
  const aggregate = sqlite.statement(`${taskCountsSql('sqlite', 's.workflow')}, ${percentilesSql(stepDurationSql, 'd_percentiles')} ${sqliteTaskStepsSql}`)
  return tasks.flatMap((task) => {
    const row = aggregate.get({ ...parameters, task }) as TaskCountsRow
    return row.steps === 0 ? [] : [taskRow(workflow, row)]
  })
}

/** One workflow's task rows, by task, on a database without the steps' history index: its runs joined to their steps. */
function joinedTaskRows(sqlite: SqliteContext, query: HistoryQuery, workflow: string, definition: PercentileDefinition): TaskHistoryRow[] {
  const sql = `${taskCountsSql('sqlite')}, ${percentilesSql(stepDurationSql, 'd_percentiles')} ${sqliteWorkflowStepsSql(hasIndex(sqlite, sqliteHistoryIndexSql))} group by s.task order by s.task`
  return (sqlite.statement(sql).all(workflowParameters(query, workflow, definition)) as TaskCountsRow[]).map((row) => taskRow(workflow, row))
}

/** The SQLite history's workflow rows (`store.history.workflows`), by workflow. */
export function sqliteWorkflowHistory(sqlite: SqliteContext, query: HistoryQuery): WorkflowHistoryRow[] {
  const definition = query.definition ?? 'nearest-rank'
  return workflowNames(sqlite, query).flatMap((workflow) => workflowRow(sqlite, query, workflow, definition) ?? [])
}

/** The SQLite history's task rows (`store.history.tasks`), by workflow then task. */
export function sqliteTaskHistory(sqlite: SqliteContext, query: HistoryQuery): TaskHistoryRow[] {
  const definition = query.definition ?? 'nearest-rank'
  const taskRows = hasIndex(sqlite, sqliteStepHistoryIndexSql) ? indexedTaskRows : joinedTaskRows
  return workflowNames(sqlite, query).flatMap((workflow) => taskRows(sqlite, query, workflow, definition))
}
