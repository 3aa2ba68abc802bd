import type { Channel } from 'amqplib'
import { AmqpTopologyError } from '../../core/amqp-errors.js'

/**
 * An exchange to declare on every (re)connect.
 *
 * @example
 * ```ts
 * import type { AmqpExchange } from 'weft-sdk/amqp'
 * const orders: AmqpExchange = { name: 'orders', type: 'topic' }
 * ```
 */
export interface AmqpExchange {
  /** Its name. */
  readonly name: string
  /** How it routes. */
  readonly type: 'direct' | 'topic' | 'fanout' | 'headers'
  /** Survives a broker restart. @defaultValue `true` */
  readonly durable?: boolean
  /** Deleted when its last binding goes. @defaultValue `false` */
  readonly autoDelete?: boolean
  /** Extra arguments (`alternate-exchange`, …). */
  readonly arguments?: Readonly<Record<string, unknown>>
}

/**
 * A queue to declare on every (re)connect.
 *
 * @example
 * ```ts
 * import type { AmqpQueue } from 'weft-sdk/amqp'
 * const work: AmqpQueue = { name: 'order-work', deadLetterExchange: 'order-dead' }
 * ```
 */
export interface AmqpQueue {
  /** Its name. */
  readonly name: string
  /** Survives a broker restart (its persistent messages too). @defaultValue `true` */
  readonly durable?: boolean
  /** Used by this connection only, deleted when it closes. @defaultValue `false` */
  readonly exclusive?: boolean
  /** Deleted when its last consumer goes. @defaultValue `false` */
  readonly autoDelete?: boolean
  /** Where the broker sends messages rejected without requeue or expired (`x-dead-letter-exchange`). */
  readonly deadLetterExchange?: string
  /** The routing key they get there (`x-dead-letter-routing-key`). */
  readonly deadLetterRoutingKey?: string
  /** Extra arguments (`x-queue-type`, `x-message-ttl`, …). */
  readonly arguments?: Readonly<Record<string, unknown>>
}

/**
 * A binding of a queue to an exchange, declared on every (re)connect.
 *
 * @example
 * ```ts
 * import type { AmqpBinding } from 'weft-sdk/amqp'
 * const created: AmqpBinding = { exchange: 'orders', queue: 'order-work', routingKey: 'order.created' }
 * ```
 */
export interface AmqpBinding {
  /** The exchange messages come from. */
  readonly exchange: string
  /** The queue they go to. */
  readonly queue: string
  /** The binding key (a pattern for a topic exchange). @defaultValue `''` */
  readonly routingKey?: string
  /** Binding arguments (for a headers exchange). */
  readonly arguments?: Readonly<Record<string, unknown>>
}

/**
 * What an AMQP adapter or trigger declares on every connect and reconnect
 * (after a broker restart a non-durable exchange or queue is gone, and a new
 * broker node has none): exchanges first, then queues, then bindings.
 * Declaring is idempotent; the broker refuses one that exists with other
 * settings (`AmqpTopologyError`).
 *
 * @example
 * ```ts
 * import type { AmqpTopology } from 'weft-sdk/amqp'
 * const topology: AmqpTopology = {
 *   exchanges: [{ name: 'orders', type: 'topic' }, { name: 'orders-dead', type: 'fanout' }],
 *   queues: [{ name: 'order-work' }, { name: 'order-dead' }],
 *   bindings: [{ exchange: 'orders', queue: 'order-work', routingKey: 'order.*' }, { exchange: 'orders-dead', queue: 'order-dead' }],
 * }
 * ```
 */
export interface AmqpTopology {
  /** Exchanges, declared first. */
  readonly exchanges?: readonly AmqpExchange[]
  /** Queues, declared next. */
  readonly queues?: readonly AmqpQueue[]
  /** Bindings, declared last. */
  readonly bindings?: readonly AmqpBinding[]
}

/** Declares `topology` on `channel`, in order; a refusal is an `AmqpTopologyError` naming what was refused (the channel is closed by then). */
export async function declareTopology(adapter: string, channel: Channel, topology: AmqpTopology, redact: (text: string) => string): Promise<void> {
  const refused = (subject: string) => (error: unknown) => {
    throw new AmqpTopologyError(adapter, subject, redact(error instanceof Error ? error.message : String(error)))
  }
  for (const exchange of topology.exchanges ?? []) {
    await channel
      .assertExchange(exchange.name, exchange.type, { durable: exchange.durable ?? true, autoDelete: exchange.autoDelete ?? false, arguments: exchange.arguments })
      .catch(refused(`exchange "${exchange.name}"`))
  }
  for (const queue of topology.queues ?? []) await channel.assertQueue(queue.name, queueOptions(queue)).catch(refused(`queue "${queue.name}"`))
  for (const binding of topology.bindings ?? []) {
    const subject = `the binding of queue "${binding.queue}" to exchange "${binding.exchange}"`
    await channel.bindQueue(binding.queue, binding.exchange, binding.routingKey ?? '', binding.arguments).catch(refused(subject))
  }
}

function queueOptions(queue: AmqpQueue) {
  return {
    durable: queue.durable ?? true,
    exclusive: queue.exclusive ?? false,
    autoDelete: queue.autoDelete ?? false,
    deadLetterExchange: queue.deadLetterExchange,
    deadLetterRoutingKey: queue.deadLetterRoutingKey,
    arguments: queue.arguments,
  }
}
