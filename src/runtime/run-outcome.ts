import type { RunId } from '../core/ids.js'
import type { AttemptHistory, ErrorRecord, TaskStatus } from '../storage/workflow-store.js'

/**
 * How one task of a run went.
 *
 * @example
 * ```ts
 * import type { WorkflowRun } from 'weft-sdk'
 * declare const run: WorkflowRun
 * for (const task of run.tasks()) console.log(task.task, task.status, task.attempts, task.error?.message)
 * ```
 */
export interface TaskSummary {
  /** The task's name. */
  readonly task: string
  /** The task's status when the summary was taken. */
  readonly status: TaskStatus
  /** Attempts made (0 when the task never ran). */
  readonly attempts: number
  /** Epoch milliseconds of the first attempt. */
  readonly startedAt: number | undefined
  /** Wall time from first attempt to the end, in milliseconds. */
  readonly durationMs: number | undefined
  /** The error of the last attempt, for a failed task. */
  readonly error: ErrorRecord | undefined
  /**
   * The attempts before the last (each failed one with its error), when the
   * task made more than one; see `AttemptHistory`, and `stepAttempts` of
   * `weft-sdk/store` to list them all.
   */
  readonly history?: AttemptHistory | undefined
}

/**
 * How a run ended.
 *
 * @example
 * ```ts
 * import type { WorkflowRun } from 'weft-sdk'
 * declare const run: WorkflowRun
 * const outcome = await run.outcome()
 * if (outcome.status === 'completed') console.log(outcome.outputs)
 * else console.error(`${outcome.workflow} ${outcome.status}:`, outcome.error?.message)
 * ```
 */
export interface RunOutcome {
  /** The run's id. */
  readonly runId: RunId
  /** The workflow's name. */
  readonly workflow: string
  /** How the run ended. */
  /**
   * How the run ended here. `abandoned`: this process gave the run up — it
   * lost the lease (it was paused or partitioned too long), the engine was
   * closed, or the store failed under it (`error` is then a `StorageError`) —
   * and a worker finishes it from its checkpoints.
   */
  readonly status: 'completed' | 'failed' | 'cancelled' | 'abandoned'
  /** Outputs of the tasks that completed, by task name. */
  readonly outputs: Readonly<Record<string, unknown>>
  /** Every task, in the graph's topological order (`@Always` tasks without dependencies last). */
  readonly tasks: readonly TaskSummary[]
  /** Why the run failed, was cancelled or abandoned (`RunFailedError`, `RunCancelledError`, `LeaseLostError`, `EngineClosedError`, `StorageError`). */
  readonly error: Error | undefined
  /** When the run started, in epoch milliseconds. */
  readonly startedAt: number
  /** When the run ended, in epoch milliseconds. */
  readonly finishedAt: number
}
