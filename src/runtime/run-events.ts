import type { RunId } from '../core/ids.js'
import type { RecoveryStrategyKind } from '../graph/recovery-options.js'
import type { CircuitState } from '../resilience/circuit-breakers.js'
import type { ErrorRecord } from '../storage/workflow-store.js'
import type { AlertEvent } from './alert-events.js'

interface RunEventBase {
  /** Epoch milliseconds. */
  readonly at: number
  /** The run the event belongs to. */
  readonly runId: RunId
  /** The workflow's name. */
  readonly workflow: string
}

interface TaskEventBase extends RunEventBase {
  /** The task's name. */
  readonly task: string
}

/**
 * A run began executing here: a new run, or one a worker took over and continues from its checkpoints.
 *
 * @example
 * ```ts
 * import { createEngine, type RunStarted } from 'weft-sdk'
 * const engine = createEngine()
 * engine.on('run.started', (event: RunStarted) => console.log(`${event.workflow} v${event.version}: run ${event.runId} started`))
 * ```
 */
export interface RunStarted extends RunEventBase {
  /** The event type. */
  readonly type: 'run.started'
  /** The workflow version the run is pinned to. */
  readonly version: number
  /**
   * The W3C trace context (`traceparent`) recorded with the run when it was
   * started with tracing on; absent otherwise. A worker that resumes the run
   * reads it from the store, so its spans continue the same trace.
   */
  readonly traceContext?: string
  /**
   * How long the run waited between its creation and this start, in
   * milliseconds: on a run's first start only (a takeover, announced by
   * `run.recovered`, has none). The live metrics' queue wait.
   */
  readonly queuedMs?: number
}
/**
 * Every task finished and the run succeeded.
 *
 * @example
 * ```ts
 * import { createEngine, type RunCompleted } from 'weft-sdk'
 * const engine = createEngine()
 * engine.on('run.completed', (event: RunCompleted) => console.log(`run ${event.runId} completed in ${event.durationMs} ms`))
 * ```
 */
export interface RunCompleted extends RunEventBase {
  /** The event type. */
  readonly type: 'run.completed'
  /** Time from the run's start to its end, in milliseconds. */
  readonly durationMs: number
}
/**
 * A task's unhandled failure (or a failed cleanup) ended the run.
 *
 * @example
 * ```ts
 * import { createEngine, type RunFailed } from 'weft-sdk'
 * const engine = createEngine()
 * engine.on('run.failed', (event: RunFailed) => console.error(`run ${event.runId} failed: ${event.error.code ?? event.error.name}: ${event.error.message}`))
 * ```
 */
export interface RunFailed extends RunEventBase {
  /** The event type. */
  readonly type: 'run.failed'
  /**
   * The record of the task error that ended the run, with the task, as the
   * run stores it but without its stack (events stay small; the stored run
   * has it).
   */
  readonly error: ErrorRecord
  /** Time from the run's start to its end, in milliseconds. */
  readonly durationMs: number
}
/**
 * The run was cancelled (`run.cancel()`, `weft runs cancel`).
 *
 * @example
 * ```ts
 * import { createEngine, type RunCancelled } from 'weft-sdk'
 * const engine = createEngine()
 * engine.on('run.cancelled', (event: RunCancelled) => console.log(`run ${event.runId} cancelled after ${event.durationMs} ms`))
 * ```
 */
export interface RunCancelled extends RunEventBase {
  /** The event type. */
  readonly type: 'run.cancelled'
  /** Time from the run's start to its end, in milliseconds. */
  readonly durationMs: number
}
/**
 * The run stopped scheduling new tasks (`run.pause()`); tasks already running finish.
 *
 * @example
 * ```ts
 * import { createEngine, type RunPaused } from 'weft-sdk'
 * const engine = createEngine()
 * engine.on('run.paused', (event: RunPaused) => console.log(`run ${event.runId} of ${event.workflow} paused`))
 * ```
 */
export interface RunPaused extends RunEventBase {
  /** The event type. */
  readonly type: 'run.paused'
}
/**
 * The run continues scheduling tasks (`run.resume()` after a pause).
 *
 * @example
 * ```ts
 * import { createEngine, type RunResumed } from 'weft-sdk'
 * const engine = createEngine()
 * engine.on('run.resumed', (event: RunResumed) => console.log(`run ${event.runId} resumed`))
 * ```
 */
