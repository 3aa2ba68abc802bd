import type { RunId } from '../core/ids.js'
import type { RunEvent } from '../runtime/run-events.js'
import type { RunOutcome, TaskSummary } from '../runtime/run-outcome.js'
import type { RunStatus } from '../storage/workflow-store.js'
import { RunResult } from './run-result.js'

/** What a {@link WorkflowRun} handle reads and controls: a run executing here, or one in the store. */
export interface RunBackend {
  /** The run's id. */
  readonly runId: RunId
  /** The workflow's name. */
  readonly workflow: string
  /** The workflow version the run is pinned to. */
  readonly version: number
  /** Where the run is, as last seen. */
  status(): RunStatus
  /** Waits for the run to end; never rejects. */
  outcome(): Promise<RunOutcome>
  /** Each task's status, as far as this process knows. */
  tasks(): TaskSummary[]
  /** The run's events from its start, then live ones; none for a run executing elsewhere. */
  events(): AsyncIterable<RunEvent>
  /** Pauses the run, or asks its worker to; resolves whether the request applied. */
  pause(): Promise<boolean>
  /** Resumes the run, or asks its worker to; resolves whether the request applied. */
  resume(): Promise<boolean>
  /** Cancels the run, or asks its worker to; resolves whether the request applied. */
  cancel(reason?: string): Promise<boolean>
  /** Stores an event for this run; resolves once it is stored. */
  signal(name: string, payload: unknown): Promise<void>
}

/**
 * A handle on a run: await its result, follow its events, pause, resume,
 * cancel, or send it an event. The run may execute in this process or in
 * another worker sharing the store; the handle works the same.
 *
 * @typeParam O - each task's output by task name.
 * @example
 * ```ts
 * import { createEngine, defineWorkflow } from 'weft-sdk'
 * const Approval = defineWorkflow({ name: 'approval', version: 1 })
 *   .task('approve', (input, ctx) => ctx.waitForEvent<{ by: string }>('approved'))
 *   .build()
 * const engine = createEngine()
 * const run = await engine.start(Approval)
 * await run.signal('approved', { by: 'ada' })
 * const result = await run.result()
 * console.log(result.output('approve').by) // 'ada'
 * ```
 */
export class WorkflowRun<O = Record<string, unknown>> {
  /** @internal Created by the engine. */
  constructor(private readonly backend: RunBackend) {}

  /** The run's id. */
  get id(): RunId {
    return this.backend.runId
  }

  /** The workflow's name. */
  get workflow(): string {
    return this.backend.workflow
  }

  /** The workflow version the run is pinned to. */
  get version(): number {
    return this.backend.version
  }

  /** Where the run is now (as last seen, for a run executing in another process). */
  status(): RunStatus {
    return this.backend.status()
  }

  /**
   * Waits for the run to end and returns its typed outputs.
   * If this process gives the run up midway (its lease was lost, or the store
   * failed under it), the handle follows the run in the store to its end.
   * @throws `RunFailedError` (its `cause` is the task's error) or `RunCancelledError`.
   */
  async result(): Promise<RunResult<O>> {
    const outcome = await this.outcome()
    if (outcome.error !== undefined) throw outcome.error
    return new RunResult<O>(outcome)
  }

  /** Waits for the run to end; never rejects. */
  outcome(): Promise<RunOutcome> {
    return this.backend.outcome()
  }

  /** Each task's status so far (as last seen, for a run executing elsewhere). */
  tasks(): TaskSummary[] {
    return this.backend.tasks()
  }

  /**
   * Every event of the run from its start, then live ones, ending with the
   * run (runs executing here only). The run keeps at most 16
   * `task.retrying` events per task for this (`maxLoggedRetriesPerTask`);
   * listeners of `engine.on` receive every one.
   */
  events(): AsyncIterable<RunEvent> {
    return this.backend.events()
  }

  /** Stops scheduling new tasks (running ones finish). Resolves false if the run was not running. */
  pause(): Promise<boolean> {
    return this.backend.pause()
  }

  /** Schedules tasks again after `pause`. */
  resume(): Promise<boolean> {
    return this.backend.resume()
  }

  /** Cancels the run: running tasks are interrupted and their signals fire; `@Always` tasks still run. */
  cancel(reason?: string): Promise<boolean> {
    return this.backend.cancel(reason)
  }

  /** Sends an event to this run only; it is kept until a task of the run waits for it. */
  signal(name: string, payload?: unknown): Promise<void> {
    return this.backend.signal(name, payload)
  }
}
