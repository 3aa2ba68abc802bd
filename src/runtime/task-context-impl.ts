import { Duration, Effect } from 'effect'
import { toMillis, type Duration as WeftDuration } from '../core/duration.js'
import { ContextClosedError, EventTimeoutError, InvalidOptionsError, RecordedPayloadError } from '../core/errors.js'
import { formatStepSegment, type StepSegment } from '../core/step-key.js'
import { assertStorableName } from '../core/storable-name.js'
import type {
  EventStream,
  EventStreamOptions,
  LoopContext,
  AllMapOptions,
  MapItemFunction,
  MapItemResult,
  MapOptions,
  NoFailFastWhenSettled,
  PayloadSchema,
  SettledMapOptions,
  WaitForEventOptions,
  WaitForSchemaEventOptions,
} from '../graph/task-context.js'
import type { Bindable, CallReport } from '../graph/call-context.js'
import { AttemptCalls, type CallMaker } from './attempt-calls.js'
import { payloadDecoder, type DecodedPayload } from '../graph/event-payload.js'
import { EventStreamImpl } from './event-stream.js'
import { mapSettings, runMap } from './map-items.js'
import { waitForOneEvent } from './inbox-wait.js'
import { sleepReport, waitReport } from './own-calls.js'
import type { TaskHost } from './task-host.js'

/** The key of an attempt's step: its task's (`TaskNode.stepKey`), or its loop iteration's. Its sub-steps' keys and its idempotency key start with it. */
export function attemptStepKey(taskKey: string, iteration: number): string {
  return iteration >= 0 ? taskKey + formatStepSegment({ kind: 'iteration', index: iteration }) : taskKey
}

/**
 * The context object a task receives. Its `AbortSignal` is created only when
 * read: most tasks never look at it, and `abort()` (called by the interpreter
 * on cancel or timeout) then costs nothing.
 */
export class TaskContextImpl implements LoopContext<unknown> {
  private controller: AbortController | undefined
  private abortedBy: unknown = undefined
  private aborted = false
  /** The attempt has ended: the context records nothing more. */
  private closed = false
  private stepNames: Set<string> | undefined
  /** How many sleeps, waits and streams this attempt has begun: their step keys are numbered in call order. */
  private readonly sequence = { sleep: 0, wait: 0, events: 0 }
  /** The calls made through `ctx.use` in this attempt (their keys, usage and outbox entries), from the first one. */
  private bound: AttemptCalls | undefined
  /** The key of this attempt's task step (or loop iteration): every sub-step key starts with it. */
  private readonly stepPrefix: string

  constructor(
    private readonly host: TaskHost,
    readonly task: string,
    /** The key of the task's own step (`TaskNode.stepKey`). */
    taskKey: string,
    readonly attempt: number,
    /** The loop iteration, or -1 outside loops. */
    readonly iteration: number,
  ) {
    this.stepPrefix = attemptStepKey(taskKey, iteration)
  }

  get runId(): string {
    return this.host.runId
  }

  get workflow(): string {
    return this.host.workflow
  }

  get input(): unknown {
    return this.host.input
  }

  /** The services a `defineWorkflow` definition declared, resolved for this run. */
  get services(): Readonly<Record<string, unknown>> {
    return this.host.workflowServices
  }

