import { randomUUID } from 'node:crypto'
import type { ConfirmChannel, Options } from 'amqplib'
import { AmqpPublishError, AmqpTopologyError } from '../../core/amqp-errors.js'
import { passwordsOf } from '../../core/connection-url.js'
import { toMillis, type Duration } from '../../core/duration.js'
import type { CallContext } from '../../graph/call-context.js'
import type { AttemptCut } from '../../resilience/attempt-cut.js'
import { Deadlines, type Deadline } from '../../resilience/deadlines.js'
import { AdapterBase, type AdapterBaseOptions, type CallOptions } from '../adapter-base.js'
import { AmqpConnection, waitBounded, type AmqpReconnectOptions } from './amqp-connection.js'
import type { AmqpTopology } from './amqp-topology.js'
import type { OutboxEntry } from '../../storage/outbox-store.js'
import { amqpOutboxPayload, parseAmqpOutboxPayload, type AmqpDurableOptions } from '../outbox/amqp-outbox.js'
import type { OutboxTarget } from '../outbox/outbox-target.js'

/**
 * Options of {@link AmqpAdapter}: the broker, what to declare on every
 * (re)connect, how long a publish waits, and the resilience of its calls
 * ({@link AdapterBaseOptions}; operation `publish`, or the name a publish
 * gives).
 *
 * @example
 * ```ts
 * import { AmqpAdapter, type AmqpAdapterOptions } from 'weft-sdk/amqp'
 * const options: AmqpAdapterOptions = {
 *   name: 'events',
 *   url: process.env['AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672',
 *   topology: { exchanges: [{ name: 'orders', type: 'topic' }] },
 *   confirmTimeout: '5 s',
 *   connectionWait: '30 s',
 *   retry: { maxAttempts: 5, backoff: { initial: '200 ms', max: '5 s' } },
 * }
 * const events = new AmqpAdapter(options)
 * ```
 */
export interface AmqpAdapterOptions extends AdapterBaseOptions {
  /** The broker, e.g. `amqp://user:password@host:5672/vhost?heartbeat=10` (the password is redacted from every message). */
  readonly url: string
  /** Exchanges, queues and bindings declared on every connect and reconnect. */
  readonly topology?: AmqpTopology
  /** How long a publish waits for the broker's confirm before failing with `AmqpPublishError` (`timeout`, retryable). @defaultValue `'10 s'` */
  readonly confirmTimeout?: Duration
  /** How long a publish waits for a connection (during a broker restart) before failing with `AmqpUnavailableError`, unless the call's signal or timeout policy cuts it first. @defaultValue `'30 s'` */
  readonly connectionWait?: Duration
  /** Backoff between reconnect attempts. */
  readonly reconnect?: AmqpReconnectOptions
}

/**
 * A publish's message properties. Messages are persistent unless
 * `persistent: false`.
 *
 * @example
 * ```ts
 * import type { AmqpPublishOptions } from 'weft-sdk/amqp'
 * const options: AmqpPublishOptions = { messageId: 'order-42-created', headers: { tenant: 'acme' }, correlationId: 'order-42' }
 * ```
 */
export interface AmqpPublishOptions {
  /**
   * The message's id, which consumers (and Weft's trigger, as the run id)
   * deduplicate by. @defaultValue the call's idempotency key (`ctx.use`: one
   * per call, the same when a task attempt is retried), else a random UUID
   */
  readonly messageId?: string
  /** Survives a broker restart in a durable queue (delivery mode 2). @defaultValue `true` */
  readonly persistent?: boolean
  /** Application headers. */
  readonly headers?: Readonly<Record<string, unknown>>
  /** The content type. @defaultValue `'application/json'` for a JSON body, none for bytes */
  readonly contentType?: string
  /** Correlates a reply with its request. */
  readonly correlationId?: string
  /** Where replies go. */
  readonly replyTo?: string
  /** Fail with `AmqpPublishError` (`unroutable`, not retryable) when no queue is bound to take the message, instead of the broker dropping it. @defaultValue `false` */
  readonly mandatory?: boolean
  /** The message's type, for the application. */
  readonly type?: string
  /** Expires after this long in a queue. */
  readonly expiration?: Duration
  /** Its priority (for a priority queue). */
  readonly priority?: number
  /** The operation its counters and per-operation policies go by. @defaultValue `'publish'` */
  readonly operation?: string
}

