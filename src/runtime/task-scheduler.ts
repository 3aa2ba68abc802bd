import { failureIsHandled } from '../graph/failure-handling.js'
import type { TaskNode, WorkflowGraph } from '../graph/workflow-graph.js'
import type { ConcurrencyGate } from './concurrency-gate.js'
import type { RunReporter } from './run-reporter.js'
import type { RuntimeStats } from './runtime-stats.js'
import { CANCELLED, COMPLETED, FAILED, PENDING, QUEUED, RUNNING, SKIPPED, TaskTable, statusOf, type SkipReason } from './task-table.js'

/** What a {@link TaskScheduler} asks of the run it schedules for. */
export interface SchedulerHost {
  /** Every dependency of `task` is settled: replay, skip, cancel or {@link TaskScheduler.enqueue} it. */
  resolve(task: TaskNode): void
  /** Whether queued tasks must wait (the run is paused). */
  readonly holding: boolean
  /** Whether `task` may no longer start (the run stops): it is cancelled instead of launched. */
  mustNotStart(task: TaskNode): boolean
  /** Starts `task` with `args` (a slot of the run and of the engine's gate is held for it). */
  launch(task: TaskNode, args: readonly unknown[]): void
  /** Every task is settled. */
  allSettled(): void
}

/**
 * The dependency bookkeeping of one run: an in-degree count per task, a
 * ready queue bounded by the run's and the engine's concurrency, and the
 * named ways a task settles, each telling the task's dependents. Plain code
 * driven by completions (a fiber per task was measured as the largest cost
 * per task); what a task does when it starts or exits is the host's.
 */
export class TaskScheduler {
  readonly table: TaskTable
  private readonly argsOf: (readonly unknown[] | undefined)[]
  private readonly ready: number[] = []
  private readyHead = 0
  private waitingForGate = false
  /** Tasks launched and not exited. */
  running = 0
  /** Tasks not settled. */
  unsettled: number
  /** Tasks but `@Always` cleanups not settled. */
  private mainUnsettled = 0

  constructor(
    private readonly graph: WorkflowGraph,
    private readonly host: SchedulerHost,
    private readonly reporter: RunReporter,
    private readonly stats: RuntimeStats,
    private readonly gate: ConcurrencyGate,
    private readonly maxConcurrentTasks: number,
    private readonly now: () => number,
  ) {
    this.table = new TaskTable(graph)
    this.argsOf = new Array(graph.tasks.length)
    this.unsettled = graph.tasks.length
    for (const task of graph.tasks) if (task.kind !== 'always') this.mainUnsettled++
  }

  /** Resolves every task without dependencies (cleanups that wait for the whole run excepted). */
  begin(): void {
    this.stats.tasksBy(undefined, 'pending', this.graph.tasks.length)
    for (const task of this.graph.tasks) {
      const cleanupLater = isRunCleanup(task) && this.mainUnsettled > 0
      if (this.table.waitingOn[task.id] === 0 && !cleanupLater) this.host.resolve(task)
    }
  }

  /** Whether `task` awaits its dependencies' settling (not queued, running or settled yet). */
  isPending(task: TaskNode): boolean {
    return this.table.state[task.id] === PENDING
  }

  /** Queues `task` to run with `args` once the run, its concurrency and the engine's gate allow. */
  enqueue(task: TaskNode, args: readonly unknown[]): void {
    this.table.state[task.id] = QUEUED
    this.argsOf[task.id] = args
    this.ready.push(task.id)
    this.pump()
  }

  /** Starts queued tasks while the run, the engine's gate and pause allow. */
  pump(): void {
    while (this.readyHead < this.ready.length && !this.host.holding && this.running < this.maxConcurrentTasks) {
      if (!this.gate.tryAcquire()) return this.waitForGate()
      this.launch(this.ready[this.readyHead++]!)
    }
    if (this.readyHead === this.ready.length && this.readyHead > 0) {
      this.ready.length = 0
      this.readyHead = 0
    }
  }

  private waitForGate(): void {
    if (this.waitingForGate) return
    this.waitingForGate = true
    this.gate.whenFree(() => {
      this.waitingForGate = false
      this.pump()
    })
  }

  private launch(id: number): void {
    const task = this.graph.tasks[id]!
    if (this.table.state[id] !== QUEUED) return this.gate.release()
    // Stopping may interrupt an attempt whose exit pumps the queue before the stop reaches the queued tasks.
    if (this.host.mustNotStart(task)) {
      this.gate.release()
      return this.cancelled(task)
    }
    this.table.state[id] = RUNNING
    this.table.startedAt[id] = this.now()
    this.running++
    this.stats.task('pending', 'running')
    this.host.launch(task, this.argsOf[id]!)
  }

  /** A launched task's attempt ended (how it ended is settled separately): frees its slots. */
  exited(task: TaskNode): void {
    this.argsOf[task.id] = undefined
    this.backingOff(task, false)
    this.running--
    this.gate.release()
    this.stats.task('running', 'pending')
  }

