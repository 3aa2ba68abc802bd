/**
 * `WorkflowStore.probe`: a write that needs new space, removed again. Engines
 * probe a store that failed with a full disk before they claim runs again.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { sqliteStore, StorageError } from 'weft-sdk'
import { postgresStore } from '../../src/postgres.js'
import { createTestDatabase, describePostgres } from '../support/postgres.js'

const folder = mkdtempSync(join(tmpdir(), 'weft-probe-'))
afterAll(() => rmSync(folder, { recursive: true, force: true }))

describe('probing a SQLite store', () => {
  it('succeeds while there is room, leaving no row', async () => {
    const path = join(folder, 'roomy.sqlite')
    const store = sqliteStore({ path })
    await store.init()
    await store.probe()
    await store.close()
    const db = new Database(path, { readonly: true })
    expect(db.prepare('select count(*) as n from weft_probe').get()).toEqual({ n: 0 })
    db.close()
  })

  it('fails with a disk-full StorageError while the database cannot grow, and succeeds once it can', async () => {
    const path = join(folder, 'full.sqlite')
    const migrated = sqliteStore({ path })
    await migrated.init()
    await migrated.close()
    const db = new Database(path)
    const pages = Number(db.pragma('page_count', { simple: true }))
    db.pragma(`max_page_count = ${pages + 2}`)
    const store = sqliteStore({ database: db })
    await store.init()
    const error = await store.probe().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(StorageError)
    expect(error).toMatchObject({ reason: 'disk-full', isRetryable: false })
    db.pragma('max_page_count = 1000000000')
    await store.probe()
    await store.close()
    db.close()
  })
})

describePostgres('probing a PostgreSQL store', () => {
  it('succeeds, leaving no row', async () => {
    const database = await createTestDatabase()
    try {
      const store = postgresStore({ connectionString: database.url })
      await store.init()
      await store.probe()
      await store.close()
      const reader = new pg.Client({ connectionString: database.url })
      await reader.connect()
      const { rows } = await reader.query<{ n: number }>('select count(*)::int as n from weft_probe')
      expect(rows[0]!.n).toBe(0)
      await reader.end()
    } finally {
      await database.drop()
    }
  })
})

describe('a failing SQLite probe', () => {
  it('takes no other write with it: a lease renewal in the same tick still commits', async () => {
    const path = join(folder, 'alone.sqlite')
    const migrated = sqliteStore({ path })
    await migrated.init()
    await migrated.close()
    const db = new Database(path)
    db.pragma(`max_page_count = ${Number(db.pragma('page_count', { simple: true })) + 4}`)
    const store = sqliteStore({ database: db })
    await store.init()
    const { run } = await store.createRun({ id: 'r1', workflow: 'w', version: 1, input: {}, createdAt: 1, claimBy: { owner: 'o', leaseMs: 10 } })
    const [probe, renewal] = await Promise.allSettled([store.probe(), store.renewLeases('o', [{ runId: 'r1', epoch: run.epoch }], 1_000, 5)])
    expect(probe.status).toBe('rejected')
    expect(renewal).toEqual({ status: 'fulfilled', value: { lost: [], requested: [] } })
    expect(await store.getRun('r1')).toMatchObject({ leaseExpiresAt: 1_005 })
    await store.close()
    db.close()
  })
})
