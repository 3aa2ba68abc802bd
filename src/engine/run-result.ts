import { TaskOutputMissingError } from '../core/errors.js'
import type { RunId } from '../core/ids.js'
import type { RunOutcome, TaskSummary } from '../runtime/run-outcome.js'

/**
 * The result of a completed run, typed per task.
 *
 * @typeParam O - each task's output by task name (from the workflow's types).
 * @example
 * ```ts
 * import type { WorkflowRun } from 'weft-sdk'
 * declare const run: WorkflowRun<{ ship: string; premium: number }>
 * const result = await run.result()
 * result.output('ship') // string; throws TaskOutputMissingError if ship did not complete
 * result.outputs.premium // number | undefined: the task may have been skipped
 * ```
 */
export class RunResult<O> {
  /** @internal Created by `WorkflowRun.result()`. */
  constructor(private readonly outcome: RunOutcome) {}

  /** The run's id. */
  get runId(): RunId {
    return this.outcome.runId
  }

  /** Outputs of the tasks that completed; a skipped or failed task's entry is absent. */
  get outputs(): Partial<O> {
    return this.outcome.outputs as Partial<O>
  }

  /** Every task: status, attempts, timing, error. */
  get tasks(): readonly TaskSummary[] {
    return this.outcome.tasks
  }

  /** Time from the run's start to its end, in milliseconds. */
  get durationMs(): number {
    return this.outcome.finishedAt - this.outcome.startedAt
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
