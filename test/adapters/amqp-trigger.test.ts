/**
 * The AMQP trigger against a real RabbitMQ and a real engine on a SQLite
 * file: one run per message id, the ack only after the run exists,
 * malformed or refused messages dead-lettered with the reason while the
 * queue keeps flowing, transient start failures requeued, health, close.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import amqp from 'amqplib'
import { Schema } from 'effect'
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest'
import { createEngine, defineWorkflow, principal, Rbac, sqliteStore, StorageError, type Engine } from 'weft-sdk'
import type { WorkflowStore } from 'weft-sdk/store'
import { AmqpTrigger, type AmqpTriggerOptions } from 'weft-sdk/amqp'
import { deleteTopology, describeAmqp, drain, sharedBroker, uniqueName } from '../support/rabbitmq.js'

const broker = await sharedBroker()

const Ship = defineWorkflow<{ orderId: string }>({ name: 'amqp-trigger-ship', version: 1 })
  .task('label', (input) => `label for ${input.orderId}`)
  .build()

const Checked = defineWorkflow({ name: 'amqp-trigger-checked', version: 1, input: Schema.Struct({ amount: Schema.Number }) })
  .task('charge', (input) => input.amount * 2)
  .build()

describeAmqp('AmqpTrigger', broker, (url) => {
  let dir: string
  let connection: amqp.ChannelModel
  let publisher: amqp.ConfirmChannel
  const cleanups: (() => Promise<void>)[] = []

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'weft-amqp-trigger-'))
    connection = await amqp.connect(url)
    publisher = await connection.createConfirmChannel()
  })
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  })
  afterAll(async () => {
    await connection?.close()
    await rm(dir, { recursive: true, force: true })
  })

  /** A queue, a dead-letter queue, a SQLite engine (its store optionally wrapped) and a started trigger; all removed after the test. */
  async function setUp<W>(
    workflow: W,
    options: Partial<AmqpTriggerOptions<W>> = {},
    wrap: (store: WorkflowStore) => WorkflowStore = (store) => store,
    beforeStart: (queue: string, engine: Engine) => Promise<void> = async () => undefined,
  ) {
    const queue = uniqueName('trigger-q')
    const dead = `${queue}.dead`
    const engine: Engine = createEngine({ store: wrap(sqliteStore({ path: join(dir, `${queue}.sqlite`) })) })
    const trigger = new AmqpTrigger<W>({
      name: 'orders-trigger',
      url,
      queue,
      topology: { queues: [{ name: queue }, { name: dead }] },
      engine: engine as never,
      workflow,
      deadLetter: { exchange: '', routingKey: dead },
      prefetch: 4,
      requeueDelay: { initial: '20 ms', max: '100 ms' },
      ...options,
    })
    engine.adapters.register(trigger)
    cleanups.push(async () => {
      await engine.close() // closes the trigger too
      await deleteTopology(url, { queues: [queue, dead] })
    })
    await beforeStart(queue, engine)
    await trigger.start()
    return { queue, dead, engine, trigger }
  }

  async function send(queue: string, body: string, messageId?: string): Promise<void> {
    await new Promise<void>((resolve, reject) => publisher.sendToQueue(queue, Buffer.from(body), { messageId, persistent: true }, (error: unknown) => (error ? reject(error) : resolve())))
  }

  /** Waits (polling, up to 10 s) until `check` holds. */
  async function eventually(check: () => Promise<boolean> | boolean): Promise<void> {
    const deadline = Date.now() + 10_000
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error('condition not met within 10 s')
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
  }

  async function queueDepth(queue: string): Promise<{ ready: number; consumers: number }> {
    const channel = await connection.createChannel()
    const { messageCount, consumerCount } = await channel.checkQueue(queue)
    await channel.close()
    return { ready: messageCount, consumers: consumerCount }
  }

  it('starts one run per message, under the message id, and acks it once the run exists', async () => {
    const { queue, engine, trigger } = await setUp(Ship)
    await send(queue, JSON.stringify({ orderId: 'o-1' }), 'order-o-1')
    await eventually(async () => (await engine.getRun('order-o-1')) !== undefined && trigger.stats().operations.some((op) => op.operation === 'start' && op.calls === 1))
    const run = await engine.getRun('order-o-1')
    expect((await run!.result()).output('label')).toBe('label for o-1')
    expect(await queueDepth(queue)).toEqual({ ready: 0, consumers: 1 })
  })

  it('starts nothing twice for a redelivered message: one run in the store, both deliveries acked', async () => {
    const { queue, engine, trigger } = await setUp(Ship)
    await send(queue, JSON.stringify({ orderId: 'o-2' }), 'order-o-2')
    await send(queue, JSON.stringify({ orderId: 'o-2' }), 'order-o-2')
    await eventually(() => trigger.stats().operations.find((op) => op.operation === 'start')?.calls === 2)
    const runs = await engine.listRuns({ workflow: 'amqp-trigger-ship' })
    expect(runs.map((run) => run.id)).toEqual(['order-o-2'])
    expect(trigger.stats().operations.find((op) => op.operation === 'start')?.failures).toBe(0)
    expect((await queueDepth(queue)).ready).toBe(0)
  })

  it('acks a message redelivered after a crash between the run\'s creation and the ack, starting no second run', async () => {
    let redelivered: boolean | undefined
    // As if a trigger had started the run and died before its ack: the run exists, the message comes back (redelivered).
    const crashedBeforeAck = async (queue: string, engine: Engine) => {
      const channel = await connection.createChannel()
      await channel.assertQueue(queue, { durable: true })
      await send(queue, JSON.stringify({ orderId: 'o-9' }), 'order-o-9')
      const first = await channel.get(queue, { noAck: false })
      expect(first).not.toBe(false)
      await engine.start(Ship, { orderId: 'o-9' }, { runId: 'order-o-9' })
      await channel.close() // unacked: the broker requeues it
      const probe = await connection.createChannel()
      const again = await probe.get(queue, { noAck: false })
      redelivered = again === false ? undefined : again.fields.redelivered
      await probe.close()
    }
    const { queue, engine, trigger } = await setUp(Ship, {}, undefined, crashedBeforeAck)
    await eventually(async () => trigger.stats().operations.find((op) => op.operation === 'start')?.calls === 1 && (await queueDepth(queue)).ready === 0)
    expect(redelivered).toBe(true)
    expect(trigger.stats().operations.find((op) => op.operation === 'start')?.failures).toBe(0)
    expect((await engine.listRuns({ workflow: 'amqp-trigger-ship' })).map((run) => run.id)).toEqual(['order-o-9'])
  })

  it('dead-letters a message that is not JSON, has no id, or is refused by the schema, each with its reason, and the queue keeps flowing', async () => {
    const { queue, dead, engine, trigger } = await setUp(Ship, { schema: Schema.Struct({ orderId: Schema.String }) })
    await send(queue, 'not json {', 'bad-json')
    await send(queue, JSON.stringify({ orderId: 'o-3' }))
    await send(queue, JSON.stringify({ order: 3 }), 'bad-shape')
    await send(queue, JSON.stringify({ orderId: 'o-4' }), 'order-o-4')
    await eventually(async () => (await engine.getRun('order-o-4')) !== undefined && (await queueDepth(dead)).ready === 3)
    const parked = await drain(url, dead)
    const byId = new Map(parked.map((message) => [message.properties.messageId as string | undefined, message]))
    const reason = (id: string | undefined) => String(byId.get(id)?.properties.headers?.['x-weft-reason'])
    expect(reason('bad-json')).toContain('its body is not JSON')
    expect(reason(undefined)).toContain('it has no message id')
    expect(reason('bad-shape')).toContain("does not match the trigger's schema")
    expect(byId.get('bad-json')!.content.toString()).toBe('not json {')
    expect(byId.get('bad-json')!.properties.headers).toMatchObject({ 'x-weft-error-code': 'WEFT_AMQP_INVALID_MESSAGE', 'x-weft-trigger': 'orders-trigger', 'x-weft-queue': queue })
    expect(byId.get('bad-json')!.properties.deliveryMode).toBe(2)
    expect((await engine.listRuns({ workflow: 'amqp-trigger-ship' })).map((run) => run.id)).toEqual(['order-o-4'])
    expect(trigger.stats().operations.find((op) => op.operation === 'dead-letter')).toMatchObject({ calls: 3, failures: 0 })
    expect((await queueDepth(queue)).ready).toBe(0)
  })

  it('dead-letters a message the workflow\'s input validation refuses, and one whose id is taken by another input, with the error code', async () => {
    const { queue, dead, engine } = await setUp(Checked)
    await send(queue, JSON.stringify({ amount: 'ten' }), 'charge-bad')
    await send(queue, JSON.stringify({ amount: 10 }), 'charge-1')
    await send(queue, JSON.stringify({ amount: 11 }), 'charge-1')
    await eventually(async () => (await queueDepth(dead)).ready === 2)
    const parked = await drain(url, dead)
    expect(parked.map((message) => [message.properties.messageId, message.properties.headers?.['x-weft-error-code']])).toEqual([
      ['charge-bad', 'WEFT_INVALID_INPUT'],
      ['charge-1', 'WEFT_RUN_CONFLICT'],
    ])
    expect(String(parked[0]!.properties.headers?.['x-weft-reason'])).toContain('amount')
    const run = await engine.getRun('charge-1')
    expect((await run!.result()).output('charge')).toBe(20)
  })

  it('requeues a message whose start fails transiently (the store fails the first create) and then starts exactly one run', async () => {
    let creates = 0
    const failFirstCreate = (store: WorkflowStore): WorkflowStore =>
      new Proxy(store, {
        get(target, property) {
          if (property === 'createRun') {
            return async (...args: Parameters<WorkflowStore['createRun']>) => {
              if (++creates === 1) throw new StorageError('connection-lost', 'the test store is unavailable for the first create')
              return target.createRun(...args)
            }
          }
          const value: unknown = Reflect.get(target, property, target)
          return typeof value === 'function' ? value.bind(target) : value
        },
      })
    const { queue, engine, trigger } = await setUp(Ship, {}, failFirstCreate)
    const failures: string[] = []
    trigger.observe((event) => failures.push(`${event.type} ${'operation' in event ? event.operation : ''} ${'error' in event ? String(event.error.code) : ''}`))
    await send(queue, JSON.stringify({ orderId: 'o-5' }), 'order-o-5')
    await eventually(async () => (await engine.getRun('order-o-5')) !== undefined && (await queueDepth(queue)).ready === 0 && trigger.stats().operations.find((op) => op.operation === 'start')?.calls === 2)
    expect(creates).toBe(2)
    expect(trigger.stats().operations.find((op) => op.operation === 'start')).toMatchObject({ calls: 2, failures: 1 })
    expect(failures).toEqual(['adapter.call-failed start WEFT_STORAGE'])
    expect((await engine.listRuns({ workflow: 'amqp-trigger-ship' })).map((run) => run.id)).toEqual(['order-o-5'])
  })

  it('dead-letters a message whose start keeps failing after maxStartAttempts failed starts, with the count and the last failure', async () => {
    let starts = 0
    const broken = { start: async () => Promise.reject(new Error(`the starter is broken (call ${++starts})`)) }
    const { queue, dead, trigger } = await setUp(Ship, { engine: broken, maxStartAttempts: 3 })
    await send(queue, JSON.stringify({ orderId: 'o-7' }), 'order-o-7')
    await eventually(async () => (await queueDepth(dead)).ready === 1)
    const [parked] = await drain(url, dead)
    expect(parked!.properties.messageId).toBe('order-o-7')
    expect(parked!.properties.headers).toMatchObject({ 'x-weft-error-code': 'WEFT_AMQP_START_EXHAUSTED', 'x-weft-start-attempts': 3 })
    expect(String(parked!.properties.headers?.['x-weft-reason'])).toContain('message "order-o-7" could not start a run in 3 attempts in a row (the last failed with: the starter is broken (call 3))')
    expect(starts).toBe(3)
    expect(trigger.stats().operations.find((op) => op.operation === 'start')).toMatchObject({ calls: 3, failures: 3 })
    expect((await queueDepth(queue)).ready).toBe(0)
  })

  it('dead-letters at once a message a secured engine refuses for want of a caller, and starts it through engine.as(caller)', async () => {
    const security = { authorizer: new Rbac({ roles: { shipper: ['start:amqp-trigger-ship', 'read:amqp-trigger-ship'] } }) }
    let attempts = 0
    const secured = createEngine({ store: sqliteStore({ path: join(dir, `${uniqueName('secured')}.sqlite`) }), security })
    cleanups.push(() => secured.close())
    const noCaller = { start: (...args: Parameters<Engine['start']>) => (attempts++, secured.start(...args)) }
    const { queue, dead, trigger } = await setUp(Ship, { engine: noCaller as never })
    await send(queue, JSON.stringify({ orderId: 'o-8' }), 'order-o-8')
    await eventually(async () => (await queueDepth(dead)).ready === 1)
    const [parked] = await drain(url, dead)
    expect(parked!.properties.headers?.['x-weft-error-code']).toBe('WEFT_UNAUTHENTICATED')
    expect(String(parked!.properties.headers?.['x-weft-reason'])).toContain('engine.as(caller)')
    expect(attempts).toBe(1)
    expect(trigger.stats().operations.find((op) => op.operation === 'start')).toMatchObject({ calls: 1, failures: 1 })

    const asShipper = secured.as(principal({ subject: 'service:shipping', roles: ['shipper'] }))
    const { queue: second } = await setUp(Ship, { name: 'orders-trigger-as-caller', engine: asShipper as never })
    await send(second, JSON.stringify({ orderId: 'o-8' }), 'order-o-8')
    await eventually(async () => (await queueDepth(second)).ready === 0 && (await asShipper.getRun('order-o-8').catch(() => undefined)) !== undefined)
    expect((await asShipper.getRun('order-o-8'))?.id).toBe('order-o-8')
  })

  it("with deadLetter 'reject', rejects a malformed message to the queue's own dead-letter exchange (x-death)", async () => {
    const queue = uniqueName('trigger-reject')
    const dead = `${queue}.dead`
    const { engine } = await setUp(Ship, {
      queue,
      topology: { queues: [{ name: queue, deadLetterExchange: '', deadLetterRoutingKey: dead }, { name: dead }] },
      deadLetter: 'reject',
    })
    cleanups.push(() => deleteTopology(url, { queues: [queue, dead] }))
    await send(queue, 'not json', 'rejected-1')
    await send(queue, JSON.stringify({ orderId: 'o-6' }), 'order-o-6')
    await eventually(async () => (await engine.getRun('order-o-6')) !== undefined && (await queueDepth(dead)).ready === 1)
    const [parked] = await drain(url, dead)
    expect(parked!.properties.messageId).toBe('rejected-1')
    expect(parked!.properties.headers?.['x-death']).toEqual([expect.objectContaining({ reason: 'rejected', queue })])
  })

  it('holds at most prefetch messages at once: with starts held, the rest wait in the queue', async () => {
    let pending = 0
    let mostPending = 0
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    const heldCreates = (store: WorkflowStore): WorkflowStore =>
      new Proxy(store, {
        get(target, property) {
          if (property === 'createRun') {
            return async (...args: Parameters<WorkflowStore['createRun']>) => {
              mostPending = Math.max(mostPending, ++pending)
              await gate
              pending--
              return target.createRun(...args)
            }
          }
          const value: unknown = Reflect.get(target, property, target)
          return typeof value === 'function' ? value.bind(target) : value
        },
      })
    const { queue, engine } = await setUp(Ship, { prefetch: 3 }, heldCreates)
    for (let i = 0; i < 10; i++) await send(queue, JSON.stringify({ orderId: `p-${i}` }), `order-p-${i}`)
    await eventually(async () => pending === 3 && (await queueDepth(queue)).ready === 7)
    release()
    await eventually(async () => (await engine.listRuns({ workflow: 'amqp-trigger-ship' })).length === 10)
    expect(mostPending).toBe(3)
    await eventually(async () => (await queueDepth(queue)).ready === 0)
  })

  it('reports up through the engine while consuming, and down once closed by engine.close()', async () => {
    const { queue, engine, trigger } = await setUp(Ship)
    const health = await engine.health()
    expect(health.adapters.find((adapter) => adapter.name === 'orders-trigger')).toMatchObject({ kind: 'amqp-trigger', state: 'up' })
    await engine.close()
    expect((await trigger.health()).state).toBe('down')
    expect((await queueDepth(queue)).consumers).toBe(0)
  })
})
