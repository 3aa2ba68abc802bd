import pg from 'pg'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { LeaseLostError, type RunRecord } from 'weft-sdk'
import type { Fence, StepRecord } from 'weft-sdk/store'
import { forceGenericPlans, postgresStore, type PgPoolLike } from '../../src/postgres.js'
import { createTestDatabase, describePostgres, throwawayPostgresStores, type TestDatabase } from '../support/postgres.js'
import { describeEventFeed, describeFinalStep, describeRunWithSteps, describeWorkflowStore } from './workflow-store-conformance.js'
import { describeOutbox } from './outbox-conformance.js'

describePostgres('PostgreSQL store', () => {
  const fixture = throwawayPostgresStores((url) => postgresStore({ connectionString: url, maxConnections: 10 }))
  describeWorkflowStore('PostgreSQL', fixture)
  describeFinalStep('PostgreSQL', fixture)
  describeRunWithSteps('PostgreSQL', fixture)
  describeEventFeed('PostgreSQL', fixture)
  describeOutbox('PostgreSQL', fixture)
})

const lease = 30_000
const orders = [{ name: 'orders', version: 1 }]

function step(runId: string, key: string, output: unknown): StepRecord {
  return { runId, key, task: key, status: 'completed', output, attempts: 1, startedAt: 10, finishedAt: 20 }
}

function fenceOf(run: RunRecord): Fence {
  return { runId: run.id, epoch: run.epoch }
}

/**
 * Group commit: step records saved in the same turn of the event loop share
 * one statement. These tests make several saveStep calls without awaiting in
 * between (so they are one batch), and count the batch statements the pool
 * ran to prove it.
 */
