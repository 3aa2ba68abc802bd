import { Effect, Exit, type Cause, type Context } from 'effect'
import { ContextClosedError, LeaseLostError, RunCancelledError, RunFailedError, StorageError } from '../core/errors.js'
import type { RunId } from '../core/ids.js'
import type { TaskNode, WorkflowGraph } from '../graph/workflow-graph.js'
import type { PolicyHooks, PolicyServices, TaskPolicyRunner } from '../resilience/task-policies.js'
import { writeFailure } from '../storage/storage-failure.js'
import type { ErrorRecord, Fence, RequestedAction, RunPatch, RunStatus, StepRecord, StoredEvent, WorkflowStore } from '../storage/workflow-store.js'
import type { ConcurrencyGate } from './concurrency-gate.js'
import { toErrorRecord } from './error-record.js'
import type { EventHub } from './event-hub.js'
import type { EventWaiters } from './event-waiters.js'
import type { RunOutcome, TaskSummary } from './run-outcome.js'
import { RunReporter } from './run-reporter.js'
import type { RuntimeStats } from './runtime-stats.js'
import type { Recorded } from './task-host.js'
import { ConditionFalse, DirectAttempt, runsDirectly, taskFailure, taskProgram, type RunningTask, type TaskRunner } from './task-program.js'
import { CANCELLED, COMPLETED, FAILED, PENDING, QUEUED, RUNNING, SKIPPED, TaskTable, statusOf, type SkipReason } from './task-table.js'

