/**
 * The durable outbox across a crash, with real processes and a real
 * RabbitMQ (test/support/rabbitmq.ts). A worker's task records a durable
 * publish (`ctx.use(amqp).publishDurably`); the worker is SIGKILLed in one
 * window, and a second worker on the same store finishes the job:
 *
 * 1. after the step committed and before the delivery went out (the
 *    delivery hangs): the entry is pending under the dead worker's claim,
 *    and the second worker delivers it with the recorded message id — taken
 *    over at once when the dead worker's pid is gone (this host), or once
 *    its lease ends when its worker id does not name a pid (another host);
 *    or before any deliverer claimed it (pending, unowned): delivered too;
 * 2. after the broker confirmed the publish and before the delivery was
 *    recorded: the message arrives again with the SAME id (at least once, a
 *    stable id for consumers to deduplicate), and the entry ends delivered;
 * 3. inside the task, after it recorded the publish and before its step
 *    checkpoint: the step runs again and records the same id, so there is
 *    one entry, delivered once.
 *
 * Each window is made deterministic by the child (children/outbox-worker.mjs):
 * a delivery that prints a marker and hangs, or dies right after the
 * confirm; a first outbox claim after the commit that dies; a task that dies
 * right after recording. What a child does right before dying it appends to
 * the case's effects file (the test may see the exit before the last lines
 * of the child's stdout).
 */
import { join } from 'node:path'
import amqp from 'amqplib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { describePostgres } from '../../support/postgres.js'
import { deleteTopology, describeAmqp, drain, sharedBroker, uniqueName } from '../../support/rabbitmq.js'
import { createTestStore, readEffects, spawnChild, stopAllChildren, until, useChildCleanup, useTempDir, type Child, type StoreKind, type TestStore } from './harness.js'

useChildCleanup()
const tempDir = useTempDir('outbox-crash')
const broker = await sharedBroker()

/**
 * Leases of runs and entries. Workers on this host are judged dead by their
 * pid at once, so most cases use a lease far longer than they take: a
 * takeover before it ends shows the dead owner was recognized (not waited
 * out). The case of a worker on "another host" waits its short lease out.
 */
const LONG_LEASE_MS = 15_000
const SHORT_LEASE_MS = 1_500

/** A `weft_outbox` row as the tests read it. */
interface OutboxRow {
  readonly id: string
  readonly run_id: string
  readonly step_key: string
  readonly adapter: string
  readonly status: string
  readonly attempts: number
  readonly lease_owner: string | null
  readonly delivered_at: number | null
}

