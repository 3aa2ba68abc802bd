/**
 * A trace across the queue boundary: a message published with a W3C
 * `traceparent` header starts, through the AMQP trigger (a real RabbitMQ), a
 * run whose trace continues the publisher's; a task that publishes through
 * the AMQP adapter puts its attempt's trace context in that header.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import amqp from 'amqplib'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createEngine, defineWorkflow, sqliteStore, type Engine } from 'weft-sdk'
import { AmqpAdapter, AmqpTrigger } from 'weft-sdk/amqp'
import { toTraceparent, weftTracing } from 'weft-sdk/otel'
import { deleteTopology, describeAmqp, sharedBroker, uniqueName } from '../support/rabbitmq.js'

const broker = await sharedBroker()

const Ship = defineWorkflow<{ orderId: string }>({ name: 'traced-ship', version: 1 })
  .task('label', (input) => `label for ${input.orderId}`)
  .build()

describeAmqp('a run started by an AMQP trigger', broker, (url) => {
  let dir: string
  let connection: amqp.ChannelModel
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'weft-otel-amqp-'))
    connection = await amqp.connect(url)
  })
  afterAll(async () => {
    await connection?.close()
    await rm(dir, { recursive: true, force: true })
  })

  it("continues the trace of the message's traceparent header: the run's spans are in the publisher's trace", async () => {
    const exporter = new InMemorySpanExporter()
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
    const tracer = provider.getTracer('shop')
    const queue = uniqueName('traced-q')
    const engine: Engine = createEngine({ store: sqliteStore({ path: join(dir, `${queue}.sqlite`) }), workflows: [Ship], tracing: weftTracing({ tracer, useActiveContext: false }) })
    const trigger = new AmqpTrigger({ name: 'ship-trigger', url, queue, topology: { queues: [{ name: queue }] }, engine, workflow: Ship, deadLetter: 'reject' })
    engine.adapters.register(trigger)
    try {
      await trigger.start()
      const completed = new Promise<void>((resolve) => engine.on('run.completed', () => resolve()))
      const publish = tracer.startSpan('publish order')
      const channel = await connection.createConfirmChannel()
      const headers = { traceparent: toTraceparent(publish.spanContext()) }
      await new Promise<void>((resolve, reject) => channel.sendToQueue(queue, Buffer.from(JSON.stringify({ orderId: 'o-7' })), { messageId: 'order-7', headers }, (error: unknown) => (error ? reject(error) : resolve())))
      publish.end()
      await channel.close()
      await completed

      const spans = exporter.getFinishedSpans()
      const start = spans.find((span) => span.name === 'weft.start traced-ship')
      const label = spans.find((span) => span.name === 'weft.task label')
      expect(start?.parentSpanContext?.spanId).toBe(publish.spanContext().spanId)
      expect([start?.spanContext().traceId, label?.spanContext().traceId]).toEqual([publish.spanContext().traceId, publish.spanContext().traceId])
    } finally {
      await engine.close()
      await deleteTopology(url, { queues: [queue] })
    }
  })
  it("puts the publishing attempt's trace context in the headers: the run the message starts is in the publisher's trace, its start span a child of the publishing attempt", async () => {
    const exporter = new InMemorySpanExporter()
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
    const queue = uniqueName('traced-publish-q')
    const events = new AmqpAdapter({ name: 'events', url, topology: { queues: [{ name: queue }] } })
    const Announce = defineWorkflow<{ orderId: string }>({ name: 'traced-announce', version: 1 })
      .task('publish', async (input, ctx) => (await ctx.use(events).sendToQueue(queue, { orderId: input.orderId })).messageId)
      .build()
    const engine: Engine = createEngine({ store: sqliteStore({ path: join(dir, `${queue}.sqlite`) }), workflows: [Ship, Announce], adapters: [events], tracing: weftTracing({ tracer: provider.getTracer('shop'), useActiveContext: false }) })
    const trigger = new AmqpTrigger({ name: 'ship-trigger', url, queue, topology: { queues: [{ name: queue }] }, engine, workflow: Ship, deadLetter: 'reject' })
    engine.adapters.register(trigger)
    try {
      await trigger.start()
      const shipped = new Promise<void>((resolve) => engine.on('run.completed', (event) => event.workflow === 'traced-ship' && resolve()))
      await (await engine.start(Announce, { orderId: 'o-8' })).result()
      await shipped

      const spans = exporter.getFinishedSpans()
      const publishing = spans.find((span) => span.name === 'weft.task publish')!
      const start = spans.find((span) => span.name === 'weft.start traced-ship')!
      const label = spans.find((span) => span.name === 'weft.task label')!
      expect(start.parentSpanContext?.spanId).toBe(publishing.spanContext().spanId)
      expect([start.spanContext().traceId, label.spanContext().traceId]).toEqual([publishing.spanContext().traceId, publishing.spanContext().traceId])
    } finally {
      await engine.close()
      await deleteTopology(url, { queues: [queue] })
    }
  })

  it('publishes without a traceparent header when the run is not traced', async () => {
    const queue = uniqueName('untraced-publish-q')
    const events = new AmqpAdapter({ name: 'events', url, topology: { queues: [{ name: queue }] } })
    const Announce = defineWorkflow({ name: 'untraced-announce', version: 1 })
      .task('publish', async (_input, ctx) => (await ctx.use(events).sendToQueue(queue, { orderId: 'o-9' }, { headers: { tenant: 'acme' } })).messageId)
      .build()
    const engine: Engine = createEngine({ store: sqliteStore({ path: join(dir, `${queue}.sqlite`) }), workflows: [Announce], adapters: [events] })
    try {
      await (await engine.start(Announce)).result()
      const channel = await connection.createChannel()
      const message = await channel.get(queue, { noAck: true })
      await channel.close()
      expect(message && message.properties.headers).toEqual({ tenant: 'acme' })
    } finally {
      await engine.close()
      await deleteTopology(url, { queues: [queue] })
    }
  })
})
