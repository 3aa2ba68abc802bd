import { finishedRunStatuses, type RequestedAction, type RunPatch, type RunRecord, type RunStatus } from './workflow-store.js'

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

/**
 * What a store does with an operator's request (`requestAction`), the same
 * for every store:
 * - `cancel` of a run no worker executes (pending, or dead-lettered): the run
 *   is cancelled at once, with `patch`;
 * - `resume` of a dead-lettered run: it is pending again, its recovery count reset;
 * - any request for a running or paused run: recorded for its worker, which
 *   applies it at its next heartbeat (stores also notify);
 * - anything else (a finished run, pausing a pending one): nothing changes.
 */
export type ActionDecision =
  | { readonly kind: 'cancel-now'; readonly patch: RunPatch }
  | { readonly kind: 'revive' }
  | { readonly kind: 'ask-worker' }
  | { readonly kind: 'nothing' }

/** Decides what `requestAction(run, action)` does (see {@link ActionDecision}). */
export function decideAction(run: RunRecord, action: RequestedAction, now: number): ActionDecision {
  if (action === 'cancel' && (run.status === 'pending' || run.status === 'dead-lettered')) {
    return { kind: 'cancel-now', patch: cancelledByRequest(run, now) }
  }
  if (action === 'resume' && run.status === 'dead-lettered') return { kind: 'revive' }
  if (!isFinished(run.status) && run.status !== 'pending') return { kind: 'ask-worker' }
  return { kind: 'nothing' }
}

/** The change that cancels a run no worker executes (pending or dead-lettered). */
function cancelledByRequest(run: RunRecord, now: number): RunPatch {
  const when = run.status === 'dead-lettered' ? 'while it was dead-lettered' : 'before a worker started it'
  return {
    status: 'cancelled',
    finishedAt: now,
    error: { name: 'RunCancelledError', message: `run ${run.id} was cancelled ${when}`, code: 'WEFT_RUN_CANCELLED' },
  }
}
