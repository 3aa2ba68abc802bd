import { Cause, Effect, Exit, type Context, type Fiber } from 'effect'
import { RunCancelledError, RunFailedError } from '../core/errors.js'
import type { RunId } from '../core/ids.js'
import type { TaskNode, WorkflowGraph } from '../graph/workflow-graph.js'
import type { RetryListener } from '../resilience/retry.js'
import type { PolicyServices, TaskPolicyRunner } from '../resilience/task-policies.js'
import type { RunStatus, StepRecord, TaskStatus, WorkflowStore } from '../storage/workflow-store.js'
import type { ConcurrencyGate } from './concurrency-gate.js'
import { toErrorRecord } from './error-record.js'
import { RunEventLog, type EventHub } from './event-hub.js'
import type { EventInbox } from './event-inbox.js'
import type { RunEvent } from './run-events.js'
import type { RunOutcome, TaskSummary } from './run-outcome.js'
import type { RuntimeStats } from './runtime-stats.js'
import { ConditionFalse, taskFailure, taskProgram, type TaskRunner } from './task-program.js'
import type { Recorded } from './task-host.js'

/** What a run needs from the engine it runs in. */
export interface RunEnvironment {
  readonly store: WorkflowStore
  readonly services: Context.Context<PolicyServices>
  readonly policies: TaskPolicyRunner
  readonly hub: EventHub
  readonly inbox: EventInbox
  readonly stats: RuntimeStats
  readonly gate: ConcurrencyGate
  /** Tasks of one run running at once. */
  readonly maxConcurrentTasks: number
  now(): number
  /** Called once the run has finished and its outcome is stored. */
  finished(run: RunExecution): void
}

// Task states. Terminal states are ≥ COMPLETED.
const PENDING = 0
const QUEUED = 1
const RUNNING = 2
const COMPLETED = 3
const FAILED = 4
const SKIPPED = 5
const CANCELLED = 6
const statusName: readonly TaskStatus[] = ['pending', 'pending', 'running', 'completed', 'failed', 'skipped', 'cancelled']

type TaskExit = Exit.Exit<unknown, unknown>

/**
 * Executes one run of a workflow graph: an in-degree ready queue decides
 * which tasks may start, and each started task is an Effect fiber (its
 * policies, its interruption and its `AbortSignal` come from Effect). The run
 * owns those fibers: cancelling it or an unhandled failure interrupts them,
 * and the run ends only once every task is settled.
 *
 * Only a task whose dependencies are settled gets a fiber, so scheduling
 * costs a few microseconds per task, not a fiber and a deferred per node.
 */
export class RunExecution implements TaskRunner {
  readonly log = new RunEventLog()
  readonly done: Promise<RunOutcome>
  private resolveDone!: (outcome: RunOutcome) => void

  private readonly state: Uint8Array
  private readonly waitingOn: Int32Array
  private readonly attempts: Int32Array
  private readonly retryWait: Uint8Array
  private readonly startedAt: Float64Array
  private readonly finishedAt: Float64Array
  private readonly outputs: unknown[]
  private readonly errors: unknown[]
  private readonly fibers: (Fiber.Fiber<unknown, unknown> | undefined)[]
  private readonly argsOf: (readonly unknown[] | undefined)[]
  private readonly ready: number[] = []
  private readyHead = 0
  private running = 0
  private unsettled: number
  private mainUnsettled: number
  private paused = false
  private waitingForGate = false
  private stopping: 'failed' | 'cancelled' | undefined
  private failure: { readonly task: string | undefined; readonly error: unknown } | undefined
  private runStartedAt = 0
  private outcome: RunOutcome | undefined

  constructor(
    private readonly env: RunEnvironment,
    readonly graph: WorkflowGraph,
    readonly runId: RunId,
    readonly input: unknown,
    readonly instance: object,
    private readonly steps: Map<string, StepRecord>,
  ) {
    const n = graph.tasks.length
    this.state = new Uint8Array(n)
    this.waitingOn = new Int32Array(n)
    this.attempts = new Int32Array(n)
    this.retryWait = new Uint8Array(n)
    this.startedAt = new Float64Array(n)
    this.finishedAt = new Float64Array(n)
    this.outputs = new Array(n)
    this.errors = new Array(n)
    this.fibers = new Array(n)
    this.argsOf = new Array(n)
    this.unsettled = n
    this.mainUnsettled = 0
    for (const task of graph.tasks) {
      this.waitingOn[task.id] = task.dependencyIds.length + (task.handles === undefined ? 0 : 1)
      if (task.kind !== 'always') this.mainUnsettled++
    }
    this.done = new Promise((resolve) => (this.resolveDone = resolve))
  }

