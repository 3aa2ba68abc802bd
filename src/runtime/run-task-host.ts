import type { Context } from 'effect'
import type { RunId } from '../core/ids.js'
import type { StepUsage } from '../core/step-usage.js'
import type { CallReport } from '../graph/call-context.js'
import type { NewOutboxEntry } from '../storage/outbox-store.js'
import type { PayloadSchema } from '../graph/task-context.js'
import type { TaskNode, WorkflowGraph } from '../graph/workflow-graph.js'
import type { RecoveryReport } from '../resilience/recovery/recovery-stats.js'
import type { PolicyHooks, PolicyServices, TaskPolicyRunner } from '../resilience/task-policies.js'
import type { StepRecord, StoredEvent } from '../storage/workflow-store.js'
import { AttemptLog, ItemAttempts } from './attempt-log.js'
import { fallbackEffect } from './fallback-call.js'
import type { EventWaiters } from './event-waiters.js'
import type { RunJournal } from './run-journal.js'
import type { RunReporter } from './run-reporter.js'
import type { RunTracing } from './run-tracing.js'
import type { Recorded, SubStepEnd, WorkflowInstance } from './task-host.js'
import type { TaskRunner } from './task-program.js'
import type { TaskScheduler } from './task-scheduler.js'

/** What a run shares with every task it runs: its services and a test of whether a task may still start. */
export interface RunTaskHostParts {
  readonly graph: WorkflowGraph
  readonly input: unknown
  readonly instance: WorkflowInstance
  readonly services: Context.Context<PolicyServices>
  readonly policies: TaskPolicyRunner
  readonly waiters: EventWaiters
  readonly journal: RunJournal
  readonly scheduler: TaskScheduler
  readonly reporter: RunReporter
  /** The run's tracing, asked for an attempt's trace context (`CallContext.traceparent`); absent, there is none. */
  readonly tracing?: RunTracing | undefined
  now(): number
  /** Whether `task` may no longer start (the run stops, or is over here). */
  mustNotStart(task: TaskNode): boolean
}

/**
 * A run as its tasks see it (attempts, contexts, policies): its input and
 * instance, its journal's writes, and what attempts report back (a start,
 * attempts and retries). Separate from the run's control, which tasks never
 * touch.
 */
export class RunTaskHost implements TaskRunner {
  /** Inbox events whose refusal was reported (see {@link eventRefused}). */
  private readonly refusedEvents = new Set<number>()
  readonly input: unknown
  readonly instance: object
  readonly workflowServices: Readonly<Record<string, unknown>>

  /** Map items' attempts in this process, until the item is recorded. */
  private readonly items = new Map<string, ItemAttempts>()
  /** Map items that failed in a task attempt and are not recorded, by key. */
  private readonly failedItems = new Map<string, SubStepEnd>()

  constructor(private readonly parts: RunTaskHostParts) {
    this.input = parts.input
    this.instance = parts.instance.target
    this.workflowServices = parts.instance.services
  }

  get runId(): RunId {
    return this.parts.journal.runId
  }

  get workflow(): string {
    return this.parts.graph.name
  }

  get waiters(): EventWaiters {
    return this.parts.waiters
  }

  get events(): ReadonlyMap<string, PayloadSchema> {
    return this.parts.graph.events
  }

  get services(): Context.Context<PolicyServices> {
    return this.parts.services
  }

  get policies(): TaskPolicyRunner {
    return this.parts.policies
  }

  now(): number {
    return this.parts.now()
  }

  recorded(key: string): Recorded {
    return this.parts.journal.recorded(key)
  }

  recordStep(key: string, task: string, output: unknown, startedAt: number): Promise<unknown> {
    return this.parts.journal.recordStep(key, task, output, startedAt)
  }

  /**
   * A loop's attempts restart with each iteration: the task's count and log
   * are its current iteration's (so its record shows the attempts of its last
   * iteration), and each iteration's step keeps its own.
   */
  iterationBegins(task: TaskNode, firstHere: boolean): void {
    const { table } = this.parts.scheduler
    // The first iteration run here keeps the attempt inferred lost at a takeover; each log sees its attempts start.
    if (firstHere) {
      table.logs[task.id] ??= new AttemptLog()
      return
    }
    table.attempts[task.id] = 0
    table.logs[task.id] = new AttemptLog()
  }

  async recordIteration(task: TaskNode, key: string, output: unknown, startedAt: number): Promise<unknown> {
    const { table } = this.parts.scheduler
    const history = table.logs[task.id]?.history(startedAt)
    const stored = await this.parts.journal.recordSubStep({ key, task: task.name, status: 'completed', output, attempts: table.attempts[task.id]!, startedAt, history })
    return stored.output
  }

  recordedStep(key: string): StepRecord | undefined {
    return this.parts.journal.step(key)
  }

