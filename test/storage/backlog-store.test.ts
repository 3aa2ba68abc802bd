/**
 * The store's backlog role (what the alert rules run-waiting and
 * dead-letters read): one conformance suite over memory, a SQLite file and
 * PostgreSQL. Pending runs per workflow with the oldest's creation,
 * dead-lettered runs per workflow, nothing for running or finished runs; and
 * on SQLite and PostgreSQL the query is answered from the runs'
 * (status, created_at) index.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { MemoryWorkflowStore, sqliteStore, type RunId } from 'weft-sdk'
import { postgresStore } from 'weft-sdk/postgres'
import type { WorkflowStore } from 'weft-sdk/store'
import { backlogSql } from '../../src/storage/backlog-store.js'
import { createTestDatabase, describePostgres, throwawayPostgresStores } from '../support/postgres.js'

const folder = mkdtempSync(join(tmpdir(), 'weft-backlog-'))
let files = 0
afterAll(() => rmSync(folder, { recursive: true, force: true }))

/** Runs of `workflow` in `status`, created at `createdAt`: pending ones unclaimed, the others through a claim and a fenced update. */
async function seed(store: WorkflowStore, id: string, workflow: string, status: 'pending' | 'running' | 'completed' | 'dead-lettered', createdAt: number): Promise<void> {
  if (status === 'pending') {
    await store.createRun({ id: id as RunId, workflow, version: 1, input: undefined, createdAt })
    return
  }
  const { run } = await store.createRun({ id: id as RunId, workflow, version: 1, input: undefined, createdAt, claimBy: { owner: 'w', leaseMs: 60_000 } })
  if (status !== 'running') await store.updateRun({ runId: run.id, epoch: run.epoch }, { status, finishedAt: createdAt + 1 })
}

function describeBacklog(name: string, open: () => Promise<WorkflowStore>): void {
  describe(`the backlog of runs on ${name}`, () => {
    it('is empty when no run waits or is dead-lettered', async () => {
      const store = await open()
      await store.init()
      await seed(store, 'r1', 'orders', 'running', 1_000)
      await seed(store, 'r2', 'orders', 'completed', 1_000)
      expect(await store.backlog!.backlog()).toEqual({ pending: [], deadLettered: [] })
      await store.close()
    })

    it('counts pending runs per workflow with the oldest creation, and dead-lettered runs per workflow', async () => {
      const store = await open()
      await store.init()
      await seed(store, 'p1', 'orders', 'pending', 5_000)
      await seed(store, 'p2', 'orders', 'pending', 3_000)
      await seed(store, 'p3', 'billing', 'pending', 4_000)
      await seed(store, 'd1', 'orders', 'dead-lettered', 1_000)
      await seed(store, 'd2', 'orders', 'dead-lettered', 2_000)
      await seed(store, 'x1', 'billing', 'running', 100)
      expect(await store.backlog!.backlog()).toEqual({
        pending: [
          { workflow: 'billing', count: 1, oldestCreatedAt: 4_000 },
          { workflow: 'orders', count: 2, oldestCreatedAt: 3_000 },
        ],
        deadLettered: [{ workflow: 'orders', count: 2 }],
      })
      await store.close()
    })
  })
}

describeBacklog('memory', async () => new MemoryWorkflowStore())
describeBacklog('a SQLite file', async () => sqliteStore({ path: join(folder, `store-${files++}.sqlite`) }))
describePostgres('PostgreSQL', () => {
  const stores = throwawayPostgresStores((url) => postgresStore({ connectionString: url, maxConnections: 2 }))
  describeBacklog('PostgreSQL', () => stores.create())

  it("can be answered from the runs' (status, created_at) index on PostgreSQL (sequential scans off: the table is empty)", async () => {
    const database = await createTestDatabase()
    const store = postgresStore({ connectionString: database.url, maxConnections: 2 })
    await store.init()
    await store.close()
    const client = new pg.Client({ connectionString: database.url })
    await client.connect()
    try {
      await client.query('set enable_seqscan = off')
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(`explain ${backlogSql}`)
      expect(rows.map((row) => row['QUERY PLAN']).join('\n')).toContain('weft_runs_by_status')
    } finally {
      await client.end()
      await database.drop()
    }
  })
})

describe('the backlog query on SQLite', () => {
  it("is answered from the runs' (status, created_at) index", async () => {
    const path = join(folder, `plan-${files++}.sqlite`)
    const store = sqliteStore({ path })
    await store.init()
    await store.close()
    const db = new Database(path, { readonly: true })
    const plan = (db.prepare(`explain query plan ${backlogSql}`).all() as { detail: string }[]).map((row) => row.detail).join('\n')
    db.close()
    expect(plan).toMatch(/USING (COVERING )?INDEX weft_runs_by_status/)
  })
})
