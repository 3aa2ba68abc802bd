import type { Channel, ChannelModel, ConsumeMessage, Options } from 'amqplib'
import { AmqpInvalidMessageError, AmqpStartExhaustedError, AmqpUnavailableError } from '../../core/amqp-errors.js'
import { passwordsOf } from '../../core/connection-url.js'
import { toMillis, type Duration } from '../../core/duration.js'
import { describeCause, InvalidOptionsError, isWeftError } from '../../core/errors.js'
import { payloadDecoder } from '../../graph/event-payload.js'
import type { PayloadSchema } from '../../graph/task-context.js'
import type { AdapterEvent } from '../../runtime/run-events.js'
import type { Adapter, AdapterHealth, AdapterStats } from '../adapter.js'
import { OperationCounters } from '../operation-counters.js'
import { AmqpConnection, waitBounded, type AmqpReconnectOptions } from './amqp-connection.js'
import type { AmqpTopology } from './amqp-topology.js'

/**
 * What a trigger needs of the engine: `start(workflow, input, { runId, traceparent })`,
 * idempotent for the same id and input. An `Engine` is one; the port keeps
 * the integration layer free of the engine.
 *
 * @example
 * ```ts
 * import { createEngine, defineWorkflow } from 'weft-sdk'
 * import type { RunStarter } from 'weft-sdk/amqp'
 * const Greet = defineWorkflow<{ name: string }>({ name: 'greet', version: 1 }).task('say', (input) => `hi ${input.name}`).build()
 * const starter: RunStarter<typeof Greet> = createEngine({ workflows: [Greet] })
 * ```
 */
export interface RunStarter<W> {
  /** Creates the run durably (or finds the one with this id and the same input) and resolves; rejects when it cannot. */
  start(workflow: W, input: never, options: { readonly runId: string; readonly traceparent?: string }): Promise<unknown>
}

/**
 * Where a trigger sends a message it cannot start a run from: an exchange
 * (the message is republished there with a confirm, its properties kept,
 * headers `x-weft-reason`, `x-weft-error-code`, `x-weft-trigger` and
 * `x-weft-queue` added, and `x-weft-start-attempts` after `maxStartAttempts`
 * failed starts, then acked), or `'reject'` (rejected without
 * requeue, so the queue's own `x-dead-letter-exchange` takes it with an
 * `x-death` header; the reason is not attached, and without a dead-letter
 * exchange on the queue the broker drops it).
 *
 * @example
 * ```ts
 * import type { AmqpDeadLetter } from 'weft-sdk/amqp'
 * const toExchange: AmqpDeadLetter = { exchange: 'orders-dead', routingKey: 'order.rejected' }
 * const toQueuePolicy: AmqpDeadLetter = 'reject'
 * ```
 */
export type AmqpDeadLetter =
  | {
      /** The exchange dead messages are published to. */
      readonly exchange: string
      /** Their routing key there. @defaultValue the queue's name */
      readonly routingKey?: string
    }
  | 'reject'

/**
 * Options of {@link AmqpTrigger}.
 *
 * @example
 * ```ts
 * import { Schema } from 'effect'
 * import { createEngine, defineWorkflow } from 'weft-sdk'
 * import type { AmqpTriggerOptions } from 'weft-sdk/amqp'
 * const Ship = defineWorkflow<{ orderId: string }>({ name: 'ship', version: 1 }).task('label', (input) => input.orderId).build()
 * const options: AmqpTriggerOptions<typeof Ship> = {
 *   name: 'ship-orders',
 *   url: 'amqp://guest:guest@127.0.0.1:5672',
 *   queue: 'orders-to-ship',
 *   topology: { exchanges: [{ name: 'ship-dead', type: 'fanout' }], queues: [{ name: 'orders-to-ship' }, { name: 'ship-dead' }], bindings: [{ exchange: 'ship-dead', queue: 'ship-dead' }] },
 *   engine: createEngine({ workflows: [Ship] }),
 *   workflow: Ship,
 *   schema: Schema.Struct({ orderId: Schema.String }),
 *   deadLetter: { exchange: 'ship-dead' },
 *   prefetch: 8,
 * }
 * ```
 */
