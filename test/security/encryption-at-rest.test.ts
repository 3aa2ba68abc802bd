// Encryption at rest, end to end: a workflow whose input, outputs, failed attempts, event payload and final error
// carry a canary secret leaves no trace of it in the SQLite file (after a WAL checkpoint, secure_delete on) nor in
// any text of Weft's PostgreSQL tables; a ciphertext copied to another row fails to read, naming the row; runs
// written before a key rotation (one of them still waiting) read and finish after it.
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEngine, defineWorkflow } from 'weft-sdk'
import { DecryptionError } from '../../src/core/security-errors.js'
import { staticKeyProvider, type KeyProvider } from '../../src/security/key-provider.js'
import { createPayloadCodec } from '../../src/security/payload-codec.js'
import { postgresStore } from '../../src/storage/postgres/postgres-workflow-store.js'
import { sqliteStore } from '../../src/storage/sqlite/sqlite-workflow-store.js'
import type { ValueCodec } from '../../src/storage/value-codec.js'
import type { WorkflowStore } from '../../src/storage/workflow-store.js'
import { createTestDatabase, describePostgres, type TestDatabase } from '../support/postgres.js'

const canary = `canary-${randomBytes(8).toString('hex')}`
const k1 = { id: 'k1', key: randomBytes(32) }
const k2 = { id: 'k2', key: randomBytes(32) }
const keysV1 = staticKeyProvider([k1])
const keysV2 = staticKeyProvider([k2, k1])
const codecOf = (keys: KeyProvider): ValueCodec => createPayloadCodec(keys, { allowClear: false })

/**
 * A workflow that puts the canary everywhere Weft stores a value: its input, a task's output, a failed attempt's
 * error (attempt history), an awaited event's payload, and a final failure whose message and cause name it.
 */
function canaryWorkflow(name: string) {
  let failures = 0
  return defineWorkflow<{ readonly secret: string }>({ name, version: 1 })
    .task('load', (input) => ({ copy: input.secret }))
    .task('flaky', { dependsOn: ['load'], retry: { maxAttempts: 2, backoff: { initial: 1, max: 2 } } }, (loaded) => {
      if (failures++ === 0) throw new Error(`first attempt leaked ${loaded.copy}`)
      return loaded.copy.length
    })
    .task('approve', { dependsOn: ['flaky'] }, async (_length, ctx) => ctx.waitForEvent<{ note: string }>('approval', { timeout: '1 h' }))
    .task('fail', { dependsOn: ['approve'] }, (approval) => {
      throw new Error(`gave up on ${approval.note}`, { cause: new Error(`because of ${approval.note}`) })
    })
    .build()
}

/** Runs the canary workflow to its failure on `store`; returns the run's id after checking the values read back. */
async function runCanary(store: WorkflowStore, name: string): Promise<string> {
  const engine = createEngine({ store })
  try {
    const workflow = canaryWorkflow(name)
    engine.on('task.started', (event) => {
      if (event.task === 'approve') setTimeout(() => void engine.emit('approval', { note: canary }, { runId: event.runId }), 5)
    })
    const run = await engine.start(workflow, { secret: canary })
    await expect(run.result()).rejects.toThrow(`gave up on ${canary}`)
    // Everything reads back from the store in clear through the codec.
    const steps = new Map((await store.loadSteps(run.id)).map((step) => [step.key, step]))
    expect(steps.get('load')?.output).toEqual({ copy: canary })
    expect(steps.get('approve')?.output).toEqual({ note: canary })
    expect(steps.get('flaky')?.history?.earlier[0]?.error?.message).toBe(`first attempt leaked ${canary}`)
    expect((await store.getRun(run.id))?.error?.message).toBe(`gave up on ${canary}`)
    return run.id
  } finally {
    await engine.close()
  }
}

/** Whether `bytes` contain the canary (as UTF-8, the only form Weft writes text in). */
function containsCanary(bytes: Buffer): boolean {
  return bytes.includes(Buffer.from(canary, 'utf8'))
}

