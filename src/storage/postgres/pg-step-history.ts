// PostgreSQL's steps' history, completed online after migration 2026_12_11_015_step_history, in the background of
// the store that migrated (postgres-workflow-store.ts: `historyReady`). The migration only adds the history columns
// and the trigger that fills them (it holds the steps table's lock for an instant); the steps recorded before it are
// filled here in batches of their primary key, each a short transaction of its own, and the index is built without
// blocking writes (CREATE INDEX CONCURRENTLY). Meanwhile every worker keeps reading
// and writing steps, and the history reads the steps by joining them to their runs (pg-history.ts) until the index
// is valid. One process does it at a time (an advisory lock); one that is interrupted leaves the work to the next
// store that starts with `migrate` (the fill resumes where the columns are still empty; an index a failed build
// left invalid is dropped and built again).

import { stepHistoryIndexSql } from '../sql/migrations.js'
import type { PgClientLike, PgPoolLike } from './pg-client.js'

/** The advisory lock key of the completion (any constant other Weft locks do not use: 'weft' 'hist' as ASCII). */
export const stepHistoryLockKey = 0x77656674_68697374n

/** Steps filled per transaction: long enough to be cheap, short enough to hold row locks only briefly. */
export const stepHistoryBatch = 20_000

/**
 * How a completion of the steps' history ended: it was `complete` already (or
 * there was nothing to do), this process `completed` it, another process
 * holds it (`busy`), it `stopped` (its store closed), or it `failed` (the
 * next store that migrates tries again).
 *
 * @example
 * ```ts
 * import type { StepHistoryCompletion } from 'weft-sdk/postgres'
 * const done = (outcome: StepHistoryCompletion) => outcome === 'complete' || outcome === 'completed'
 * ```
 */
export type StepHistoryCompletion = 'complete' | 'completed' | 'busy' | 'stopped' | 'failed'

/** Whether the steps' history index exists and is valid (a build that failed leaves an invalid one). */
export async function stepHistoryIndexState(db: Pick<PgPoolLike, 'query'>): Promise<'valid' | 'invalid' | 'missing'> {
  const { rows } = await db.query<{ valid: boolean | null }>(`select (select indisvalid from pg_index where indexrelid = to_regclass('weft_steps_history')) as valid`)
  const valid = rows[0]?.valid
  return valid === true ? 'valid' : valid === false ? 'invalid' : 'missing'
}

/** Whether the database has the history columns (migration 015 applied). */
async function hasHistoryColumns(db: Pick<PgPoolLike, 'query'>): Promise<boolean> {
  const { rows } = await db.query<{ found: boolean }>(
    `select exists (select 1 from information_schema.columns where table_schema = current_schema() and table_name = 'weft_steps' and column_name = 'run_created_at') as found`,
  )
  return rows[0]?.found === true
}

/** Fills the history columns of the steps after (run id, key) `after`, one batch; the last key it visited, or undefined at the end. */
async function fillBatch(client: PgClientLike, after: readonly [string, string], batch: number): Promise<readonly [string, string] | undefined> {
  const { rows } = await client.query<{ run_id: string | null; key: string | null; visited: string }>(
    `with batch as (
        select run_id, key from weft_steps where (run_id, key) > ($1, $2) order by run_id, key limit $3
      ), filled as (
        update weft_steps s set workflow = r.workflow, run_created_at = r.created_at
        from batch b join weft_runs r on r.id = b.run_id
        where s.run_id = b.run_id and s.key = b.key and s.workflow is null
      )
      select (select count(*) from batch) as visited, last.run_id, last.key
      from (select null) one left join lateral (select run_id, key from batch order by run_id desc, key desc limit 1) last on true`,
    [after[0], after[1], batch],
  )
  const row = rows[0]!
  return Number(row.visited) < batch || row.run_id === null || row.key === null ? undefined : [row.run_id, row.key]
}

/**
 * Completes the steps' history when the database has its columns but not a valid index: fills the steps recorded
 * before the upgrade, builds the index, analyzes. Returns at once when it is complete, or when another process
 * holds the lock (it is completing it). `batch` sets the steps filled per transaction; `signal` stops it between
 * batches (the next completion resumes: it fills only the steps still empty).
 */
export async function completeStepHistory(pool: PgPoolLike, batch: number = stepHistoryBatch, signal?: AbortSignal): Promise<Exclude<StepHistoryCompletion, 'failed'>> {
  if ((await stepHistoryIndexState(pool)) === 'valid' || !(await hasHistoryColumns(pool))) return 'complete'
  const client = await pool.connect()
  try {
    const { rows } = await client.query<{ locked: boolean }>('select pg_try_advisory_lock($1::bigint) as locked', [stepHistoryLockKey.toString()])
    if (rows[0]?.locked !== true) return 'busy'
    try {
      const state = await stepHistoryIndexState(client)
      if (state === 'valid') return 'complete'
      if (state === 'invalid') await client.query('drop index concurrently if exists weft_steps_history')
      let after: readonly [string, string] | undefined = ['', '']
      while (after !== undefined) {
        if (signal?.aborted === true) return 'stopped'
        after = await fillBatch(client, after, batch)
      }
      await client.query(stepHistoryIndexSql(true))
      await client.query('analyze weft_steps')
      return 'completed'
    } finally {
      await client.query('select pg_advisory_unlock($1::bigint)', [stepHistoryLockKey.toString()])
    }
  } finally {
    client.release()
  }
}
