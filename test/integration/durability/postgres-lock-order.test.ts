/**
 * The PostgreSQL store's statements that lock several runs at once (step
 * batches, lease renewals, releases, notes on unclaimable runs) must not
 * deadlock one another. They did: a worker's step batch and its own lease
 * renewal, over the same runs in different orders, failed with "deadlock
 * detected", and the tasks whose steps were in the batch failed (found by
 * the two-worker test, under load).
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { Fence } from 'weft-sdk/store'
import { postgresStore, type PostgresWorkflowStore } from '../../../src/postgres.js'
import { createTestDatabase, describePostgres, type TestDatabase } from '../../support/postgres.js'

describePostgres('PostgreSQL store: lock order', () => {
  let db: TestDatabase
  let store: PostgresWorkflowStore
  const fences: Fence[] = []

  beforeAll(async () => {
    db = await createTestDatabase()
    store = postgresStore({ connectionString: db.url, maxConnections: 10 })
    await store.init()
    for (let i = 0; i < 60; i++) {
      const { run } = await store.createRun({ id: `r${i}`, workflow: 'w', version: 1, input: {}, createdAt: 1, claimBy: { owner: 'w1', leaseMs: 1e9 } })
      fences.push({ runId: run.id, epoch: run.epoch })
    }
    await store.createRun({ id: 'other', workflow: 'w', version: 2, input: {}, createdAt: 1 })
  })
  afterAll(async () => {
    await store?.close()
    await db?.drop()
  })

  it('never deadlocks step batches, lease renewals, releases and unclaimable notes over the same runs in different orders', async () => {
    const errors: string[] = []
    const record = (error: Error) => void errors.push(error.message)
    for (let round = 0; round < 100; round++) {
      const shuffled = [...fences].sort(() => Math.random() - 0.5)
      await Promise.all([
        ...shuffled.map((f) => store.saveStep(f, { runId: f.runId, key: `k${round}`, task: 'k', status: 'completed', output: round, attempts: 1, finishedAt: 1 }).catch(record)),
        store.renewLeases('w1', [...shuffled].reverse(), 1e9, 2).catch(record),
        store.releaseRuns('someone-else', shuffled).catch(record),
        store.noteUnclaimable([{ name: 'w', version: 1 }], 3).catch(record),
      ])
    }
    expect(errors).toEqual([])
    expect((await store.loadSteps('r0')).length).toBe(100)
  }, 60_000)
})
