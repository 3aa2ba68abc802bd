import { TaskOutputMissingError } from '../core/errors.js'
import type { RunId } from '../core/ids.js'
import type { RunOutcome, TaskSummary } from '../runtime/run-outcome.js'

/**
 * The result of a completed run, typed per task.
 *
 * @typeParam O - each task's output by task name (from the workflow's types).
 * @example
 * ```ts
 * // const result = await run.result()
 * // result.output('ship')      // typed as ship's return type; throws if ship did not complete
 * // result.outputs.premium     // typed as premium's return type | undefined (it may be skipped)
 * ```
 */
export class RunResult<O> {
  readonly runId: RunId
  /** Outputs of the tasks that completed; a skipped or failed task's entry is absent. */
  readonly outputs: Partial<O>
  /** Every task: status, attempts, timing, error. */
  readonly tasks: readonly TaskSummary[]
  readonly durationMs: number

  constructor(outcome: RunOutcome) {
    this.runId = outcome.runId
    this.outputs = outcome.outputs as Partial<O>
    this.tasks = outcome.tasks
    this.durationMs = outcome.finishedAt - outcome.startedAt
  }

  /**
   * The output of one task.
   * @throws {@link TaskOutputMissingError} when the task did not complete (skipped, or failed and handled).
   */
  output<K extends keyof O & string>(task: K): O[K] {
    if (!Object.hasOwn(this.outputs, task)) {
      const status = this.tasks.find((t) => t.task === task)?.status ?? 'not a task of this workflow'
      throw new TaskOutputMissingError(task, status)
    }
    return (this.outputs as O)[task]
  }
}