export interface AmqpTriggerOptions<W> {
  /** The trigger's name (unique among an engine's adapters). */
  readonly name: string
  /** The broker (the password is redacted from every message). */
  readonly url: string
  /** The queue consumed. Declare it in `topology` (or have it exist). */
  readonly queue: string
  /** Declared on every connect and reconnect, before consuming. */
  readonly topology?: AmqpTopology
  /** What starts the runs: an `Engine`, or on a secured engine `engine.as(caller)` (the secured engine itself refuses every start: those messages are dead-lettered with `WEFT_UNAUTHENTICATED`). (`NoInfer`: the workflow's type comes from `workflow`, not from the engine's generic `start`.) */
  readonly engine: RunStarter<NoInfer<W>>
  /** The workflow each message starts. */
  readonly workflow: W
  /** Decodes the message's JSON body into the input; a body it refuses is dead-lettered. Without it the parsed JSON is the input (the workflow's own input validation still applies). */
  readonly schema?: PayloadSchema
  /** Where messages that cannot start a run go. */
  readonly deadLetter: AmqpDeadLetter
  /** Messages handled at once (unacked on the channel). @defaultValue `16` */
  readonly prefetch?: number
  /**
   * How many starts of the same message may fail in a row (a store that stays
   * down, a starter that keeps throwing) before it is dead-lettered with
   * `AmqpStartExhaustedError` (the count and the last failure as the reason)
   * instead of being requeued again. Counted by message id in this trigger's
   * memory: a restart of the process starts the count again, and two triggers
   * consuming one queue count each their own, so it bounds the loop rather
   * than fixing an exact number of attempts.
   * @defaultValue `20`
   */
  readonly maxStartAttempts?: number
  /** The wait before a message whose start failed transiently (store unavailable) is requeued, doubling per consecutive failure. @defaultValue `{ initial: '100 ms', max: '5 s' }` */
  readonly requeueDelay?: {
    /** The first wait. */
    readonly initial?: Duration
    /** The longest wait. */
    readonly max?: Duration
  }
  /** Backoff between reconnect attempts. */
  readonly reconnect?: AmqpReconnectOptions
  /** How long `health()` waits for its round trip. @defaultValue `'5 s'` */
  readonly healthTimeout?: Duration
}

/**
 * How `AmqpTrigger.start` waits for the broker.
 *
 * @example
 * ```ts
 * import type { AmqpTriggerStartOptions } from 'weft-sdk/amqp'
 * const options: AmqpTriggerStartOptions = { timeout: '2 m', signal: AbortSignal.timeout(150_000) }
 * ```
 */
export interface AmqpTriggerStartOptions {
  /** How long to wait until the trigger consumes its queue. @defaultValue `'30 s'` */
  readonly timeout?: Duration
  /** Stops waiting (the trigger keeps reconnecting; `close()` stops it). */
  readonly signal?: AbortSignal
}

const defaultStartTimeout: Duration = '30 s'

/**
 * Start failures that the same message can never get past: dead-letter them at once. Among them the
 * security layer's refusals (a secured engine given instead of `engine.as(caller)`, a caller without the
 * permission): the trigger's caller does not change between deliveries. A retryable one (a key set that
 * could not be fetched) is requeued like any other failure.
 */
const permanentCodes: ReadonlySet<string> = new Set([
  'WEFT_INVALID_INPUT',
  'WEFT_RUN_CONFLICT',
  'WEFT_INVALID_OPTIONS',
  'WEFT_SERIALIZATION',
  'WEFT_PAYLOAD_TOO_LARGE',
  'WEFT_INVALID_WORKFLOW',
  'WEFT_UNAUTHENTICATED',
  'WEFT_FORBIDDEN',
  'WEFT_INVALID_PRINCIPAL',
  'WEFT_SECURITY_CONFIG',
])

const defaultMaxStartAttempts = 20
/** Message ids whose failed starts are counted at most: past it the oldest count is forgotten (its message then gets a fresh count). */
const countedMessagesMax = 10_000

/** How long a dead-lettered message waits for its confirm before it is requeued instead. */
const deadLetterConfirmMs = 10_000
/** How long `close()` lets messages in hand finish. */
const closeDrainMs = 10_000

type Verdict = { readonly kind: 'started' } | { readonly kind: 'invalid'; readonly error: Error } | { readonly kind: 'transient'; readonly error: unknown }

type Phase = 'idle' | 'starting' | 'consuming' | 'closed'