describePostgres('PostgreSQL step batches', () => {
  let database: TestDatabase
  let pool: pg.Pool
  let statements: string[]
  let store: ReturnType<typeof postgresStore>

  beforeEach(async () => {
    database = await createTestDatabase()
    pool = new pg.Pool({ connectionString: database.url, max: 4, options: forceGenericPlans })
    pool.on('error', () => undefined)
    statements = []
    const counted: PgPoolLike = {
      query: ((query: string | { text: string }, values?: readonly unknown[]) => {
        statements.push(typeof query === 'string' ? query : query.text)
        return (pool.query as (q: unknown, v?: unknown) => Promise<never>)(query, values)
      }) as PgPoolLike['query'],
      connect: () => pool.connect() as never,
      end: () => pool.end(),
    }
    store = postgresStore({ pool: counted })
    await store.init()
  })

  afterEach(async () => {
    await store.close()
    await pool.end()
    await database.drop()
  })

  /** How many multi-step batch statements (the `unnest … with ordinality` insert) ran. */
  const batches = () => statements.filter((text) => text.includes('insert into weft_steps') && text.includes('with ordinality')).length

  async function claimed(id: string, now = 1_000): Promise<RunRecord> {
    return (await store.createRun({ id, workflow: 'orders', version: 1, input: {}, createdAt: now, claimBy: { owner: 'w1', leaseMs: lease } })).run
  }

  /** A run w1 claimed and w2 took over after w1's lease ended: w1's fence is stale. */
  async function takenOver(id: string): Promise<Fence> {
    const run = await claimed(id, 1_000)
    const [taken] = await store.claimRuns({ owner: 'w2', leaseMs: lease, limit: 10, workflows: orders, now: 1_000 + lease })
    expect(taken).toMatchObject({ id, epoch: run.epoch + 1 })
    return fenceOf(run)
  }

  it('rejects the stale-fenced step of a batch with LeaseLostError, writes nothing of it, and writes the good steps', async () => {
    const stale = await takenOver('lost')
    const good = fenceOf(await claimed('kept'))
    const other = fenceOf(await claimed('other'))
    const before = batches()
    const results = await Promise.allSettled([
      store.saveStep(good, step('kept', 'pack', 1)),
      store.saveStep(stale, step('lost', 'pack', 'zombie')),
      store.saveStep(other, step('other', 'pack', 3)),
      store.saveStep(good, step('kept', 'ship', 2)),
    ])
    expect(batches() - before).toBe(1)
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled'])
    const error = (results[1] as PromiseRejectedResult).reason
    expect(error).toBeInstanceOf(LeaseLostError)
    expect(error).toMatchObject({ code: 'WEFT_LEASE_LOST', runId: 'lost', epoch: stale.epoch })
    expect(await store.loadSteps('lost')).toEqual([])
    expect((await store.loadSteps('kept')).map((s) => [s.key, s.output]).sort()).toEqual([['pack', 1], ['ship', 2]])
    expect((await store.loadSteps('other')).map((s) => [s.key, s.output])).toEqual([['pack', 3]])
  })

  it('rejects every step of a batch whose fences are all stale, and writes nothing', async () => {
    const a = await takenOver('a')
    const b = await takenOver('b')
    const before = batches()
    const results = await Promise.allSettled([store.saveStep(a, step('a', 'x', 1)), store.saveStep(b, step('b', 'x', 2)), store.saveStep(a, step('a', 'y', 3))])
    expect(batches() - before).toBe(1)
    for (const result of results) {
      expect(result.status).toBe('rejected')
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(LeaseLostError)
      expect((result as PromiseRejectedResult).reason.code).toBe('WEFT_LEASE_LOST')
    }
    expect(await store.loadSteps('a')).toEqual([])
    expect(await store.loadSteps('b')).toEqual([])
  })

  it('writes a key repeated in one batch once: the first writer wins and both callers get the stored record', async () => {
    const fence = fenceOf(await claimed('r1'))
    const before = batches()
    const [first, second, other] = await Promise.all([
      store.saveStep(fence, step('r1', 'charge', { amount: 1 })),
      store.saveStep(fence, step('r1', 'charge', { amount: 2 })),
      store.saveStep(fence, step('r1', 'ship', 'shipped')),
    ])
    expect(batches() - before).toBe(1)
    expect(first.output).toEqual({ amount: 1 })
    expect(second).toEqual(first)
    expect(other.output).toBe('shipped')
    const stored = await store.loadSteps('r1')
    expect(stored.filter((s) => s.key === 'charge').map((s) => s.output)).toEqual([{ amount: 1 }])
    expect(stored).toHaveLength(2)
  })

  it('gives every writer of a key repeated in a batch the record stored before the batch', async () => {
    const fence = fenceOf(await claimed('r1'))
    await store.saveStep(fence, step('r1', 'charge', { amount: 0 }))
    const before = batches()
    const [first, second, other] = await Promise.all([
      store.saveStep(fence, step('r1', 'charge', { amount: 1 })),
      store.saveStep(fence, step('r1', 'charge', { amount: 2 })),
      store.saveStep(fence, step('r1', 'ship', 'shipped')),
    ])
    expect(batches() - before).toBe(1)
    expect(first.output).toEqual({ amount: 0 })
    expect(second.output).toEqual({ amount: 0 })
    expect(other.output).toBe('shipped')
    expect((await store.loadSteps('r1')).filter((s) => s.key === 'charge')).toHaveLength(1)
  })

  it('rejects both writers of a key repeated in a batch with a stale fence, beside a good step', async () => {
    const stale = await takenOver('lost')
    const good = fenceOf(await claimed('kept'))
    const results = await Promise.allSettled([
      store.saveStep(stale, step('lost', 'charge', 1)),
      store.saveStep(stale, step('lost', 'charge', 2)),
      store.saveStep(good, step('kept', 'charge', 3)),
    ])
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'fulfilled'])
    for (const result of results.slice(0, 2)) expect((result as PromiseRejectedResult).reason).toBeInstanceOf(LeaseLostError)
    expect(await store.loadSteps('lost')).toEqual([])
    expect((await store.loadSteps('kept')).map((s) => s.output)).toEqual([3])
  })

  it.each(['stale first', 'current first'] as const)(
    'checks each fence of a key written in one batch by a stale worker and by the run\'s owner (%s)',
    async (order) => {
      const stale = await takenOver('contested')
      const current = { runId: 'contested', epoch: stale.epoch + 1 }
      const other = fenceOf(await claimed('other'))
      const writes = [
        () => store.saveStep(stale, step('contested', 'charge', 'zombie')),
        () => store.saveStep(current, step('contested', 'charge', 'owner')),
      ]
      if (order === 'current first') writes.reverse()
      const results = await Promise.allSettled([...writes.map((write) => write()), store.saveStep(other, step('other', 'pack', 1))])
      const [staleResult, currentResult] = order === 'stale first' ? [results[0]!, results[1]!] : [results[1]!, results[0]!]
      expect(staleResult.status).toBe('rejected')
      expect((staleResult as PromiseRejectedResult).reason).toBeInstanceOf(LeaseLostError)
      expect(currentResult).toMatchObject({ status: 'fulfilled', value: { output: 'owner' } })
      expect((await store.loadSteps('contested')).map((s) => s.output)).toEqual(['owner'])
    },
  )
})