  // ---- TaskHost / TaskRunner ---------------------------------------------------------

  get workflow(): string {
    return this.graph.name
  }

  get services(): Context.Context<PolicyServices> {
    return this.env.services
  }

  get inbox(): EventInbox {
    return this.env.inbox
  }

  get policies(): TaskPolicyRunner {
    return this.env.policies
  }

  now(): number {
    return this.env.now()
  }

  recorded(key: string): Recorded {
    const step = this.steps.get(key)
    return step?.status === 'completed' ? { output: step.output } : undefined
  }

  async recordStep(key: string, task: string, output: unknown, startedAt: number): Promise<unknown> {
    const attempts = 1
    const stored = await this.env.store.saveStep({ runId: this.runId, key, task, status: 'completed', output, attempts, startedAt, finishedAt: this.now() })
    this.steps.set(key, stored)
    return stored.output
  }

  taskStarted(task: TaskNode): void {
    this.emit({ type: 'task.started', at: this.now(), runId: this.runId, workflow: this.graph.name, task: task.name })
  }

  attemptStarted(task: TaskNode, attempt: number): void {
    this.attempts[task.id] = Math.max(this.attempts[task.id]!, attempt)
    if (attempt > 1) this.backingOff(task, false)
  }

  retrying(task: TaskNode): RetryListener {
    return (failedAttempt, delayMs, error) => {
      this.backingOff(task, true)
      const base = { at: this.now(), runId: this.runId, workflow: this.graph.name, task: task.name }
      this.emit({ ...base, type: 'task.retrying', attempt: failedAttempt, delayMs, error: toErrorRecord(error) })
    }
  }

  /** Tracks whether a task waits for its next attempt (status `retrying`) or runs. */
  private backingOff(task: TaskNode, waiting: boolean): void {
    if ((this.retryWait[task.id] === 1) === waiting) return
    this.retryWait[task.id] = waiting ? 1 : 0
    if (waiting) this.env.stats.task('running', 'retrying')
    else this.env.stats.task('retrying', 'running')
  }

  // ---- control -------------------------------------------------------------------------

  /** Begins executing; tasks whose checkpoints exist are replayed, not run. */
  start(): void {
    this.runStartedAt = this.now()
    this.env.stats.run(undefined, 'running')
    this.env.stats.tasksBy(undefined, 'pending', this.graph.tasks.length)
    this.emit({ type: 'run.started', at: this.runStartedAt, runId: this.runId, workflow: this.graph.name, version: this.graph.version })
    for (const task of this.graph.tasks) {
      if (this.waitingOn[task.id] === 0 && (task.kind !== 'always' || this.mainUnsettled === 0 || task.dependencyIds.length > 0)) {
        this.resolve(task)
      }
    }
  }

  /** Stops starting new tasks; running ones finish. */
  pause(): boolean {
    if (this.paused || this.outcome !== undefined || this.stopping !== undefined) return false
    this.paused = true
    this.env.stats.run('running', 'paused')
    this.env.store.updateRun(this.runId, { status: 'paused' }).catch(() => undefined)
    this.emit({ type: 'run.paused', at: this.now(), runId: this.runId, workflow: this.graph.name })
    return true
  }

  /** Starts queued tasks again. */
  resume(): boolean {
    if (!this.paused || this.outcome !== undefined) return false
    this.unpause()
    this.emit({ type: 'run.resumed', at: this.now(), runId: this.runId, workflow: this.graph.name })
    this.pump()
    return true
  }

  private unpause(): void {
    this.paused = false
    this.env.stats.run('paused', 'running')
    this.env.store.updateRun(this.runId, { status: 'running' }).catch(() => undefined)
  }

