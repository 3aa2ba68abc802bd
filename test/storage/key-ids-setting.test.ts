// The store's record of its codec's key ids (the `keys` setting), on a real SQLite file and a real PostgreSQL
// database: written when a store (or an engine's store) with the payload codec migrates the database, only when it
// changes; a rotation moves `current` and keeps the retired id in `known`; ids only, no key material in the row; a
// malformed record reads as unknown; a store whose codec lacks a recorded key still opens, and a value of that key
// fails with an error naming the key and the fix.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import pg from 'pg'
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest'
import { createEngine, createPayloadCodec, SecurityConfigError, staticKeyProvider, UnknownKeyError, type KeyMaterial } from 'weft-sdk'
import { postgresStore } from 'weft-sdk/postgres'
import { keysSettingName, nextKeysSetting, parseKeysSetting, readKeysSetting, type ValueCodec, type WorkflowStore } from 'weft-sdk/store'
import { sqliteStore } from '../../src/storage/sqlite/sqlite-workflow-store.js'
import { createTestDatabase, describePostgres, type TestDatabase } from '../support/postgres.js'

const k1: KeyMaterial = { id: 'k1', key: randomBytes(32) }
const k2: KeyMaterial = { id: 'k2', key: randomBytes(32) }
const codecOf = (...keys: KeyMaterial[]) => createPayloadCodec(staticKeyProvider(keys))

interface OpenOptions {
  readonly codec?: ValueCodec
  /** Opened without migrating (read-only on SQLite, `migrate: false` on PostgreSQL). */
  readonly readOnly?: boolean
}

/** One fresh database of a dialect, its stores and its settings rows as stored. */
interface KeysDatabase {
  /** A store on the database (not yet initialised). */
  store(options?: OpenOptions): WorkflowStore
  /** Every weft_settings row as one text (name, value, updated_at). */
  settingsRows(): Promise<string[]>
  /** Replaces the stored text of the `keys` setting. */
  writeKeysText(text: string): Promise<void>
  drop(): Promise<void>
}

/** Opens a store, initialises it, runs `use`, closes it. */
async function withStore<T>(database: KeysDatabase, options: OpenOptions, use: (store: WorkflowStore) => Promise<T>): Promise<T> {
  const store = database.store(options)
  try {
    await store.init()
    return await use(store)
  } finally {
    await store.close()
  }
}

/** A row's columns as they are stored, tab-separated. */
const rowText = (row: object) => Object.values(row).map(String).join('\t')

const recordAfterOpening = (database: KeysDatabase, options: OpenOptions) => withStore(database, options, (store) => readKeysSetting(store.settings))

function keyIdCases(create: () => Promise<KeysDatabase>): void {
  let database: KeysDatabase
  afterEach(async () => {
    vi.useRealTimers()
    await database.drop()
  })
  const fresh = async () => (database = await create())

  it('records the current and known key ids when a store with the payload codec opens', async () => {
    await fresh()
    expect(await recordAfterOpening(database, { codec: codecOf(k2, k1) })).toEqual({ current: 'k2', known: ['k2', 'k1'], updatedAt: expect.any(Number) })
  })

  it('records them when an engine opens its store', async () => {
    await fresh()
    const engine = createEngine({ store: database.store({ codec: codecOf(k1) }) })
    await engine.ready
    await engine.close()
    expect(await recordAfterOpening(database, { readOnly: true })).toMatchObject({ current: 'k1', known: ['k1'] })
  })

  it('moves current on a rotation and keeps the retired key in known', async () => {
    await fresh()
    await recordAfterOpening(database, { codec: codecOf(k1) })
    expect(await recordAfterOpening(database, { codec: codecOf(k2, k1) })).toMatchObject({ current: 'k2', known: ['k2', 'k1'] })
    expect(await recordAfterOpening(database, { codec: codecOf(k2) })).toMatchObject({ current: 'k2', known: ['k2', 'k1'] })
  })

  it('writes nothing when a store opens with the ids already recorded', async () => {
    await fresh()
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(1_000_000)
    await recordAfterOpening(database, { codec: codecOf(k2, k1) })
    const before = await database.settingsRows()
    vi.setSystemTime(2_000_000)
    expect(await recordAfterOpening(database, { codec: codecOf(k2) })).toEqual({ current: 'k2', known: ['k2', 'k1'], updatedAt: 1_000_000 })
    expect(await database.settingsRows()).toEqual(before)
    vi.setSystemTime(3_000_000)
    expect(await recordAfterOpening(database, { codec: codecOf(k1, k2) })).toEqual({ current: 'k1', known: ['k1', 'k2'], updatedAt: 3_000_000 })
  })

  it('keeps ids only: no key material in the settings', async () => {
    await fresh()
    await recordAfterOpening(database, { codec: codecOf(k2, k1) })
    const rows = (await database.settingsRows()).join('\n')
    expect(rows).toContain('"k2"')
    for (const { key } of [k1, k2]) {
      const bytes = Buffer.from(key as Uint8Array)
      for (const encoding of ['hex', 'base64', 'base64url'] as const) expect(rows).not.toContain(bytes.toString(encoding))
    }
  })

  it('reads a malformed record as unknown, and records the ids afresh on the next open', async () => {
    await fresh()
    await recordAfterOpening(database, { codec: codecOf(k1) })
    for (const text of ['{"current":5,"known":["k1"],"updatedAt":1}', '{"current":"k9","known":["k1"],"updatedAt":1}', 'not json', '"k1"']) {
      await database.writeKeysText(text)
      expect(await recordAfterOpening(database, { readOnly: true }), text).toBeUndefined()
    }
    expect(await recordAfterOpening(database, { codec: codecOf(k2) })).toMatchObject({ current: 'k2', known: ['k2'] })
  })

  it('opens with a codec lacking a recorded key, and a value of that key fails naming the key and the fix', async () => {
    await fresh()
    await withStore(database, { codec: codecOf(k1) }, (store) => store.createRun({ id: 'r-1', workflow: 'w', version: 1, input: { secret: 's' }, createdAt: 1 }))
    const error = await withStore(database, { codec: codecOf(k2) }, async (store) => {
      expect(await readKeysSetting(store.settings)).toMatchObject({ current: 'k2', known: ['k2', 'k1'] })
      return store.getRun('r-1' as never).catch((thrown: unknown) => thrown)
    })
    expect(error).toBeInstanceOf(UnknownKeyError)
    expect((error as UnknownKeyError).code).toBe('WEFT_UNKNOWN_KEY')
    expect((error as Error).message).toContain('key "k1" is not in the key provider; give the provider every key id still in use (see weft keys status)')
  })

  it('records nothing for a store without key ids, nor when opened without migrating', async () => {
    await fresh()
    expect(await recordAfterOpening(database, {})).toBeUndefined()
    expect(await recordAfterOpening(database, { codec: codecOf(k1), readOnly: true })).toBeUndefined()
  })

  it('refuses to open with a codec that gives a malformed key id', async () => {
    await fresh()
    const codec: ValueCodec = { encode: (text) => text, decode: (text) => text, keyIds: () => ({ current: 'key one', known: ['key one'] }) }
    const opened = await withStore(database, { codec }, async () => undefined).catch((error: unknown) => error)
    expect(opened).toBeInstanceOf(SecurityConfigError)
    expect((opened as SecurityConfigError).message).toContain('key id "key one", which is not 1-64 letters')
  })
}