function outboxScenarios(kind: StoreKind, url: string): void {
  let store: TestStore
  const exchange = uniqueName(`outbox-crash-${kind}`)
  const queues: string[] = []
  let cases = 0

  beforeAll(async () => {
    store = await createTestStore(kind, tempDir(), `outbox-crash-${kind}`)
    // The migrations run once here, not in two children at once.
    await store.store()
  }, 30_000)

  afterAll(async () => {
    await stopAllChildren()
    await store?.close()
    await deleteTopology(url, { queues, exchanges: [exchange] })
  })

  /** A case of its own: a queue bound to the exchange by its routing key (declared now, as the workers declare it), a run id, an effects file, and its workers' environment. */
  async function newCase(label: string) {
    const n = ++cases
    const queue = uniqueName(`outbox-crash-${kind}-${label}`)
    queues.push(queue)
    const routingKey = `${label}-${n}`
    await declare(url, exchange, queue, routingKey)
    const runId = `${kind}-${label}-${n}`
    const effectsFile = join(tempDir(), `${kind}-${label}-effects.jsonl`)
    const env = (name: string, extra: Record<string, string | number | undefined> = {}) => ({
      ...store.childEnv(name),
      AMQP_URL: url,
      EXCHANGE: exchange,
      QUEUE: queue,
      ROUTING_KEY: routingKey,
      EFFECTS_FILE: effectsFile,
      LEASE_MS: LONG_LEASE_MS,
      HEARTBEAT_MS: 300,
      CLAIM_MS: 200,
      OUTBOX_POLL_MS: 100,
      ...extra,
    })
    const start = () =>
      store.store().then((weft) => weft.createRun({ id: runId, workflow: 'outbox-crash', version: 1, input: { routingKey, n }, createdAt: Date.now() }))
    const entries = () => store.query<OutboxRow>('select id, run_id, step_key, adapter, status, attempts, lease_owner, delivered_at from weft_outbox where run_id = ? order by id', [runId])
    const messages = async () => (await drain(url, queue)).map((m) => ({ messageId: m.properties.messageId as string, body: JSON.parse(m.content.toString()) as unknown }))
    const entryLeaseEnd = async () => Number((await store.query<{ lease_expires_at: number }>('select lease_expires_at from weft_outbox where run_id = ?', [runId]))[0]!.lease_expires_at)
    // The file is the case's own: every effect in it is of this case's run (or, for `claiming`, of no run).
    const effects = (step: string) => readEffects(effectsFile).filter((e) => e.step === step)
    const taskRuns = () => effects('notify').length
    return { queue, runId, messageId: `${runId}:notify:events:outbox:1`, body: { runId, n }, env, start, entries, entryLeaseEnd, messages, effects, taskRuns }
  }

  /** Waits until the run's entry is delivered, and its row. */
  async function deliveredEntry(c: Awaited<ReturnType<typeof newCase>>, survivor: Child): Promise<OutboxRow> {
    await survivor.waitFor('outbox-delivered', { where: (m) => m.id === c.messageId })
    return until(`entry ${c.messageId} to be recorded delivered`, async () => {
      const [row] = await c.entries()
      return row?.status === 'delivered' ? row : undefined
    })
  }

  for (const [variant, workerId] of [
    ['its pid is gone (same host): taken over at once', undefined],
    ['its worker id names no pid (another host): taken over when its lease ends', 'elsewhere-a'],
  ] as const) {
    it(`a worker killed after the step committed and before the delivery: the entry stays pending under the dead worker; the next worker delivers it with the recorded id when ${variant}`, async () => {
      const c = await newCase(workerId === undefined ? 'hang' : 'hang-lease')
      const lease = workerId === undefined ? {} : { LEASE_MS: SHORT_LEASE_MS }
      const first = spawnChild('outbox-worker.mjs', `${c.runId}-first`, c.env(`${c.runId}-first`, { DELIVER: 'hang', WORKER_ID: workerId, ...lease }))
      const ready = await first.waitFor('ready')
      await c.start()
      const delivering = await first.waitFor('delivering', { where: (m) => m.id === c.messageId })
      expect(delivering).toMatchObject({ attempts: 1, owner: ready.workerId })
      await first.killHard()
      await store.settled(`${c.runId}-first`)

      // The step is committed (with the run: its only task), the entry is claimed by the dead worker and not sent.
      expect(await store.run(c.runId)).toMatchObject({ status: 'completed' })
      expect(await store.stepKeys(c.runId)).toEqual(['notify'])
      expect(await c.entries()).toEqual([
        { id: c.messageId, run_id: c.runId, step_key: 'notify', adapter: 'events', status: 'pending', attempts: 1, lease_owner: ready.workerId, delivered_at: null },
      ])
      expect(await c.messages()).toEqual([])
      const leaseEnd = await c.entryLeaseEnd()

      const second = spawnChild('outbox-worker.mjs', `${c.runId}-second`, c.env(`${c.runId}-second`, { WORKER_ID: workerId === undefined ? undefined : 'elsewhere-b', ...lease }))
      const row = await deliveredEntry(c, second)
      expect(row).toMatchObject({ id: c.messageId, status: 'delivered', attempts: 2, lease_owner: null })
      const delivered = second.all('outbox-delivered', (m) => m.id === c.messageId)[0]!
      expect(delivered.attempts).toBe(2)
      // Another host's worker: not before its lease ended (its id says nothing of its process).
      if (workerId !== undefined) expect(delivered.at).toBeGreaterThanOrEqual(Number(leaseEnd))
      // This host's: its pid is gone, so its claim is taken over without waiting for the (long) lease.
      else expect(delivered.at).toBeLessThan(Number(leaseEnd))
      expect(await c.messages()).toEqual([{ messageId: c.messageId, body: c.body }])
      // The run completed once, in the first worker: the second ran no task.
      expect(await store.run(c.runId)).toMatchObject({ status: 'completed' })
      expect(c.taskRuns()).toBe(1)
      expect(second.all('run-completed')).toEqual([])
      expect(second.all('background-error')).toEqual([])
    })
  }

  it('a worker killed after the step committed and before its entry was claimed: the entry is pending and unowned, and the next worker delivers it with the recorded id', async () => {
    const c = await newCase('unclaimed')
    const first = spawnChild('outbox-worker.mjs', `${c.runId}-first`, c.env(`${c.runId}-first`, { CLAIM: 'die', OUTBOX_POLL_MS: 60_000 }))
    await first.waitFor('ready')
    await c.start()
    const exit = await first.waitForExit()
    expect(exit.signal).toBe('SIGKILL')
    expect(c.effects('claiming')).toHaveLength(1)
    await store.settled(`${c.runId}-first`)
    expect(await store.run(c.runId)).toMatchObject({ status: 'completed' })
    expect(await c.entries()).toEqual([
      { id: c.messageId, run_id: c.runId, step_key: 'notify', adapter: 'events', status: 'pending', attempts: 0, lease_owner: null, delivered_at: null },
    ])

    const second = spawnChild('outbox-worker.mjs', `${c.runId}-second`, c.env(`${c.runId}-second`))
    const row = await deliveredEntry(c, second)
    expect(row).toMatchObject({ status: 'delivered', attempts: 1, lease_owner: null })
    expect(await c.messages()).toEqual([{ messageId: c.messageId, body: c.body }])
    expect(c.taskRuns()).toBe(1)
    expect(second.all('run-completed')).toEqual([])
    expect(second.all('background-error')).toEqual([])
  })

  it('a worker killed between the broker\'s confirm and the record of the delivery: the message arrives again with the same id, and the entry ends delivered', async () => {
    const c = await newCase('confirmed')
    const first = spawnChild('outbox-worker.mjs', `${c.runId}-first`, c.env(`${c.runId}-first`, { DELIVER: 'die-after-confirm' }))
    const ready = await first.waitFor('ready')
    await c.start()
    const exit = await first.waitForExit()
    expect(exit.signal).toBe('SIGKILL')
    // It died of its own hand, right after the confirm of this entry's publish.
    expect(c.effects('confirmed')).toMatchObject([{ id: c.messageId, attempts: 1, owner: ready.workerId }])
    await store.settled(`${c.runId}-first`)
    // The broker has it; the store does not know.
    expect(await c.entries()).toMatchObject([{ id: c.messageId, status: 'pending', attempts: 1, lease_owner: ready.workerId }])
    const leaseEnd = await c.entryLeaseEnd()

    const second = spawnChild('outbox-worker.mjs', `${c.runId}-second`, c.env(`${c.runId}-second`))
    const row = await deliveredEntry(c, second)
    expect(row).toMatchObject({ status: 'delivered', attempts: 2, lease_owner: null })
    // Taken over from the dead pid, not after its lease.
    expect(second.all('outbox-delivered', (m) => m.id === c.messageId)[0]!.at).toBeLessThan(leaseEnd)
    // At least once with a stable id: two deliveries, one id, for the consumer to deduplicate.
    expect(await c.messages()).toEqual([
      { messageId: c.messageId, body: c.body },
      { messageId: c.messageId, body: c.body },
    ])
    expect(c.taskRuns()).toBe(1)
    expect(second.all('background-error')).toEqual([])
  })

  it('a task killed after recording its publish and before its checkpoint: the step runs again, records the same id, and the message is delivered once', async () => {
    const c = await newCase('in-task')
    const first = spawnChild('outbox-worker.mjs', `${c.runId}-first`, c.env(`${c.runId}-first`, { TASK: 'die-after-record' }))
    await first.waitFor('ready')
    await c.start()
    const exit = await first.waitForExit()
    expect(exit.signal).toBe('SIGKILL')
    expect(c.effects('recorded')).toMatchObject([{ id: c.messageId }])
    await store.settled(`${c.runId}-first`)
    // Nothing of the attempt was written: no step, no entry.
    expect(await store.stepKeys(c.runId)).toEqual([])
    expect(await c.entries()).toEqual([])
    const runLeaseEnd = (await store.run(c.runId))!.lease_expires_at!

    const second = spawnChild('outbox-worker.mjs', `${c.runId}-second`, c.env(`${c.runId}-second`))
    const completed = await second.waitFor('run-completed', { where: (m) => m.runId === c.runId })
    // The run was taken over from the dead pid, not after its lease.
    expect(completed.at).toBeLessThan(runLeaseEnd)
    const row = await deliveredEntry(c, second)
    expect(row).toMatchObject({ id: c.messageId, step_key: 'notify', status: 'delivered', attempts: 1 })
    expect((await c.entries()).map((e) => e.id)).toEqual([c.messageId])
    expect(await c.messages()).toEqual([{ messageId: c.messageId, body: c.body }])
    const weft = await store.store()
    expect((await weft.loadSteps(c.runId)).map((s) => [s.key, s.output])).toEqual([['notify', c.messageId]])
    expect(c.taskRuns()).toBe(2)
    expect(second.all('background-error')).toEqual([])
  })
}

/** The case's exchange, queue and binding, with the options the workers' AmqpAdapter declares them with (durable). */
async function declare(url: string, exchange: string, queue: string, routingKey: string): Promise<void> {
  const connection = await amqp.connect(url)
  try {
    const channel = await connection.createChannel()
    await channel.assertExchange(exchange, 'direct', { durable: true, autoDelete: false })
    await channel.assertQueue(queue, { durable: true, exclusive: false, autoDelete: false })
    await channel.bindQueue(queue, exchange, routingKey)
  } finally {
    await connection.close()
  }
}

describeAmqp('the durable outbox across a worker crash', broker, (url) => {
  describe('SQLite', () => outboxScenarios('sqlite', url))
  describePostgres('PostgreSQL', () => outboxScenarios('postgres', url))
})
