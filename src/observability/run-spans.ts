import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span, type Tracer } from '@opentelemetry/api'
import type { RunStarted, TaskCallReported, TaskCompleted, TaskErrorClassified, TaskFailed, TaskRetrying, WeftEvent } from '../runtime/run-events.js'
import type { ErrorRecord } from '../storage/workflow-store.js'
import { WeftSpanAttributes as A } from './span-attributes.js'
import { contextOfTraceparent, toTraceparent } from './trace-context.js'

/** A task's current attempt: its span once it began, or the attempt a retry announced (its span starts lazily). */
interface AttemptTrace {
  readonly task: string
  readonly attempt: number
  /** When the attempt began (epoch milliseconds). */
  readonly startAt: number
  span: Span | undefined
  /** Set when this is not an attempt but the fallback that answered attempt {@link attempt}: the class of the failure it answers. */
  readonly fallbackFor?: string | undefined
}

/** A run traced in this process: its span, the context its children are parented to, and its tasks' attempts. */
interface RunTrace {
  readonly span: Span
  readonly context: Context
  /** Attributes every span of the run carries. */
  readonly identity: Attributes
  readonly attempts: Map<string, AttemptTrace>
}

/**
 * Builds spans from the engine's events, with every parent passed explicitly
 * (`trace.setSpan(ROOT_CONTEXT, runSpan)`), never through the active context:
 * a span per run executed here (the child of the trace context recorded with
 * the run), a span per task attempt (its child), under it a span per call an
 * adapter reported and per wait, sleep and map item of the attempt, and
 * events for what has no duration of its own (progress, pauses, skips,
 * replayed steps). Times are the events' own.
 *
 * It listens to the engine's events only while a run it follows is open (the
 * engine hands it each run as it starts): a run whose span does not record
 * (no SDK registered, or not sampled) is not followed, and an engine whose
 * runs are all unrecorded builds no events for it.
 */
export class RunSpans {
  private readonly runs = new Map<string, RunTrace>()
  private subscribe: ((listener: (event: WeftEvent) => void) => () => void) | undefined
  private unsubscribe: (() => void) | undefined

  constructor(private readonly tracer: Tracer) {}

  /** How many runs have an open span here. */
  get open(): number {
    return this.runs.size
  }

  /** Takes the engine's subscription to its events (used while a run is followed). */
  attach(subscribe: (listener: (event: WeftEvent) => void) => () => void): void {
    this.subscribe = subscribe
  }

  /** A run begins executing here: its span starts, and the run is followed if the span records. */
  runStarting(event: RunStarted): void {
    const identity: Attributes = { [A.workflow]: event.workflow, [A.version]: event.version, [A.runId]: event.runId }
    const parent = contextOfTraceparent(event.traceContext) ?? ROOT_CONTEXT
    const span = this.tracer.startSpan(`weft.run ${event.workflow}`, { startTime: event.at, attributes: identity }, parent)
    if (!span.isRecording()) return void span.end(event.at)
    this.runs.set(event.runId, { span, context: trace.setSpan(ROOT_CONTEXT, span), identity, attempts: new Map() })
    this.unsubscribe ??= this.subscribe?.(this.listener)
  }

  /** Follows one engine event (of a run it follows). */
  private readonly listener = (event: WeftEvent): void => {
    if (event.type === 'run.started' || !('runId' in event)) return
    const run = this.runs.get(event.runId)
    if (run !== undefined) this.follow(run, event)
  }

  /** Stops following `runId`; stops listening once no run is followed. */
  private forget(runId: string): void {
    this.runs.delete(runId)
    if (this.runs.size > 0 || this.unsubscribe === undefined) return
    this.unsubscribe()
    this.unsubscribe = undefined
  }

  /** Ends every open span at `at` (epoch milliseconds), as abandoned: for a process that stops with runs still running. */
  endAll(at: number): void {
    for (const runId of [...this.runs.keys()]) this.runAbandoned(runId, at)
  }

  /** This process gave `runId` up (another worker continues it): its spans end, as abandoned. */
  runAbandoned(runId: string, at: number): void {
    const run = this.runs.get(runId)
    if (run === undefined) return
    for (const current of run.attempts.values()) this.endAttempt(run, current, at, 'abandoned')
    run.span.setAttribute(A.runOutcome, 'abandoned')
    run.span.end(at)
    this.forget(runId)
  }

