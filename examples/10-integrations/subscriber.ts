/**
 * A downstream service listening for the workflow's notifications: it binds
 * a queue of its own (exclusive: deleted with its connection) to the
 * notification exchange, so the example can show that the published
 * message arrived, with the message id the adapter gave it. Plain
 * `amqplib`, as any consumer would use it.
 *
 * @module
 */
import amqp, { type Channel, type ChannelModel } from 'amqplib'

/** The topic exchange the workflow publishes to; non-durable and auto-deleted with its last binding, so the example leaves nothing behind. */
export const notificationExchange = { name: 'weft.examples.restock', type: 'topic', durable: false, autoDelete: true } as const

/** What the subscriber received. */
export interface ReceivedNotification {
  readonly messageId: string
  readonly routingKey: string
  readonly body: unknown
}

/** A connected subscriber. */
export interface Subscriber {
  /** The next message on its queue, or `undefined` when none arrives within `ms`. */
  next(ms: number): Promise<ReceivedNotification | undefined>
  close(): Promise<void>
}

/** Connects to `url` and binds a queue of its own to the exchange; `undefined` when the broker does not answer within `ms`. */
export async function subscribe(url: string, routingPattern: string, ms: number): Promise<Subscriber | undefined> {
  let connection: ChannelModel
  try {
    connection = await amqp.connect(url, { timeout: ms })
  } catch {
    return undefined
  }
  connection.on('error', () => undefined) // a broker going away is reported by next() finding nothing
  const close = () => connection.close().catch(() => undefined)
  try {
    const channel = await connection.createChannel()
    const { name, type, ...options } = notificationExchange
    await channel.assertExchange(name, type, options)
    const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true })
    await channel.bindQueue(queue, name, routingPattern)
    return { next: (wait) => nextMessage(channel, queue, wait), close }
  } catch (error) {
    await close()
    throw error
  }
}

async function nextMessage(channel: Channel, queue: string, ms: number): Promise<ReceivedNotification | undefined> {
  const deadline = Date.now() + ms
  for (;;) {
    const message = await channel.get(queue, { noAck: true })
    if (message !== false) {
      return { messageId: String(message.properties.messageId), routingKey: message.fields.routingKey, body: JSON.parse(message.content.toString('utf8')) as unknown }
    }
    if (Date.now() >= deadline) return undefined
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
