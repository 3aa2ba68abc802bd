/**
 * The durable outbox on a real RabbitMQ (test/support/rabbitmq.ts): a
 * task's `publishDurably` is published after its step committed, with the
 * entry's id as message id, confirmed; an entry for a missing exchange is
 * given up (dead) and reported as failed.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createEngine, defineWorkflow, sqliteStore, type OutboxFailed } from 'weft-sdk'
import { AmqpAdapter } from 'weft-sdk/amqp'
import { deleteTopology, describeAmqp, drain, sharedBroker, uniqueName } from '../support/rabbitmq.js'

const broker = await sharedBroker()

describeAmqp('the durable outbox through AmqpAdapter', broker, (url) => {
  const exchange = uniqueName('outbox-x')
  const queue = uniqueName('outbox-q')
  let events: AmqpAdapter

  const Order = defineWorkflow<{ orderId: string; exchange: string }>({ name: 'outbox-amqp-order', version: 1 })
    .services({ events: AmqpAdapter })
    .task('notify', (input, ctx) => ctx.use(ctx.services.events).publishDurably(input.exchange, 'order.created', { orderId: input.orderId }, { headers: { tenant: 'acme' } }))
    .build()

  beforeAll(() => {
    events = new AmqpAdapter({ name: 'events', url, topology: { exchanges: [{ name: exchange, type: 'topic' }], queues: [{ name: queue }], bindings: [{ exchange, queue, routingKey: 'order.#' }] }, connectionWait: '5 s' })
  })
  afterAll(async () => {
    await deleteTopology(url, { queues: [queue], exchanges: [exchange] })
  })

  it("publishes a task's durable message after its step, once, with the outbox entry's id as message id", async () => {
    const engine = createEngine({ store: sqliteStore({ path: ':memory:' }), adapters: [{ token: AmqpAdapter, adapter: events }] })
    const run = await engine.start(Order, { orderId: 'o-1', exchange })
    const id = (await run.result()).output('notify')
    expect(id).toBe(`${run.id}:notify:events:outbox:1`)
    await engine.outbox.deliver()
    expect(await engine.outbox.counts()).toEqual({ pending: 0, delivered: 1, dead: 0 })
    const messages = await drain(url, queue)
    expect(messages.map((m) => [m.properties.messageId, JSON.parse(m.content.toString())])).toEqual([[id, { orderId: 'o-1' }]])
    expect(messages[0]!.properties.headers).toMatchObject({ tenant: 'acme' })
    expect(messages[0]!.properties.deliveryMode).toBe(2)
    await engine.close()
  })

  it('gives up an entry for a missing exchange (a topology error is not retryable) and reports the failure', async () => {
    const other = new AmqpAdapter({ name: 'events', url, connectionWait: '5 s' })
    const engine = createEngine({ store: sqliteStore({ path: ':memory:' }), adapters: [{ token: AmqpAdapter, adapter: other }], outbox: { retry: { maxAttempts: 2, backoff: { initial: 1, max: 1 } }, pollInterval: '20 ms' } })
    const failed: OutboxFailed[] = []
    engine.on('outbox.failed', (event) => failed.push(event))
    const run = await engine.start(Order, { orderId: 'o-2', exchange: uniqueName('missing-x') })
    await run.result()
    await expect.poll(async () => (await engine.outbox.counts()).dead, { timeout: 10_000 }).toBe(1)
    expect(failed).toMatchObject([{ willRetry: false, attempts: 1, error: { code: 'WEFT_AMQP_TOPOLOGY' } }])
    await engine.close()
  })
})
