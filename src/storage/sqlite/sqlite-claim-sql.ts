import type { WorkflowVersion } from '../workflow-store.js'
import { unfinishedRuns } from '../sql/migrations.js'
import { unclaimableMessageSql } from '../sql/statements.js'

/*
 * Hand-written SQL of the SQLite store: claims, whose filters are lists as
 * long as the worker's workflow versions and the dead owners it knows (one
 * statement text per length, which the store's prepared-statement cache
 * keeps), read and updated inside the write queue's `begin immediate`
 * transaction. A claim is one of the ~101 transactions per run of
 * `npm run bench` section 4 (chain 100): it runs once per run, not per task.
 */

/** A condition over workflow versions, with its parameters. */
export interface VersionFilter {
  readonly sql: string
  readonly params: readonly unknown[]
}

/** Runs of any of `workflows` (none: no run). */
export function versionFilter(workflows: readonly WorkflowVersion[]): VersionFilter {
  if (workflows.length === 0) return { sql: '0', params: [] }
  return { sql: workflows.map(() => '(workflow = ? and version = ?)').join(' or '), params: workflows.flatMap((w) => [w.name, w.version]) }
}

/** The ids of claimable runs of `versions`: parameters are the versions', `now`, each dead owner, the limit. */
export function claimCandidatesSql(versions: VersionFilter, deadOwners: number): string {
  const deadList = deadOwners === 0 ? '' : ` or lease_owner in (${Array.from({ length: deadOwners }, () => '?').join(', ')})`
  return `select id from weft_runs
    where (${versions.sql}) and ${unfinishedRuns} and (status = 'pending' or lease_owner is null or lease_expires_at <= ?${deadList})
    order by created_at, id limit ?`
}

/** Claims one run: parameters now, owner, lease end, id. */
export const claimRunSql = `update weft_runs set
    status = case when status = 'pending' then 'running' else status end,
    status_message = null,
    started_at = coalesce(started_at, ?),
    recoveries = recoveries + case when lease_owner is not null then 1 else 0 end,
    epoch = epoch + 1, lease_owner = ?, lease_expires_at = ?
  where id = ?`

/** Notes why unclaimable runs wait: parameters are the versions', then `now`. */
export function noteUnclaimableSql(versions: VersionFilter): string {
  return `update weft_runs set status_message = ${unclaimableMessageSql}, status = case when status = 'running' then 'pending' else status end
    where not (${versions.sql}) and ${unfinishedRuns} and (status = 'pending' or lease_owner is null or lease_expires_at <= ?)
      and (status_message is null or status_message <> ${unclaimableMessageSql} or status = 'running')`
}