  private follow(run: RunTrace, event: WeftEvent): void {
    switch (event.type) {
      case 'run.recovered':
        run.span.setAttributes({ [A.runEpoch]: event.epoch, [A.runRecoveries]: event.recoveries, [A.replayedSteps]: event.replayedSteps })
        return void run.span.addEvent('weft.run.recovered', event.at)
      case 'run.paused':
      case 'run.resumed':
        return void run.span.addEvent(`weft.${event.type}`, event.at)
      case 'run.completed':
      case 'run.cancelled':
        return this.runEnded(run, event.runId, event.at, event.type === 'run.completed' ? 'completed' : 'cancelled', undefined)
      case 'run.failed':
        return this.runEnded(run, event.runId, event.at, 'failed', event.error)
      case 'task.started':
        return void run.attempts.set(event.task, { task: event.task, attempt: 1, startAt: event.at, span: undefined })
      case 'task.retrying':
        return this.taskRetrying(run, event)
      case 'task.error-classified':
        return this.taskErrorClassified(run, event)
      case 'task.completed':
        return this.taskCompleted(run, event)
      case 'task.failed':
        return this.taskFailed(run, event)
      case 'task.cancelled':
        return this.taskEnded(run, event.task, event.at, 'cancelled')
      case 'task.skipped':
        return void run.span.addEvent('weft.task.skipped', { [A.task]: event.task, [A.skipReason]: event.reason }, event.at)
      case 'task.progress':
        return void this.attemptSpan(run, event.task, event.at)?.addEvent('weft.task.progress', { [A.progressSource]: event.source }, event.at)
      case 'task.call':
        return this.taskCall(run, event)
      case 'event.refused':
        return void this.attemptSpan(run, event.task, event.at)?.addEvent('weft.event.refused', { [A.eventName]: event.event, 'weft.event.id': event.eventId }, event.at)
    }
  }

  /**
   * A call reported for an attempt, as a span under the attempt's span from
   * its start to its end: a client span for an adapter's call, an internal
   * one for the attempt's own wait, sleep or map item (`weft.operation`).
   */
  private taskCall(run: RunTrace, event: TaskCallReported): void {
    const attempt = this.attemptSpan(run, event.task, event.at - event.durationMs)
    if (attempt === undefined) return
    const attributes: Attributes = { ...run.identity, [A.task]: event.task, [A.attempt]: event.attempt, ...event.attributes }
    const parent = trace.setSpan(ROOT_CONTEXT, attempt)
    const kind = A.operation in event.attributes ? SpanKind.INTERNAL : SpanKind.CLIENT
    const span = this.tracer.startSpan(event.operation, { kind, startTime: event.at - event.durationMs, attributes }, parent)
    if (event.error !== undefined) markError(span, { name: event.error.name, message: event.error.message, code: event.error.code }, event.at)
    span.end(event.at)
  }

  /** The trace context of `task`'s current attempt span in `runId` (started now if it had not), or `undefined` when the run or the attempt is not followed here. */
  attemptTraceparent(runId: string, task: string, at: number): string | undefined {
    const run = this.runs.get(runId)
    const span = run === undefined ? undefined : this.attemptSpan(run, task, at)
    return span === undefined ? undefined : toTraceparent(span.spanContext())
  }

  private runEnded(run: RunTrace, runId: string, at: number, outcome: 'completed' | 'failed' | 'cancelled', error: ErrorRecord | undefined): void {
    for (const current of run.attempts.values()) this.endAttempt(run, current, at, 'cancelled')
    run.span.setAttribute(A.runOutcome, outcome)
    if (error !== undefined) markError(run.span, error, at)
    run.span.end(at)
    this.forget(runId)
  }

  private taskRetrying(run: RunTrace, event: TaskRetrying): void {
    const span = this.attemptSpan(run, event.task, event.at)
    if (span !== undefined) {
      span.setAttributes({ [A.taskOutcome]: 'retried', [A.retryDelayMs]: event.delayMs })
      markError(span, event.error, event.at)
      span.end(event.at)
    }
    run.attempts.set(event.task, { task: event.task, attempt: event.attempt + 1, startAt: event.at + event.delayMs, span: undefined })
  }