/**
 * Starts a workflow run per message of a queue: the message id is the run
 * id, and the message is acked only after `engine.start` resolved (the run
 * is durably created), so a crash before the ack redelivers it and the start
 * finds the same run (one run per message id). A message without an id, not
 * JSON, refused by the schema or the workflow's input validation, or whose
 * id is taken by another input, or refused by the engine's security (a
 * secured engine needs `engine.as(caller)`), is dead-lettered with the
 * reason; a start that fails otherwise (store unavailable) is requeued after
 * a backoff, so nothing is lost, up to `maxStartAttempts` failures in a row
 * (then it is dead-lettered with the count and the last failure). Consumes with a bounded prefetch on its own connection,
 * reconnecting (and re-declaring its topology) after a broker restart.
 * A message's `traceparent` header (W3C Trace Context) is passed to the
 * start, so on an engine with `tracing` the run's trace continues the
 * publisher's.
 *
 * It is an `Adapter` (kind `'amqp-trigger'`): register it with
 * `engine.adapters.register(trigger)` and the engine reports its health
 * (a round trip checking its queue) and closes it on `engine.close()`.
 *
 * @example
 * ```ts
 * import { createEngine, defineWorkflow } from 'weft-sdk'
 * import { AmqpTrigger } from 'weft-sdk/amqp'
 *
 * const Ship = defineWorkflow<{ orderId: string }>({ name: 'ship', version: 1 }).task('label', (input) => `label for ${input.orderId}`).build()
 * const engine = createEngine({ workflows: [Ship] })
 * const trigger = new AmqpTrigger({
 *   name: 'ship-orders',
 *   url: 'amqp://guest:guest@127.0.0.1:5672',
 *   queue: 'orders-to-ship',
 *   topology: { queues: [{ name: 'orders-to-ship' }, { name: 'orders-to-ship.dead' }] },
 *   engine,
 *   workflow: Ship,
 *   deadLetter: { exchange: '', routingKey: 'orders-to-ship.dead' },
 * })
 * engine.adapters.register(trigger) // health in engine.health(), closed by engine.close()
 * await trigger.start()
 * ```
 */
export class AmqpTrigger<W> implements Adapter {
  readonly kind = 'amqp-trigger'
  readonly name: string
  private readonly connection: AmqpConnection
  private readonly secrets: string[]
  private readonly counters = new Map<string, OperationCounters>()
  private readonly listeners = new Set<(event: AdapterEvent) => void>()
  private readonly inFlight = new Set<Promise<void>>()
  private readonly closing = new AbortController()
  private readonly prefetch: number
  private readonly requeueInitialMs: number
  private readonly requeueMaxMs: number
  private readonly healthTimeoutMs: number
  private readonly maxStartAttempts: number
  /** Consecutive failed starts per message id (a message started or dead-lettered is forgotten). */
  private readonly failedStarts = new Map<string, number>()
  private readonly decode: ((payload: unknown) => { ok: true; value: unknown } | { ok: false; issues: string }) | undefined
  private phase: Phase = 'idle'
  private consumer: { channel: Channel; tag: string } | undefined
  private readonly consuming = deferred()
  private transientFailures = 0

  constructor(private readonly options: AmqpTriggerOptions<W>) {
    if (typeof options.name !== 'string' || options.name === '') throw new TypeError('an AMQP trigger needs a name (options.name), unique among the engine\'s adapters')
    this.name = options.name
    this.secrets = passwordsOf(options.url)
    this.prefetch = positiveInteger(options.prefetch ?? 16, 'prefetch')
    this.maxStartAttempts = positiveInteger(options.maxStartAttempts ?? defaultMaxStartAttempts, 'maxStartAttempts')
    this.requeueInitialMs = toMillis(options.requeueDelay?.initial ?? '100 ms', 'requeueDelay.initial')
    this.requeueMaxMs = Math.max(this.requeueInitialMs, toMillis(options.requeueDelay?.max ?? '5 s', 'requeueDelay.max'))
    this.healthTimeoutMs = toMillis(options.healthTimeout ?? '5 s', 'healthTimeout')
    this.decode = options.schema === undefined ? undefined : payloadDecoder(options.schema)
    this.consuming.promise.catch(() => undefined)
    const onConnected = (model: ChannelModel) => this.consume(model)
    this.connection = new AmqpConnection({ owner: options.name, url: options.url, topology: options.topology ?? {}, reconnect: options.reconnect, redact: (text) => this.redact(text), onConnected })
  }

