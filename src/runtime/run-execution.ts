import { Effect, type Context, type Exit } from 'effect'
import { describeCause, RunCancelledError } from '../core/errors.js'
import type { RunId } from '../core/ids.js'
import type { TaskNode, WorkflowGraph } from '../graph/workflow-graph.js'
import { thrownValue, type AttemptFailure } from '../resilience/attempt-failure.js'
import type { PolicyServices, TaskPolicyRunner } from '../resilience/task-policies.js'
import type { Fence, RequestedAction, RunStatus, StepRecord } from '../storage/workflow-store.js'
import type { ConcurrencyGate } from './concurrency-gate.js'
import type { EventHub } from './event-hub.js'
import type { EventWaiters } from './event-waiters.js'
import { abandonedOutcome, finalStateOf, SettledOutcome } from './run-ending.js'
import { storeFailureError } from '../storage/storage-failure.js'
import { RunJournal, type CheckpointSettlement, type JournalStore } from './run-journal.js'
import type { NewOutboxEntry } from '../storage/outbox-store.js'
import type { RunOutcome, TaskSummary } from './run-outcome.js'
import { forbidsStart, initialPhase, isActive, isOver, nextPhase, phaseStatus, type FinalState, type RunPhase, type RunPhaseEvent } from './run-phase.js'
import { IdleWaiters } from './idle-waiters.js'
import { RunReporter } from './run-reporter.js'
import type { MetricsSink } from './metrics-sink.js'
import { RunningTasks } from './running-tasks.js'
import type { RuntimeStats } from './runtime-stats.js'
import { AttemptLog } from './attempt-log.js'
import { TaskAttempt, type AttemptExit } from './task-attempt.js'
import { RunTaskHost } from './run-task-host.js'
import type { RunTracing } from './run-tracing.js'
import type { WorkflowInstance } from './task-host.js'
import { runsDirectly, taskFailure, taskProgram, type ProgramResult } from './task-program.js'
import { TaskScheduler, type SchedulerHost } from './task-scheduler.js'
import type { SkipReason } from './task-table.js'

/** How a run starts executing here: what its stored record says, and whether a worker takes it over. */
export interface RunStart {
  /** Its stored status (`paused` starts it paused). */
  readonly status?: RunStatus
  /** An action requested while no worker held it, honoured before any task starts. */
  readonly requested?: RequestedAction
  /** Set when this worker takes over a run left unfinished: announced as `run.recovered`. */
  readonly recovered?: { readonly recoveries: number; readonly epoch: number; readonly replayedSteps: number }
  /** The W3C trace context recorded with the run (announced with `run.started`). */
  readonly traceContext?: string | undefined
  /** When the run was created (epoch milliseconds): a first start announces its queue wait with `run.started`. */
  readonly createdAt?: number | undefined
}

/**
 * Who started a run, as recorded with it: what a {@link TaskGuard} checks a
 * task's required permissions against (a run resumed elsewhere carries it too).
 */
export interface RunStarter {
  /** The principal's subject; absent for a run started without one. */
  readonly subject?: string | undefined
  /** Its tenant. */
  readonly tenant?: string | undefined
  /** Its roles when the run was started. */
  readonly roles?: readonly string[] | undefined
}

/**
 * Decides, before a task that requires permissions executes, whether the
 * run's starter may execute it: `undefined` to let it, else the error the
 * task fails with (no attempt is made). The security layer implements it.
 */
export type TaskGuard = (starter: RunStarter, task: TaskNode, runId: RunId) => Error | undefined

/** What a run needs from the engine it runs in. */
export interface RunEnvironment {
  readonly store: JournalStore
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
  /** Outbox entries were stored with a step (their step committed): the engine's deliverer may deliver them now. */
  outboxStored?(entries: readonly NewOutboxEntry[]): void
  /** Checks a task with required permissions before it executes (a secured engine); absent, nothing is checked. */
  readonly taskGuard?: TaskGuard | undefined
  /** Traces the runs (`createEngine({ tracing })`); absent, nothing is traced. */
  readonly tracing?: RunTracing | undefined
  /** The live metrics monitor's direct path (`createEngine({ metrics })`); absent, no metrics are kept. */
  readonly metrics?: MetricsSink | undefined
}

/**
 * Executes one run of a workflow graph. Its life is one {@link RunPhase}
 * changed only through the transition table of `run-phase.ts`; the
 * {@link TaskScheduler} decides which tasks may start, {@link RunningTasks}
 * owns what runs, the {@link RunJournal} writes. This class connects them:
 * it launches a task's attempt, turns its exit into a settlement, and
 * applies the control operations (pause, resume, cancel, give up).
 */