  /**
   * `@Recover` classified a failed attempt: an event on the attempt's span.
   * When a fallback answers it, the attempt's span ends there as failed
   * (outcome `fell-back`), and the fallback gets a span of its own, the
   * attempts' sibling, which the task's end closes.
   */
  private taskErrorClassified(run: RunTrace, event: TaskErrorClassified): void {
    const span = this.attemptSpan(run, event.task, event.at)
    if (span === undefined) return
    span.addEvent('weft.task.error-classified', { [A.errorClass]: event.errorClass, [A.recoveryStrategy]: event.strategy, [A.recoveryOutcome]: event.outcome }, event.at)
    if (event.strategy !== 'fallback' || (event.outcome !== 'falling-back' && event.outcome !== 'recovered')) return
    span.setAttribute(A.taskOutcome, 'fell-back')
    markError(span, event.error, event.at)
    span.end(event.at)
    run.attempts.set(event.task, { task: event.task, attempt: event.attempt, startAt: event.at, span: undefined, fallbackFor: event.errorClass })
  }

  private taskCompleted(run: RunTrace, event: TaskCompleted): void {
    if (event.fromCheckpoint) return void run.span.addEvent('weft.task.replayed', { [A.task]: event.task }, event.at)
    this.taskEnded(run, event.task, event.at, 'completed')
  }

  private taskFailed(run: RunTrace, event: TaskFailed): void {
    const span = this.attemptSpan(run, event.task, event.at)
    if (span === undefined) return void run.span.addEvent('weft.task.failed', { [A.task]: event.task, 'error.type': errorType(event.error) }, event.at)
    span.setAttribute(A.failureHandled, event.handled)
    markError(span, event.error, event.at)
    this.taskEnded(run, event.task, event.at, 'failed')
  }

  private taskEnded(run: RunTrace, task: string, at: number, outcome: string): void {
    const current = run.attempts.get(task)
    if (current === undefined) return
    this.endAttempt(run, current, at, outcome)
    run.attempts.delete(task)
  }

  private endAttempt(run: RunTrace, current: AttemptTrace, at: number, outcome: string): void {
    const span = current.span ?? this.startAttempt(run, current, at)
    span.setAttribute(A.taskOutcome, outcome)
    span.end(at)
  }

  /** The span of `task`'s current attempt, started now if the attempt had none yet; `undefined` when the task has no attempt open. */
  private attemptSpan(run: RunTrace, task: string, at: number): Span | undefined {
    const current = run.attempts.get(task)
    if (current === undefined) return undefined
    return current.span ?? this.startAttempt(run, current, at)
  }

  private startAttempt(run: RunTrace, current: AttemptTrace, at: number): Span {
    const { task } = current
    // A retry's attempt begins after its delay; a cancel during the delay ends it before: it then lasts no time.
    const startTime = Math.min(current.startAt, at)
    const attributes = attemptAttributes(run.identity, task, current.attempt)
    if (current.fallbackFor !== undefined) return (current.span = this.startFallback(run, current, startTime, attributes))
    const span = this.tracer.startSpan(`weft.task ${task}`, { startTime, attributes }, run.context)
    current.span = span
    return span
  }

  /** The span of a task's fallback: the attempt's attributes (the attempt it answers), the class it answers, `weft.recovery.strategy` `fallback`. */
  private startFallback(run: RunTrace, current: AttemptTrace, startTime: number, attempt: Attributes): Span {
    const attributes: Attributes = { ...attempt, [A.errorClass]: current.fallbackFor, [A.recoveryStrategy]: 'fallback' }
    return this.tracer.startSpan(`weft.fallback ${current.task}`, { startTime, attributes }, run.context)
  }
}

/** `error.type` (OpenTelemetry's convention): the Weft code when there is one, else the class name. */
function errorType(error: ErrorRecord): string {
  return error.code ?? error.name
}

/** Marks a span failed with `error`: status, `error.type`, and an `exception` event (OpenTelemetry's conventions). */
function markError(span: Span, error: ErrorRecord, at: number): void {
  span.setStatus({ code: SpanStatusCode.ERROR, message: error.message })
  span.setAttribute('error.type', errorType(error))
  const attributes: Attributes = { 'exception.type': error.name, 'exception.message': error.message }
  if (error.code !== undefined) attributes['weft.error.code'] = error.code
  span.addEvent('exception', attributes, at)
}

/**
 * An attempt span's attributes, as one literal with fixed keys (the keys of
 * {@link WeftSpanAttributes}): a spread with computed keys was the largest
 * cost of Weft's own per attempt in a profile.
 */
function attemptAttributes(identity: Attributes, task: string, attempt: number): Attributes {
  return {
    'weft.workflow.name': identity[A.workflow],
    'weft.workflow.version': identity[A.version],
    'weft.run.id': identity[A.runId],
    'weft.task.name': task,
    'weft.task.attempt': attempt,
  } satisfies Record<(typeof A)['workflow' | 'version' | 'runId' | 'task' | 'attempt'], unknown>
}
