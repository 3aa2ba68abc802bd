import { OutboxPayloadError } from '../../core/outbox-errors.js'
import type { OutboxEntry } from '../../storage/outbox-store.js'
import type { AmqpPublishOptions } from '../amqp/amqp-adapter.js'

/**
 * Message properties of a durable publish (`ctx.use(amqp).publishDurably`):
 * those of a publish but the id, which is the outbox entry's (stable across
 * re-runs of the step), and the operation (deliveries count as `publish`).
 *
 * @example
 * ```ts
 * import type { AmqpDurableOptions } from 'weft-sdk/amqp'
 * const options: AmqpDurableOptions = { headers: { tenant: 'acme' }, correlationId: 'order-42' }
 * ```
 */
export type AmqpDurableOptions = Omit<AmqpPublishOptions, 'messageId' | 'operation'>

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
