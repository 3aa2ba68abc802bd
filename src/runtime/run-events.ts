import type { RunId } from '../core/ids.js'
import type { CircuitState } from '../resilience/circuit-breakers.js'
import type { ErrorRecord } from '../storage/workflow-store.js'

interface RunEventBase {
  /** Epoch milliseconds. */
  readonly at: number
  readonly runId: RunId
  readonly workflow: string
}

interface TaskEventBase extends RunEventBase {
  readonly task: string
}

/** A run began executing (`resumed: true` when it continues from checkpoints). */
export interface RunStarted extends RunEventBase {
  readonly type: 'run.started'
  readonly version: number
}
/** Every task finished and the run succeeded. */
export interface RunCompleted extends RunEventBase {
  readonly type: 'run.completed'
  readonly durationMs: number
}
/** A task's unhandled failure (or a failed cleanup) ended the run. */
export interface RunFailed extends RunEventBase {
  readonly type: 'run.failed'
  readonly error: ErrorRecord
  readonly durationMs: number
}
/** The run was cancelled. */
export interface RunCancelled extends RunEventBase {
  readonly type: 'run.cancelled'
  readonly durationMs: number
}
/** The run stopped scheduling new tasks. */
export interface RunPaused extends RunEventBase {
  readonly type: 'run.paused'
}
/** The run continues scheduling tasks. */
export interface RunResumed extends RunEventBase {
  readonly type: 'run.resumed'
}
/** A task's first attempt began. */
export interface TaskStarted extends TaskEventBase {
  readonly type: 'task.started'
}
/** A task attempt failed and another will follow after `delayMs`. */
export interface TaskRetrying extends TaskEventBase {
  readonly type: 'task.retrying'
  /** The attempt that failed (1 for the first call). */
  readonly attempt: number
  readonly delayMs: number
  readonly error: ErrorRecord
}
/** A task produced its output (recorded before this event). */
export interface TaskCompleted extends TaskEventBase {
  readonly type: 'task.completed'
  readonly attempts: number
  readonly durationMs: number
  /** True when the output came from a checkpoint instead of a call. */
  readonly fromCheckpoint: boolean
}
/** A task failed for good (after its retries). */
export interface TaskFailed extends TaskEventBase {
  readonly type: 'task.failed'
  readonly attempts: number
  readonly durationMs: number
  readonly error: ErrorRecord
  /** True when an `@OnFailure` handler or optional dependents handle the failure. */
  readonly handled: boolean
}
/** A task did not run. */
export interface TaskSkipped extends TaskEventBase {
  readonly type: 'task.skipped'
  readonly reason: 'condition' | 'dependency' | 'not-failed'
}
/** A task was interrupted or never started because the run was cancelled or failed. */
export interface TaskCancelled extends TaskEventBase {
  readonly type: 'task.cancelled'
}
/** A circuit breaker changed state. Not tied to a run. */
export interface BreakerTransitioned {
  readonly type: 'breaker.opened' | 'breaker.half-open' | 'breaker.closed'
  readonly at: number
  readonly breaker: string
  readonly from: CircuitState
}

/** Every event the engine emits. Discriminated by `type`. */
export type WeftEvent =
  | RunStarted
  | RunCompleted
  | RunFailed
  | RunCancelled
  | RunPaused
  | RunResumed
  | TaskStarted
  | TaskRetrying
  | TaskCompleted
  | TaskFailed
  | TaskSkipped
  | TaskCancelled
  | BreakerTransitioned

/** The `type` of a {@link WeftEvent}. */
export type WeftEventType = WeftEvent['type']

/** The event of one type. */
export type WeftEventOf<T extends WeftEventType> = Extract<WeftEvent, { readonly type: T }>

/** Events tied to a run. */
export type RunEvent = Exclude<WeftEvent, BreakerTransitioned>
