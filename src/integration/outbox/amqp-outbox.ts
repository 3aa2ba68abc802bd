import { OutboxPayloadError } from '../../core/outbox-errors.js'
import type { OutboxEntry } from '../../storage/outbox-store.js'
import type { Duration } from '../../core/duration.js'

/**
 * Message properties of a durable publish (`ctx.use(amqp).publishDurably`):
 * those of `AmqpPublishOptions` but the id, which is the outbox entry's
 * (stable across re-runs of the step), and the operation (deliveries count
 * as `publish`).
 *
 * @example
 * ```ts
 * import type { AmqpDurableOptions } from 'weft-sdk/amqp'
 * const options: AmqpDurableOptions = { headers: { tenant: 'acme' }, correlationId: 'order-42' }
 * ```
 */
export interface AmqpDurableOptions {
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
  /** The message's type, for the application. */
  readonly type?: string
  /** Expires after this long in a queue. */
  readonly expiration?: Duration
  /** Its priority (for a priority queue). */
  readonly priority?: number
}

/** What an AMQP outbox entry holds: where to publish, the body, the message properties. */
export interface AmqpOutboxPayload {
  readonly exchange: string
  readonly routingKey: string
  readonly body: unknown
  readonly options: AmqpDurableOptions
}

/** The payload recorded for a durable publish (checked now: a bad call fails in the task, not at delivery). */
export function amqpOutboxPayload(exchange: string, routingKey: string, body: unknown, options: AmqpDurableOptions = {}): AmqpOutboxPayload {
  if (typeof exchange !== 'string' || typeof routingKey !== 'string') throw new TypeError('publishDurably(exchange, routingKey, body): exchange and routingKey must be strings')
  if (body === undefined) throw new TypeError('publishDurably: the body is undefined; pass bytes or a JSON value')
  return { exchange, routingKey, body, options }
}

/** The payload of an entry an AMQP adapter delivers. @throws {@link OutboxPayloadError} when it is not one `publishDurably` recorded. */
export function parseAmqpOutboxPayload(adapter: string, entry: OutboxEntry): AmqpOutboxPayload {
  const payload = entry.payload as Partial<AmqpOutboxPayload> | null
  if (typeof payload !== 'object' || payload === null) throw new OutboxPayloadError(adapter, entry.id, 'its payload is not an object')
  if (typeof payload.exchange !== 'string') throw new OutboxPayloadError(adapter, entry.id, 'it has no "exchange" string')
  if (typeof payload.routingKey !== 'string') throw new OutboxPayloadError(adapter, entry.id, 'it has no "routingKey" string')
  if (payload.body === undefined) throw new OutboxPayloadError(adapter, entry.id, 'it has no "body"')
  return { exchange: payload.exchange, routingKey: payload.routingKey, body: payload.body, options: payload.options ?? {} }
}