describe('encryption at rest on SQLite', () => {
  const folder = mkdtempSync(join(tmpdir(), 'weft-canary-'))
  afterAll(() => rmSync(folder, { recursive: true, force: true }))

  /** A store on its own file (a store with a codec turns secure_delete on itself); returns the store and the connection (to checkpoint). */
  function openFile(file: string, codec?: ValueCodec) {
    const db = new Database(file)
    return { store: sqliteStore({ database: db, ...(codec === undefined ? {} : { codec }) }), db }
  }

  /** The bytes of the database file and its WAL, after a checkpoint that empties the WAL into the file. */
  async function fileBytes(file: string, db: Database.Database, store: WorkflowStore): Promise<Buffer> {
    await store.close()
    db.pragma('wal_checkpoint(TRUNCATE)')
    db.close()
    const parts = [file, `${file}-wal`].filter((path) => existsSync(path)).map((path) => readFileSync(path))
    return Buffer.concat(parts)
  }

  it('without a codec the canary is in the file (the scan finds what is there)', async () => {
    const file = join(folder, 'clear.sqlite')
    const { store, db } = openFile(file)
    await runCanary(store, 'canary-clear')
    expect(containsCanary(await fileBytes(file, db, store))).toBe(true)
  })

  it('with the payload codec no byte of the file or its WAL holds the canary', async () => {
    const file = join(folder, 'encrypted.sqlite')
    const { store, db } = openFile(file, codecOf(keysV1))
    await runCanary(store, 'canary-encrypted')
    const inspect = new Database(file, { readonly: true })
    const columns = inspect.prepare(`select input, error from weft_runs`).get() as { input: string; error: string }
    inspect.close()
    expect(columns.input).toMatch(/^wenc1\.k1\./)
    expect(columns.error).toMatch(/^wenc1\.k1\./)
    expect(containsCanary(await fileBytes(file, db, store))).toBe(false)
  })

  it('turns secure_delete on for a store with a codec, so encrypting a store that was clear leaves no canary in the file', async () => {
    const file = join(folder, 'was-clear.sqlite')
    const clear = openFile(file)
    await runCanary(clear.store, 'canary-was-clear')
    await clear.store.close()
    clear.db.close()
    // Reading the clear values while encrypting them: the codec a store is given when encryption is turned on.
    const { store, db } = openFile(file, createPayloadCodec(keysV1, { allowClear: true }))
    expect(db.pragma('secure_delete', { simple: true })).toBe(1)
    const progress = await (store as ReturnType<typeof sqliteStore>).reencryptValues()
    expect(progress.rewritten).toBeGreaterThan(0)
    expect(containsCanary(await fileBytes(file, db, store))).toBe(false)
  })

  it('refuses a step output copied by SQL to another run, naming the row it was read from', async () => {
    const file = join(folder, 'moved.sqlite')
    const codec = codecOf(keysV1)
    const engine = createEngine({ store: sqliteStore({ path: file, codec }) })
    const workflow = defineWorkflow<string>({ name: 'copy', version: 1 }).task('load', (input) => `value of ${input}`).build({ result: 'load' })
    const a = await engine.start(workflow, 'a')
    const b = await engine.start(workflow, 'b')
    await Promise.all([a.result(), b.result()])
    await engine.close()
    const db = new Database(file)
    db.prepare(`update weft_steps set output = (select output from weft_steps where run_id = ?) where run_id = ?`).run(a.id, b.id)
    db.close()
    const store = sqliteStore({ path: file, codec })
    const error = await store.loadSteps(b.id).catch((thrown: unknown) => thrown)
    expect(error).toBeInstanceOf(DecryptionError)
    expect((error as DecryptionError).location).toBe(`run ${b.id}, step "load", output`)
    expect((error as DecryptionError).message).not.toContain('value of')
    expect((await store.loadSteps(a.id))[0]!.output).toBe('value of a')
    await store.close()
  })

  it('reads runs written before a key rotation, finishes one that was waiting, and writes with the new key', async () => {
    const file = join(folder, 'rotation.sqlite')
    const workflow = defineWorkflow<string>({ name: 'rotate', version: 1 })
      .task('before', (input) => `${input} before`)
      .task('wait', { dependsOn: ['before'] }, async (_before, ctx) => ctx.waitForEvent<string>('go', { timeout: '1 h' }))
      .task('after', { dependsOn: ['before', 'wait'] }, (before, go) => `${before}, ${go} after`)
      .build({ result: 'after' })
    const old = createEngine({ store: sqliteStore({ path: file, codec: codecOf(keysV1) }), workflows: [workflow] })
    const waiting = await old.start(workflow, 'in flight')
    await new Promise<void>((resolve) => old.on('task.started', (event) => event.task === 'wait' && resolve()))
    // The waiting task is stopped at once: its run is released to the next engine.
    await old.close({ drain: 0 })
    const rotated = createEngine({ store: sqliteStore({ path: file, codec: codecOf(keysV2) }), workflows: [workflow] })
    const resumed = (await rotated.getRun(workflow, waiting.id))!
    await resumed.signal('go', 'signalled')
    expect(await resumed.result()).toBe('in flight before, signalled after')
    const fresh = await rotated.start(workflow, 'new')
    await rotated.close()
    const db = new Database(file, { readonly: true })
    const keyOf = (text: string) => text.split('.')[1]
    const steps = db.prepare(`select key, output from weft_steps where run_id = ? order by key`).all(waiting.id) as { key: string; output: string }[]
    expect(Object.fromEntries(steps.map((row) => [row.key, keyOf(row.output)]))).toEqual({ before: 'k1', wait: 'k2', 'wait/wait:go#0': 'k2', after: 'k2' })
    const inputs = db.prepare(`select id, input from weft_runs`).all() as { id: string; input: string }[]
    expect(Object.fromEntries(inputs.map((row) => [row.id, keyOf(row.input)]))).toEqual({ [waiting.id]: 'k1', [fresh.id]: 'k2' })
    db.close()
  })
})