  get idempotencyKey(): string {
    return `${this.host.runId}:${this.stepPrefix}`
  }

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController()
      if (this.aborted) this.controller.abort(this.abortedBy)
    }
    return this.controller.signal
  }

  use<C>(adapter: Bindable<C>): C {
    return this.calls().use(adapter, 'ctx.use')
  }

  /** What `ctx.use` binds adapters to: this attempt's signal, and keys numbered per adapter from 1 (again from 1 on a retry, so a retried call keeps its key). */
  private calls(): AttemptCalls {
    if (this.bound !== undefined) return this.bound
    const context = this
    const maker: CallMaker = {
      task: this.task,
      attempt: this.attempt,
      stepKey: this.stepPrefix,
      idempotencyKey: this.idempotencyKey,
      get signal() {
        return context.signal
      },
      isClosed: () => context.closed,
    }
    return (this.bound = new AttemptCalls(this.host, maker))
  }

  /** Reports a call of this attempt (its own wait, sleep or map item) unless the attempt is over. */
  private reportCall(call: CallReport): void {
    if (!this.closed) this.host.callReported(this.task, this.attempt, call)
  }

  /** Whether a report of this attempt's own calls would reach anyone: the attempt is open and someone hears `task.call`. */
  private reporting(): boolean {
    return !this.closed && this.host.reportsCalls()
  }

  /** The attempt failed or was interrupted: what it staged for the outbox is dropped (a failed attempt records no entry). */
  discardOutbox(): void {
    this.bound?.discardOutbox()
  }

  /** Fires the signal (the interpreter calls this when the attempt is interrupted). The context is closed. */
  abort(reason?: unknown): void {
    this.closed = true
    if (this.aborted) return
    this.aborted = true
    this.abortedBy = reason
    this.controller?.abort(reason)
  }

  /**
   * Ends the attempt's use of the context (its body returned or threw): the
   * signal fires, later calls of the durable helpers fail with
   * `ContextClosedError`, and waits, sleeps or streams the body left running
   * stop, so nothing is recorded for an attempt that is over.
   */
  close(): void {
    this.abort()
  }

  /** Refuses a durable call once the attempt has ended (`what` names the call). */
  private assertOpen(what: () => string): void {
    if (this.closed) throw new ContextClosedError(this.host.runId, this.task, what())
  }

  waitForEvent<S extends PayloadSchema>(name: string, options: WaitForSchemaEventOptions<S>): Promise<S['Type']>
  waitForEvent<E = unknown>(name: string, options?: WaitForEventOptions<E>): Promise<E>
  async waitForEvent(name: string, options: WaitForEventOptions<unknown> & { readonly schema?: PayloadSchema } = {}): Promise<unknown> {
    this.assertOpen(() => `ctx.waitForEvent(${JSON.stringify(name)})`)
    const timeoutMs = options.timeout === undefined ? undefined : toMillis(options.timeout, 'waitForEvent timeout')
    const key = this.key({ kind: 'wait', name: assertStorableName('event name', name), index: this.sequence.wait++ })
    // A schema given here, else the one the workflow declares for this event: a payload either refuses does not match.
    const schema = options.schema ?? this.host.events.get(name)
    const decode = schema === undefined ? undefined : payloadDecoder(schema)
    const recorded = this.host.recorded(key)
    if (recorded !== undefined) return decode === undefined ? recorded.output : decodedOrThrow(decode, recorded.output, name)
    const what = () => `ctx.waitForEvent(${JSON.stringify(name)})`
    const since = await this.host.timer(key + formatStepSegment({ kind: 'since' }), this.host.now())
    this.assertOpen(what)
    const deadline = timeoutMs === undefined ? undefined : await this.host.timer(key + formatStepSegment({ kind: 'deadline' }), since + timeoutMs)
    this.assertOpen(what)
    const match = decode === undefined ? options.match : decodedMatch(decode, options.match)
    const wait = waitForOneEvent(this.host, { name, task: this.task, key, since, deadline, match: match as never, refusal: refusalOf(decode) }, timeoutMs)
    const payload = await this.waited(name, key, this.host.now(), this.runEffect(wait))
    return decode === undefined ? payload : decodedOrThrow(decode, payload, name)
  }

  /** A wait for `name` that began at `startedAt`, reported as it ends: taken, or timed out (an interrupted one is not: the attempt is over). */
  private async waited(name: string, key: string, startedAt: number, wait: Promise<unknown>): Promise<unknown> {
    try {
      const payload = await wait
      if (this.reporting()) this.reportCall(waitReport(name, key, startedAt, this.host.now()))
      return payload
    } catch (error) {
      if (error instanceof EventTimeoutError && this.reporting()) this.reportCall(waitReport(name, key, startedAt, this.host.now(), error))
      throw error
    }
  }

  events<E = unknown>(name: string, options: EventStreamOptions<E> = {}): EventStream<E> {
    const schema = this.host.events.get(name)
    const decode = schema === undefined ? undefined : payloadDecoder(schema)
    this.assertOpen(() => `ctx.events(${JSON.stringify(name)})`)
    const timeoutMs = options.timeout === undefined ? undefined : toMillis(options.timeout, 'events timeout')
    const key = this.key({ kind: 'events', name: assertStorableName('event name', name), index: this.sequence.events++ })
    const match = decode === undefined ? options.match : decodedMatch(decode, options.match)
    const toValue = decode === undefined ? undefined : (payload: unknown) => decodedOrThrow(decode, payload, name)
    return new EventStreamImpl<E>(this.host, { name, task: this.task, key, match: match as never, refusal: refusalOf(decode), timeoutMs, toValue }, this.signal)
  }

  async step<R>(name: string, fn: (signal: AbortSignal) => Promise<R> | R): Promise<R> {
    const what = () => `ctx.step(${JSON.stringify(name)})`
    this.assertOpen(what)
    const key = this.key({ kind: 'step', name: assertStorableName('step name', name) })
    this.claimStepName(key, `ctx.step("${name}")`)
    const recorded = this.host.recorded(key)
    if (recorded !== undefined) return recorded.output as R
    this.signal.throwIfAborted()
    const startedAt = this.host.now()
    const output = await fn(this.signal)
    this.assertOpen(what)
    return (await this.host.recordStep(key, this.task, output, startedAt)) as R
  }

  map<T, R, O extends SettledMapOptions = SettledMapOptions>(items: readonly T[], fn: MapItemFunction<T, R>, options: O): Promise<MapItemResult<R>[]>
  map<T, R, O extends AllMapOptions = {}>(items: readonly T[], fn: MapItemFunction<T, R>, options?: O): Promise<R[]>
  map<T, R, O extends MapOptions>(items: readonly T[], fn: MapItemFunction<T, R>, options: O & NoFailFastWhenSettled<O>): Promise<R[] | MapItemResult<R>[]>
  async map<T, R>(items: readonly T[], fn: MapItemFunction<T, R>, options: MapOptions = {}): Promise<R[] | MapItemResult<R>[]> {
    this.assertOpen(() => `ctx.map${options.name === undefined ? '' : ` named ${JSON.stringify(options.name)}`}`)
    const settings = mapSettings(this.task, options)
    const map = options.name === undefined ? undefined : assertStorableName('map name', options.name)
    this.claimStepName(this.key({ kind: 'item', index: 0, map }), map === undefined ? 'ctx.map' : `ctx.map named "${map}"`)
    return runMap({
      host: this.host,
      task: this.task,
      items,
      fn,
      settings,
      keyOf: (index) => this.key({ kind: 'item', index, map }),
      signal: this.signal,
      assertOpen: (index) => this.assertOpen(() => `ctx.map item ${index}`),
      reporting: () => this.reporting(),
      report: (call) => this.reportCall(call),
    })
  }

  /** A durable sleep: its deadline is stored the first time, so a restarted run wakes when it was due. */
  async sleep(duration: WeftDuration): Promise<void> {
    this.assertOpen(() => 'ctx.sleep')
    const ms = toMillis(duration, 'sleep duration')
    const key = this.key({ kind: 'sleep', index: this.sequence.sleep++ })
    const wakeAt = await this.host.timer(key, this.host.now() + ms)
    this.assertOpen(() => 'ctx.sleep')
    const now = this.host.now()
    const remaining = wakeAt - now
    if (remaining <= 0) return
    await this.runEffect(Effect.sleep(Duration.millis(remaining)))
    if (this.reporting()) this.reportCall(sleepReport(key, ms, now, this.host.now()))
  }

  /** The key of a step of this attempt. */
  private key(segment: StepSegment): string {
    return this.stepPrefix + formatStepSegment(segment)
  }

  /** Refuses a second `ctx.step` or `ctx.map` whose steps would share keys with an earlier one (`key`: its first key). */
  private claimStepName(key: string, what: string): void {
    this.stepNames ??= new Set()
    if (this.stepNames.has(key)) {
      throw new InvalidOptionsError(`task "${this.task}": ${what} is called twice in one attempt; give each call its own name`)
    }
    this.stepNames.add(key)
  }

  private runEffect<A, E>(effect: Effect.Effect<A, E>): Promise<A> {
    return Effect.runPromiseWith(this.host.services)(effect, { signal: this.signal })
  }
}

/** A match over raw payloads: those that decode, and that `match` (given the decoded value) accepts. */
function decodedMatch(decode: (payload: unknown) => DecodedPayload, match: ((payload: never) => boolean) | undefined): (payload: unknown) => boolean {
  return (payload) => {
    const decoded = decode(payload)
    return decoded.ok && (match === undefined || match(decoded.value as never))
  }
}

/** Why a payload fails to decode (the schema's messages), for the `event.refused` report; no decoder refuses nothing. */
function refusalOf(decode: ((payload: unknown) => DecodedPayload) | undefined): ((payload: unknown) => string | undefined) | undefined {
  if (decode === undefined) return undefined
  return (payload) => {
    const decoded = decode(payload)
    return decoded.ok ? undefined : decoded.issues
  }
}

/** A recorded payload, decoded again on replay; it decoded when it was taken, so a failure means the schema changed since. */
function decodedOrThrow(decode: (payload: unknown) => DecodedPayload, payload: unknown, name: string): unknown {
  const decoded = decode(payload)
  if (decoded.ok) return decoded.value
  throw new RecordedPayloadError(name, decoded.issues)
}