export interface RunResumed extends RunEventBase {
  /** The event type. */
  readonly type: 'run.resumed'
}
/**
 * A worker dead-lettered a run: it was taken over more than
 * `maxRecoveryAttempts` times without finishing (its workers crashed or
 * could not start it). Its status is `dead-lettered` until an operator
 * resumes it (`weft runs resume <id>`). Listeners get it (the live metrics
 * count it, the `dead-letters` alert rule looks at once); no run's log keeps it.
 *
 * @example
 * ```ts
 * import { createEngine, type RunDeadLettered } from 'weft-sdk'
 * const engine = createEngine()
 * engine.on('run.dead-lettered', (event: RunDeadLettered) => console.error(`run ${event.runId} of ${event.workflow} dead-lettered: ${event.reason}`))
 * ```
 */
export interface RunDeadLettered extends RunEventBase {
  /** The event type. */
  readonly type: 'run.dead-lettered'
  /** How many times the run was taken over. */
  readonly recoveries: number
  /** Why, as recorded in the run's `statusMessage`. */
  readonly reason: string
}
/**
 * A worker took over a run that was left unfinished — by a process that was
 * killed or lost its lease, or by an engine that closed and released it — and
 * continues it from its checkpoints. Follows the run's `run.started`.
 *
 * @example
 * ```ts
 * import { createEngine, type RunRecovered } from 'weft-sdk'
 * const engine = createEngine()
 * engine.on('run.recovered', (event: RunRecovered) => console.warn(`run ${event.runId} taken over (epoch ${event.epoch}), ${event.replayedSteps} steps replayed`))
 * ```
 */
export interface RunRecovered extends RunEventBase {
  /** The event type. */
  readonly type: 'run.recovered'
  /** How many times the run was taken over after its worker stopped without releasing it (leases that ran out). */
  readonly recoveries: number
  /** The run's claim number: 1 for its first worker, one more for each takeover. */
  readonly epoch: number
  /** Steps recorded before, which this worker replays instead of running again. */
  readonly replayedSteps: number
}
/**
 * A task's first attempt began.
 *
 * @example
 * ```ts
 * import { createEngine, type TaskStarted } from 'weft-sdk'
 * const engine = createEngine()
 * engine.on('task.started', (event: TaskStarted) => console.log(`${event.runId}: ${event.task} started`))
 * ```
 */
export interface TaskStarted extends TaskEventBase {
  /** The event type. */
  readonly type: 'task.started'
}
/**
 * A task attempt failed and another will follow after `delayMs`.
 *
 * @example
 * ```ts
 * import { createEngine, type TaskRetrying } from 'weft-sdk'
 * const engine = createEngine()
 * engine.on('task.retrying', (event: TaskRetrying) => console.warn(`${event.task}: attempt ${event.attempt} failed (${event.error.message}), retrying in ${event.delayMs} ms`))
 * ```
 */
export interface TaskRetrying extends TaskEventBase {
  /** The event type. */
  readonly type: 'task.retrying'
  /** The attempt that failed (1 for the first call). */
  readonly attempt: number
  /** Wait before the next attempt, in milliseconds. */
  readonly delayMs: number
  /** The error of the attempt that failed: name, message, code, causes, no stack. */
  readonly error: ErrorRecord
}
/**
 * A task produced its output (recorded before this event).
 *
 * @example
 * ```ts
 * import { createEngine, type TaskCompleted } from 'weft-sdk'
 * const engine = createEngine()
 * engine.on('task.completed', (event: TaskCompleted) => {
 *   if (!event.fromCheckpoint) console.log(`${event.task}: ${event.durationMs} ms, ${event.attempts} attempt(s)`)
 * })
 * ```
 */
export interface TaskCompleted extends TaskEventBase {
  /** The event type. */
  readonly type: 'task.completed'
  /** Attempts made, counting the one that succeeded. */
  readonly attempts: number
  /** Time from the first attempt's start to completion, in milliseconds. */
  readonly durationMs: number
  /** True when the output came from a checkpoint instead of a call. */
  readonly fromCheckpoint: boolean
}
/**
 * A task failed for good (after its retries).
 *
 * @example
 * ```ts
 * import { createEngine, type TaskFailed } from 'weft-sdk'
 * const engine = createEngine()
 * engine.on('task.failed', (event: TaskFailed) => {
 *   if (!event.handled) console.error(`${event.task} failed after ${event.attempts} attempts: ${event.error.message}`)
 * })
 * ```
 */
