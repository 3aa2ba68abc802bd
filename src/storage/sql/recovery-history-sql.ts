// The history's recovery rows, for SQLite and PostgreSQL: the tasks' own steps of the window's runs that kept an
// attempt history (a retry or a failure `@Recover` classified), their history decoded here (it may be encrypted, so
// SQL cannot look inside it) and kept when it records a recovery.

import type { RecoveryStepRow } from '../step-recovery.js'
import type { RowCodec } from './row-codec.js'

/** The steps of the runs `filter` selects (over `weft_runs r`) that have an attempt history. */
export function recoveryStepsSql(filter: string): string {
  return `select r.workflow as workflow, s.task as task, s.run_id as run_id, s.key as key, s.status as status, s.finished_at as finished_at, s.history as history
    from weft_runs r join weft_steps s on s.run_id = r.id where ${filter} and s.key = s.task and s.history is not null`
}

/** A row of {@link recoveryStepsSql} (PostgreSQL returns a double precision time as a number, a string in some drivers). */
export interface RecoveryStepSqlRow {
  readonly workflow: string
  readonly task: string
  readonly run_id: string
  readonly key: string
  readonly status: string
  readonly finished_at: number | string
  readonly history: string
}

/** The rows whose decoded history records a recovery. */
export function recoveryStepRows(rows: readonly RecoveryStepSqlRow[], codec: RowCodec): RecoveryStepRow[] {
  return rows.flatMap((row) => {
    const recovery = codec.attemptHistory(row.run_id, row.key, row.history)?.recovery
    return recovery === undefined ? [] : [{ workflow: row.workflow, task: row.task, status: row.status, finishedAt: Number(row.finished_at), recovery }]
  })
}