/**
 * What a confirmed publish returns: the id the message was published with.
 *
 * @example
 * ```ts
 * import type { AmqpPublished } from 'weft-sdk/amqp'
 * const published: AmqpPublished = { messageId: 'order-42-created' }
 * ```
 */
export interface AmqpPublished {
  /** The message's id. */
  readonly messageId: string
}

/**
 * What `ctx.use(amqp)` returns: publishes bound to the task attempt (its
 * signal; its idempotency key as the default message id, so a retried
 * attempt publishes its messages again under the same ids).
 *
 * @example
 * ```ts
 * import type { AmqpClient } from 'weft-sdk/amqp'
 * declare const events: AmqpClient // ctx.use(this.events) in a task
 * const { messageId } = await events.publish('orders', 'order.created', { orderId: 'o-42' })
 * await events.sendToQueue('audit', { orderId: 'o-42', messageId })
 * ```
 */
export interface AmqpClient {
  /** Publishes `body` to `exchange` with `routingKey`; resolves when the broker confirmed it. */
  publish(exchange: string, routingKey: string, body: unknown, options?: AmqpPublishOptions): Promise<AmqpPublished>
  /** Publishes `body` to `queue` through the default exchange; resolves when the broker confirmed it. */
  sendToQueue(queue: string, body: unknown, options?: AmqpPublishOptions): Promise<AmqpPublished>
  /**
   * Records the publish in the durable outbox instead of sending it: it is
   * written with the task's step and published (with confirm) once the step
   * committed, at least once, with the returned id as its message id (the
   * same when the step runs again after a crash). Returns that id.
   */
  publishDurably(exchange: string, routingKey: string, body: unknown, options?: AmqpDurableOptions): string
}

/**
 * An adapter for RabbitMQ (AMQP 0-9-1, on `amqplib`): publishes on a
 * confirm channel and resolves only once the broker confirmed the message
 * (a nack, a timeout or a lost channel is a retryable `AmqpPublishError`),
 * persistent messages with a stable `messageId`, a topology re-declared on
 * every reconnect, reconnection with backoff after a broker restart
 * (publishes made meanwhile wait for it, bounded by `connectionWait` and the
 * call's signal and timeout), a health check that makes a round trip on the
 * channel, and the task policies (retry, timeout, breaker, rate limit,
 * bulkhead) per adapter and per operation. Bodies that are not bytes
 * (`Uint8Array`/`Buffer`) are sent as JSON.
 *
 * @example
 * ```ts
 * import { AmqpAdapter } from 'weft-sdk/amqp'
 *
 * const events = new AmqpAdapter({
 *   name: 'events',
 *   url: 'amqp://guest:guest@127.0.0.1:5672',
 *   topology: { exchanges: [{ name: 'orders', type: 'topic' }], queues: [{ name: 'order-audit' }], bindings: [{ exchange: 'orders', queue: 'order-audit', routingKey: 'order.#' }] },
 *   retry: { maxAttempts: 5, backoff: { initial: '200 ms', max: '5 s' } },
 *   timeout: '30 s',
 * })
 * // in a task: await ctx.use(events).publish('orders', 'order.created', { orderId: input.orderId })
 * await events.publish('orders', 'order.created', { orderId: 'o-42' }, { messageId: 'o-42-created' })
 * await events.close()
 * ```
 */
export class AmqpAdapter extends AdapterBase<AmqpClient> implements OutboxTarget {
  readonly kind = 'amqp'
  private readonly connection: AmqpConnection
  private readonly confirmTimeoutMs: number
  private readonly connectionWaitMs: number
  /** The confirm timeouts of publishes in flight, on one timer. */
  private readonly confirmDeadlines: Deadlines

  constructor(options: AmqpAdapterOptions) {
    super(options)
    for (const secret of passwordsOf(options.url)) this.addSecret(secret)
    this.confirmTimeoutMs = toMillis(options.confirmTimeout ?? '10 s', 'confirmTimeout')
    this.connectionWaitMs = toMillis(options.connectionWait ?? '30 s', 'connectionWait')
    this.confirmDeadlines = new Deadlines(this.confirmTimeoutMs)
    this.connection = new AmqpConnection({ owner: options.name, url: options.url, topology: options.topology ?? {}, reconnect: options.reconnect, redact: (text) => this.redact(text) })
  }