export interface TaskFailed extends TaskEventBase {
  /** The event type. */
  readonly type: 'task.failed'
  /** Attempts made. */
  readonly attempts: number
  /** Time from the first attempt's start to the failure, in milliseconds; 0 when the task never ran. */
  readonly durationMs: number
  /** The error of the last attempt: name, message, code, causes, no stack (the stored step has it). */
  readonly error: ErrorRecord
  /** True when an `@OnFailure` handler or optional dependents handle the failure. */
  readonly handled: boolean
}

/**
 * `@Recover` classified a failed attempt of a task and met it with its
 * class's strategy: another attempt follows (`retrying`), a `fallbackWith`
 * fallback runs (`falling-back`: the task's `task.completed` or
 * `task.failed` with a `FallbackFailedError` tells how it went), a fallback
 * value or dependency gave the task its output (`recovered`), or the task
 * fails (`failed`, or `escalated` for the `escalate` strategy: alert on it).
 * Listeners get it; the run's log (what `run.events()` replays) does not
 * keep it.
 *
 * @example
 * ```ts
 * import { createEngine, type TaskErrorClassified } from 'weft-sdk'
 * const engine = createEngine()
 * engine.on('task.error-classified', (event: TaskErrorClassified) => {
 *   if (event.outcome === 'escalated') console.error(`ALERT ${event.workflow}/${event.runId} ${event.task}: ${event.errorClass} ${event.error.message}`)
 * })
 * ```
 */
export interface TaskErrorClassified extends TaskEventBase {
  /** The event type. */
  readonly type: 'task.error-classified'
  /** The attempt that failed (1 for the first). */
  readonly attempt: number
  /** The class the failure was sorted into (`connection`, `timeout`, …, or a user rule's). */
  readonly errorClass: string
  /** The strategy of its class (`none` when the task's policy gives it none). */
  readonly strategy: RecoveryStrategyKind
  /** What follows. */
  readonly outcome: 'retrying' | 'falling-back' | 'recovered' | 'failed' | 'escalated'
  /** The attempt's error: name, message, code, causes, no stack. */
  readonly error: ErrorRecord
}
/**
 * A task did not run.
 *
 * @example
 * ```ts
 * import { createEngine, type TaskSkipped } from 'weft-sdk'
 * const engine = createEngine()
 * engine.on('task.skipped', (event: TaskSkipped) => console.log(`${event.task} skipped (${event.reason})`))
 * ```
 */
export interface TaskSkipped extends TaskEventBase {
  /** The event type. */
  readonly type: 'task.skipped'
  /**
   * Why: `'condition'`, its `@When` condition was false; `'dependency'`, a
   * required dependency did not complete; `'not-failed'`, it is an
   * `@OnFailure` handler and its task did not fail.
   */
  readonly reason: 'condition' | 'dependency' | 'not-failed'
}
/**
 * A task was interrupted or never started because the run was cancelled or failed.
 *
 * @example
 * ```ts
 * import { createEngine, type TaskCancelled } from 'weft-sdk'
 * const engine = createEngine()
 * engine.on('task.cancelled', (event: TaskCancelled) => console.log(`${event.runId}: ${event.task} cancelled`))
 * ```
 */
export interface TaskCancelled extends TaskEventBase {
  /** The event type. */
  readonly type: 'task.cancelled'
}
/**
 * A task attempt reported progress through an adapter bound with
 * `ctx.use(adapter)`: each delta of a streamed LLM answer, for example.
 * Listeners get every one; the run's log (what `run.events()` replays) keeps
 * the first {@link maxLoggedProgressPerTask} of each task.
 *
 * @example
 * ```ts
 * import { createEngine, type TaskProgress } from 'weft-sdk'
 * const engine = createEngine()
 * engine.on('task.progress', (event: TaskProgress) => console.log(`${event.task} (${event.source}, attempt ${event.attempt}):`, event.data))
 * ```
 */
