/**
 * `AmqpTrigger.start` when the broker does not answer: a typed error within
 * the timeout (naming the URL without its password, and the last failure),
 * not a wait forever; and the trigger still consumes once the broker is
 * reachable (a TCP relay on a port that refused connections at first, to the
 * real RabbitMQ).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, connect, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import amqp from 'amqplib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEngine, defineWorkflow, sqliteStore, type Engine } from 'weft-sdk'
import { AmqpTrigger, AmqpUnavailableError } from 'weft-sdk/amqp'
import { deleteTopology, describeAmqp, sharedBroker, uniqueName } from '../support/rabbitmq.js'

const broker = await sharedBroker()

const Ship = defineWorkflow<{ orderId: string }>({ name: 'amqp-trigger-start-ship', version: 1 })
  .task('label', (input) => `label for ${input.orderId}`)
  .build()

/** A port nothing listens on (taken from the OS, then freed). */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/** Relays TCP connections on `port` to `target` (host:port) until closed. */
async function relay(port: number, target: { host: string; port: number }): Promise<{ close(): Promise<void> }> {
  const sockets = new Set<Socket>()
  const server: Server = createServer((client) => {
    const upstream = connect(target.port, target.host)
    for (const socket of [client, upstream]) {
      sockets.add(socket)
      socket.on('error', () => undefined)
      socket.on('close', () => sockets.delete(socket))
    }
    client.pipe(upstream).pipe(client)
  })
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  return {
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

function trigger(engine: Engine, url: string, queue: string): AmqpTrigger<typeof Ship> {
  return new AmqpTrigger({
    name: 'start-trigger',
    url,
    queue,
    topology: { queues: [{ name: queue }] },
    engine,
    workflow: Ship,
    deadLetter: { exchange: '', routingKey: `${queue}.dead` },
    reconnect: { initialDelay: '20 ms', maxDelay: '100 ms' },
  })
}

describe('AmqpTrigger.start with no broker', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'weft-amqp-start-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('fails within its timeout with AmqpUnavailableError naming the refused connection, without the password', async () => {
    const engine = createEngine({ store: sqliteStore({ path: join(dir, 'refused.sqlite') }) })
    const subject = trigger(engine, `amqp://weft:s3cret-pass@127.0.0.1:${await closedPort()}`, 'nowhere')
    const started = performance.now()
    const error = await subject.start({ timeout: '400 ms' }).then(
      () => undefined,
      (cause: unknown) => cause,
    )
    const waited = performance.now() - started
    expect(error).toBeInstanceOf(AmqpUnavailableError)
    const unavailable = error as AmqpUnavailableError
    expect(unavailable.code).toBe('WEFT_AMQP_UNAVAILABLE')
    expect(unavailable.adapter).toBe('start-trigger')
    expect(unavailable.reason).toMatch(/ECONNREFUSED/)
    expect(unavailable.message).toContain('trigger.start({ timeout })')
    expect(unavailable.message).not.toContain('s3cret-pass')
    expect(waited).toBeGreaterThanOrEqual(350)
    expect((await subject.health()).state).toBe('down')
    await subject.close()
    await engine.close()
  })

  it('stops waiting when the signal aborts, with the signal’s reason', async () => {
    const engine = createEngine({ store: sqliteStore({ path: join(dir, 'aborted.sqlite') }) })
    const subject = trigger(engine, `amqp://127.0.0.1:${await closedPort()}`, 'nowhere')
    const controller = new AbortController()
    const waiting = subject.start({ timeout: '1 m', signal: controller.signal })
    setTimeout(() => controller.abort(new Error('shutting down')), 50)
    await expect(waiting).rejects.toThrow('shutting down')
    await subject.close()
    await engine.close()
  })

  it('refuses a malformed timeout before connecting', async () => {
    const engine = createEngine({ store: sqliteStore({ path: join(dir, 'malformed.sqlite') }) })
    const subject = trigger(engine, `amqp://127.0.0.1:${await closedPort()}`, 'nowhere')
    await expect(subject.start({ timeout: 'soon' as never })).rejects.toThrow(/start timeout/)
    await subject.close()
    await engine.close()
  })
})

describeAmqp('AmqpTrigger.start after the broker was unreachable', broker, (url) => {
  it('keeps reconnecting after a failed start and consumes once the broker answers', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'weft-amqp-start-late-'))
    const engine = createEngine({ store: sqliteStore({ path: join(dir, 'late.sqlite') }), workflows: [Ship] })
    const queue = uniqueName('start-late-q')
    const real = new URL(url)
    const port = await closedPort()
    const viaRelay = new URL(url)
    viaRelay.port = String(port)
    const subject = trigger(engine, viaRelay.toString(), queue)
    engine.adapters.register(subject)
    await expect(subject.start({ timeout: '300 ms' })).rejects.toBeInstanceOf(AmqpUnavailableError)
    const open = await relay(port, { host: real.hostname, port: Number(real.port || 5672) })
    try {
      await subject.start({ timeout: '20 s' })
      expect((await subject.health()).state).toBe('up')
      const connection = await amqp.connect(url)
      const channel = await connection.createConfirmChannel()
      await new Promise<void>((resolve, reject) => channel.sendToQueue(queue, Buffer.from(JSON.stringify({ orderId: 'late-1' })), { messageId: 'late-1' }, (error: unknown) => (error ? reject(error) : resolve())))
      await connection.close()
      const deadline = Date.now() + 20_000
      while ((await engine.getRun('late-1')) === undefined) {
        if (Date.now() > deadline) throw new Error('no run late-1 within 20 s')
        await new Promise((resolve) => setTimeout(resolve, 25))
      }
      const run = await engine.getRun('late-1')
      expect((await run!.result()).output('label')).toBe('label for late-1')
    } finally {
      await engine.close()
      await open.close()
      await deleteTopology(url, { queues: [queue] })
      await rm(dir, { recursive: true, force: true })
    }
  })
})
