// The runs that need someone: pending ones no worker has picked up, dead-lettered ones. One grouped read served by
// the runs' (status, created_at) index, for the alert rules `run-waiting` and `dead-letters`.

/**
 * Runs waiting for a worker or for an operator, per workflow: what the
 * `run-waiting` and `dead-letters` alert rules read from the store (over
 * every worker, not only this process).
 *
 * @example
 * ```ts
 * import type { RunBacklog } from 'weft-sdk'
 * const oldestWaitMs = (backlog: RunBacklog, now: number) => Math.max(0, ...backlog.pending.map((p) => now - p.oldestCreatedAt))
 * ```
 */
export interface RunBacklog {
  /** Runs in status `pending` (created or resumed, not picked up by any worker yet), per workflow with any. */
  readonly pending: readonly {
    /** The workflow's name. */
    readonly workflow: string
    /** How many. */
    readonly count: number
    /** The oldest one's creation (epoch milliseconds). */
    readonly oldestCreatedAt: number
  }[]
  /** Runs in status `dead-lettered`, per workflow with any. */
  readonly deadLettered: readonly {
    /** The workflow's name. */
    readonly workflow: string
    /** How many. */
    readonly count: number
  }[]
}

/**
 * A store's role that reads the {@link RunBacklog} (memory, SQLite and
 * PostgreSQL have it): one grouped query over the runs in status `pending`
 * or `dead-lettered`, served by the `(status, created_at)` index, so its
 * cost grows with those runs, not with the history.
 *
 * @example
 * ```ts
 * import { sqliteStore } from 'weft-sdk'
 * const store = sqliteStore({ path: '.weft/weft.sqlite' })
 * const backlog = await store.backlog?.backlog()
 * console.log(backlog?.deadLettered)
 * ```
 */
export interface BacklogStore {
  /** The runs pending and dead-lettered, per workflow (workflows without any are left out), by workflow name. */
  backlog(): Promise<RunBacklog>
}

/** A row of {@link backlogSql}: PostgreSQL returns its count as a string. */
export interface BacklogRow {
  readonly status: string
  readonly workflow: string
  readonly n: number | string
  readonly oldest: number | string
}

/** Folds rows of (status, workflow, count, oldest creation) into a backlog, by workflow name. */
export function backlogOf(rows: readonly BacklogRow[]): RunBacklog {
  const sorted = [...rows].sort((a, b) => (a.workflow < b.workflow ? -1 : a.workflow > b.workflow ? 1 : 0))
  return {
    pending: sorted.filter((row) => row.status === 'pending').map((row) => ({ workflow: row.workflow, count: Number(row.n), oldestCreatedAt: Number(row.oldest) })),
    deadLettered: sorted.filter((row) => row.status === 'dead-lettered').map((row) => ({ workflow: row.workflow, count: Number(row.n) })),
  }
}

/** The backlog's SQL (SQLite and PostgreSQL): an index range per status, grouped by workflow. */
export const backlogSql = `select status, workflow, count(*) as n, min(created_at) as oldest from weft_runs
  where status in ('pending', 'dead-lettered') group by status, workflow`