export class RunExecution implements SchedulerHost {
  readonly done: Promise<RunOutcome>
  private resolveDone!: (outcome: RunOutcome) => void
  private phase: RunPhase = initialPhase
  private readonly scheduler: TaskScheduler
  private readonly journal: RunJournal
  private readonly reporter: RunReporter
  private readonly running: RunningTasks
  private readonly tasks: RunTaskHost
  private runStartedAt = 0
  /** True while a run taken over from another claim resolves the tasks its checkpoints make ready. */
  private takingOver = false
  private checkpointsInFlight = 0
  private readonly idle = new IdleWaiters()

  /**
   * @param fence - the run and the epoch this worker claimed; every write carries it.
   * @param steps - the steps already recorded (a resumed run replays them instead of running them again).
   * @param starter - who started the run, as recorded: a task guard checks tasks' required permissions against it.
   */
  constructor(
    private readonly env: RunEnvironment,
    readonly graph: WorkflowGraph,
    readonly fence: Fence,
    readonly input: unknown,
    readonly instance: WorkflowInstance,
    steps: Map<string, StepRecord>,
    readonly starter: RunStarter = {},
  ) {
    this.reporter = new RunReporter(env.hub, fence.runId, graph, env.tracing, env.metrics)
    this.journal = new RunJournal(env.store, fence, steps, this)
    this.scheduler = new TaskScheduler(graph, this, this.reporter, env.stats, env.gate, env.maxConcurrentTasks, env.now)
    this.running = new RunningTasks(graph.tasks.length)
    const { services, policies, waiters } = env
    const parts = { graph, input, instance, services, policies, waiters, journal: this.journal, scheduler: this.scheduler, reporter: this.reporter }
    this.tasks = new RunTaskHost({ ...parts, tracing: env.tracing, now: env.now, mustNotStart: (task) => this.mustNotStart(task) })
    this.done = new Promise((resolve) => (this.resolveDone = resolve))
  }

  // ---- what the journal asks -----------------------------------------------------------

  get runId(): RunId {
    return this.fence.runId
  }

  get workflow(): string {
    return this.graph.name
  }

  /** The events of the run so far (what `run.events()` replays). */
  get log() {
    return this.reporter.log
  }

  /** Whether the run is over here: nothing may be written for it any more. */
  get over(): boolean {
    return isOver(this.phase)
  }

  now(): number {
    return this.env.now()
  }

  /** The journal's store failed, or the lease was lost: the run is given up here. */
  giveUp(error: Error): void {
    this.abandon(error)
  }

  outboxStored(entries: readonly NewOutboxEntry[]): void {
    this.env.outboxStored?.(entries)
  }

  // ---- control -------------------------------------------------------------------------

  /**
   * Where the run is: running or paused, then its final status once settled.
   * An abandoned run reads `running`: another worker runs it now.
   */
  get status(): RunStatus {
    const status = phaseStatus(this.phase)
    return status === 'abandoned' ? 'running' : status
  }

  /** Each task's status so far. */
  summaries(): TaskSummary[] {
    return this.scheduler.table.summaries()
  }

  /**
   * Begins executing; tasks whose checkpoints exist are replayed, not run.
   * A run that was paused when its previous worker stopped starts paused. An
   * action requested while no worker held the run (its worker died) is
   * honoured before any task starts: a cancel starts no task body but the
   * `@Always` cleanups, a pause starts none, a resume lets them start.
   */
  start(options: RunStart = {}): void {
    const { status, requested, recovered, traceContext, createdAt } = options
    this.runStartedAt = this.now()
    this.env.stats.run(undefined, 'running')
    const paused = requested === 'pause' || (status === 'paused' && requested !== 'resume' && requested !== 'cancel')
    if (paused) this.transition({ type: 'pause' })
    // A run whose every task is recorded already ended: a cancel asked of it changes nothing.
    if (requested === 'cancel' && !this.journal.recordsAll(this.graph.tasks)) {
      this.transition({ type: 'cancel', error: new RunCancelledError(this.runId, 'cancel requested') })
    }
    const queuedMs = recovered === undefined && createdAt !== undefined ? Math.max(0, this.runStartedAt - createdAt) : undefined
    this.reporter.runStarted(this.runStartedAt, traceContext, queuedMs)
    if (recovered !== undefined) this.reporter.runRecovered(this.runStartedAt, recovered.recoveries, recovered.epoch, recovered.replayedSteps)
    if (requested === 'pause' && status !== 'paused') this.announce('paused', this.runStartedAt)
    else if (status === 'paused' && !paused) this.announce('running', this.runStartedAt)
    // Tasks found ready as a run is taken over were running (or about to) in the process that stopped:
    // each counts one interrupted attempt (an inference, see AttemptHistory; nothing records attempt starts).
    this.takingOver = recovered !== undefined
    this.scheduler.begin()
    this.takingOver = false
  }

