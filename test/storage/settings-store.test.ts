/**
 * store.settings on memory, SQLite and PostgreSQL: a setting round-trips as
 * JSON and is replaced, another process (a second store on the same database)
 * reads it, and the security setting keeps its first `since` once enabled.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEngine, MemoryWorkflowStore, Rbac, sqliteStore } from 'weft-sdk'
import { postgresStore } from '../../src/postgres.js'
import { enableSecuritySetting, readSecuritySetting, type SettingsStore } from '../../src/store.js'
import type { WorkflowStore } from '../../src/store.js'
import { createTestDatabase, describePostgres, type TestDatabase } from '../support/postgres.js'

/** The cases every store's settings pass; `open` opens a store on the same database (a second one for durable stores). */
function settingsCases(open: () => Promise<WorkflowStore & { settings: SettingsStore }>, shared: boolean): void {
  it('stores a JSON value per name, replaces it, and answers undefined for a name never set', async () => {
    const store = await open()
    expect(await store.settings.get('retention')).toBeUndefined()
    await store.settings.set('retention', { days: 30, tables: ['runs'] }, 1_000)
    expect(await store.settings.get('retention')).toEqual({ days: 30, tables: ['runs'] })
    await store.settings.set('retention', 7, 2_000)
    expect(await store.settings.get('retention')).toBe(7)
    await expect(store.settings.set('retention', undefined, 3_000)).rejects.toThrow('must be a JSON value')
    await store.close()
  })

  it('updates a setting from its value, and writes nothing when the change leaves it', async () => {
    const store = await open()
    const add = (item: string) => (value: unknown) => (Array.isArray(value) && value.includes(item) ? undefined : [...(Array.isArray(value) ? value : []), item])
    expect(await store.settings.update('tags', add('a'), 1_000)).toEqual(['a'])
    expect(await store.settings.update('tags', add('b'), 2_000)).toEqual(['a', 'b'])
    expect(await store.settings.update('tags', add('a'), 3_000)).toEqual(['a', 'b'])
    expect(await store.settings.get('tags')).toEqual(['a', 'b'])
    await store.close()
  })

  it('loses neither of two updates made at once', async () => {
    const [one, two] = [await open(), await open()]
    const add = (item: string) => (value: unknown) => [...(Array.isArray(value) ? (value as string[]) : []), item]
    await Promise.all([one.settings.update('racers', add('one'), 1_000), two.settings.update('racers', add('two'), 1_000)])
    expect(((await one.settings.get('racers')) as string[]).sort()).toEqual(['one', 'two'])
    await Promise.all([one.close(), two === one ? undefined : two.close()])
  })

  it('keeps the first time security was enabled', async () => {
    const store = await open()
    expect(await readSecuritySetting(store.settings)).toBeUndefined()
    expect(await enableSecuritySetting(store.settings, 5_000)).toEqual({ enabled: true, since: 5_000 })
    expect(await enableSecuritySetting(store.settings, 9_000)).toMatchObject({ enabled: true, since: 5_000 })
    await store.close()
    if (!shared) return
    const other = await open()
    expect(await readSecuritySetting(other.settings)).toMatchObject({ enabled: true, since: 5_000 })
    await other.close()
  })
}

describe('memory store settings', () => {
  let store: MemoryWorkflowStore
  settingsCases(async () => (store ??= new MemoryWorkflowStore()), false)
})

describe('SQLite store settings', () => {
  let dir: string
  beforeAll(() => void (dir = mkdtempSync(join(tmpdir(), 'weft-settings-'))))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  settingsCases(async () => {
    const store = sqliteStore({ path: join(dir, 'weft.sqlite') })
    await store.init()
    return store
  }, true)
})

describePostgres('PostgreSQL store settings', () => {
  let database: TestDatabase
  beforeAll(async () => void (database = await createTestDatabase()))
  afterAll(async () => database.drop())
  settingsCases(async () => {
    const store = postgresStore({ connectionString: database.url, maxConnections: 2 })
    await store.init()
    return store
  }, true)
})

describe('an engine and the security setting', () => {
  it('records security when it opens a store with security configured, and not without', async () => {
    const plain = new MemoryWorkflowStore()
    const unsecured = createEngine({ store: plain })
    await unsecured.ready
    await unsecured.close()
    expect(await readSecuritySetting(plain.settings)).toBeUndefined()
    const secured = new MemoryWorkflowStore()
    const engine = createEngine({ store: secured, security: { authorizer: new Rbac({ roles: { admin: ['*'] } }) } })
    await engine.ready
    await engine.close()
    expect(await readSecuritySetting(secured.settings)).toMatchObject({ enabled: true, since: expect.any(Number) })
  })
})
