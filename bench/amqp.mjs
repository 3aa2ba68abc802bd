// Publish-with-confirm throughput through Weft's AmqpAdapter vs raw amqplib
// (a confirm channel, the same broker, queue, message size and properties:
// persistent, message id, JSON content type, timestamp). Each publish is
// awaited until the broker confirms it: one at a time, and 32 in flight.
// The two clients take turns in rounds of rotating order (a loaded machine
// drifts between rounds); the ratio is the median of the per-round ratios.
// The broker: WEFT_BENCH_AMQP_URL, else WEFT_TEST_AMQP_URL, else the local
// amqp://guest:guest@127.0.0.1:5672; skipped (saying why) when none answers.
//
// Run alone: `npm run build && node bench/amqp.mjs`.

import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import amqp from 'amqplib'
import { AmqpAdapter } from '../dist/amqp.js'
import { median } from './timing.mjs'

const brokerUrl = process.env.WEFT_BENCH_AMQP_URL || process.env.WEFT_TEST_AMQP_URL || 'amqp://guest:guest@127.0.0.1:5672'

/** The broker's connection, or why there is none. */
async function connectOrReason(url) {
  try {
    return { connection: await amqp.connect(url, { timeout: 2_000 }) }
  } catch (error) {
    return { reason: `no RabbitMQ answers at ${url.replace(/:[^:@/]*@/, ':<redacted>@')} (${error.code ?? error.message}); set WEFT_BENCH_AMQP_URL` }
  }
}

/** Messages per second of `messages` publishes by `publish(i)`, `inFlight` at a time, each awaited until confirmed. */
async function throughput(publish, messages, inFlight) {
  let next = 0
  const lane = async () => {
    while (next < messages) await publish(next++)
  }
  const started = performance.now()
  await Promise.all(Array.from({ length: inFlight }, lane))
  return messages / ((performance.now() - started) / 1000)
}

/**
 * Measures raw amqplib, AmqpAdapter with retry and timeout policies (none
 * tripping) and AmqpAdapter without policies, publishing `messages` messages
 * of `bytes` bytes per round.
 * @returns `{ skipped: reason }` or `{ modes: [{ inFlight, rawPerSecond, adapterPerSecond, barePerSecond, ratio, bareRatio, minRatio, maxRatio }], rounds, messages, bytes }`
 */
export async function measureAmqpPublish({ rounds = 5, messages = 2_000, bytes = 256 } = {}) {
  const { connection, reason } = await connectOrReason(brokerUrl)
  if (reason !== undefined) return { skipped: reason }
  const queue = `weft-bench-publish-${process.pid}-${randomBytes(3).toString('hex')}`
  const admin = await connection.createChannel()
  await admin.assertQueue(queue, { durable: true })
  const raw = await connection.createConfirmChannel()
  const adapter = new AmqpAdapter({ name: 'bench', url: brokerUrl, topology: { queues: [{ name: queue }] }, retry: { maxAttempts: 3, backoff: { initial: '10 ms' } }, timeout: '10 s' })
  const bare = new AmqpAdapter({ name: 'bench-bare', url: brokerUrl })
  const body = { padding: 'x'.repeat(Math.max(0, bytes - 16)) }
  const content = Buffer.from(JSON.stringify(body))
  const clients = {
    raw: (i) =>
      new Promise((resolve, reject) =>
        raw.sendToQueue(queue, content, { messageId: `raw-${i}`, persistent: true, contentType: 'application/json', timestamp: Math.floor(Date.now() / 1000) }, (error) => (error ? reject(error) : resolve())),
      ),
    adapter: (i) => adapter.sendToQueue(queue, body, { messageId: `adapter-${i}` }),
    bare: (i) => bare.sendToQueue(queue, body, { messageId: `bare-${i}` }),
  }
  const names = Object.keys(clients)
  const modes = []
  try {
    for (const inFlight of [1, 32]) {
      for (const name of names) await throughput(clients[name], 200, inFlight) // warm-up
      const perSecond = { raw: [], adapter: [], bare: [] }
      for (let round = 0; round < rounds; round++) {
        for (let k = 0; k < names.length; k++) {
          const name = names[(round + k) % names.length]
          perSecond[name].push(await throughput(clients[name], messages, inFlight))
          await admin.purgeQueue(queue)
        }
      }
      const ratiosOf = (name) => perSecond[name].map((x, i) => x / perSecond.raw[i]).sort((x, y) => x - y)
      const ratios = ratiosOf('adapter')
      const bareRatio = median(ratiosOf('bare'))
      modes.push({ inFlight, rawPerSecond: median(perSecond.raw), adapterPerSecond: median(perSecond.adapter), barePerSecond: median(perSecond.bare), ratio: median(ratios), bareRatio, minRatio: ratios[0], maxRatio: ratios.at(-1) })
    }
  } finally {
    await Promise.all([adapter.close(), bare.close()])
    await admin.deleteQueue(queue).catch(() => undefined)
    await connection.close()
  }
  return { modes, rounds, messages, bytes }
}

/** Prints the figures (used alone and by run.mjs). */
export function printAmqpPublish(result, table) {
  if (result.skipped !== undefined) {
    console.log(`  skipped: ${result.skipped}`)
    return
  }
  const rows = result.modes.flatMap((mode) => [
    [`raw amqplib, ${mode.inFlight} in flight`, mode.rawPerSecond.toFixed(0), '—'],
    [`AmqpAdapter, no policies, ${mode.inFlight} in flight`, mode.barePerSecond.toFixed(0), `${(mode.bareRatio * 100).toFixed(1)}%`],
    [`AmqpAdapter, retry + timeout, ${mode.inFlight} in flight`, mode.adapterPerSecond.toFixed(0), `${(mode.ratio * 100).toFixed(1)}% (${(mode.minRatio * 100).toFixed(0)}–${(mode.maxRatio * 100).toFixed(0)}%)`],
  ])
  table(['client', 'messages/s', 'adapter ÷ raw'], rows)
  console.log(`  ${result.messages} persistent messages of ${result.bytes} bytes per client and round into a durable queue, each awaited`)
  console.log(`  until the broker confirms it; ${result.rounds} rounds in rotating order; ratio = median of the per-round ratios`)
  console.log('  (min–max of the adapter with policies). The adapter counts latency per operation in both rows.')
  for (const mode of result.modes) {
    const within = mode.ratio >= 0.9 ? 'met' : 'NOT met'
    console.log(`  Target: the adapter with policies within 10% of raw amqplib, ${mode.inFlight} in flight: ${within} (${(mode.ratio * 100).toFixed(1)}% of raw).`)
  }
  console.log('  (A confirm waits for the broker\'s fsync: on a loaded machine the per-round ratios spread widely; compare the min–max.)')
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { table } = await import('./report.mjs')
  printAmqpPublish(await measureAmqpPublish({ rounds: Number(process.env.ROUNDS ?? 5) }), table)
}
