// Historical metrics on SQLite: counts and sums grouped in SQL, percentiles from window functions (sqliteRankedSql),
// one read of the connection each; nothing is loaded per run.

import { percentileOfSorted, reportedFractions, type PercentileDefinition } from '../../core/percentile-rank.js'
import { type HistoryQuery, type HistoryStore, type TaskHistoryRow, type WorkflowHistoryRow } from '../history-store.js'
import type { RecoveryStepRow } from '../step-recovery.js'
import { recoveryStepRows, recoveryStepsSql, type RecoveryStepSqlRow } from '../sql/recovery-history-sql.js'
import { durationSummary, historyBounds, queueWaitSql, rankedGroups, runDurationSql, runFilter, sqliteRankedSql, stepDurationSql, taskCountsSql, workflowCountsSql, type RankedRow } from '../sql/history-sql.js'
import type { SqliteContext } from './sqlite-context.js'

type Sums = Record<'d_count' | 'd_sum' | 'd_max', number | null>
interface WorkflowCountsRow extends Sums, Record<'w_count' | 'w_sum' | 'w_max', number | null> {
  readonly workflow: string
  readonly total: number
  readonly completed: number
  readonly failed: number
  readonly cancelled: number
  readonly dead_lettered: number
  readonly recovered: number
  readonly first_created_at: number
}
interface TaskCountsRow extends Sums {
  readonly workflow: string
  readonly task: string
  readonly completed: number
  readonly failed: number
  readonly skipped: number
  readonly retries: number
  readonly tokens: number
  readonly cost_usd: number
}

const param = (name: string) => `@${name}`

/** The three percentiles of a ranked group, or `undefined` when it has no values. */
function groupPercentiles(groups: Map<string, ArrayLike<number>>, key: string, definition: PercentileDefinition): (number | undefined)[] | undefined {
  const sorted = groups.get(key)
  return sorted === undefined ? undefined : reportedFractions.map((f) => percentileOfSorted(sorted, f, definition))
}

/** The SQLite store's history (`sqliteStore().history`). */
export class SqliteHistory implements HistoryStore {
  constructor(private readonly sqlite: SqliteContext) {}

  workflows(query: HistoryQuery): Promise<WorkflowHistoryRow[]> {
    const definition = query.definition ?? 'nearest-rank'
    return this.sqlite.read('reading the history of runs', () => {
      const filter = runFilter(query, param)
      const counts = this.all<WorkflowCountsRow>(`${workflowCountsSql('sqlite', filter)} from weft_runs r where ${filter} group by r.workflow order by r.workflow`, query)
      const durations = this.ranked(`select r.workflow as workflow, '' as task, ${runDurationSql} as v from weft_runs r where ${filter}`, query, definition)
      const waits = this.ranked(`select r.workflow as workflow, '' as task, ${queueWaitSql} as v from weft_runs r where ${filter}`, query, definition)
      return counts.map((row) => ({
        workflow: row.workflow,
        total: row.total,
        completed: row.completed,
        failed: row.failed,
        cancelled: row.cancelled,
        deadLettered: row.dead_lettered,
        recovered: row.recovered,
        duration: durationSummary(row.d_count, row.d_sum, row.d_max, groupPercentiles(durations, `${row.workflow}\u0000`, definition)),
        queueWait: durationSummary(row.w_count, row.w_sum, row.w_max, groupPercentiles(waits, `${row.workflow}\u0000`, definition)),
        firstCreatedAt: row.first_created_at,
      }))
    })
  }

  tasks(query: HistoryQuery): Promise<TaskHistoryRow[]> {
    const definition = query.definition ?? 'nearest-rank'
    return this.sqlite.read('reading the history of tasks', () => {
      const from = `from weft_runs r join weft_steps s on s.run_id = r.id where ${runFilter(query, param)} and s.key = s.task`
      const counts = this.all<TaskCountsRow>(`${taskCountsSql('sqlite')} ${from} group by r.workflow, s.task order by r.workflow, s.task`, query)
      const durations = this.ranked(`select r.workflow as workflow, s.task as task, ${stepDurationSql} as v ${from}`, query, definition)
      return counts.map((row) => ({
        workflow: row.workflow,
        task: row.task,
        completed: row.completed,
        failed: row.failed,
        skipped: row.skipped,
        retries: row.retries,
        duration: durationSummary(row.d_count, row.d_sum, row.d_max, groupPercentiles(durations, `${row.workflow}\u0000${row.task}`, definition)),
        tokens: row.tokens,
        costUsd: row.cost_usd,
      }))
    })
  }

  recoveries(query: HistoryQuery): Promise<RecoveryStepRow[]> {
    return this.sqlite.read('reading the recoveries of tasks', () =>
      recoveryStepRows(this.all<RecoveryStepSqlRow>(recoveryStepsSql(runFilter(query, param)), query), this.sqlite.rowCodec),
    )
  }

  private all<R>(sql: string, query: HistoryQuery): R[] {
    const parameters = query.workflow === undefined ? historyBounds(query) : { ...historyBounds(query), workflow: query.workflow }
    return this.sqlite.statement(sql).all(parameters) as R[]
  }

  private ranked(source: string, query: HistoryQuery, definition: PercentileDefinition): Map<string, ArrayLike<number>> {
    return rankedGroups(this.all<RankedRow>(sqliteRankedSql(source, definition), query))
  }
}
