/**
 * The AMQP adapter against a real RabbitMQ (test/support/rabbitmq.ts):
 * confirmed, persistent publishes with stable message ids, the topology
 * declared on connect, the broker's refusals typed, health as a round trip,
 * secrets redacted, close().
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { AdapterClosedError, defineWorkflow, InvalidOptionsError, isWeftError, MemoryWorkflowStore, createEngine, type TaskContext } from 'weft-sdk'
import { AmqpAdapter, AmqpPublishError, AmqpTopologyError, AmqpUnavailableError } from 'weft-sdk/amqp'
import { deleteTopology, describeAmqp, drain, sharedBroker, uniqueName } from '../support/rabbitmq.js'

const broker = await sharedBroker()

describeAmqp('AmqpAdapter', broker, (url) => {
  const exchange = uniqueName('adapter-x')
  const queue = uniqueName('adapter-q')
  const full = uniqueName('adapter-full')
  const topology = {
    exchanges: [{ name: exchange, type: 'topic' as const }],
    queues: [{ name: queue }, { name: full, arguments: { 'x-max-length': 1, 'x-overflow': 'reject-publish' } }],
    bindings: [{ exchange, queue, routingKey: 'order.#' }],
  }
  let adapter: AmqpAdapter

  beforeAll(() => {
    adapter = new AmqpAdapter({ name: 'events', url, topology, confirmTimeout: '10 s', connectionWait: '10 s' })
  })
  afterAll(async () => {
    await adapter?.close()
    await deleteTopology(url, { queues: [queue, full], exchanges: [exchange] })
  })

  it('declares its topology on connect and resolves a publish once confirmed, persistent, with the given message id and JSON body', async () => {
    const published = await adapter.publish(exchange, 'order.created', { orderId: 'o-1' }, { messageId: 'o-1-created', headers: { tenant: 'acme' } })
    expect(published).toEqual({ messageId: 'o-1-created' })
    const [message, ...rest] = await drain(url, queue)
    expect(rest).toHaveLength(0)
    expect(JSON.parse(message!.content.toString())).toEqual({ orderId: 'o-1' })
    expect(message!.properties.messageId).toBe('o-1-created')
    expect(message!.properties.deliveryMode).toBe(2)
    expect(message!.properties.contentType).toBe('application/json')
    expect(message!.properties.headers).toMatchObject({ tenant: 'acme' })
  })

  it('generates a message id when neither the call nor the options give one, and sends bytes as they are', async () => {
    const first = await adapter.publish(exchange, 'order.raw', Buffer.from('raw bytes'))
    const second = await adapter.sendToQueue(queue, new Uint8Array([1, 2, 3]))
    expect(first.messageId).toMatch(/^[0-9a-f-]{36}$/)
    expect(second.messageId).not.toBe(first.messageId)
    const messages = await drain(url, queue)
    expect(messages.map((m) => m.properties.messageId)).toEqual([first.messageId, second.messageId])
    expect(messages[0]!.content.toString()).toBe('raw bytes')
    expect([...messages[1]!.content]).toEqual([1, 2, 3])
    expect(messages[0]!.properties.contentType).toBeUndefined()
  })

  it('uses the call\'s idempotency key as the message id through ctx.use, numbered per call', async () => {
    // An adapter of its own: the engine closes the adapters it was given.
    const engine = createEngine({ store: new MemoryWorkflowStore(), adapters: [new AmqpAdapter({ name: 'events', url, topology })] })
    const Notify = defineWorkflow({ name: 'amqp-notify', version: 1 })
      .services({ events: AmqpAdapter })
      .task('notify', async (_input, ctx: TaskContext & { services: { events: AmqpAdapter } }) => {
        const events = ctx.use(ctx.services.events)
        const ids = [(await events.publish(exchange, 'order.shipped', { n: 1 })).messageId, (await events.sendToQueue(queue, { n: 2 })).messageId]
        return ids
      })
      .build()
    const result = await engine.run(Notify, undefined, { runId: 'amqp-run-1' })
    expect(result.output('notify')).toEqual(['amqp-run-1:notify:events:1', 'amqp-run-1:notify:events:2'])
    expect((await drain(url, queue)).map((m) => m.properties.messageId)).toEqual(['amqp-run-1:notify:events:1', 'amqp-run-1:notify:events:2'])
    await engine.close()
  })

  it('rejects a publish the broker nacks with a retryable AmqpPublishError (a full queue that rejects publishes)', async () => {
    await adapter.sendToQueue(full, { n: 1 })
    const error = await rejection(adapter.sendToQueue(full, { n: 2 }, { messageId: 'over-the-limit' }))
    expect(error).toBeInstanceOf(AmqpPublishError)
    expect(error).toMatchObject({ code: 'WEFT_AMQP_PUBLISH', failure: 'nacked', messageId: 'over-the-limit', isRetryable: true })
  })

  it('rejects a mandatory publish that no queue takes with a non-retryable unroutable AmqpPublishError; without mandatory the broker drops it and confirms', async () => {
    const error = await rejection(adapter.publish(exchange, 'nobody.listens', { n: 1 }, { messageId: 'unroutable-1', mandatory: true }))
    expect(error).toBeInstanceOf(AmqpPublishError)
    expect(error).toMatchObject({ failure: 'unroutable', messageId: 'unroutable-1', isRetryable: false })
    await expect(adapter.publish(exchange, 'nobody.listens', { n: 2 })).resolves.toMatchObject({ messageId: expect.any(String) })
    await expect(adapter.publish(exchange, 'order.routed', { n: 3 }, { messageId: 'routed-1', mandatory: true })).resolves.toEqual({ messageId: 'routed-1' })
    expect((await drain(url, queue)).map((m) => m.properties.messageId)).toEqual(['routed-1'])
  })

  it('rejects a publish to a missing exchange with a non-retryable AmqpTopologyError, and the next publish works', async () => {
    const missing = uniqueName('missing')
    const error = await rejection(adapter.publish(missing, 'x', {}))
    expect(error).toBeInstanceOf(AmqpTopologyError)
    expect(error).toMatchObject({ code: 'WEFT_AMQP_TOPOLOGY', isRetryable: false })
    expect((error as Error).message).toContain(missing)
    await adapter.publish(exchange, 'order.after', { ok: true }, { messageId: 'after-404' })
    expect((await drain(url, queue)).map((m) => m.properties.messageId)).toEqual(['after-404'])
  })

  it('reports up after a real round trip, with its counters per operation', async () => {
    const health = await adapter.health()
    expect(health.state).toBe('up')
    expect(health.latencyMs).toBeGreaterThanOrEqual(0)
    const publish = adapter.stats().operations.find((op) => op.operation === 'publish')
    expect(publish?.calls).toBeGreaterThanOrEqual(5)
    expect(publish?.failures).toBe(3)
  })

  it('refuses calls after close() and reports down', async () => {
    const own = new AmqpAdapter({ name: 'closing', url, topology })
    await own.publish(exchange, 'order.closing', {})
    await own.close()
    expect(await rejection(own.publish(exchange, 'order.closing', {}))).toBeInstanceOf(AdapterClosedError)
    expect((await own.health()).state).toBe('down')
    await drain(url, queue)
  })
})

describeAmqp('AmqpAdapter without a broker', broker, () => {
  // A port nothing listens on: connections are refused at once.
  const url = 'amqp://app:s3cret-pass@127.0.0.1:9'

  it('fails a publish with AmqpUnavailableError after its connection wait, the password redacted', async () => {
    const adapter = new AmqpAdapter({ name: 'nowhere', url, connectionWait: '300 ms', reconnect: { initialDelay: '50 ms', maxDelay: '100 ms' } })
    const error = await rejection(adapter.publish('x', 'y', {}))
    await adapter.close()
    expect(error).toBeInstanceOf(AmqpUnavailableError)
    expect(isWeftError(error) && error.isRetryable).toBe(true)
    expect((error as Error).message).toContain('amqp://app:<redacted>@127.0.0.1:9')
    expect((error as Error).message).not.toContain('s3cret-pass')
    expect(adapter.url).toBe('amqp://app:<redacted>@127.0.0.1:9')
  })

  it('reports down within its health timeout, the password redacted', async () => {
    const adapter = new AmqpAdapter({ name: 'nowhere', url, healthTimeout: '500 ms', reconnect: { initialDelay: '50 ms', maxDelay: '100 ms' } })
    const health = await adapter.health()
    await adapter.close()
    expect(health.state).toBe('down')
    expect(health.latencyMs).toBeLessThan(5_000)
    expect(health.detail ?? '').not.toContain('s3cret-pass')
  })

  it('reports a refused broker down at its first check with the cause, without waiting out the health timeout', async () => {
    const adapter = new AmqpAdapter({ name: 'refused', url, healthTimeout: '30 s' })
    const health = await adapter.health()
    await adapter.close()
    expect(health.state).toBe('down')
    expect(health.detail).toMatch(/ECONNREFUSED/)
    expect(health.detail).not.toContain('s3cret-pass')
    expect(health.latencyMs).toBeLessThan(10_000) // the first connection attempt's refusal, not the 30 s timeout
  })

  it('refuses a URL that is not amqp:// or amqps:// when it is built, without its password', () => {
    const build = () => new AmqpAdapter({ name: 'wrong', url: 'http://app:s3cret-pass@127.0.0.1:5672' })
    expect(build).toThrow(InvalidOptionsError)
    expect(build).toThrow('url http://app:<redacted>@127.0.0.1:5672/ is not an AMQP URL')
  })

  it('cuts the wait for a connection with the call\'s signal', async () => {
    const adapter = new AmqpAdapter({ name: 'nowhere', url, connectionWait: '60 s' })
    const reason = new Error('the task was cancelled')
    const error = await rejection(adapter.publish('x', 'y', {}, {}, { signal: AbortSignal.abort(reason) }))
    await adapter.close()
    expect(error).toBe(reason)
  })
})

/** What `promise` rejects with; fails the test when it resolves. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection')
    },
    (error: unknown) => error,
  )
}
