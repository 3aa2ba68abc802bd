/**
 * The stores the session and local-user tests run on: memory (one instance;
 * nothing is shared), a real SQLite file and a real PostgreSQL database. For
 * the durable ones `open()` opens another store instance on the same
 * database, as a second process would, and `dump()` reads every row of every
 * Weft table as text (to look for secrets in clear).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import pg from 'pg'
import { afterAll, afterEach, beforeEach } from 'vitest'
import { postgresStore } from '../../src/postgres.js'
import { MemoryWorkflowStore } from '../../src/storage/memory-workflow-store.js'
import { sqliteStore } from '../../src/storage/sqlite/sqlite-workflow-store.js'
import type { WorkflowStore } from '../../src/storage/workflow-store.js'
import { createTestDatabase, postgresSkipReason, type TestDatabase } from '../support/postgres.js'

export interface SessionFixture {
  /** A store on the test's database: a second call is a second instance on the same database (but for memory). */
  open(): Promise<WorkflowStore>
  /** Whether two instances share their data (false for memory). */
  readonly shared: boolean
  /** Every row of every `weft_` table, as one string; `undefined` for memory. */
  dump(): Promise<string | undefined>
}

export interface FixtureKind {
  readonly name: string
  /** Whether two instances opened by one fixture share their data (a database): known before the fixture is set up, so tests that need it are only declared where it holds. */
  readonly durable: boolean
  /** Why it cannot run here, or null. */
  readonly skipReason: () => string | null
  /** Registers the hooks and returns the fixture of the current test. */
  readonly setup: () => () => SessionFixture
}

function tracked(): { add(store: WorkflowStore): Promise<WorkflowStore>; closeAll(): Promise<void> } {
  let stores: WorkflowStore[] = []
  return {
    async add(store) {
      await store.init()
      stores.push(store)
      return store
    },
    async closeAll() {
      const closing = stores
      stores = []
      for (const store of closing) await store.close()
    },
  }
}

const memory: FixtureKind = {
  name: 'memory',
  durable: false,
  skipReason: () => null,
  setup() {
    let store: MemoryWorkflowStore
    beforeEach(() => {
      store = new MemoryWorkflowStore()
    })
    return () => ({ open: async () => store, shared: false, dump: async () => undefined })
  },
}

const sqlite: FixtureKind = {
  name: 'a SQLite file',
  durable: true,
  skipReason: () => null,
  setup() {
    const folder = mkdtempSync(join(tmpdir(), 'weft-sessions-'))
    const stores = tracked()
    let path = ''
    let n = 0
    beforeEach(() => {
      path = join(folder, `sessions-${(n += 1)}.sqlite`)
    })
    afterEach(() => stores.closeAll())
    afterAll(() => rmSync(folder, { recursive: true, force: true }))
    const dump = async (): Promise<string> => {
      const db = new Database(path, { readonly: true })
      try {
        const tables = db.prepare(`select name from sqlite_master where type = 'table' and name like 'weft_%'`).all() as { name: string }[]
        return tables.map(({ name }) => JSON.stringify(db.prepare(`select * from ${name}`).all())).join('\n')
      } finally {
        db.close()
      }
    }
    return () => ({ open: () => stores.add(sqliteStore({ path })), shared: true, dump })
  },
}

const postgres: FixtureKind = {
  name: 'PostgreSQL',
  durable: true,
  skipReason: () => postgresSkipReason(),
  setup() {
    const stores = tracked()
    let database: TestDatabase | undefined
    beforeEach(async () => {
      database = await createTestDatabase()
    })
    afterEach(async () => {
      await stores.closeAll()
      await database?.drop()
    })
    const dump = async (): Promise<string> => {
      const client = new pg.Client({ connectionString: database!.url })
      await client.connect()
      try {
        const { rows } = await client.query<{ table_name: string }>(`select table_name from information_schema.tables where table_schema = current_schema() and table_name like 'weft\\_%'`)
        const parts: string[] = []
        for (const { table_name } of rows) parts.push(JSON.stringify((await client.query(`select * from ${table_name}`)).rows))
        return parts.join('\n')
      } finally {
        await client.end()
      }
    }
    return () => ({ open: () => stores.add(postgresStore({ connectionString: database!.url, maxConnections: 4 })), shared: true, dump })
  },
}

/** The three stores, in order. */
export const fixtureKinds: readonly FixtureKind[] = [memory, sqlite, postgres]

/** What `promise` rejects with; `undefined` when it resolves. */
export const thrown = (promise: Promise<unknown>): Promise<unknown> => promise.then(() => undefined, (error: unknown) => error)
