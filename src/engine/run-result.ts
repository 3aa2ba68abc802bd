import { inspect, type InspectOptions } from 'node:util'
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

  /** What `JSON.stringify` writes: the run id, the outputs, the duration and every task's summary. */
  toJSON(): RunResultJson<O> {
    return { runId: this.runId, outputs: { ...this.outputs }, durationMs: this.durationMs, tasks: this.tasks }
  }

  /** What `console.log` and `util.inspect` show: the fields of {@link toJSON}, not the engine's internals. */
  [Symbol.for('nodejs.util.inspect.custom')](_depth: number, options: InspectOptions): string {
    return `RunResult ${inspect(this.toJSON(), options)}`
  }
}

/**
 * A {@link RunResult} as JSON (`JSON.stringify(result)`).
 *
 * @example
 * ```ts
 * import type { RunResultJson } from 'weft-sdk'
 * const json: RunResultJson<{ ship: string }> = { runId: 'r-1', outputs: { ship: 'label-1' }, durationMs: 12, tasks: [] }
 * ```
 */
export interface RunResultJson<O> {
  /** The run's id. */
  readonly runId: RunId
  /** Outputs of the tasks that completed. */
  readonly outputs: Partial<O>
  /** Time from the run's start to its end, in milliseconds. */
  readonly durationMs: number
  /** Every task: status, attempts, timing, error. */
  readonly tasks: readonly TaskSummary[]
}
