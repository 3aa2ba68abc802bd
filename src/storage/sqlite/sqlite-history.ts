// Historical metrics on SQLite: one aggregate per workflow over a range of the runs' history index, for its runs and
// for its tasks (sqlite-history-queries.ts), one read of the connection each; nothing is loaded per run.

import { type HistoryQuery, type HistoryStore, type TaskHistoryRow, type WorkflowHistoryRow } from '../history-store.js'
import type { RecoveryStepRow } from '../step-recovery.js'
import { recoveryStepRows, recoveryStepsSql, type RecoveryStepSqlRow } from '../sql/recovery-history-sql.js'
import { historyBounds, runFilter } from '../sql/history-sql.js'
import type { SqliteContext } from './sqlite-context.js'
import { sqliteTaskHistory, sqliteWorkflowHistory } from './sqlite-history-queries.js'
import { ensureHistoryAggregates } from './sqlite-history-aggregates.js'

const param = (name: string) => `@${name}`

/** The SQLite store's history (`sqliteStore().history`). */
export class SqliteHistory implements HistoryStore {
  constructor(private readonly sqlite: SqliteContext) {}

  workflows(query: HistoryQuery): Promise<WorkflowHistoryRow[]> {
    return this.sqlite.read('reading the history of runs', () => {
      ensureHistoryAggregates(this.sqlite.db)
      return sqliteWorkflowHistory(this.sqlite, query)
    })
  }

  tasks(query: HistoryQuery): Promise<TaskHistoryRow[]> {
    return this.sqlite.read('reading the history of tasks', () => {
      ensureHistoryAggregates(this.sqlite.db)
      return sqliteTaskHistory(this.sqlite, query)
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
}
