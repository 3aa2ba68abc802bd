/**
 * RabbitMQ for tests.
 *
 * `sharedBroker()` finds a broker for ordinary tests: `WEFT_TEST_AMQP_URL`
 * when set, else the standard local one (amqp://guest:guest@127.0.0.1:5672)
 * when it answers, else a throwaway broker started from the installed
 * binaries, else a skip reason. Tests on it use `uniqueName()` for their
 * queues and exchanges and delete them after (`deleteTopology`).
 *
 * `throwawayBroker()` always starts a broker of its own (a node named
 * `weft<pid><n>@localhost` on free loopback ports, data in a temp folder), for
 * fault tests that stop and start it (`stopApp` / `startApp`, ~2 s): the
 * shared broker is never restarted, since other test files use it at the
 * same time. It needs `/usr/lib/rabbitmq/bin/rabbitmq-server` (Debian package
 * `rabbitmq-server`); without it the reason is returned for the test name.
 *
 * ```ts
 * const broker = await sharedBroker()
 * describeAmqp('my adapter', broker, (url) => { it('...', async () => { ... }) })
 * ```
 */
import { describeWithServer } from './server-suites.js'
import { execFile, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import amqp from 'amqplib'
import { freePort } from './postgres-server.js'
import { describe } from 'vitest'

const run = promisify(execFile)
const rabbitBin = '/usr/lib/rabbitmq/bin'
const localUrl = 'amqp://guest:guest@127.0.0.1:5672'

/** A broker for tests, or why there is none. */
export type BrokerChoice = { readonly url: string; readonly source: 'env' | 'local' | 'throwaway'; stop(): Promise<void> } | { readonly skip: string }

/** A broker of the test's own, which it may stop and start. */
export interface ThrowawayBroker {
  readonly url: string
  /** Stops the RabbitMQ application (connections are closed; the node stays up). */
  stopApp(): Promise<void>
  /** Starts it again and resolves when it accepts AMQP connections. */
  startApp(): Promise<void>
  /** Runs `rabbitmqctl <args>` against the node (e.g. `set_vm_memory_high_watermark 0` blocks publishers). */
  ctl(...args: string[]): Promise<void>
  /** Stops the node and deletes its data. */
  stop(): Promise<void>
}

/** Whether an AMQP connection to `url` opens within `ms`. */
export async function answers(url: string, ms = 2_000): Promise<boolean> {
  try {
    const connection = await amqp.connect(url, { timeout: ms })
    await connection.close()
    return true
  } catch {
    return false
  }
}

let shared: Promise<BrokerChoice> | undefined

/** The broker ordinary tests use (see the module comment); started at most once per test file. */
export function sharedBroker(): Promise<BrokerChoice> {
  shared ??= chooseBroker()
  return shared
}

async function chooseBroker(): Promise<BrokerChoice> {
  const fromEnv = process.env['WEFT_TEST_AMQP_URL']
  if (fromEnv !== undefined && fromEnv !== '') return { url: fromEnv, source: 'env', stop: async () => undefined }
  if (await answers(localUrl)) return { url: localUrl, source: 'local', stop: async () => undefined }
  const broker = await throwawayBroker()
  if ('skip' in broker) return broker
  return { url: broker.url, source: 'throwaway', stop: () => broker.stop() }
}

/** `describe`, or `describe.skip` with the reason in its name when there is no broker (in CI: failed). */
export function describeAmqp(name: string, broker: BrokerChoice, fn: (url: string) => void): void {
  describeWithServer(name, 'skip' in broker ? broker.skip : null, () => fn('skip' in broker ? '' : broker.url))
}

let nodes = 0

/** Starts a RabbitMQ node of the caller's own (see the module comment), or says why it cannot. */
export async function throwawayBroker(): Promise<ThrowawayBroker | { readonly skip: string }> {
  if (!existsSync(join(rabbitBin, 'rabbitmq-server'))) return { skip: `no RabbitMQ binaries in ${rabbitBin} (apt-get install -y rabbitmq-server)` }
  const dir = await mkdtemp(join(tmpdir(), 'weft-rabbit-'))
  const [port, distPort] = await Promise.all([freePort(), freePort()])
  const node = `weft${process.pid}${++nodes}${randomBytes(2).toString('hex')}@localhost`
  await writeFile(join(dir, 'rabbitmq.conf'), 'loopback_users = none\n')
  await writeFile(join(dir, 'env.conf'), '')
  const env = {
    ...process.env,
    HOME: dir,
    RABBITMQ_CONF_ENV_FILE: join(dir, 'env.conf'),
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq'),
    RABBITMQ_NODENAME: node,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    ERL_EPMD_ADDRESS: '127.0.0.1',
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
  }
  const server = spawn(join(rabbitBin, 'rabbitmq-server'), [], { env, stdio: 'ignore', detached: true })
  server.unref()
  const url = `amqp://guest:guest@127.0.0.1:${port}`
  const ctl = (...args: string[]) => run(join(rabbitBin, 'rabbitmqctl'), ['-n', node, ...args], { env, timeout: 30_000 }).then(() => undefined)
  const stop = async () => {
    await ctl('stop').catch(() => server.kill('SIGKILL'))
    await rm(dir, { recursive: true, force: true })
  }
  // 90 s: a node boots in ~5–10 s here, but far slower on a loaded CI machine (where a skip fails the run).
  if (!(await until(() => answers(url, 1_000), 90_000))) {
    await stop()
    return { skip: `a throwaway RabbitMQ on port ${port} did not accept connections within 90 s` }
  }
  return {
    url,
    ctl,
    stopApp: () => ctl('stop_app'),
    startApp: async () => {
      await ctl('start_app')
      if (!(await until(() => answers(url, 1_000), 30_000))) throw new Error(`the throwaway RabbitMQ on port ${port} did not come back within 30 s`)
    },
    stop,
  }
}

/** Polls `check` every 200 ms until it is true or `ms` passed. */
async function until(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (await check()) return true
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  return false
}


/** A name no other test (file, process, run) uses: `weft-test-<prefix>-<pid>-<random>`. */
export function uniqueName(prefix: string): string {
  return `weft-test-${prefix}-${process.pid}-${randomBytes(4).toString('hex')}`
}

/** Deletes queues and exchanges (missing ones are fine). */
export async function deleteTopology(url: string, names: { queues?: readonly string[]; exchanges?: readonly string[] }): Promise<void> {
  if (url === '') return
  const connection = await amqp.connect(url)
  try {
    for (const queue of names.queues ?? []) await withChannel(connection, (channel) => channel.deleteQueue(queue))
    for (const exchange of names.exchanges ?? []) await withChannel(connection, (channel) => channel.deleteExchange(exchange))
  } finally {
    await connection.close()
  }
}

/** Runs `action` on a fresh channel (a failed operation closes its channel), ignoring failures. */
async function withChannel(connection: amqp.ChannelModel, action: (channel: amqp.Channel) => Promise<unknown>): Promise<void> {
  const channel = await connection.createChannel()
  channel.on('error', () => undefined)
  await action(channel).catch(() => undefined)
  await channel.close().catch(() => undefined)
}

/** Reads every message now in `queue` (acking each), in order. */
export async function drain(url: string, queue: string): Promise<amqp.GetMessage[]> {
  const connection = await amqp.connect(url)
  try {
    const channel = await connection.createChannel()
    const messages: amqp.GetMessage[] = []
    for (;;) {
      const message = await channel.get(queue, { noAck: true })
      if (message === false) return messages
      messages.push(message)
    }
  } finally {
    await connection.close()
  }
}
