import type { Context } from 'effect'
import type { RunId } from '../core/ids.js'
import type { StepUsage } from '../core/step-usage.js'
import type { CallReport } from '../graph/call-context.js'
import type { NewOutboxEntry } from '../storage/outbox-store.js'
import type { PolicyServices } from '../resilience/task-policies.js'
import type { AttemptHistory, StepRecord, StoredEvent } from '../storage/workflow-store.js'
import type { PayloadSchema } from '../graph/task-context.js'
import type { ItemAttempts } from './attempt-log.js'
import type { EventWaiters } from './event-waiters.js'

/** A recorded step output, when the step has one. */
export type Recorded = { readonly output: unknown } | undefined

/**
 * What a run calls its tasks on: the object whose methods are the tasks (a
 * fresh workflow class instance, or a definition's functions) and the
 * services a definition declared, resolved for this run (`ctx.services`).
 */
export interface WorkflowInstance {
  /** The object whose methods are the tasks. */
  readonly target: object
  /** The services tasks read as `ctx.services`, by name (empty for a workflow class: its constructor receives them). */
  readonly services: Readonly<Record<string, unknown>>
}

/** How a sub-step (a `map` item) ended, to record with its attempts. */
export interface SubStepEnd {
  readonly key: string
  readonly task: string
  readonly status: 'completed' | 'failed'
  /** The output, when completed. */
  readonly output?: unknown
  /** What its last attempt threw, when failed. */
  readonly error?: unknown
  readonly attempts: number
  /** When its first attempt started. */
  readonly startedAt: number
  /** Its attempts before the last, when it made several. */
  readonly history: AttemptHistory | undefined
}

/** What a task context needs from the run it belongs to. All writes are fenced by the run's lease. */
export interface TaskHost {
  readonly runId: RunId
  readonly workflow: string
  readonly input: unknown
  /** The workflow's own services, by name (see {@link WorkflowInstance}). */
  readonly workflowServices: Readonly<Record<string, unknown>>
  readonly services: Context.Context<PolicyServices>
  readonly waiters: EventWaiters
  /** The events the workflow declares, with their payload schemas (`ctx.waitForEvent` decodes by them). */
  readonly events: ReadonlyMap<string, PayloadSchema>
  /** The output recorded for a step key, if the step completed before (this run or a previous process). */
  recorded(key: string): Recorded
  /** Records a completed step once; resolves to the output that is stored (the first one written). */
  recordStep(key: string, task: string, output: unknown, startedAt: number): Promise<unknown>
  /** The step recorded under `key`, whatever its status (a settled map's failed item), if any. */
  recordedStep(key: string): StepRecord | undefined
  /** Records a sub-step's end (a `map` item) with its attempts, once; resolves to the record that is stored (the first one written). */
  recordSubStep(end: SubStepEnd): Promise<StepRecord>
  /** The attempts of map item `key` in this process, kept across its task's attempts (created with `lost` attempts inferred lost). */
  itemAttempts(key: string, lost: number): ItemAttempts
  /**
   * A map item failed in a task attempt (not in settled mode, where its
   * failure is recorded at once): kept to be written as a failed step with
   * the task's failure if the task fails for good; forgotten if the item is
   * recorded later (a task retry ran it again).
   */
  itemFailed(end: SubStepEnd): void
  /** Attempts of `task` inferred lost when this run was taken over (see `AttemptHistory`); 0 if none. */
  lostAttempts(task: string): number
  /** A durable timer: the deadline stored under `key`, storing `wakeAt` if there is none. */
  timer(key: string, wakeAt: number): Promise<number>
  /** Events named `name` the run has not taken (sent to it, or to every run since `since`). */
  pendingEvents(name: string, since: number): Promise<StoredEvent[]>
  /** Takes an event for the run, recording its payload as step `key`; false if already taken. */
  takeEvent(event: StoredEvent, key: string, task: string): Promise<boolean>
  /** Reports (once per event) a payload the event's schema refused on receipt: `task` waits on. */
  eventRefused(event: StoredEvent, task: string, message: string): void
  /** Reports a task attempt's progress as a `task.progress` event (`CallContext.progress`). */
  progress(task: string, attempt: number, source: string, data: unknown): void
  /** Reports a call an adapter made for a task attempt as a `task.call` event (`CallContext.report`). */
  callReported(task: string, attempt: number, call: CallReport): void
  /**
   * Whether a `task.call` report would reach anyone now (a listener of the
   * engine, a tracing): Weft's own reports (waits, sleeps, map items) are not
   * built otherwise. One field read.
   */
  reportsCalls(): boolean
  /** The trace context of `task`'s current attempt span, when the run is traced (`CallContext.traceparent`). */
  traceparent(task: string): string | undefined
  /** Adds a call's usage to step `key`, stored with its record (`CallContext.meter`). */
  meter(key: string, usage: StepUsage): void
  /** What the run has spent so far (`CallContext.spent`). */
  spent(): StepUsage
  /**
   * Stages the outbox entries of step `key`'s running attempt (`CallContext.outbox`):
   * written with the step's record when it completes. `entries` is the attempt's own
   * list (it grows in place); `undefined` drops what `attempt` staged (it failed).
   */
  stageOutbox(key: string, entries: NewOutboxEntry[] | undefined, attempt: readonly NewOutboxEntry[]): void
  now(): number
}