  /** Interrupts every running task (their signals fire), skips the rest, runs `@Always` tasks, then ends as cancelled. */
  cancel(reason?: string): boolean {
    if (this.outcome !== undefined || this.stopping === 'cancelled') return false
    this.failure ??= { task: undefined, error: new RunCancelledError(this.runId, reason) }
    this.stop('cancelled')
    if (this.paused) {
      this.unpause()
      this.pump()
    }
    return true
  }

  /** Where the run is: running or paused, then its final status once settled. */
  get status(): RunStatus {
    return this.outcome?.status ?? (this.paused ? 'paused' : 'running')
  }

  /** Each task's status so far. */
  summaries(): TaskSummary[] {
    return this.graph.tasks.map((task) => this.summary(task))
  }

  // ---- scheduling ----------------------------------------------------------------------

  /** Called when every dependency of `task` is settled: replay, skip, cancel or queue it. */
  private resolve(task: TaskNode): void {
    if (this.state[task.id] !== PENDING) return
    if (this.stopping !== undefined && task.kind !== 'always') return this.settle(task, CANCELLED)
    const step = this.steps.get(task.name)
    if (step !== undefined) return this.replay(task, step)
    if (task.kind === 'on-failure') {
      const target = this.graph.taskByName.get(task.handles!)!
      if (this.state[target.id] !== FAILED) return this.skip(task, 'not-failed')
      this.argsOf[task.id] = [taskFailure(target.name, this.errors[target.id], this.attempts[target.id]!)]
    } else {
      if (task.kind !== 'always' && task.dependsOn.some((d, i) => !d.optional && this.state[task.dependencyIds[i]!] !== COMPLETED)) {
        return this.skip(task, 'dependency')
      }
      this.argsOf[task.id] = this.argumentsOf(task)
    }
    this.state[task.id] = QUEUED
    this.ready.push(task.id)
    this.pump()
  }

  private argumentsOf(task: TaskNode): unknown[] {
    const ids = task.dependencyIds
    if (ids.length === 0) return [this.input]
    const args = new Array<unknown>(ids.length)
    for (let i = 0; i < ids.length; i++) args[i] = this.state[ids[i]!] === COMPLETED ? this.outputs[ids[i]!] : undefined
    return args
  }

  /** Starts queued tasks while the run, the engine and pause allow. */
  private pump(): void {
    const { gate, maxConcurrentTasks } = this.env
    while (this.readyHead < this.ready.length && !this.paused && this.running < maxConcurrentTasks) {
      if (!gate.tryAcquire()) {
        if (!this.waitingForGate) {
          this.waitingForGate = true
          gate.whenFree(() => {
            this.waitingForGate = false
            this.pump()
          })
        }
        return
      }
      this.launch(this.ready[this.readyHead++]!)
    }
    if (this.readyHead === this.ready.length && this.readyHead > 0) {
      this.ready.length = 0
      this.readyHead = 0
    }
  }

  private launch(id: number): void {
    const task = this.graph.tasks[id]!
    if (this.state[id] !== QUEUED) return this.env.gate.release()
    if (this.stopping !== undefined && task.kind !== 'always') {
      this.env.gate.release()
      return this.settle(task, CANCELLED)
    }
    this.state[id] = RUNNING
    this.running++
    this.startedAt[id] = this.now()
    this.env.stats.task('pending', 'running')
    const fiber = Effect.runForkWith(this.env.services)(taskProgram(this, task, this.argsOf[id]!))
    this.fibers[id] = fiber
    fiber.addObserver((exit) => this.onExit(task, exit))
  }

  private onExit(task: TaskNode, exit: TaskExit): void {
    this.fibers[task.id] = undefined
    this.backingOff(task, false)
    this.running--
    this.env.gate.release()
    this.env.stats.task('running', 'pending')
    if (Exit.isSuccess(exit)) this.checkpoint(task, exit.value)
    else this.settleFailure(task, exit.cause)
    this.pump()
  }

