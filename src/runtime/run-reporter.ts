import type { RunId } from '../core/ids.js'
import type { TaskNode, WorkflowGraph } from '../graph/workflow-graph.js'
import type { ErrorRecord } from '../storage/workflow-store.js'
import { toErrorRecord } from './error-record.js'
import { RunEventLog, type EventHub } from './event-hub.js'
import type { RunEvent } from './run-events.js'
import { CANCELLED, COMPLETED, FAILED, SKIPPED, type SkipReason, type TaskTable } from './task-table.js'

/**
 * How many `task.retrying` events of one task a run's event log keeps (what
 * `run.events()` replays); listeners registered with `engine.on` get every
 * one. A task retried a million times would otherwise keep a million events
 * in memory; its attempts are still counted (`attempts` on its last event).
 */
export const maxLoggedRetriesPerTask = 16

/**
 * Turns what happens in a run into events: kept in the run's log (for
 * `run.events()`) and sent to the engine's listeners. Events are built as
 * literal objects, not spreads: this runs several times per task.
 */
export class RunReporter {
  readonly log: RunEventLog
  /** `task.retrying` events of each task so far (allocated at the first retry). */
  private retries: Int32Array | undefined

  constructor(
    private readonly hub: EventHub,
    private readonly runId: RunId,
    private readonly graph: WorkflowGraph,
  ) {
    this.log = new RunEventLog(runId, graph.name, graph.tasks.map((t) => t.name))
  }

  runStarted(at: number): void {
    this.emit({ type: 'run.started', at, runId: this.runId, workflow: this.graph.name, version: this.graph.version })
  }

  runPaused(at: number): void {
    this.emit({ type: 'run.paused', at, runId: this.runId, workflow: this.graph.name })
  }

  runResumed(at: number): void {
    this.emit({ type: 'run.resumed', at, runId: this.runId, workflow: this.graph.name })
  }

  runEnded(status: 'completed' | 'failed' | 'cancelled', at: number, durationMs: number, error: ErrorRecord | undefined): void {
    const { runId } = this
    const workflow = this.graph.name
    if (status === 'completed') this.emit({ type: 'run.completed', at, runId, workflow, durationMs })
    else if (status === 'cancelled') this.emit({ type: 'run.cancelled', at, runId, workflow, durationMs })
    else this.emit({ type: 'run.failed', at, runId, workflow, durationMs, error: error! })
    this.log.end()
  }

  /** This worker gave the run up (lost its lease); the log ends without a final run event. */
  runAbandoned(at: number): void {
    void at
    this.log.end()
  }

  taskStarted(task: TaskNode, at: number): void {
    this.log.taskStarted(task.id, at)
    if (this.hub.listening) this.hub.emit({ type: 'task.started', at, runId: this.runId, workflow: this.graph.name, task: task.name })
  }

  /** Reports a retry: to listeners always, to the run's log only for the first {@link maxLoggedRetriesPerTask} of the task. */
  taskRetrying(task: TaskNode, at: number, attempt: number, delayMs: number, error: unknown): void {
    this.retries ??= new Int32Array(this.graph.tasks.length)
    const logged = this.retries[task.id]! < maxLoggedRetriesPerTask
    if (logged) this.retries[task.id]!++
    if (!logged && !this.hub.listening) return
    const event: RunEvent = { type: 'task.retrying', at, runId: this.runId, workflow: this.graph.name, task: task.name, attempt, delayMs, error: toErrorRecord(error) }
    if (logged) this.log.push(event)
    this.hub.emit(event)
  }

  /** Reports a task that reached a terminal state. */
  taskSettled(table: TaskTable, task: TaskNode, handled: boolean, reason: SkipReason | undefined, fromCheckpoint: boolean): void {
    const id = task.id
    const at = table.finishedAt[id]!
    const { runId } = this
    const workflow = this.graph.name
    const attempts = table.attempts[id]!
    const durationMs = table.durationOf(id)
    switch (table.state[id]) {
      case COMPLETED:
        this.log.taskCompleted(id, at, attempts, durationMs, fromCheckpoint)
        if (this.hub.listening) this.hub.emit({ type: 'task.completed', at, runId, workflow, task: task.name, attempts, durationMs, fromCheckpoint })
        return
      case FAILED: {
        const error = toErrorRecord(table.errors[id])
        return this.emit({ type: 'task.failed', at, runId, workflow, task: task.name, attempts, durationMs, error, handled })
      }
      case SKIPPED:
        return this.emit({ type: 'task.skipped', at, runId, workflow, task: task.name, reason: reason ?? 'dependency' })
      case CANCELLED:
        return this.emit({ type: 'task.cancelled', at, runId, workflow, task: task.name })
    }
  }

  private emit(event: RunEvent): void {
    this.log.push(event)
    this.hub.emit(event)
  }
}