/** What a run needs from the engine it runs in. */
export interface RunEnvironment {
  readonly store: WorkflowStore
  readonly services: Context.Context<PolicyServices>
  readonly policies: TaskPolicyRunner
  readonly hub: EventHub
  readonly waiters: EventWaiters
  readonly stats: RuntimeStats
  readonly gate: ConcurrencyGate
  /** Tasks of one run running at once. */
  readonly maxConcurrentTasks: number
  now(): number
  /** Called once the run has finished and its outcome is stored. */
  finished(run: RunExecution): void
  /** Reports a failure of the interpreter itself (a bug): the run was given up for recovery. */
  reportError(error: unknown): void
}

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
  readonly done: Promise<RunOutcome>
  private resolveDone!: (outcome: RunOutcome) => void
  private readonly table: TaskTable
  private readonly reporter: RunReporter
  private readonly fibers: (RunningTask | undefined)[]
  private readonly argsOf: (readonly unknown[] | undefined)[]
  private readonly ready: number[] = []
  private readyHead = 0
  private running = 0
  private unsettled: number
  private mainUnsettled = 0
  private paused = false
  private waitingForGate = false
  private stopping: 'failed' | 'cancelled' | undefined
  private failure: { readonly task: string | undefined; readonly error: unknown } | undefined
  private runStartedAt = 0
  private outcome: RunOutcome | undefined
  private abandoned = false
  private finishing = false
  private draining = false
  private idleWaiters: (() => void)[] = []
  private checkpointsInFlight = 0
  /** The run's end, recorded together with its last checkpoint. */
  private finalWrite: FinalState | undefined
  /** The last checkpoint, carrying the run's end, is being written: the run can no longer change its outcome. */
  private finalWriteInFlight = false
  private cancelReason: string | undefined
  /** A second cancel aborts `@Always` cleanups too (the first lets them run under their timeout). */
  private cleanupsAborted = false

  /**
   * @param fence - the run and the epoch this worker claimed; every write carries it.
   * @param steps - the steps already recorded (a resumed run replays them instead of running them again).
   */
  constructor(
    private readonly env: RunEnvironment,
    readonly graph: WorkflowGraph,
    readonly fence: Fence,
    readonly input: unknown,
    readonly instance: object,
    private readonly steps: Map<string, StepRecord>,
  ) {
    this.table = new TaskTable(graph)
    this.reporter = new RunReporter(env.hub, fence.runId, graph)
    this.fibers = new Array(graph.tasks.length)
    this.argsOf = new Array(graph.tasks.length)
    this.unsettled = graph.tasks.length
    for (const task of graph.tasks) if (task.kind !== 'always') this.mainUnsettled++
    this.done = new Promise((resolve) => (this.resolveDone = resolve))
  }

  // ---- TaskHost / TaskRunner: what task programs and contexts use ---------------------

  get runId(): RunId {
    return this.fence.runId
  }

  get workflow(): string {
    return this.graph.name
  }

  get waiters(): EventWaiters {
    return this.env.waiters
  }

  get services(): Context.Context<PolicyServices> {
    return this.env.services
  }

  get policies(): TaskPolicyRunner {
    return this.env.policies
  }

  get log() {
    return this.reporter.log
  }

  now(): number {
    return this.env.now()
  }

  recorded(key: string): Recorded {
    const step = this.steps.get(key)
    return step?.status === 'completed' ? { output: step.output } : undefined
  }

  async recordStep(key: string, task: string, output: unknown, startedAt: number): Promise<unknown> {
    this.assertNotOver(task, key)
    const step: StepRecord = { runId: this.runId, key, task, status: 'completed', output, attempts: 1, startedAt, finishedAt: this.now() }
    const stored = await this.guarded(() => this.env.store.saveStep(this.fence, step))
    this.steps.set(key, stored)
    return stored.output
  }

  timer(key: string, wakeAt: number): Promise<number> {
    this.assertNotOver(undefined, key)
    return this.guarded(() => this.env.store.timer(this.fence, key, wakeAt))
  }

  pendingEvents(name: string, since: number): Promise<StoredEvent[]> {
    return this.guarded(() => this.env.store.pendingEvents(this.runId, name, since))
  }

  async takeEvent(event: StoredEvent, key: string, task: string): Promise<boolean> {
    this.assertNotOver(task, key)
    const now = this.now()
    const step: StepRecord = { runId: this.runId, key, task, status: 'completed', output: event.payload, attempts: 1, startedAt: now, finishedAt: now }
    const taken = await this.guarded(() => this.env.store.takeEvent(this.fence, event, step))
    if (taken) this.steps.set(key, step)
    return taken
  }

  /** A write into a run that has ended (or that this worker gave up) is refused: nothing may change it any more. */
  private assertNotOver(task: string | undefined, key: string): void {
    if (this.outcome === undefined && !this.abandoned) return
    throw new ContextClosedError(this.runId, task ?? this.graph.name, `recording step "${key}"`)
  }

  /**
   * Runs a store operation of the run's tasks. When it fails for a reason
   * that is not the task's (the lease was lost, or the store failed: a lock
   * held too long, a full disk, a lost connection), the run is given up here
   * (see {@link abandon}) before the task sees the error: a storage failure
   * never fails a task, and the run resumes from its checkpoints.
   */
  private guarded<A>(operation: () => Promise<A>): Promise<A> {
    let pending: Promise<A>
    try {
      pending = operation()
    } catch (error) {
      pending = Promise.reject(error)
    }
    return pending.catch((error: unknown) => {
      if (writeFailure(error) !== 'value') this.abandon(asError(error))
      throw error
    })
  }

  taskStarted(task: TaskNode): void {
    this.reporter.taskStarted(task, this.table.startedAt[task.id]!)
  }

  stopped(task: TaskNode): boolean {
    return this.abandoned || this.mustNotStart(task)
  }

  policyHooks(task: TaskNode): PolicyHooks {
    return {
      onAttempt: (attempt) => {
        const { attempts } = this.table
        if (attempt > attempts[task.id]!) attempts[task.id] = attempt
        if (attempt > 1) this.backingOff(task, false)
      },
      onRetry: (failedAttempt, delayMs, error) => {
        this.backingOff(task, true)
        this.reporter.taskRetrying(task, this.now(), failedAttempt, delayMs, error)
      },
    }
  }

  // ---- control -------------------------------------------------------------------------

  /**
   * Where the run is: running or paused, then its final status once settled.
   * An abandoned run reads `running`: another worker runs it now.
   */
  get status(): RunStatus {
    const final = this.outcome?.status
    if (final === undefined || final === 'abandoned') return this.paused && final === undefined ? 'paused' : 'running'
    return final
  }

  /** Each task's status so far. */
  summaries(): TaskSummary[] {
    return this.table.summaries()
  }

  /**
   * Begins executing; tasks whose checkpoints exist are replayed, not run.
   * A run that was paused when its previous worker stopped starts paused. An
   * action requested while no worker held the run (its worker died) is
   * honoured before any task starts: a cancel starts no task body but the
   * `@Always` cleanups, a pause starts none, a resume lets them start.
   */
  start(options: { readonly status?: RunStatus; readonly requested?: RequestedAction } = {}): void {
    const { status, requested } = options
    this.runStartedAt = this.now()
    this.env.stats.run(undefined, 'running')
    const paused = requested === 'pause' || (status === 'paused' && requested !== 'resume' && requested !== 'cancel')
    if (paused) {
      this.paused = true
      this.env.stats.run('running', 'paused')
    }
    // A run whose every task is recorded already ended: a cancel asked of it changes nothing.
    if (requested === 'cancel' && !this.graph.tasks.every((task) => this.steps.has(task.stepKey))) {
      this.cancelReason = 'cancel requested'
      this.failure = { task: undefined, error: new RunCancelledError(this.runId, this.cancelReason) }
      this.stopping = 'cancelled'
    }
    this.env.stats.tasksBy(undefined, 'pending', this.graph.tasks.length)
    this.reporter.runStarted(this.runStartedAt)
    if (requested === 'pause' && status !== 'paused') {
      this.write({ status: 'paused' })
      this.reporter.runPaused(this.runStartedAt)
    } else if (status === 'paused' && !paused) {
      this.write({ status: 'running' })
      this.reporter.runResumed(this.runStartedAt)
    }
    for (const task of this.graph.tasks) {
      const cleanupLater = task.kind === 'always' && task.dependencyIds.length === 0 && this.mainUnsettled > 0
      if (this.table.waitingOn[task.id] === 0 && !cleanupLater) this.resolve(task)
    }
  }

  /** Stops starting new tasks; running ones finish. */
  pause(): boolean {
    if (this.paused || this.outcome !== undefined || this.stopping !== undefined) return false
    this.paused = true
    this.env.stats.run('running', 'paused')
    this.write({ status: 'paused' })
    this.reporter.runPaused(this.now())
    return true
  }

  /** Starts queued tasks again. */
  resume(): boolean {
    if (!this.paused || this.outcome !== undefined) return false
    this.unpause()
    this.reporter.runResumed(this.now())
    this.pump()
    return true
  }

  /**
   * Interrupts every running task (their signals fire), skips the rest, runs
   * `@Always` cleanups (each under its timeout), then ends as cancelled. A
   * second cancel, while cleanups run, aborts them too.
   */
  cancel(reason?: string): boolean {
    if (this.outcome !== undefined || this.abandoned || this.finalWriteInFlight || this.finishing) return false
    if (this.stopping === 'cancelled') return this.abortCleanups()
    this.cancelReason = reason
    this.failure ??= { task: undefined, error: new RunCancelledError(this.runId, reason) }
    this.stop('cancelled')
    if (this.paused) {
      this.unpause()
      this.pump()
    }
    return true
  }

  /** Interrupts the running cleanups and cancels the ones not started (a second cancel). */
  private abortCleanups(): boolean {
    if (this.cleanupsAborted) return false
    this.cleanupsAborted = true
    for (const task of this.graph.tasks) {
      if (task.kind !== 'always') continue
      const fiber = this.fibers[task.id]
      if (fiber !== undefined) fiber.interruptUnsafe()
      else if (this.table.state[task.id] === QUEUED) this.settle(task, CANCELLED)
    }
    return true
  }

  /** Whether `task` may no longer start: the run stops (cleanups excepted, until a second cancel aborts them too). */
  private mustNotStart(task: TaskNode): boolean {
    return this.stopping !== undefined && (task.kind !== 'always' || this.cleanupsAborted)
  }

  /** Updates the stored run (fenced); a lost lease or a store failure gives the run up here. */
  private write(patch: RunPatch): Promise<void> {
    return this.guarded(() => this.env.store.updateRun(this.fence, patch)).catch(ignore)
  }

  /**
   * Stops executing the run here without recording anything more: the lease
   * was lost (`LeaseLostError`) or the engine is shutting down and released it
   * (`EngineClosedError`). Every task is interrupted and the local outcome is
   * `abandoned`; another worker finishes the run from its checkpoints.
   */
  abandon(error: Error): void {
    if (this.abandoned || this.outcome !== undefined) return
    this.abandoned = true
    if (this.finishing) this.env.stats.run('running', 'abandoned')
    else this.env.stats.run(this.paused ? 'paused' : 'running', 'abandoned')
    for (const fiber of this.fibers) fiber?.interruptUnsafe()
    const now = this.now()
    const outcome: RunOutcome = { runId: this.runId, workflow: this.graph.name, status: 'abandoned', outputs: {}, tasks: this.summaries(), error, startedAt: this.runStartedAt, finishedAt: now }
    this.outcome = outcome
    this.reporter.runAbandoned(now)
    this.env.finished(this)
    this.resolveDone(outcome)
  }

  /** Whether this worker gave the run up (its lease was lost, or it was released on shutdown). */
  get isAbandoned(): boolean {
    return this.abandoned
  }

  /** Why this worker gave the run up, if it did. */
  get abandonedBy(): Error | undefined {
    return this.abandoned ? this.outcome?.error : undefined
  }

  /**
   * Stops starting tasks, for a graceful shutdown (the stored status does not
   * change); resolves once no task is running or `timeoutMs` has passed.
   */
  drain(timeoutMs: number): Promise<void> {
    this.draining = true
    if (this.isIdle() || this.outcome !== undefined) return Promise.resolve()
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs)
      this.idleWaiters.push(() => {
        clearTimeout(timer)
        resolve()
      })
    })
  }

  private unpause(): void {
    this.paused = false
    this.env.stats.run('paused', 'running')
    this.write({ status: 'running' })
  }

  // ---- scheduling ----------------------------------------------------------------------

  /** Called when every dependency of `task` is settled: replay, skip, cancel or queue it. */
  private resolve(task: TaskNode): void {
    if (this.table.state[task.id] !== PENDING) return
    // A step recorded before is what happened, even in a run that stops now (cancelled at recovery).
    const step = this.steps.get(task.stepKey)
    if (step !== undefined) return this.replay(task, step)
    if (this.mustNotStart(task)) return this.settle(task, CANCELLED)
    if (task.kind === 'on-failure') {
      const target = this.graph.taskByName.get(task.handles!)!
      if (this.table.state[target.id] !== FAILED) return this.skip(task, 'not-failed')
      this.argsOf[task.id] = [taskFailure(target.name, this.table.errors[target.id], this.table.attempts[target.id]!)]
    } else {
      if (task.kind !== 'always' && this.missesRequiredDependency(task)) return this.skip(task, 'dependency')
      this.argsOf[task.id] = this.argumentsOf(task)
    }
    this.table.state[task.id] = QUEUED
    this.ready.push(task.id)
    this.pump()
  }

  private missesRequiredDependency(task: TaskNode): boolean {
    const { dependsOn, dependencyIds } = task
    for (let i = 0; i < dependsOn.length; i++) {
      if (!dependsOn[i]!.optional && this.table.state[dependencyIds[i]!] !== COMPLETED) return true
    }
    return false
  }

  private argumentsOf(task: TaskNode): unknown[] {
    const ids = task.dependencyIds
    if (ids.length === 0) return [this.input]
    const { state, outputs } = this.table
    const args = new Array<unknown>(ids.length)
    for (let i = 0; i < ids.length; i++) args[i] = state[ids[i]!] === COMPLETED ? outputs[ids[i]!] : undefined
    return args
  }

  /** Starts queued tasks while the run, the engine and pause allow. */
  private pump(): void {
    const { gate, maxConcurrentTasks } = this.env
    while (this.readyHead < this.ready.length && !this.paused && !this.draining && this.running < maxConcurrentTasks) {
      if (!gate.tryAcquire()) return this.waitForGate()
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
    this.env.gate.whenFree(() => {
      this.waitingForGate = false
      this.pump()
    })
  }

  private launch(id: number): void {
    const task = this.graph.tasks[id]!
    if (this.table.state[id] !== QUEUED) return this.env.gate.release()
    // stop() may interrupt a fiber whose exit pumps the queue before stop() reaches the queued tasks.
    if (this.mustNotStart(task)) {
      this.env.gate.release()
      return this.settle(task, CANCELLED)
    }
    this.table.state[id] = RUNNING
    this.table.startedAt[id] = this.now()
    this.running++
    this.env.stats.task('pending', 'running')
    const args = this.argsOf[id]!
    if (runsDirectly(task)) {
      const attempt = new DirectAttempt((exit) => this.onExit(task, exit))
      this.fibers[id] = attempt
      return attempt.start(this, task, args)
    }
    const fiber = Effect.runForkWith(this.env.services)(taskProgram(this, task, args))
    this.fibers[id] = fiber
    fiber.addObserver((exit) => this.onExit(task, exit))
  }

  private onExit(task: TaskNode, exit: Exit.Exit<unknown, unknown>): void {
    this.safely(() => this.settleExit(task, exit))
  }

  /**
   * Runs scheduler work that reacts to a task or a store (called from fiber
   * observers and promise callbacks). Should it throw — a bug — the run is
   * given up for recovery and the error reported, rather than the process
   * crashing or the run waiting forever; a run whose recovery keeps failing
   * is dead-lettered after `maxRecoveryAttempts`.
   */
  private safely(work: () => void): void {
    try {
      work()
    } catch (error) {
      this.env.reportError(error)
      this.abandon(asError(error))
    }
  }

  private settleExit(task: TaskNode, exit: Exit.Exit<unknown, unknown>): void {
    this.fibers[task.id] = undefined
    if (this.abandoned) return
    this.argsOf[task.id] = undefined
    this.backingOff(task, false)
    this.running--
    this.env.gate.release()
    this.env.stats.task('running', 'pending')
    if (Exit.isSuccess(exit)) this.checkpoint(task, exit.value, this.now())
    else this.settleFailure(task, exit.cause)
    this.pump()
    this.notifyIfIdle()
  }

  /** No task runs, no checkpoint and no final write is in flight: a draining run can be released. */
  private isIdle(): boolean {
    return this.running === 0 && this.checkpointsInFlight === 0 && !(this.finishing && this.outcome === undefined)
  }

  private notifyIfIdle(): void {
    if (this.idleWaiters.length > 0 && this.isIdle()) for (const idle of this.idleWaiters.splice(0)) idle()
  }

  /** Tracks whether a task waits for its next attempt (status `retrying`) or runs. */
  private backingOff(task: TaskNode, waiting: boolean): void {
    const { retryWait } = this.table
    if ((retryWait[task.id] === 1) === waiting) return
    retryWait[task.id] = waiting ? 1 : 0
    if (waiting) this.env.stats.task('running', 'retrying')
    else this.env.stats.task('retrying', 'running')
  }

  private settleFailure(task: TaskNode, cause: Cause.Cause<unknown>): void {
    const failure = cause.reasons.find((r) => r._tag === 'Fail') ?? cause.reasons.find((r) => r._tag === 'Die')
    if (failure === undefined) return this.settle(task, CANCELLED)
    const error = failure._tag === 'Fail' ? failure.error : failure.defect
    if (error instanceof ConditionFalse) return this.skip(task, 'condition')
    this.fail(task, error)
  }

  /**
   * Records a task's output (first write wins), then settles it with the
   * stored output. The write counts as in flight until the task is settled,
   * so a draining engine does not release the run between the two.
   */
  private checkpoint(task: TaskNode, output: unknown, finishedAt: number): void {
    const { attempts, startedAt } = this.table
    const step: StepRecord = {
      runId: this.runId,
      key: task.stepKey,
      task: task.name,
      status: 'completed',
      output,
      attempts: attempts[task.id]!,
      startedAt: startedAt[task.id],
      finishedAt,
    }
    this.checkpointsInFlight++
    // The last task to settle: record the run's end in the same write, when the store can.
    const store = this.env.store
    const final = this.unsettled === 1 && store.saveFinalStep !== undefined ? this.finalState(finishedAt) : undefined
    if (final !== undefined) this.finalWriteInFlight = true
    const write = () =>
      final === undefined
        ? store.saveStep(this.fence, step)
        : store.saveFinalStep!(this.fence, step, { status: final.status, finishedAt, error: final.errorRecord })
    // A store may throw at once (an output it cannot serialize, or too large): that fails the task, as a rejection would.
    new Promise<StepRecord>((resolve) => resolve(write())).then(
      (stored) =>
        this.safely(() => {
          this.checkpointsInFlight--
          this.finalWriteInFlight = false
          if (this.abandoned) return
          if (final !== undefined) this.finalWrite = final
          this.steps.set(task.stepKey, stored)
          this.table.outputs[task.id] = stored.output
          this.settle(task, COMPLETED, false, undefined, false, finishedAt)
          this.notifyIfIdle()
        }),
      (error: unknown) =>
        this.safely(() => {
          this.checkpointsInFlight--
          this.finalWriteInFlight = false
          if (this.abandoned) return
          // The output cannot be stored: that is the task's failure. Any other error is the store's (the
          // database went away, the disk is full) or a lost lease: give the run up here; a worker resumes it.
          if (writeFailure(error) === 'value') this.fail(task, error)
          else this.abandon(asError(error))
          this.notifyIfIdle()
        }),
    )
  }

  private fail(task: TaskNode, error: unknown): void {
    this.table.errors[task.id] = error
    const handled = this.isHandled(task)
    if (!handled) {
      if (this.stopping === undefined) this.failure = { task: task.name, error }
      else this.failure ??= { task: task.name, error }
      this.stop('failed')
    }
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

  private skip(task: TaskNode, reason: SkipReason): void {
    this.record(task, 'skipped', undefined)
    this.settle(task, SKIPPED, false, reason)
  }

  private replay(task: TaskNode, step: StepRecord): void {
    this.table.attempts[task.id] = step.attempts
    this.table.startedAt[task.id] = step.startedAt ?? step.finishedAt
    if (step.status === 'completed') {
      this.table.outputs[task.id] = step.output
      return this.settle(task, COMPLETED, false, undefined, true, step.finishedAt)
    }
    if (step.status === 'skipped') return this.settle(task, SKIPPED, false, 'dependency', false, step.finishedAt)
    const error = Object.assign(new Error(step.error?.message ?? 'failed'), { name: step.error?.name ?? 'Error' })
    this.fail(task, error)
  }

  /** Records a failed or skipped task in the store; the run does not wait for this write. */
  private record(task: TaskNode, status: 'failed' | 'skipped', error: unknown): void {
    if (this.steps.has(task.stepKey)) return
    const ran = this.table.attempts[task.id]! > 0
    const step: StepRecord = {
      runId: this.runId,
      key: task.stepKey,
      task: task.name,
      status,
      error: error === undefined ? undefined : toErrorRecord(error),
      attempts: this.table.attempts[task.id]!,
      startedAt: ran ? this.table.startedAt[task.id] : undefined,
      finishedAt: this.now(),
    }
    this.steps.set(task.stepKey, step)
    this.guarded(() => this.env.store.saveStep(this.fence, step)).catch(ignore)
  }

  /** Marks a task settled, tells its dependents, and ends the run when nothing is left. */
  private settle(task: TaskNode, state: number, handled = false, reason?: SkipReason, fromCheckpoint = false, at = this.now()): void {
    const { table } = this
    if (table.isSettled(task.id)) return
    table.state[task.id] = state
    table.finishedAt[task.id] = at
    this.env.stats.task('pending', statusOf[state]!)
    this.reporter.taskSettled(table, task, handled, reason, fromCheckpoint)
    this.unsettled--
    if (task.kind !== 'always' && --this.mainUnsettled === 0) this.releaseCleanups()
    for (const id of task.dependentIds) if (--table.waitingOn[id]! === 0) this.resolve(this.graph.tasks[id]!)
    if (this.unsettled === 0) this.finish()
  }

  /** Once every other task is settled, `@Always` tasks without dependencies may run. */
  private releaseCleanups(): void {
    for (const task of this.graph.tasks) if (task.kind === 'always' && task.dependencyIds.length === 0) this.resolve(task)
  }

  /** Interrupts running tasks (but cleanups) and cancels queued ones; pending ones cancel as they resolve. */
  private stop(reason: 'failed' | 'cancelled'): void {
    this.stopping = reason === 'cancelled' ? 'cancelled' : (this.stopping ?? 'failed')
    for (const task of this.graph.tasks) {
      if (!this.mustNotStart(task)) continue
      const fiber = this.fibers[task.id]
      if (fiber !== undefined) fiber.interruptUnsafe()
      else if (this.table.state[task.id] === QUEUED) this.settle(task, CANCELLED)
    }
  }

  /** How the run ends, decided from the run's state now. */
  private finalState(finishedAt: number): FinalState {
    const status = this.stopping === 'cancelled' ? 'cancelled' : this.failure !== undefined ? 'failed' : 'completed'
    const error = this.runError(status)
    // A failed run records its task's error (the task is in the record), not the RunFailedError around it.
    const recorded = status === 'failed' ? this.failure!.error : error
    const errorRecord = recorded === undefined ? undefined : toErrorRecord(recorded, status === 'failed' ? this.failure!.task : undefined)
    return { status, error, errorRecord, finishedAt }
  }

  private finish(): void {
    if (this.finishing || this.abandoned) return
    this.finishing = true
    if (this.paused) {
      this.paused = false
      this.env.stats.run('paused', 'running')
    }
    // The last checkpoint may have recorded the run's end with it (one commit instead of two).
    const written = this.finalWrite
    const final = written ?? this.finalState(this.now())
    const { status, error, errorRecord, finishedAt } = final
    const outcome = new SettledOutcome(this.runId, this.graph, this.table, status, error, this.runStartedAt, finishedAt)
    if (written !== undefined) return this.settleOutcome(outcome, errorRecord)
    // If the final write fails, the run is given up here (guarded): the stored run is unfinished, so a
    // worker claims it after the lease ends, replays every checkpoint and records the end then. The
    // outcome is not reported here, or this process would say one thing while the database says another.
    this.guarded(() => this.env.store.updateRun(this.fence, { status, finishedAt, error: errorRecord })).then(
      () => this.safely(() => this.settleOutcome(outcome, errorRecord)),
      (error: unknown) => this.abandon(asError(error)),
    )
  }


  private settleOutcome(outcome: RunOutcome, errorRecord: ErrorRecord | undefined): void {
    if (this.abandoned) return
    this.outcome = outcome
    this.env.stats.run('running', outcome.status)
    this.reporter.runEnded(outcome.status as 'completed' | 'failed' | 'cancelled', outcome.finishedAt, outcome.finishedAt - this.runStartedAt, errorRecord)
    this.env.finished(this)
    this.resolveDone(outcome)
    for (const idle of this.idleWaiters.splice(0)) idle()
  }

  private runError(status: RunStatus): Error | undefined {
    if (status === 'completed') return undefined
    if (status === 'cancelled') {
      const error = this.failure?.error
      return error instanceof RunCancelledError ? error : new RunCancelledError(this.runId, this.cancelReason)
    }
    return new RunFailedError(this.runId, this.graph.name, this.failure!.task, this.failure!.error)
  }
}

function ignore(): void {}

/** A thrown value as an `Error` (what a run's outcome carries). */
function asError(error: unknown): Error {
  return error instanceof Error ? error : new StorageError('unknown', `the store failed: ${String(error)}`, { cause: error })
}

/**
 * A run's outcome whose outputs and task summaries are built on first read:
 * many callers only need the status, and at 10,000 tasks building them costs
 * more than the scheduling of the last few hundred tasks.
 */
class SettledOutcome implements RunOutcome {
  private outputsCache: Record<string, unknown> | undefined
  private tasksCache: TaskSummary[] | undefined

  constructor(
    readonly runId: RunId,
    private readonly graph: WorkflowGraph,
    private readonly table: TaskTable,
    readonly status: RunOutcome['status'],
    readonly error: Error | undefined,
    readonly startedAt: number,
    readonly finishedAt: number,
  ) {}

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

/** How a run ends: its status, error and when. */
interface FinalState {
  readonly status: 'completed' | 'failed' | 'cancelled'
  readonly error: Error | undefined
  readonly errorRecord: ErrorRecord | undefined
  readonly finishedAt: number
}