  private settleFailure(task: TaskNode, cause: Cause.Cause<unknown>): void {
    const failure = cause.reasons.find((r) => r._tag === 'Fail') ?? cause.reasons.find((r) => r._tag === 'Die')
    if (failure === undefined) return this.settle(task, CANCELLED)
    const error = failure._tag === 'Fail' ? failure.error : failure.defect
    if (error instanceof ConditionFalse) return this.skip(task, 'condition')
    this.fail(task, error)
  }

  private checkpoint(task: TaskNode, output: unknown): void {
    const record: StepRecord = {
      runId: this.runId,
      key: task.name,
      task: task.name,
      status: 'completed',
      output,
      attempts: this.attempts[task.id]!,
      startedAt: this.startedAt[task.id],
      finishedAt: this.now(),
    }
    this.env.store.saveStep(record).then(
      (stored) => {
        this.steps.set(task.name, stored)
        this.outputs[task.id] = stored.output
        this.settle(task, COMPLETED)
      },
      (error: unknown) => this.fail(task, error),
    )
  }

  private fail(task: TaskNode, error: unknown): void {
    this.errors[task.id] = error
    const handled = this.isHandled(task)
    if (!handled && this.stopping === undefined) {
      this.failure = { task: task.name, error }
      this.stop('failed')
    } else if (!handled) this.failure ??= { task: task.name, error }
    this.record(task, 'failed', error)
    this.settle(task, FAILED, handled)
  }

  /** A failure is handled when an `@OnFailure` task handles it, or every task that uses it takes it as optional. */
  private isHandled(task: TaskNode): boolean {
    if (task.failureHandlerIds.length > 0) return true
    let users = 0
    for (const id of task.dependentIds) {
      const dependent = this.graph.tasks[id]!
      if (dependent.kind === 'always' || dependent.kind === 'on-failure') continue
      users++
      if (!dependent.dependsOn[dependent.dependencyIds.indexOf(task.id)]!.optional) return false
    }
    return users > 0
  }

  private skip(task: TaskNode, reason: 'condition' | 'dependency' | 'not-failed'): void {
    this.record(task, 'skipped', undefined)
    this.settle(task, SKIPPED, false, reason)
  }

  private replay(task: TaskNode, step: StepRecord): void {
    this.attempts[task.id] = step.attempts
    if (step.status === 'completed') {
      this.outputs[task.id] = step.output
      return this.settle(task, COMPLETED, false, undefined, true)
    }
    if (step.status === 'skipped') return this.settle(task, SKIPPED, false, 'dependency')
    this.fail(task, Object.assign(new Error(step.error?.message ?? 'failed'), { name: step.error?.name ?? 'Error' }))
  }

  /** Records a failed or skipped task in the store (best effort: the run's outcome does not wait for it). */
  private record(task: TaskNode, status: 'failed' | 'skipped', error: unknown): void {
    if (this.steps.has(task.name)) return
    const record: StepRecord = {
      runId: this.runId,
      key: task.name,
      task: task.name,
      status,
      error: error === undefined ? undefined : toErrorRecord(error),
      attempts: this.attempts[task.id]!,
      startedAt: this.attempts[task.id]! > 0 ? this.startedAt[task.id] : undefined,
      finishedAt: this.now(),
    }
    this.steps.set(task.name, record)
    this.env.store.saveStep(record).catch(() => undefined)
  }

  /** Marks a task settled, tells its dependents, and ends the run when nothing is left. */
  private settle(task: TaskNode, state: number, handled = false, reason?: 'condition' | 'dependency' | 'not-failed', fromCheckpoint = false): void {
    if (this.state[task.id]! >= COMPLETED) return
    this.state[task.id] = state
    this.finishedAt[task.id] = this.now()
    this.env.stats.task('pending', statusName[state]!)
    this.emitSettled(task, state, handled, reason, fromCheckpoint)
    this.unsettled--
    if (task.kind !== 'always' && --this.mainUnsettled === 0) this.releaseCleanups()
    for (const id of task.dependentIds) if (--this.waitingOn[id]! === 0) this.resolve(this.graph.tasks[id]!)
    if (this.unsettled === 0) this.finish()
  }

  /** Once every other task is settled, `@Always` tasks without dependencies may run. */
  private releaseCleanups(): void {
    for (const task of this.graph.tasks) {
      if (task.kind === 'always' && task.dependencyIds.length === 0 && this.state[task.id] === PENDING) this.resolve(task)
    }
  }