  /** Stops starting new tasks; running ones finish. */
  pause(): boolean {
    if (this.transition({ type: 'pause' }) === undefined) return false
    this.announce('paused', this.now())
    return true
  }

  /** Starts queued tasks again. */
  resume(): boolean {
    if (this.transition({ type: 'resume' }) === undefined) return false
    this.announce('running', this.now())
    this.scheduler.pump()
    return true
  }

  /**
   * Interrupts every running task (their signals fire), skips the rest, runs
   * `@Always` cleanups (each under its timeout), then ends as cancelled. A
   * second cancel, while cleanups run, aborts them too.
   */
  cancel(reason?: string): boolean {
    return this.stop({ type: 'cancel', error: new RunCancelledError(this.runId, reason) })
  }

  /**
   * Stops executing the run here without recording anything more: the lease
   * was lost (`LeaseLostError`), the store failed, or the engine is shutting
   * down and released it (`EngineClosedError`). Every task is interrupted and
   * the local outcome is `abandoned`; another worker finishes the run from
   * its checkpoints.
   */
  abandon(error: Error): void {
    if (this.transition({ type: 'abandon', error }) === undefined) return
    this.running.interrupt(this.graph.tasks)
    const now = this.now()
    this.reporter.runAbandoned(now)
    this.env.finished(this)
    this.resolveDone(abandonedOutcome(this.runId, this.graph.name, this.summaries(), error, this.runStartedAt, now))
    // Nothing of the run is written any more: a drain waiting for it is over.
    this.idle.wake()
  }

  /** Whether this worker gave the run up (its lease was lost, or it was released on shutdown). */
  get isAbandoned(): boolean {
    return this.phase.kind === 'abandoned'
  }

  /** Why this worker gave the run up, if it did. */
  get abandonedBy(): Error | undefined {
    return this.phase.kind === 'abandoned' ? this.phase.error : undefined
  }

  /**
   * Resolves once no task runs and no write is in flight (so the run can be
   * released), or `timeoutMs` has passed. The engine closes its gate first,
   * so no task starts meanwhile; the stored status does not change.
   */
  drain(timeoutMs: number): Promise<void> {
    if (this.isIdle() || this.over) return Promise.resolve()
    return this.idle.wait(timeoutMs)
  }

  /** Applies `event` to the phase; returns the new phase, or `undefined` (and changes nothing) when refused. */
  private transition(event: RunPhaseEvent): RunPhase | undefined {
    const from = this.phase
    const to = nextPhase(from, event)
    if (to === undefined) return undefined
    this.phase = to
    const before = phaseStatus(from)
    const after = phaseStatus(to)
    if (before !== after) this.env.stats.run(before, after)
    return to
  }

  /** Records a pause or resume and tells listeners. */
  private announce(status: 'paused' | 'running', at: number): void {
    this.journal.update({ status })
    if (status === 'paused') this.reporter.runPaused(at)
    else this.reporter.runResumed(at)
  }

  /**
   * Stops the run (a cancel, or a failure nothing handles): interrupts the
   * running tasks that may no longer run and cancels the queued ones. A run
   * that was paused is no longer (its cleanups must run).
   */
  private stop(event: Extract<RunPhaseEvent, { type: 'cancel' | 'fail' }>): boolean {
    const from = this.phase
    const to = this.transition(event)
    if (to === undefined) return false
    if (to === from) return true
    if (from.kind === 'paused') this.journal.update({ status: 'running' })
    const mustNotStart = (task: TaskNode) => this.mustNotStart(task)
    this.running.interrupt(this.graph.tasks, mustNotStart)
    for (const task of this.graph.tasks) if (mustNotStart(task) && this.scheduler.isQueued(task)) this.scheduler.cancelled(task)
    if (from.kind === 'paused') this.scheduler.pump()
    return true
  }

  /** Whether `task` may no longer start: the run stops (cleanups excepted, until a second cancel aborts them too). */
  mustNotStart(task: TaskNode): boolean {
    return forbidsStart(this.phase, task.kind === 'always')
  }

  // ---- SchedulerHost: resolving and launching tasks ------------------------------------

  get holding(): boolean {
    return this.phase.kind === 'paused'
  }