  /** Tracks whether a task waits for its next attempt (status `retrying`) or runs. */
  backingOff(task: TaskNode, waiting: boolean): void {
    const { retryWait } = this.table
    if ((retryWait[task.id] === 1) === waiting) return
    retryWait[task.id] = waiting ? 1 : 0
    if (waiting) this.stats.task('running', 'retrying')
    else this.stats.task('retrying', 'running')
  }

  /** Counts attempt `n` of `task` in this process (the highest seen, after any lost ones, is its attempt count). */
  attempted(task: TaskNode, n: number): void {
    const { attempts, logs } = this.table
    // Attempts lost with a process that stopped count before this process's.
    const counted = n + (logs[task.id]?.lost ?? 0)
    if (counted > attempts[task.id]!) attempts[task.id] = counted
  }

  /** Whether `task` is queued (not launched yet). */
  isQueued(task: TaskNode): boolean {
    return this.table.state[task.id] === QUEUED
  }

  // ---- the ways a task settles ---------------------------------------------------------

  /** `task` completed with `output` at `at` (`fromCheckpoint`: replayed, not run). */
  completed(task: TaskNode, output: unknown, at: number, fromCheckpoint: boolean): void {
    if (!this.mark(task, COMPLETED, at)) return
    this.table.outputs[task.id] = output
    this.reporter.taskCompleted(this.table, task, fromCheckpoint)
    this.release(task)
  }

  /** `task` failed with `error`; `handled` when a failure handler or optional dependents take it. */
  failed(task: TaskNode, error: unknown, handled: boolean): void {
    this.table.errors[task.id] = error
    if (!this.mark(task, FAILED, this.now())) return
    this.reporter.taskFailed(this.table, task, handled)
    this.release(task)
  }

  /** `task` was skipped (at `at`, if it was recorded then). */
  skipped(task: TaskNode, reason: SkipReason, at = this.now()): void {
    if (!this.mark(task, SKIPPED, at)) return
    this.reporter.taskSkipped(task, at, reason)
    this.release(task)
  }

  /** `task` was cancelled (the run stops). */
  cancelled(task: TaskNode): void {
    const at = this.now()
    if (!this.mark(task, CANCELLED, at)) return
    this.reporter.taskCancelled(task, at)
    this.release(task)
  }

  /** Sets a terminal state once; false when the task was settled already. */
  private mark(task: TaskNode, state: number, at: number): boolean {
    const { table } = this
    if (table.isSettled(task.id)) return false
    table.state[task.id] = state
    table.finishedAt[task.id] = at
    this.stats.task('pending', statusOf[state]!)
    return true
  }

  /** Tells a settled task's dependents, and the host once nothing is left. */
  private release(task: TaskNode): void {
    const { table } = this
    // Decided before the dependents are told: settling them may settle the rest of the run meanwhile.
    const last = --this.unsettled === 0
    if (task.kind !== 'always' && --this.mainUnsettled === 0) this.releaseCleanups()
    for (const id of task.dependentIds) if (--table.waitingOn[id]! === 0) this.host.resolve(this.graph.tasks[id]!)
    if (last) this.host.allSettled()
  }

  /** Once every other task is settled, `@Always` tasks without dependencies may run. */
  private releaseCleanups(): void {
    for (const task of this.graph.tasks) if (isRunCleanup(task)) this.host.resolve(task)
  }

  /** Whether a required dependency of `task` did not complete (then `task` is skipped). */
  missesRequiredDependency(task: TaskNode): boolean {
    const { dependsOn, dependencyIds } = task
    for (let i = 0; i < dependsOn.length; i++) {
      if (!dependsOn[i]!.optional && this.table.state[dependencyIds[i]!] !== COMPLETED) return true
    }
    return false
  }

  /** The arguments `task` receives: its dependencies' outputs (`undefined` for an optional one that did not complete), or the run input. */
  argumentsOf(task: TaskNode, input: unknown): unknown[] {
    const ids = task.dependencyIds
    if (ids.length === 0) return [input]
    const { state, outputs } = this.table
    const args = new Array<unknown>(ids.length)
    for (let i = 0; i < ids.length; i++) args[i] = state[ids[i]!] === COMPLETED ? outputs[ids[i]!] : undefined
    return args
  }

  /** A failure is handled when an `@OnFailure` task handles it, or every task that uses it takes it as optional. */
  isHandled(task: TaskNode): boolean {
    return failureIsHandled(this.graph.tasks, task)
  }

  /** Restores what a recorded step says of a task's attempts, before it is replayed. */
  restore(task: TaskNode, attempts: number, startedAt: number): void {
    this.table.attempts[task.id] = attempts
    this.table.startedAt[task.id] = startedAt
  }

  /** Whether `task` failed. */
  hasFailed(task: TaskNode): boolean {
    return this.table.state[task.id] === FAILED
  }
}

/** An `@Always` cleanup without dependencies: it runs once every other task settled. */
function isRunCleanup(task: TaskNode): boolean {
  return task.kind === 'always' && task.dependencyIds.length === 0
}