  /**
   * Connects (in the background, retrying with backoff) and resolves once it
   * consumes its queue; it consumes again after every reconnect.
   *
   * A broker that does not answer within `timeout` (30 s by default) fails
   * the call with `AmqpUnavailableError` naming the last connection failure,
   * so a process does not hang at startup on a wrong URL or a broker that is
   * down. The trigger keeps reconnecting in the background: it consumes as
   * soon as the broker is back, and `start()` may be awaited again; `close()`
   * stops it.
   *
   * @example
   * ```ts
   * import { AmqpUnavailableError, type AmqpTrigger } from 'weft-sdk/amqp'
   * async function startOrExit(trigger: AmqpTrigger<unknown>) {
   *   try {
   *     await trigger.start({ timeout: '10 s' })
   *   } catch (error) {
   *     if (error instanceof AmqpUnavailableError) console.error(error.message) // names the URL (password redacted) and the last failure
   *     await trigger.close()
   *     throw error
   *   }
   * }
   * ```
   * @throws `AmqpUnavailableError` when it does not consume within `timeout`;
   *   `AdapterClosedError` when closed first; the signal's reason when `signal` aborts first.
   */
  async start(options: AmqpTriggerStartOptions = {}): Promise<void> {
    const timeoutMs = toMillis(options.timeout ?? defaultStartTimeout, 'start timeout')
    if (this.phase === 'idle') this.phase = 'starting'
    const started = performance.now()
    const consuming = this.connection.open().then(() => this.consuming.promise)
    const unavailable = () => new AmqpUnavailableError(this.name, this.connection.redactedUrl, performance.now() - started, this.connection.lastFailure, 'or wait longer: trigger.start({ timeout })')
    await waitBounded(consuming, options.signal, timeoutMs, unavailable)
  }

  async health(): Promise<AdapterHealth> {
    const started = performance.now()
    const report = (state: AdapterHealth['state'], detail?: string): AdapterHealth => ({ state, latencyMs: performance.now() - started, breakers: [], limiters: [], ...(detail === undefined ? {} : { detail }) })
    const consumer = this.consumer
    if (this.phase === 'closed') return report('down', `trigger "${this.name}" is closed`)
    if (consumer === undefined) return report('down', `not consuming queue "${this.options.queue}" at ${this.connection.redactedUrl}${this.connection.lastFailure === undefined ? '' : `: ${this.connection.lastFailure}`}`)
    try {
      await waitBounded(consumer.channel.checkQueue(this.options.queue), undefined, this.healthTimeoutMs, () => new Error(`no answer within ${this.healthTimeoutMs} ms`))
      return report('up')
    } catch (error) {
      return report('down', this.redact(describeCause(error)))
    }
  }

  stats(): AdapterStats {
    return { adapter: this.name, kind: this.kind, operations: [...this.counters.values()].map((counters) => counters.snapshot()) }
  }

  observe(listener: (event: AdapterEvent) => void): () => void {
    this.listeners.add(listener)
    return () => void this.listeners.delete(listener)
  }

  /** Stops consuming, lets the messages in hand finish (at most 10 s; a requeue wait is cut short), and closes the connection (unacked messages go back to the queue). */
  async close(): Promise<void> {
    if (this.phase === 'closed') return
    this.phase = 'closed'
    this.closing.abort()
    const consumer = this.consumer
    this.consumer = undefined
    if (consumer !== undefined) await consumer.channel.cancel(consumer.tag).catch(() => undefined)
    // Starts under way get a while to finish and ack; one that hangs (a stuck store) does not hold the close: its message is unacked, so the broker requeues it.
    await waitBounded(Promise.allSettled([...this.inFlight]), undefined, closeDrainMs, () => new Error('drain')).catch(() => undefined)
    await this.connection.close()
    this.consuming.reject(new Error(`trigger "${this.name}" was closed`))
  }