export interface TaskProgress extends TaskEventBase {
  /** The event type. */
  readonly type: 'task.progress'
  /** The attempt that reported it (1 for the first). */
  readonly attempt: number
  /** Who reported it: the adapter's name. */
  readonly source: string
  /** What it reported, in the shape its adapter documents (the LLM adapter's `LlmProgress`). */
  readonly data: unknown
}

/**
 * A call an adapter bound with `ctx.use(adapter)` made for a task attempt
 * ended, and the adapter reported it (`CallContext.report`): the LLM adapter
 * reports each completion with OpenTelemetry's GenAI attributes
 * (`gen_ai.request.model`, `gen_ai.usage.input_tokens`, …), and `weftTracing`
 * makes it a span under the attempt's span. Listeners get it; the run's log
 * (what `run.events()` replays) does not keep it.
 *
 * @example
 * ```ts
 * import { createEngine, type TaskCallReported } from 'weft-sdk'
 * const engine = createEngine()
 * engine.on('task.call', (event: TaskCallReported) => {
 *   console.log(`${event.task}: ${event.operation} in ${event.durationMs} ms, ${event.attributes['gen_ai.usage.output_tokens'] ?? '?'} tokens out`)
 * })
 * ```
 */
export interface TaskCallReported extends TaskEventBase {
  /** The event type. */
  readonly type: 'task.call'
  /** The attempt that made the call (1 for the first). */
  readonly attempt: number
  /** The adapter that made it. */
  readonly adapter: string
  /** What the call did, as a span would be named (`chat gpt-4o-mini`). */
  readonly operation: string
  /** How long it took, in milliseconds; it ended at `at`. */
  readonly durationMs: number
  /** What it was, in OpenTelemetry's conventions for its kind. */
  readonly attributes: Readonly<Record<string, string | number | boolean | readonly string[]>>
  /** Why it failed; absent when it succeeded. */
  readonly error: {
    /** The error's class name. */
    readonly name: string
    /** Its message, secrets redacted. */
    readonly message: string
    /** Its Weft code, when it has one. */
    readonly code?: string | undefined
  } | undefined
}

/**
 * How many `task.progress` events of one task a run's event log keeps (what
 * `run.events()` replays); listeners registered with `engine.on` get every
 * one. A long streamed answer would otherwise keep each of its deltas in
 * memory until the run ends.
 *
 * @example
 * ```ts
 * import { maxLoggedProgressPerTask } from 'weft-sdk'
 * console.log(`run.events() replays at most ${maxLoggedProgressPerTask} progress events per task`)
 * ```
 */
export const maxLoggedProgressPerTask = 1_000

/**
 * A payload sent to the run was refused on receipt by the schema of the event
 * (declared by the workflow, or given to `ctx.waitForEvent({ schema })`): the
 * waiting task never receives it and keeps waiting. Reported once per stored
 * event and run in each process that sees it (a worker that takes the run
 * over reports it again).
 *
 * @example
 * ```ts
 * import { createEngine, type EventRefused } from 'weft-sdk'
 * const engine = createEngine()
 * engine.on('event.refused', (refused: EventRefused) => {
 *   console.warn(`run ${refused.runId}: event "${refused.event}" #${refused.eventId} refused by task ${refused.task}: ${refused.message}`)
 * })
 * ```
 */
export interface EventRefused extends TaskEventBase {
  /** The event type. */
  readonly type: 'event.refused'
  /** The event's name. */
  readonly event: string
  /** The stored event's id. */
  readonly eventId: number
  /** Why the schema refused the payload: its own messages, each at its path (`at by: Expected ...`). */
  readonly message: string
}
/**
 * A circuit breaker changed state (a task's `@CircuitBreaker` or an adapter's). Not tied to a run.
 *
 * @example
 * ```ts
 * import { createEngine, type BreakerTransitioned } from 'weft-sdk'
 * const engine = createEngine()
 * const breakerLog = (event: BreakerTransitioned) => console.warn(`${event.type}: ${event.breaker}${event.adapter === undefined ? '' : ` (adapter ${event.adapter})`}, was ${event.from}`)
 * engine.on((event) => {
 *   if (event.type === 'breaker.opened' || event.type === 'breaker.closed') breakerLog(event)
 * })
 * ```
 */
