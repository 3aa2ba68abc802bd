import { RunFailedError } from '../core/errors.js'
import type { RunId } from '../core/ids.js'
import type { WorkflowGraph } from '../graph/workflow-graph.js'
import { toErrorRecord } from './error-record.js'
import type { RunOutcome, TaskSummary } from './run-outcome.js'
import type { ActivePhase, FinalState } from './run-phase.js'
import { COMPLETED, type TaskTable } from './task-table.js'

/**
 * How a run ends, decided from its phase when every task is settled: a run
 * that was not stopped completed; a cancelled one carries its
 * `RunCancelledError`; a failed one a `RunFailedError` around its task's
 * error, and records the task's error itself (the task is in the record).
 */
export function finalStateOf(phase: ActivePhase, runId: RunId, workflow: string, finishedAt: number): FinalState {
  if (phase.kind !== 'stopping') return { status: 'completed', error: undefined, errorRecord: undefined, finishedAt }
  const { cause } = phase
  if (cause.reason === 'cancelled') return { status: 'cancelled', error: cause.error, errorRecord: toErrorRecord(cause.error), finishedAt }
  const error = new RunFailedError(runId, workflow, cause.task, cause.error)
  return { status: 'failed', error, errorRecord: toErrorRecord(cause.error, cause.task), finishedAt }
}

/** The outcome of a run this worker gave up: nothing is reported as its end; a worker finishes it. */
export function abandonedOutcome(runId: RunId, workflow: string, tasks: readonly TaskSummary[], error: Error, startedAt: number, finishedAt: number): RunOutcome {
  return { runId, workflow, status: 'abandoned', outputs: {}, tasks, error, startedAt, finishedAt }
}

/**
 * A run's outcome whose outputs and task summaries are built on first read:
 * many callers only need the status, and at 10,000 tasks building them costs
 * more than the scheduling of the last few hundred tasks.
 */
export class SettledOutcome implements RunOutcome {
  private outputsCache: Record<string, unknown> | undefined
  private tasksCache: TaskSummary[] | undefined
  readonly status: RunOutcome['status']
  readonly error: Error | undefined
  readonly finishedAt: number

  constructor(
    readonly runId: RunId,
    private readonly graph: WorkflowGraph,
    private readonly table: TaskTable,
    final: FinalState,
    readonly startedAt: number,
  ) {
    this.status = final.status
    this.error = final.error
    this.finishedAt = final.finishedAt
  }

  get workflow(): string {
    return this.graph.name
  }

  get outputs(): Readonly<Record<string, unknown>> {
    if (this.outputsCache === undefined) {
      // No prototype: a task may be named `__proto__` (or `constructor`).
      const outputs: Record<string, unknown> = Object.create(null)
      for (const task of this.graph.tasks) if (this.table.state[task.id] === COMPLETED) outputs[task.name] = this.table.outputs[task.id]
      this.outputsCache = outputs
    }
    return this.outputsCache
  }

  get tasks(): readonly TaskSummary[] {
    this.tasksCache ??= this.table.summaries()
    return this.tasksCache
  }
}