  /** The recovery hook's part: a channel with the prefetch, consuming the queue. */
  private async consume(model: ChannelModel): Promise<void> {
    if (this.phase === 'closed') return
    const channel = await model.createChannel()
    channel.on('error', () => undefined) // the connection's events report failures; a channel error closes it
    channel.on('close', () => {
      if (this.consumer?.channel === channel) this.consumer = undefined
    })
    await channel.prefetch(this.prefetch)
    const { consumerTag } = await channel.consume(this.options.queue, (message) => this.received(channel, message), { noAck: false })
    this.consumer = { channel, tag: consumerTag }
    this.phase = 'consuming'
    this.consuming.resolve()
  }

  private received(channel: Channel, message: ConsumeMessage | null): void {
    if (message === null) {
      // The broker cancelled the consumer (the queue was deleted): nothing arrives until a reconnect declares it again.
      if (this.consumer?.channel === channel) this.consumer = undefined
      return
    }
    const handled = this.handle(channel, message)
    this.inFlight.add(handled)
    void handled.finally(() => this.inFlight.delete(handled))
  }

  /** One message: start its run, then ack; or dead-letter it; or requeue it after a backoff. */
  private async handle(channel: Channel, message: ConsumeMessage): Promise<void> {
    const started = performance.now()
    const verdict = this.capped(message, await this.verdict(message))
    if (verdict.kind !== 'transient') this.failedStarts.delete(String(message.properties.messageId))
    if (verdict.kind === 'started') {
      this.transientFailures = 0
      settle(() => channel.ack(message))
      this.record('start', started, undefined)
      return
    }
    if (verdict.kind === 'invalid') {
      const parked = await this.deadLetter(channel, message, verdict.error).then(() => true, (error: unknown) => (this.record('dead-letter', started, error), false))
      if (parked) {
        this.record('dead-letter', started, undefined)
        this.record('start', started, verdict.error)
        return
      }
    } else {
      this.record('start', started, verdict.error)
    }
    await this.requeue(channel, message)
  }

  private async verdict(message: ConsumeMessage): Promise<Verdict> {
    const messageId: unknown = message.properties.messageId
    if (typeof messageId !== 'string' || messageId === '') return this.invalid(undefined, 'it has no message id: publish it with a messageId (it becomes the run id)')
    let body: unknown
    try {
      body = JSON.parse(message.content.toString('utf8'))
    } catch (error) {
      return this.invalid(messageId, `its body is not JSON (${describeCause(error)})`)
    }
    const decoded = this.decode?.(body) ?? { ok: true, value: body }
    if (!decoded.ok) return this.invalid(messageId, `its body does not match the trigger's schema: ${decoded.issues}`)
    try {
      await this.options.engine.start(this.options.workflow, decoded.value as never, { runId: messageId, ...traceparentOf(message) })
      return { kind: 'started' }
    } catch (error) {
      if (isWeftError(error) && permanentCodes.has(error.code) && !error.isRetryable) return { kind: 'invalid', error }
      return { kind: 'transient', error }
    }
  }

  /** A transient verdict, counted against the message's id; past `maxStartAttempts` in a row it becomes a dead letter naming the count and the last failure. */
  private capped(message: ConsumeMessage, verdict: Verdict): Verdict {
    if (verdict.kind !== 'transient') return verdict
    const messageId = String(message.properties.messageId)
    const attempts = (this.failedStarts.get(messageId) ?? 0) + 1
    this.failedStarts.delete(messageId) // re-inserted last: the map forgets the longest-quiet message first
    if (attempts < this.maxStartAttempts) {
      this.failedStarts.set(messageId, attempts)
      if (this.failedStarts.size > countedMessagesMax) this.failedStarts.delete(this.failedStarts.keys().next().value!)
      return verdict
    }
    const error = new AmqpStartExhaustedError(this.name, messageId, attempts, this.redact(describeCause(verdict.error)), { cause: verdict.error })
    return { kind: 'invalid', error }
  }

  private invalid(messageId: string | undefined, reason: string): Verdict {
    return { kind: 'invalid', error: new AmqpInvalidMessageError(this.name, messageId, reason) }
  }

