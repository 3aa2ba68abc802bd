import type { RunId } from '../core/ids.js'
import type { TaskNode, WorkflowGraph } from '../graph/workflow-graph.js'
import type { CallReport } from '../graph/call-context.js'
import type { ErrorRecord } from '../storage/workflow-store.js'
import { toEventErrorRecord, withoutStack } from './error-record.js'
import { RunEventLog, type EventHub, type EventInterest } from './event-hub.js'
import { maxLoggedProgressPerTask, type RunEvent, type RunStarted } from './run-events.js'
import type { MetricsSink, TaskMetricsRecorder } from './metrics-sink.js'
import type { RunTracing } from './run-tracing.js'
import type { SkipReason, TaskTable } from './task-table.js'

/**
 * How many `task.retrying` events of one task a run's event log keeps (what
 * `run.events()` replays); listeners registered with `engine.on` get every
 * one. A task retried a million times would otherwise keep a million events
 * in memory; its attempts are still counted (`attempts` on its last event).
 *
 * @example
 * ```ts
 * import { maxLoggedRetriesPerTask, type WorkflowRun } from 'weft-sdk'
 * declare const run: WorkflowRun
 * let retries = 0
 * for await (const event of run.events()) if (event.type === 'task.retrying') retries++
 * console.log(`${retries} retries replayed (at most ${maxLoggedRetriesPerTask} per task)`)
 * ```
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
  /** `task.progress` events of each task logged so far (allocated at the first). */
  private progressLogged: Int32Array | undefined
  /** Where the tasks' completions go as numbers (the engine's live metrics); `undefined` without. */
  private readonly taskMetrics: TaskMetricsRecorder | undefined
  /** Whether listeners get the two events every task has. */
  private readonly startedHeard: EventInterest
  private readonly completedHeard: EventInterest
  /** Whether listeners (a tracing among them) get `task.call` reports. */
  private readonly callsHeard: EventInterest

  constructor(
    private readonly hub: EventHub,
    private readonly runId: RunId,
    private readonly graph: WorkflowGraph,
    private readonly tracing: RunTracing | undefined = undefined,
    metrics: MetricsSink | undefined = undefined,
  ) {
    this.log = new RunEventLog(runId, graph.name, graph.tasks.map((t) => t.name))
    this.taskMetrics = metrics?.tasksOf(graph)
    this.startedHeard = hub.interestIn('task.started')
    this.completedHeard = hub.interestIn('task.completed')
    this.callsHeard = hub.interestIn('task.call')
  }

  /** Whether a `task.call` report reaches anyone now: its callers build none otherwise. */
  get reportsCalls(): boolean {
    return this.callsHeard.listening
  }

  runStarted(at: number, traceContext: string | undefined, queuedMs?: number): void {
    const { runId, graph } = this
    const started: RunStarted =
      traceContext === undefined
        ? { type: 'run.started', at, runId, workflow: graph.name, version: graph.version }
        : { type: 'run.started', at, runId, workflow: graph.name, version: graph.version, traceContext }
    // Once per run: a spread costs nothing that matters here.
    const event: RunStarted = queuedMs === undefined ? started : { ...started, queuedMs }
    this.tracing?.runStarting(event)
    this.emit(event)
  }

  runRecovered(at: number, recoveries: number, epoch: number, replayedSteps: number): void {
    this.emit({ type: 'run.recovered', at, runId: this.runId, workflow: this.graph.name, recoveries, epoch, replayedSteps })
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
    else this.emit({ type: 'run.failed', at, runId, workflow, durationMs, error: withoutStack(error!) })
    this.log.end()
  }

  /** This worker gave the run up (lost its lease); the log ends without a final run event. */
  runAbandoned(at: number): void {
    this.tracing?.runAbandoned(this.runId, at)
    this.log.end()
  }

  taskStarted(task: TaskNode, at: number): void {
    this.log.taskStarted(task.id, at)
    if (this.startedHeard.listening) this.hub.emit({ type: 'task.started', at, runId: this.runId, workflow: this.graph.name, task: task.name })
  }

  /** Reports a retry: to listeners always, to the run's log only for the first {@link maxLoggedRetriesPerTask} of the task. */
  taskRetrying(task: TaskNode, at: number, attempt: number, delayMs: number, error: unknown): void {
    this.retries ??= new Int32Array(this.graph.tasks.length)
    const logged = this.retries[task.id]! < maxLoggedRetriesPerTask
    if (logged) this.retries[task.id]!++
    if (!logged && !this.hub.listeningTo('task.retrying')) return
    const event: RunEvent = { type: 'task.retrying', at, runId: this.runId, workflow: this.graph.name, task: task.name, attempt, delayMs, error: toEventErrorRecord(error) }
    if (logged) this.log.push(event)
    this.hub.emit(event)
  }

  /** Reports how `@Recover` classified a failed attempt and met it: to listeners only (not kept in the run's log), and only when someone listens. */
  taskErrorClassified(task: TaskNode, at: number, report: import('../resilience/recovery/recovery-stats.js').RecoveryReport): void {
    if (!this.hub.listeningTo('task.error-classified')) return
    const { attempt, errorClass, strategy, outcome, error } = report
    this.hub.emit({ type: 'task.error-classified', at, runId: this.runId, workflow: this.graph.name, task: task.name, attempt, errorClass, strategy, outcome, error: toEventErrorRecord(error) })
  }

  /** Reports a task attempt's progress: to listeners always, to the run's log only for the first {@link maxLoggedProgressPerTask} of the task. */
  taskProgress(task: TaskNode, at: number, attempt: number, source: string, data: unknown): void {
    this.progressLogged ??= new Int32Array(this.graph.tasks.length)
    const logged = this.progressLogged[task.id]! < maxLoggedProgressPerTask
    if (logged) this.progressLogged[task.id]!++
    if (!logged && !this.hub.listeningTo('task.progress')) return
    const event: RunEvent = { type: 'task.progress', at, runId: this.runId, workflow: this.graph.name, task: task.name, attempt, source, data }
    if (logged) this.log.push(event)
    this.hub.emit(event)
  }

  /** Reports a call an adapter made for an attempt: to listeners only (not kept in the run's log). */
  taskCall(task: TaskNode, at: number, attempt: number, call: CallReport): void {
    if (!this.callsHeard.listening) return
    const { adapter, operation, durationMs, attributes, error } = call
    this.hub.emit({ type: 'task.call', at, runId: this.runId, workflow: this.graph.name, task: task.name, attempt, adapter, operation, durationMs, attributes, error })
  }

  /** Reports a task that completed (ran, or was replayed from its checkpoint). */
  taskCompleted(table: TaskTable, task: TaskNode, fromCheckpoint: boolean): void {
    const id = task.id
    const at = table.finishedAt[id]!
    const attempts = table.attempts[id]!
    const durationMs = table.durationOf(id)
    this.log.taskCompleted(id, at, attempts, durationMs, fromCheckpoint)
    this.taskMetrics?.completed(task, at, durationMs, fromCheckpoint)
    if (this.completedHeard.listening) this.hub.emit({ type: 'task.completed', at, runId: this.runId, workflow: this.graph.name, task: task.name, attempts, durationMs, fromCheckpoint })
  }

  /** Reports a task that failed; `handled` when an `@OnFailure` task or optional dependents take the failure. */
  taskFailed(table: TaskTable, task: TaskNode, handled: boolean): void {
    const id = task.id
    const error = toEventErrorRecord(table.errors[id])
    const at = table.finishedAt[id]!
    this.emit({ type: 'task.failed', at, runId: this.runId, workflow: this.graph.name, task: task.name, attempts: table.attempts[id]!, durationMs: table.durationOf(id), error, handled })
  }

  taskSkipped(task: TaskNode, at: number, reason: SkipReason): void {
    this.emit({ type: 'task.skipped', at, runId: this.runId, workflow: this.graph.name, task: task.name, reason })
  }

  taskCancelled(task: TaskNode, at: number): void {
    this.emit({ type: 'task.cancelled', at, runId: this.runId, workflow: this.graph.name, task: task.name })
  }

  eventRefused(task: string, event: { readonly id: number; readonly name: string }, message: string, at: number): void {
    this.emit({ type: 'event.refused', at, runId: this.runId, workflow: this.graph.name, task, event: event.name, eventId: event.id, message })
  }

  private emit(event: RunEvent): void {
    this.log.push(event)
    this.hub.emit(event)
  }
}
