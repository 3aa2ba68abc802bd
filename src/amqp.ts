/**
 * Weft's AMQP (RabbitMQ) adapter on `amqplib`: publish with confirms, and a
 * trigger that starts a run per message. A separate entry point
 * (`weft-sdk/amqp`) so that applications that do not use it never load
 * `amqplib`.
 *
 * @example
 * ```ts
 * import { createEngine } from 'weft-sdk'
 * import { AmqpAdapter } from 'weft-sdk/amqp'
 * const events = new AmqpAdapter({ name: 'events', url: 'amqp://guest:guest@127.0.0.1:5672', topology: { exchanges: [{ name: 'orders', type: 'topic' }] } })
 * const engine = createEngine({ adapters: [events] }) // workflows receive it by constructor injection; ctx.use(events).publish(...) in a task
 * ```
 *
 * @packageDocumentation
 */
export { AmqpAdapter, type AmqpAdapterOptions, type AmqpPublishOptions, type AmqpPublished, type AmqpClient } from './integration/amqp/amqp-adapter.js'
export { AmqpTrigger, type AmqpTriggerOptions, type AmqpTriggerStartOptions, type AmqpDeadLetter, type RunStarter } from './integration/amqp/amqp-trigger.js'
export type { AmqpTopology, AmqpExchange, AmqpQueue, AmqpBinding } from './integration/amqp/amqp-topology.js'
export type { AmqpDurableOptions } from './integration/outbox/amqp-outbox.js'
export type { AmqpReconnectOptions } from './integration/amqp/amqp-connection.js'
export { AmqpUnavailableError, AmqpPublishError, AmqpTopologyError, AmqpInvalidMessageError, AmqpStartExhaustedError, type AmqpPublishFailure } from './core/amqp-errors.js'