  /** The broker's URL, its password redacted. */
  get url(): string {
    return this.connection.redactedUrl
  }

  /**
   * Publishes `body` to `exchange` with `routingKey` (with the adapter's
   * policies) and resolves once the broker confirmed it. `call` carries a
   * signal and an idempotency key (the default message id); in a task, use
   * `ctx.use(adapter)`, which sets both. An outbox deliverer passes the
   * recorded id as `options.messageId`.
   * @throws `AmqpPublishError` (not confirmed: retryable; `unroutable`: not), `AmqpUnavailableError` (no connection in time; retryable), `AmqpTopologyError` (no such exchange), a policy's error (timeout, open circuit, …), `AdapterClosedError` after `close()`.
   */
  async publish(exchange: string, routingKey: string, body: unknown, options: AmqpPublishOptions = {}, call: CallOptions = {}): Promise<AmqpPublished> {
    const messageId = options.messageId ?? call.idempotencyKey ?? randomUUID()
    const { content, contentType } = encodeBody(body, options.contentType)
    const properties = publishProperties(options, messageId, contentType)
    await this.callCut(options.operation ?? 'publish', call, (cut) => this.publishOnce(exchange, routingKey, content, properties, cut))
    return { messageId }
  }

  /** Publishes `body` to `queue` through the default exchange; like {@link AmqpAdapter.publish}. */
  sendToQueue(queue: string, body: unknown, options: AmqpPublishOptions = {}, call: CallOptions = {}): Promise<AmqpPublished> {
    return this.publish('', queue, body, options, call)
  }

  /**
   * A client bound to a task attempt: its publishes carry the attempt's
   * signal, idempotency keys and, when the run is traced, the attempt's
   * W3C `traceparent` header (unless the publish gives one), so a run an
   * `AmqpTrigger` starts from the message continues the trace.
   */
  bind(call: CallContext): AmqpClient {
    const bound = (): CallOptions => ({ signal: call.signal, idempotencyKey: call.nextIdempotencyKey(this.name) })
    return {
      publish: (exchange, routingKey, body, options) => this.publish(exchange, routingKey, body, withTraceparent(options, call), bound()),
      sendToQueue: (queue, body, options) => this.sendToQueue(queue, body, withTraceparent(options, call), bound()),
      publishDurably: (exchange, routingKey, body, options) => call.outbox(this.name, amqpOutboxPayload(exchange, routingKey, body, withTraceparent(options, call))),
    }
  }

  /** Delivers a durable publish's outbox entry (the engine's deliverer calls it): a confirmed publish with the entry's id as message id. */
  async deliver(entry: OutboxEntry, signal: AbortSignal): Promise<void> {
    const { exchange, routingKey, body, options } = parseAmqpOutboxPayload(this.name, entry)
    await this.publish(exchange, routingKey, body, { ...options, messageId: entry.id }, { signal })
  }

  /** A round trip on the publish channel (`checkExchange` of `amq.direct`, which every vhost has); down at once while disconnected. */
  protected async ping(signal: AbortSignal): Promise<void> {
    if (this.connection.lastFailure !== undefined && !this.connection.connected) throw new Error(`not connected to ${this.url}: ${this.connection.lastFailure}`)
    const channel = await this.connection.channelOrFailure(signal)
    await waitBounded(channel.checkExchange('amq.direct'), signal, undefined, () => new Error('unreachable'))
  }

  protected override async closeConnections(): Promise<void> {
    await this.connection.close()
  }

  /** One attempt: a channel (waiting for a connection only when none is open), the publish, and its confirm. */
  private publishOnce(exchange: string, routingKey: string, content: Buffer, properties: Options.Publish, cut: AttemptCut | undefined): Promise<void> {
    const channel = this.connection.readyChannel
    if (channel !== undefined) return this.confirmed(channel, exchange, routingKey, content, properties, cut)
    return this.connection.confirmChannel(cut?.signal, this.connectionWaitMs).then((opened) => this.confirmed(opened, exchange, routingKey, content, properties, cut))
  }

