import type { RunId } from '../core/ids.js'
import type { ErrorRecord, TaskStatus } from '../storage/workflow-store.js'

/** How one task of a run went. */
export interface TaskSummary {
  readonly task: string
  readonly status: TaskStatus
  /** Attempts made (0 when the task never ran). */
  readonly attempts: number
  /** Epoch milliseconds of the first attempt. */
  readonly startedAt: number | undefined
  /** Wall time from first attempt to the end, in milliseconds. */
  readonly durationMs: number | undefined
  readonly error: ErrorRecord | undefined
}

/** How a run ended. */
export interface RunOutcome {
  readonly runId: RunId
  readonly workflow: string
  readonly status: 'completed' | 'failed' | 'cancelled'
  /** Outputs of the tasks that completed, by task name. */
  readonly outputs: Readonly<Record<string, unknown>>
  /** Every task, in the graph's topological order. */
  readonly tasks: readonly TaskSummary[]
  /** Why the run failed or was cancelled (`RunFailedError`, `RunCancelledError`). */
  readonly error: Error | undefined
  readonly startedAt: number
  readonly finishedAt: number
}