  /** Every dependency of `task` is settled: replay, skip, cancel or queue it. */
  resolve(task: TaskNode): void {
    if (this.over || !this.scheduler.isPending(task)) return
    // A step recorded before is what happened, even in a run that stops now (cancelled at recovery).
    const step = this.journal.step(task.stepKey)
    if (step !== undefined) return this.replay(task, step)
    if (this.mustNotStart(task)) return this.scheduler.cancelled(task)
    if (task.kind === 'on-failure') {
      const target = this.graph.taskByName.get(task.handles!)!
      if (!this.scheduler.hasFailed(target)) return this.skip(task, 'not-failed')
      const { errors, attempts } = this.scheduler.table
      return this.scheduler.enqueue(task, [taskFailure(target.name, errors[target.id], attempts[target.id]!)])
    }
    if (task.kind !== 'always' && this.scheduler.missesRequiredDependency(task)) return this.skip(task, 'dependency')
    if (this.takingOver) this.scheduler.table.logs[task.id] = new AttemptLog(1)
    this.scheduler.enqueue(task, this.scheduler.argumentsOf(task, this.input))
  }

  /** Starts `task`: a bare attempt when it has no condition, loop or policy; else its program on a fiber. */
  launch(task: TaskNode, args: readonly unknown[]): void {
    const refusal = task.requires.length === 0 ? undefined : this.env.taskGuard?.(this.starter, task, this.runId)
    if (refusal !== undefined) return this.refuse(task, refusal)
    if (!runsDirectly(task)) return this.fork(task, args)
    const attempt = new TaskAttempt(this.tasks, task, (exit) => this.safely(() => this.attemptExited(task, exit)))
    this.running.add(task, attempt)
    this.tasks.taskStarted(task)
    // A listener of task.started may have stopped the run (interrupting the attempt): then no attempt is made.
    if (this.mustNotStart(task)) return
    this.scheduler.attempted(task, 1)
    attempt.start(args, 1, -1)
  }

  /** Fails a task its guard refused, as an attempt that threw before its body ran (its handlers run; no retry). */
  private refuse(task: TaskNode, error: Error): void {
    this.running.add(task, { interrupt: () => undefined })
    this.tasks.taskStarted(task)
    this.scheduler.attempted(task, 1)
    this.attemptExited(task, { _tag: 'threw', error })
  }

  private fork(task: TaskNode, args: readonly unknown[]): void {
    const fiber = Effect.runForkWith(this.env.services)(taskProgram(this.tasks, task, args))
    this.running.add(task, { interrupt: () => fiber.interruptUnsafe() })
    fiber.addObserver((exit) => this.safely(() => this.programExited(task, exit)))
  }

  private attemptExited(task: TaskNode, exit: AttemptExit): void {
    if (!this.exited(task)) return
    if (exit._tag === 'completed') this.checkpoint(task, exit.output)
    else if (exit._tag === 'threw') this.fail(task, exit.error)
    else this.scheduler.cancelled(task)
    this.afterExit()
  }

  private programExited(task: TaskNode, exit: Exit.Exit<ProgramResult, AttemptFailure>): void {
    if (!this.exited(task)) return
    if (exit._tag === 'Success') {
      if (exit.value._tag === 'ran') this.checkpoint(task, exit.value.output)
      else this.skip(task, 'condition')
    } else {
      const reason = exit.cause.reasons.find((r) => r._tag === 'Fail') ?? exit.cause.reasons.find((r) => r._tag === 'Die')
      if (reason === undefined) this.scheduler.cancelled(task)
      else this.fail(task, reason._tag === 'Fail' ? thrownValue(reason.error) : reason.defect)
    }
    this.afterExit()
  }

  /**
   * Bookkeeping of any task's exit: its slots are freed (the engine's too,
   * even in a run that is over: other runs wait for them); false when the run
   * is over here (nothing more is recorded).
   */
  private exited(task: TaskNode): boolean {
    this.running.remove(task)
    this.scheduler.exited(task)
    return !this.over
  }

  private afterExit(): void {
    this.scheduler.pump()
    this.idle.wakeIf(this.isIdle())
  }

  /**
   * Runs scheduler work that reacts to a task or a store (called from
   * attempt exits, fiber observers and promise callbacks). Should it throw —
   * a bug — the run is given up for recovery and the error reported, rather
   * than the process crashing or the run waiting forever; a run whose
   * recovery keeps failing is dead-lettered after `maxRecoveryAttempts`.
   */
  private safely(work: () => void): void {
    try {
      work()
    } catch (error) {
      this.env.reportError(error)
      this.abandon(error instanceof Error ? error : new Error(describeCause(error)))
    }
  }

  // ---- settling tasks ------------------------------------------------------------------

