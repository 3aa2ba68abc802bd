// Historical metrics on PostgreSQL: one query per report, counts and sums with FILTER, percentiles with the
// ordered-set aggregates percentile_disc (nearest rank) and percentile_cont (linear), which ignore null values. Run
// rows group the runs of the window; task rows aggregate each task's range of the steps' history index.

import type { HistoryQuery, HistoryStore, TaskHistoryRow, WorkflowHistoryRow } from '../history-store.js'
import type { RecoveryStepRow } from '../step-recovery.js'
import { recoveryStepRows, recoveryStepsSql, type RecoveryStepSqlRow } from '../sql/recovery-history-sql.js'
import type { PercentileDefinition } from '../../core/percentile-rank.js'
import { durationSummary, historyBounds, pgPercentilesSql, pgTaskHistorySql, queueWaitSql, runDurationSql, runFilter, stepDurationSql, pgTaskCountsSql, workflowCountsSql } from '../sql/history-sql.js'
import type { PgContext } from './pg-context.js'
import { stepHistoryIndexState } from './pg-step-history.js'

type Numeric = number | string | null
interface WorkflowRow extends Record<'d_count' | 'd_sum' | 'd_max' | 'w_count' | 'w_sum' | 'w_max' | 'total' | 'recovered' | 'first_created_at', Numeric> {
  readonly workflow: string
  readonly completed: number
  readonly failed: number
  readonly cancelled: number
  readonly dead_lettered: number
  readonly d_percentiles: number[] | null
  readonly w_percentiles: number[] | null
}
interface TaskRow extends Record<'d_count' | 'd_sum' | 'd_max' | 'retries' | 'tokens' | 'cost_usd', Numeric> {
  readonly workflow: string
  readonly task: string
  readonly completed: number
  readonly failed: number
  readonly skipped: number
  readonly d_percentiles: number[] | null
}

/** The positional parameters of a query: $1 from, $2 to, $3 workflow (when filtered). */
function parameters(query: HistoryQuery): unknown[] {
  const { from, to } = historyBounds(query)
  return query.workflow === undefined ? [from, to] : [from, to, query.workflow]
}
const param = (name: 'workflow' | 'from' | 'to') => ({ from: '$1::float8', to: '$2::float8', workflow: '$3::text' })[name]

/** The task rows on a database without the steps' history index (not migrated yet): each run of the window joined to its own steps. */
function joinedTasksSql(query: HistoryQuery, definition: PercentileDefinition): string {
  return `${pgTaskCountsSql('r.workflow')}, ${pgPercentilesSql(stepDurationSql, definition)} as d_percentiles
    from weft_runs r join weft_steps s on s.run_id = r.id where ${runFilter(query, param)} and s.key = s.task
    group by r.workflow, s.task order by r.workflow collate "C", s.task collate "C"`
}

/** The PostgreSQL store's history (`postgresStore().history`). */
export class PgHistory implements HistoryStore {
  constructor(private readonly pg: PgContext) {}

  async workflows(query: HistoryQuery): Promise<WorkflowHistoryRow[]> {
    const definition = query.definition ?? 'nearest-rank'
    const sql = `${workflowCountsSql('postgres', runFilter(query, param))}, ${pgPercentilesSql(runDurationSql, definition)} as d_percentiles,
      ${pgPercentilesSql(queueWaitSql, definition)} as w_percentiles
      from weft_runs r where ${runFilter(query, param)} group by r.workflow order by r.workflow collate "C"`
    const { rows } = await this.pg.db.query<WorkflowRow>(sql, parameters(query))
    return rows.map((row) => ({
      workflow: row.workflow,
      total: Number(row.total),
      completed: row.completed,
      failed: row.failed,
      cancelled: row.cancelled,
      deadLettered: row.dead_lettered,
      recovered: Number(row.recovered),
      duration: durationSummary(row.d_count, row.d_sum, row.d_max, row.d_percentiles?.map(Number)),
      queueWait: durationSummary(row.w_count, row.w_sum, row.w_max, row.w_percentiles?.map(Number)),
      firstCreatedAt: Number(row.first_created_at),
    }))
  }

  async tasks(query: HistoryQuery): Promise<TaskHistoryRow[]> {
    const definition = query.definition ?? 'nearest-rank'
    const sql = (await this.hasStepHistory()) ? pgTaskHistorySql(query, definition) : joinedTasksSql(query, definition)
    const { rows } = await this.pg.db.query<TaskRow>(sql, parameters(query))
    return rows.map((row) => ({
      workflow: row.workflow,
      task: row.task,
      completed: row.completed,
      failed: row.failed,
      skipped: row.skipped,
      retries: Number(row.retries),
      duration: durationSummary(row.d_count, row.d_sum, row.d_max, row.d_percentiles?.map(Number)),
      tokens: Number(row.tokens),
      costUsd: Number(row.cost_usd),
    }))
  }

  /**
   * Whether the database has a valid steps' history index (built after migration 015 once the steps recorded before
   * it are filled: pg-step-history.ts). Asked at each query: a store opened without migrating may read a database
   * its workers upgrade meanwhile.
   */
  private async hasStepHistory(): Promise<boolean> {
    return (await stepHistoryIndexState(this.pg.db)) === 'valid'
  }

  async recoveries(query: HistoryQuery): Promise<RecoveryStepRow[]> {
    const { rows } = await this.pg.db.query<RecoveryStepSqlRow>(recoveryStepsSql(runFilter(query, param)), parameters(query))
    return recoveryStepRows(rows, this.pg.rowCodec)
  }
}