describePostgres('encryption at rest on PostgreSQL', () => {
  let database: TestDatabase
  beforeAll(async () => {
    database = await createTestDatabase()
  })
  afterAll(() => database.drop())

  /** Every row of every Weft table, as text (`t::text` of each row). */
  async function allRowText(url: string): Promise<string[]> {
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    try {
      const tables = await client.query<{ table_name: string }>(`select table_name from information_schema.tables where table_schema = 'public' and table_name like 'weft%'`)
      const rows: string[] = []
      for (const { table_name: table } of tables.rows) {
        const result = await client.query<{ row: string }>(`select t::text as row from "${table}" t`)
        rows.push(...result.rows.map((row) => `${table}: ${row.row}`))
      }
      return rows
    } finally {
      await client.end()
    }
  }

  it('no text of any row of Weft tables holds the canary', async () => {
    const store = postgresStore({ connectionString: database.url, codec: codecOf(keysV1) })
    const runId = await runCanary(store, 'canary-postgres')
    const rows = await allRowText(database.url)
    expect(rows.some((row) => row.startsWith('weft_runs:') && row.includes(runId) && row.includes('wenc1.k1.'))).toBe(true)
    expect(rows.some((row) => row.startsWith('weft_events:'))).toBe(true)
    expect(rows.filter((row) => row.includes(canary))).toEqual([])
  })

  it('refuses a run input copied by SQL to another run, naming the run', async () => {
    const codec = codecOf(keysV1)
    const store = postgresStore({ connectionString: database.url, codec })
    await store.init()
    await store.createRun({ id: 'pg-a', workflow: 'copy', version: 1, input: 'a secret', createdAt: 1 })
    await store.createRun({ id: 'pg-b', workflow: 'copy', version: 1, input: 'b secret', createdAt: 2 })
    const client = new pg.Client({ connectionString: database.url })
    await client.connect()
    await client.query(`update weft_runs set input = (select input from weft_runs where id = 'pg-a') where id = 'pg-b'`)
    await client.end()
    const error = await store.getRun('pg-b' as never).catch((thrown: unknown) => thrown)
    expect(error).toBeInstanceOf(DecryptionError)
    expect((error as DecryptionError).location).toBe('run pg-b, input')
    expect((await store.getRun('pg-a' as never))!.input).toBe('a secret')
    await store.close()
  })
})