  recordSubStep(end: SubStepEnd): Promise<StepRecord> {
    this.items.delete(end.key)
    this.failedItems.delete(end.key)
    return this.parts.journal.recordSubStep(end)
  }

  itemAttempts(key: string, lost: number): ItemAttempts {
    let attempts = this.items.get(key)
    if (attempts === undefined) this.items.set(key, (attempts = new ItemAttempts(lost)))
    return attempts
  }

  itemFailed(end: SubStepEnd): void {
    this.failedItems.set(end.key, end)
  }

  lostAttempts(task: string): number {
    const node = this.parts.graph.taskByName.get(task)
    return node === undefined ? 0 : (this.parts.scheduler.table.logs[node.id]?.lost ?? 0)
  }

  /**
   * `task` failed for good: its map items that failed in its attempts are
   * written as failed steps with their attempts (the run does not wait for
   * these writes; a store failure gives the run up).
   */
  recordItemFailures(task: TaskNode): void {
    for (const [key, end] of this.failedItems) {
      if (end.task !== task.name) continue
      this.failedItems.delete(key)
      this.items.delete(key)
      this.parts.journal.recordSubStep(end).catch(ignore)
    }
  }

  timer(key: string, wakeAt: number): Promise<number> {
    return this.parts.journal.timer(key, wakeAt)
  }

  pendingEvents(name: string, since: number): Promise<StoredEvent[]> {
    return this.parts.journal.pendingEvents(name, since)
  }

  takeEvent(event: StoredEvent, key: string, task: string): Promise<boolean> {
    return this.parts.journal.takeEvent(event, key, task)
  }

  eventRefused(event: StoredEvent, task: string, message: string): void {
    // A refused payload stays in the inbox and is looked at again on every wake-up: report it once.
    if (this.refusedEvents.has(event.id)) return
    this.refusedEvents.add(event.id)
    this.parts.reporter.eventRefused(task, event, message, this.now())
  }

  progress(task: string, attempt: number, source: string, data: unknown): void {
    const node = this.parts.graph.taskByName.get(task)
    if (node !== undefined) this.parts.reporter.taskProgress(node, this.now(), attempt, source, data)
  }

  callReported(task: string, attempt: number, call: CallReport): void {
    if (!this.parts.reporter.reportsCalls) return
    const node = this.parts.graph.taskByName.get(task)
    if (node !== undefined) this.parts.reporter.taskCall(node, this.now(), attempt, call)
  }

  reportsCalls(): boolean {
    return this.parts.reporter.reportsCalls
  }

  traceparent(task: string): string | undefined {
    return this.parts.tracing?.attemptTraceparent?.(this.runId, task, this.now())
  }

  meter(key: string, usage: StepUsage): void {
    this.parts.journal.meter(key, usage)
  }

  spent(): StepUsage {
    return this.parts.journal.spent()
  }

  stageOutbox(key: string, entries: NewOutboxEntry[] | undefined, attempt: readonly NewOutboxEntry[]): void {
    this.parts.journal.stageOutbox(key, entries, attempt)
  }

  taskStarted(task: TaskNode): void {
    this.parts.reporter.taskStarted(task, this.parts.scheduler.table.startedAt[task.id]!)
  }

  stopped(task: TaskNode): boolean {
    return this.parts.mustNotStart(task)
  }

  policyHooks(task: TaskNode, iteration: number): PolicyHooks {
    const { scheduler, reporter } = this.parts
    const { table } = scheduler
    return {
      onAttempt: (attempt) => {
        scheduler.attempted(task, attempt)
        if (attempt > 1) scheduler.backingOff(task, false)
        table.logs[task.id]?.started(this.now())
      },
      onRetry: (failedAttempt, delayMs, error) => {
        const now = this.now()
        scheduler.backingOff(task, true)
        ;(table.logs[task.id] ??= new AttemptLog()).failed(failedAttempt, now, error, table.startedAt[task.id]!)
        reporter.taskRetrying(task, now, failedAttempt, delayMs, error)
      },
      onRecovery: (report) => {
        const now = this.now()
        const log = (table.logs[task.id] ??= new AttemptLog())
        log.classified(report.errorClass, report.strategy, now)
        // A fallback answers the last attempt: that attempt failed, and the step's end is the fallback's.
        if (fallsBack(report)) log.fellBack(report.attempt, now, report.error, table.startedAt[task.id]!)
        reporter.taskErrorClassified(task, now, report)
      },
      runFallback: (call) => fallbackEffect(this, task, call, iteration),
    }
  }
}

function ignore(): void {}

/** Whether `@Recover` met a failure with a fallback, which begins now (`fallbackWith`'s work, or `fallbackValue` / `fallbackTo` at once). */
function fallsBack(report: RecoveryReport): boolean {
  return report.strategy === 'fallback' && (report.outcome === 'falling-back' || report.outcome === 'recovered')
}