  /**
   * Records a task's output (first write wins), then settles it with the
   * stored output. The last task to settle records the run's end in the same
   * write, when the store can. The write counts as in flight until the task
   * is settled, so a draining engine does not release the run between the two.
   */
  private checkpoint(task: TaskNode, output: unknown): void {
    const { attempts, startedAt } = this.scheduler.table
    const finishedAt = this.now()
    const history = this.scheduler.table.historyOf(task.id)
    const step: StepRecord = { runId: this.runId, key: task.stepKey, task: task.name, status: 'completed', output, attempts: attempts[task.id]!, startedAt: startedAt[task.id], finishedAt, history }
    const final = this.scheduler.unsettled === 1 && this.journal.writesEndWithCheckpoint && isActive(this.phase) ? finalStateOf(this.phase, this.runId, this.graph.name, finishedAt) : undefined
    if (final !== undefined) this.transition({ type: 'finish', final })
    this.checkpointsInFlight++
    void this.journal.checkpoint(step, final).then((settlement) => this.safely(() => this.checkpointSettled(task, settlement, final !== undefined)))
  }

  private checkpointSettled(task: TaskNode, settlement: CheckpointSettlement, withEnd: boolean): void {
    this.checkpointsInFlight--
    if (!this.over) {
      if (settlement.kind === 'stored') this.scheduler.completed(task, settlement.step.output, settlement.step.finishedAt, false)
      else if (settlement.kind === 'lost') this.abandon(settlement.error)
      else {
        // The output cannot be stored: that is the task's failure (and the run's end was not written with it).
        if (withEnd) this.transition({ type: 'refuse' })
        this.fail(task, settlement.error)
      }
    }
    this.idle.wakeIf(this.isIdle())
  }

  private fail(task: TaskNode, error: unknown): void {
    const handled = this.scheduler.isHandled(task)
    if (!handled) this.stop({ type: 'fail', task: task.name, error })
    this.recordUnfinished(task, 'failed', error)
    this.tasks.recordItemFailures(task)
    this.scheduler.failed(task, error, handled)
  }

  private skip(task: TaskNode, reason: SkipReason): void {
    this.recordUnfinished(task, 'skipped', undefined)
    this.scheduler.skipped(task, reason)
  }

  private recordUnfinished(task: TaskNode, status: 'failed' | 'skipped', error: unknown): void {
    const table = this.scheduler.table
    const ran = table.attempts[task.id]! > 0
    this.journal.recordUnfinished(task, status, error, table.attempts[task.id]!, ran ? table.startedAt[task.id] : undefined, table.historyOf(task.id))
  }

  private replay(task: TaskNode, step: StepRecord): void {
    this.scheduler.restore(task, step.attempts, step.startedAt ?? step.finishedAt)
    if (step.status === 'completed') return this.scheduler.completed(task, step.output, step.finishedAt, true)
    if (step.status === 'skipped') return this.scheduler.skipped(task, 'dependency', step.finishedAt)
    this.fail(task, Object.assign(new Error(step.error?.message ?? 'failed'), { name: step.error?.name ?? 'Error' }))
  }

  // ---- ending --------------------------------------------------------------------------

  /** Every task is settled: record the run's end (unless the last checkpoint carried it), then report it. */
  allSettled(): void {
    const phase = this.phase
    if (phase.kind === 'finishing') return this.settleOutcome(phase.final)
    if (!isActive(phase)) return
    const final = finalStateOf(phase, this.runId, this.graph.name, this.now())
    this.transition({ type: 'finish', final })
    // If the final write fails, the run is given up (the journal does it): the stored run is unfinished,
    // so a worker claims it after the lease ends, replays every checkpoint and records the end then. The
    // outcome is not reported here, or this process would say one thing while the database says another.
    this.journal.writeEnd(final).then(
      () => this.safely(() => this.settleOutcome(final)),
      (error: unknown) => this.abandon(storeFailureError(error)),
    )
  }

  private settleOutcome(final: FinalState): void {
    if (this.transition({ type: 'settle' }) === undefined) return
    const outcome = new SettledOutcome(this.runId, this.graph, this.scheduler.table, final, this.runStartedAt)
    this.reporter.runEnded(final.status, final.finishedAt, final.finishedAt - this.runStartedAt, final.errorRecord)
    this.env.finished(this)
    this.resolveDone(outcome)
    this.idle.wake()
  }

  /** No task runs, no checkpoint and no final write is in flight: a draining run can be released. */
  private isIdle(): boolean {
    return this.scheduler.running === 0 && this.checkpointsInFlight === 0 && this.phase.kind !== 'finishing'
  }
}