  /** Parks `message` where `deadLetter` says, with the reason, and acks it (after the confirm, so it is never in neither place). */
  private async deadLetter(channel: Channel, message: ConsumeMessage, error: Error): Promise<void> {
    const target = this.options.deadLetter
    if (target === 'reject') return void channel.nack(message, false, false)
    const publisher = await this.connection.confirmChannel(this.closing.signal, 30_000)
    const properties = deadLetterProperties(message, error, this.name, this.options.queue, (text) => this.redact(text))
    const confirmed = new Promise<void>((resolve, reject) => {
      publisher.publish(target.exchange, target.routingKey ?? this.options.queue, message.content, properties, (failed: unknown) => (failed === null || failed === undefined ? resolve() : reject(failed)))
    })
    // Unconfirmed in time (a blocked broker): the message is requeued instead, and parked on a later delivery.
    await waitBounded(confirmed, this.closing.signal, deadLetterConfirmMs, () => new Error(`the dead-letter exchange "${target.exchange}" did not confirm within ${deadLetterConfirmMs} ms`))
    channel.ack(message)
  }

  /** Gives a transiently failed message back to the queue after a wait that doubles per consecutive failure (cut short by `close()`). */
  private async requeue(channel: Channel, message: ConsumeMessage): Promise<void> {
    this.transientFailures++
    const delayMs = Math.min(this.requeueMaxMs, this.requeueInitialMs * 2 ** (this.transientFailures - 1))
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, delayMs)
      this.closing.signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true })
    })
    settle(() => channel.nack(message, false, true))
  }

  private record(operation: string, started: number, error: unknown): void {
    const durationMs = performance.now() - started
    let counters = this.counters.get(operation)
    if (counters === undefined) this.counters.set(operation, (counters = new OperationCounters(operation)))
    counters.record(durationMs, error !== undefined)
    if (error === undefined || this.listeners.size === 0) return
    const weft = isWeftError(error)
    const record = { name: error instanceof Error ? error.name : typeof error, code: weft ? error.code : undefined, message: this.redact(describeCause(error)) }
    const event: AdapterEvent = { type: 'adapter.call-failed', at: Date.now(), adapter: this.name, operation, attempts: 1, durationMs, retryable: weft ? error.isRetryable : true, error: record }
    for (const listener of this.listeners) settle(() => listener(event))
  }

  private redact(text: string): string {
    let redacted = text
    for (const secret of this.secrets) redacted = redacted.split(secret).join('<redacted>')
    return redacted
  }
}

/**
 * The W3C `traceparent` header the message carries, if any (a string, or the
 * bytes a publisher sent it as): the started run's trace continues the
 * publisher's, on an engine with `tracing`.
 */
function traceparentOf(message: ConsumeMessage): { readonly traceparent?: string } {
  const header: unknown = message.properties.headers?.['traceparent']
  if (typeof header === 'string') return { traceparent: header }
  return Buffer.isBuffer(header) ? { traceparent: header.toString('latin1') } : {}
}

/** The message's properties for the dead-letter exchange: kept, persistent, with the reason in headers (and, after exhausted starts, their count). */
function deadLetterProperties(message: ConsumeMessage, error: Error, trigger: string, queue: string, redact: (text: string) => string): Options.Publish {
  const { properties } = message
  const code = isWeftError(error) ? error.code : error.name
  const attempts = error instanceof AmqpStartExhaustedError ? { 'x-weft-start-attempts': error.attempts } : {}
  const headers = { ...properties.headers, 'x-weft-reason': redact(error.message), 'x-weft-error-code': code, 'x-weft-trigger': trigger, 'x-weft-queue': queue, ...attempts }
  return {
    messageId: properties.messageId,
    correlationId: properties.correlationId,
    contentType: properties.contentType,
    contentEncoding: properties.contentEncoding,
    type: properties.type,
    appId: properties.appId,
    timestamp: properties.timestamp,
    persistent: true,
    headers,
  }
}

/** Runs an ack, nack or listener whose failure must not stop the trigger (an ack on a channel that closed: the broker redelivers). */
function settle(action: () => void): void {
  try {
    action()
  } catch {
    // See above: a closed channel's message comes back; a listener's failure is its own.
  }
}

function positiveInteger(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 1) throw new InvalidOptionsError(`AMQP trigger: ${what} must be a positive integer, got ${value}`)
  return value
}

/** A promise with its resolve and reject (Node 20 has no `Promise.withResolvers`). */
function deferred(): { promise: Promise<void>; resolve: () => void; reject: (error: Error) => void } {
  let resolve!: () => void
  let reject!: (error: Error) => void
  const promise = new Promise<void>((ok, fail) => ((resolve = ok), (reject = fail)))
  return { promise, resolve, reject }
}