export interface BreakerTransitioned {
  /** The event type, which names the state the circuit moved to. */
  readonly type: 'breaker.opened' | 'breaker.half-open' | 'breaker.closed'
  /** Epoch milliseconds. */
  readonly at: number
  /** The circuit's name. */
  readonly breaker: string
  /** The state the circuit left. */
  readonly from: CircuitState
  /** The adapter whose circuit it is; `undefined` for a task's circuit. */
  readonly adapter?: string
}
/**
 * A call through an adapter failed for good (after the adapter's own
 * retries). Not tied to a run: it reaches `engine.on` (and the adapter's
 * `observe` listeners) whichever task made the call.
 *
 * @example
 * ```ts
 * import { createEngine, type AdapterCallFailed } from 'weft-sdk'
 * const engine = createEngine()
 * engine.on('adapter.call-failed', (event: AdapterCallFailed) => {
 *   console.warn(`${event.adapter} ${event.operation}: ${event.error.code ?? event.error.name} after ${event.attempts} attempts`)
 * })
 * ```
 */
export interface AdapterCallFailed {
  /** The event type. */
  readonly type: 'adapter.call-failed'
  /** Epoch milliseconds. */
  readonly at: number
  /** The adapter's name. */
  readonly adapter: string
  /** The operation (e.g. `'GET /charges'` or a name the call gave). */
  readonly operation: string
  /** Attempts made. */
  readonly attempts: number
  /** Time from the call to its failure, in milliseconds. */
  readonly durationMs: number
  /** Whether the last error was retryable (a later call may succeed). */
  readonly retryable: boolean
  /** The last error: name, code and message, secrets redacted. */
  readonly error: {
    /** The error's class name (e.g. `'HttpStatusError'`), or `typeof` of a thrown value that is not an `Error`. */
    readonly name: string
    /** Its Weft error code (e.g. `'WEFT_HTTP_STATUS'`); `undefined` for an error that is not a Weft error. */
    readonly code: string | undefined
    /** Its message, with its causes, secrets replaced by `<redacted>`. */
    readonly message: string
  }
}

/**
 * An outbox entry was delivered: its adapter confirmed it (e.g. the broker
 * confirmed the publish) under the entry's stable id. At least once: after a
 * crash between the delivery and its record the entry is delivered again,
 * with the same id, and this event comes again.
 *
 * @example
 * ```ts
 * import { createEngine, type OutboxDelivered } from 'weft-sdk'
 * const engine = createEngine()
 * engine.on('outbox.delivered', (event: OutboxDelivered) => console.log(`${event.id} delivered by ${event.adapter} (attempt ${event.attempts})`))
 * ```
 */
export interface OutboxDelivered {
  /** The event's kind. */
  readonly type: 'outbox.delivered'
  /** Epoch milliseconds. */
  readonly at: number
  /** The entry's id (the message id). */
  readonly id: string
  /** The run whose step recorded it. */
  readonly runId: RunId
  /** The adapter that delivered it. */
  readonly adapter: string
  /** Delivery attempts so far, this one included. */
  readonly attempts: number
}

/**
 * A delivery of an outbox entry failed: it is retried after `retryAt`
 * (`willRetry`), or given up (`dead`: status `dead`, see
 * `engine.outbox.list({ status: 'dead' })`).
 *
 * @example
 * ```ts
 * import { createEngine, type OutboxFailed } from 'weft-sdk'
 * const engine = createEngine()
 * engine.on('outbox.failed', (event: OutboxFailed) => {
 *   if (!event.willRetry) console.error(`${event.id} given up after ${event.attempts} attempts: ${event.error.message}`)
 * })
 * ```
 */
export interface OutboxFailed {
  /** The event's kind. */
  readonly type: 'outbox.failed'
  /** Epoch milliseconds. */
  readonly at: number
  /** The entry's id (the message id). */
  readonly id: string
  /** The run whose step recorded it. */
  readonly runId: RunId
  /** The adapter that failed to deliver it. */
  readonly adapter: string
  /** Delivery attempts so far, this one included. */
  readonly attempts: number
  /** Whether it is tried again (at `retryAt`); false when it is now `dead`. */
  readonly willRetry: boolean
  /** When it is tried again (epoch milliseconds), if it is. */
  readonly retryAt: number | undefined
  /** What the adapter threw: name, code and message (adapters redact their secrets). */
  readonly error: {
    /** The error's class name. */
    readonly name: string
    /** Its Weft code, when it has one. */
    readonly code: string | undefined
    /** Its message, secrets redacted. */
    readonly message: string
  }
}

