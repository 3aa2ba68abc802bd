import { finishedRunStatuses, type RunPatch, type RunRecord, type RunStatus } from './workflow-store.js'

/** Whether a run is finished: nothing but an operator's resume changes it any more. */
export function isFinished(status: RunStatus): boolean {
  return finishedRunStatuses.includes(status)
}

/**
 * Whether a worker may claim a run (workflow versions aside): it is pending,
 * or unfinished and nobody holds a live lease on it.
 */
export function claimableStatus(run: RunRecord, now: number, deadOwners: ReadonlySet<string>): boolean {
  if (run.status === 'pending') return true
  if (isFinished(run.status)) return false
  if (run.leaseOwner === undefined) return true
  return (run.leaseExpiresAt ?? 0) <= now || deadOwners.has(run.leaseOwner)
}

/** Why a run waits when no worker has its workflow version. */
export function unclaimableMessage(workflow: string, version: number): string {
  return `waiting for a worker with workflow "${workflow}" version ${version} registered`
}

/** The change that cancels a pending run directly (no worker holds it). */
export function cancelledByRequest(runId: string, now: number): RunPatch {
  return {
    status: 'cancelled',
    finishedAt: now,
    error: { name: 'RunCancelledError', message: `run ${runId} was cancelled before a worker started it`, code: 'WEFT_RUN_CANCELLED' },
  }
}