  private stop(reason: 'failed' | 'cancelled'): void {
    this.stopping ??= reason
    if (reason === 'cancelled') this.stopping = 'cancelled'
    for (const task of this.graph.tasks) {
      if (task.kind === 'always') continue
      const fiber = this.fibers[task.id]
      if (fiber !== undefined) fiber.interruptUnsafe()
      else if (this.state[task.id] === QUEUED) this.settle(task, CANCELLED)
    }
  }

  private finish(): void {
    if (this.outcome !== undefined) return
    if (this.paused) {
      this.paused = false
      this.env.stats.run('paused', 'running')
    }
    const finishedAt = this.now()
    const status = this.stopping === 'cancelled' ? 'cancelled' : this.failure !== undefined ? 'failed' : 'completed'
    const error =
      status === 'completed'
        ? undefined
        : status === 'cancelled'
          ? (this.failure?.error as Error)
          : new RunFailedError(this.runId, this.graph.name, this.failure!.task, this.failure!.error)
    const outputs: Record<string, unknown> = {}
    for (const task of this.graph.tasks) if (this.state[task.id] === COMPLETED) outputs[task.name] = this.outputs[task.id]
    this.outcome = { runId: this.runId, workflow: this.graph.name, status, outputs, tasks: this.summaries(), error, startedAt: this.runStartedAt, finishedAt }
    const outcome = this.outcome
    this.env.stats.run('running', status)
    const errorRecord = error === undefined ? undefined : toErrorRecord(error, this.failure?.task)
    this.env.store
      .updateRun(this.runId, { status, finishedAt, error: errorRecord })
      .catch(() => undefined)
      .then(() => {
        const base = { at: finishedAt, runId: this.runId, workflow: this.graph.name, durationMs: finishedAt - this.runStartedAt }
        if (status === 'completed') this.emit({ ...base, type: 'run.completed' })
        else if (status === 'cancelled') this.emit({ ...base, type: 'run.cancelled' })
        else this.emit({ ...base, type: 'run.failed', error: errorRecord! })
        this.log.end()
        this.env.inbox.dropRun(this.runId)
        this.env.finished(this)
        this.resolveDone(outcome)
      })
  }

  // ---- events --------------------------------------------------------------------------

  private emit(event: RunEvent): void {
    this.log.push(event)
    this.env.hub.emit(event)
  }

  private emitSettled(task: TaskNode, state: number, handled: boolean, reason: 'condition' | 'dependency' | 'not-failed' | undefined, fromCheckpoint: boolean): void {
    const at = this.finishedAt[task.id]!
    const { runId } = this
    const workflow = this.graph.name
    const attempts = this.attempts[task.id]!
    const durationMs = attempts > 0 ? at - this.startedAt[task.id]! : 0
    // Literal objects, not spreads: this runs once per task and spreads cost more than the rest of it.
    if (state === COMPLETED) this.emit({ type: 'task.completed', at, runId, workflow, task: task.name, attempts, durationMs, fromCheckpoint })
    else if (state === FAILED) {
      const error = toErrorRecord(this.errors[task.id])
      this.emit({ type: 'task.failed', at, runId, workflow, task: task.name, attempts, durationMs, error, handled })
    } else if (state === SKIPPED) this.emit({ type: 'task.skipped', at, runId, workflow, task: task.name, reason: reason ?? 'dependency' })
    else this.emit({ type: 'task.cancelled', at, runId, workflow, task: task.name })
  }

  private summary(task: TaskNode): TaskSummary {
    const state = this.state[task.id]!
    const attempts = this.attempts[task.id]!
    const started = attempts > 0 ? this.startedAt[task.id] : undefined
    const ended = state >= COMPLETED ? this.finishedAt[task.id] : undefined
    return {
      task: task.name,
      status: statusName[state]!,
      attempts,
      startedAt: started,
      durationMs: started !== undefined && ended !== undefined ? ended - started : undefined,
      error: state === FAILED ? toErrorRecord(this.errors[task.id]) : undefined,
    }
  }
}