  /**
   * Publishes on `channel` and waits for the broker's confirm, at most
   * `confirmTimeout` (on the adapter's one deadline queue, not a timer per
   * publish) and until the attempt is cut (a hook on its `AttemptCut`, not a
   * signal made per attempt): bench section 3c.
   */
  private confirmed(channel: ConfirmChannel, exchange: string, routingKey: string, content: Buffer, properties: Options.Publish, cut: AttemptCut | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let done = false
      let deadline: Deadline | undefined
      const settle = (): boolean => {
        if (done) return false
        done = true
        if (deadline !== undefined) this.confirmDeadlines.finish(deadline)
        cut?.offCut(onCut)
        return true
      }
      const onCut = (): void => void (settle() && reject(cut!.signal.reason))
      try {
        channel.publish(exchange, routingKey, content, properties, (error: unknown) => {
          if (!settle()) return
          if (error !== null && error !== undefined) return reject(this.notConfirmed(channel, exchange, routingKey, properties, error))
          if (properties.mandatory === true && this.connection.returned.get(channel)?.delete(properties.messageId!) === true) {
            return reject(new AmqpPublishError(this.name, exchange, routingKey, properties.messageId!, 'unroutable'))
          }
          resolve()
        })
      } catch (error) {
        this.connection.discard(channel)
        if (settle()) reject(this.notConfirmed(channel, exchange, routingKey, properties, error))
        return
      }
      if (done) return
      deadline = this.confirmDeadlines.add(() => void (settle() && reject(new AmqpPublishError(this.name, exchange, routingKey, properties.messageId!, 'timeout', `after ${this.confirmTimeoutMs} ms`))))
      cut?.onCut(onCut)
    })
  }

  /** Classifies a publish callback's error: a channel the broker closed for a missing exchange is a topology error, the rest not confirmed. */
  private notConfirmed(channel: ConfirmChannel, exchange: string, routingKey: string, properties: Options.Publish, error: unknown): Error {
    const closedBy = this.connection.channelErrors.get(channel)
    if (closedBy !== undefined && (closedBy as { code?: unknown }).code === 404) return new AmqpTopologyError(this.name, `a publish to exchange "${exchange}"`, this.redact(closedBy.message))
    const message = error instanceof Error ? error.message : String(error)
    const failure = /nack/i.test(message) ? 'nacked' : 'channel-closed'
    return new AmqpPublishError(this.name, exchange, routingKey, properties.messageId!, failure, this.redact(message))
  }
}

/** The bytes of a body and its content type: bytes as they are, anything else as JSON. */
function encodeBody(body: unknown, contentType: string | undefined): { content: Buffer; contentType: string | undefined } {
  if (body instanceof Uint8Array) return { content: Buffer.from(body.buffer, body.byteOffset, body.byteLength), contentType }
  const json = JSON.stringify(body)
  if (json === undefined) throw new TypeError(`an AMQP message body must be bytes or a JSON value, got ${typeof body}`)
  return { content: Buffer.from(json, 'utf8'), contentType: contentType ?? 'application/json' }
}

/** A bound publish's options: with the attempt's `traceparent` header when the run is traced and the headers carry none of their own, else as given. */
function withTraceparent(options: AmqpPublishOptions | undefined, call: CallContext): AmqpPublishOptions | undefined
function withTraceparent(options: AmqpDurableOptions | undefined, call: CallContext): AmqpDurableOptions | undefined
function withTraceparent(options: AmqpPublishOptions | AmqpDurableOptions | undefined, call: CallContext): AmqpPublishOptions | AmqpDurableOptions | undefined {
  if (options?.headers?.['traceparent'] !== undefined) return options
  const traceparent = call.traceparent()
  return traceparent === undefined ? options : { ...options, headers: { ...options?.headers, traceparent } }
}

function publishProperties(options: AmqpPublishOptions, messageId: string, contentType: string | undefined): Options.Publish {
  return {
    messageId,
    persistent: options.persistent ?? true,
    mandatory: options.mandatory ?? false,
    contentType,
    headers: options.headers,
    correlationId: options.correlationId,
    replyTo: options.replyTo,
    type: options.type,
    priority: options.priority,
    expiration: options.expiration === undefined ? undefined : String(toMillis(options.expiration, 'expiration')),
    timestamp: Math.floor(Date.now() / 1000),
  }
}

