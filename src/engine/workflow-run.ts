import type { RunId } from '../core/ids.js'
import type { RunEvent } from '../runtime/run-events.js'
import type { RunExecution } from '../runtime/run-execution.js'
import type { RunOutcome, TaskSummary } from '../runtime/run-outcome.js'
import type { RunStatus } from '../storage/workflow-store.js'
import type { EventInbox } from '../runtime/event-inbox.js'
import { RunResult } from './run-result.js'

/**
 * A handle on a run: await its result, follow its events, pause, resume,
 * cancel, or send it an event.
 *
 * @typeParam O - each task's output by task name.
 */
export class WorkflowRun<O = Record<string, unknown>> {
  /** @internal Created by the engine. */
  constructor(
    private readonly execution: RunExecution,
    private readonly inbox: EventInbox,
  ) {}

  /** The run's id. */
  get id(): RunId {
    return this.execution.runId
  }

  /** The workflow's name. */
  get workflow(): string {
    return this.execution.graph.name
  }

  /** The workflow version the run is pinned to. */
  get version(): number {
    return this.execution.graph.version
  }

  /** Where the run is now. */
  status(): RunStatus {
    return this.execution.status
  }

  /**
   * Waits for the run to end and returns its typed outputs.
   * @throws `RunFailedError` (its `cause` is the task's error) or `RunCancelledError`.
   */
  async result(): Promise<RunResult<O>> {
    const outcome = await this.outcome()
    if (outcome.error !== undefined) throw outcome.error
    return new RunResult<O>(outcome)
  }

  /** Waits for the run to end; never rejects. */
  async outcome(): Promise<RunOutcome> {
    return this.execution.done
  }

  /** Each task's status so far. */
  tasks(): TaskSummary[] {
    return this.execution.summaries()
  }

  /** Every event of the run from its start, then live ones, ending with the run. */
  events(): AsyncIterable<RunEvent> {
    return { [Symbol.asyncIterator]: () => this.execution.log.iterate() }
  }

  /** Stops scheduling new tasks (running ones finish). Returns false if it was not running. */
  pause(): boolean {
    return this.execution.pause()
  }

  /** Schedules tasks again after `pause`. */
  resume(): boolean {
    return this.execution.resume()
  }

  /** Cancels the run: running tasks are interrupted and their signals fire; `@Always` tasks still run. */
  cancel(reason?: string): boolean {
    return this.execution.cancel(reason)
  }

  /**
   * Sends an event to this run only. Returns true when a waiting task took
   * it; otherwise it is kept until a task of the run waits for it.
   */
  signal(name: string, payload?: unknown): boolean {
    return this.inbox.send(name, payload, this.execution.runId) === 1
  }
}