describe('the record of key ids on SQLite', () => {
  const folder = mkdtempSync(join(tmpdir(), 'weft-key-ids-'))
  afterAll(() => rmSync(folder, { recursive: true, force: true }))
  let files = 0
  keyIdCases(async () => {
    const path = join(folder, `keys-${files++}.sqlite`)
    const raw = (use: (db: Database.Database) => void) => {
      const db = new Database(path)
      try {
        use(db)
      } finally {
        db.close()
      }
    }
    return {
      store: ({ codec, readOnly } = {}) => sqliteStore({ path, codec, readOnly }),
      settingsRows: async () => {
        let rows: string[] = []
        raw((db) => void (rows = (db.prepare('select name, value, updated_at from weft_settings order by name').all() as object[]).map(rowText)))
        return rows
      },
      writeKeysText: async (text) => raw((db) => void db.prepare('update weft_settings set value = ? where name = ?').run(text, keysSettingName)),
      drop: async () => rmSync(path, { force: true }),
    }
  })
})

describePostgres('the record of key ids on PostgreSQL', () => {
  keyIdCases(async () => {
    const database: TestDatabase = await createTestDatabase()
    const query = async (sql: string, values: unknown[] = []) => {
      const client = new pg.Client({ connectionString: database.url })
      await client.connect()
      try {
        return (await client.query(sql, values)).rows as object[]
      } finally {
        await client.end()
      }
    }
    return {
      store: ({ codec, readOnly } = {}) => postgresStore({ connectionString: database.url, maxConnections: 2, codec, migrate: readOnly !== true }),
      settingsRows: async () => (await query('select name, value, updated_at from weft_settings order by name')).map(rowText),
      writeKeysText: async (text) => void (await query('update weft_settings set value = $1 where name = $2', [text, keysSettingName])),
      drop: () => database.drop(),
    }
  })
})

describe('the next record of key ids', () => {
  it('adds the ids of the store that opened after the ones recorded, its current first', () => {
    expect(nextKeysSetting({ current: 'k1', known: ['k1', 'k0'], updatedAt: 1 }, { current: 'k2', known: ['k2', 'k1'] }, 5)).toEqual({ current: 'k2', known: ['k2', 'k1', 'k0'], updatedAt: 5 })
  })

  it('is nothing to write when the record already says the same', () => {
    expect(nextKeysSetting({ current: 'k2', known: ['k2', 'k1'], updatedAt: 1 }, { current: 'k2', known: ['k1', 'k2'] }, 5)).toBeUndefined()
  })

  it('lists the current id even when the codec leaves it out of known', () => {
    expect(nextKeysSetting(undefined, { current: 'k2', known: [] }, 5)).toEqual({ current: 'k2', known: ['k2'], updatedAt: 5 })
  })

  it('parses a well-formed record and refuses ids that are not key ids', () => {
    expect(parseKeysSetting({ current: 'k1', known: ['k1', 'k1'], updatedAt: 1 })).toEqual({ current: 'k1', known: ['k1'], updatedAt: 1 })
    expect(parseKeysSetting({ current: 'k1', known: ['k1', 'a.b'], updatedAt: 1 })).toBeUndefined()
    expect(parseKeysSetting({ current: 'k1', known: ['k1'] })).toBeUndefined()
  })
})