/**
 * The events of the durable outbox's deliveries (not tied to a run's log: they reach `engine.on`).
 *
 * @example
 * ```ts
 * import type { OutboxEvent } from 'weft-sdk'
 * const line = (event: OutboxEvent) => `${event.id} ${event.type === 'outbox.delivered' ? 'delivered' : `failed: ${event.error.message}`}`
 * ```
 */
export type OutboxEvent = OutboxDelivered | OutboxFailed

/**
 * Every event the engine emits. Discriminated by `type`.
 *
 * @example
 * ```ts
 * import { createEngine, type WeftEvent } from 'weft-sdk'
 * const engine = createEngine()
 * engine.on((event: WeftEvent) => {
 *   if (event.type === 'task.failed') console.error(`${event.task}: ${event.error.message}`)
 * })
 * ```
 */
export type WeftEvent =
  | RunStarted
  | TaskErrorClassified
  | RunCompleted
  | RunFailed
  | RunCancelled
  | RunPaused
  | RunResumed
  | RunRecovered
  | RunDeadLettered
  | TaskStarted
  | TaskRetrying
  | TaskCompleted
  | TaskFailed
  | TaskSkipped
  | TaskCancelled
  | TaskProgress
  | TaskCallReported
  | EventRefused
  | BreakerTransitioned
  | AdapterCallFailed
  | OutboxDelivered
  | OutboxFailed
  | AlertEvent

/**
 * The `type` of a {@link WeftEvent}: `'run.started'`, `'task.failed'`, ….
 *
 * @example
 * ```ts
 * import { createEngine, type WeftEventType } from 'weft-sdk'
 * const engine = createEngine()
 * const counts = new Map<WeftEventType, number>()
 * engine.on((event) => counts.set(event.type, (counts.get(event.type) ?? 0) + 1))
 * ```
 */
export type WeftEventType = WeftEvent['type']

/**
 * The event of one type (or of several): each event interface whose `type`
 * can be one of `T`. An interface whose `type` is a union (`BreakerTransitioned`:
 * `'breaker.opened' | 'breaker.half-open' | 'breaker.closed'`) is selected by
 * any of its types.
 *
 * @example
 * ```ts
 * import type { WeftEventOf } from 'weft-sdk'
 * const describeFailure = (event: WeftEventOf<'run.failed'>) => `${event.workflow} run ${event.runId}: ${event.error.message}`
 * const describeOpening = (event: WeftEventOf<'breaker.opened'>) => `circuit ${event.breaker} opened (was ${event.from})`
 * ```
 */
export type WeftEventOf<T extends WeftEventType> = WeftEvent extends infer E
  ? E extends {
      /** The types the event interface can have. */
      readonly type: infer U
    }
    ? [T & U] extends [never]
      ? never
      : E
    : never
  : never

/**
 * Events tied to a run: every {@link WeftEvent} but the adapters',
 * breakers', the outbox's and the alerts'; each has `runId` and `workflow`.
 *
 * @example
 * ```ts
 * import type { RunEvent } from 'weft-sdk'
 * const logLine = (event: RunEvent) => `${new Date(event.at).toISOString()} ${event.workflow}/${event.runId} ${event.type}`
 * ```
 */
export type RunEvent = Exclude<WeftEvent, BreakerTransitioned | AdapterCallFailed | OutboxEvent | AlertEvent>

/**
 * Events an adapter emits (through the engine it is registered with, or to
 * `adapter.observe` listeners).
 *
 * @example
 * ```ts
 * import { HttpAdapter, type AdapterEvent } from 'weft-sdk'
 * const search = new HttpAdapter({ name: 'search', baseUrl: 'http://127.0.0.1:8081', circuitBreaker: { consecutiveFailures: 5, halfOpenAfter: '30 s' } })
 * const stop = search.observe((event: AdapterEvent) => {
 *   if (event.type === 'breaker.opened') console.warn(`circuit ${event.breaker} opened`)
 * })
 * ```
 */
export type AdapterEvent = BreakerTransitioned | AdapterCallFailed
