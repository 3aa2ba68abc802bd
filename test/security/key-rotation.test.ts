// Key rotation of stored values: reencryptValues rewrites every value not under the newest key (old keys, clear
// values written before encryption was on), in batches; stopped midway it resumes, from its cursor or from scratch,
// and a second pass has nothing left to do. On SQLite and PostgreSQL.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { InvalidOptionsError } from '../../src/core/errors.js'
import { staticKeyProvider } from '../../src/security/key-provider.js'
import { createPayloadCodec } from '../../src/security/payload-codec.js'
import { postgresStore } from '../../src/storage/postgres/postgres-workflow-store.js'
import type { KeyUsage, RotationCursor, RotationProgress } from '../../src/storage/sql/value-rotation.js'
import { sqliteStore } from '../../src/storage/sqlite/sqlite-workflow-store.js'
import type { ValueCodec } from '../../src/storage/value-codec.js'
import type { WorkflowStore } from '../../src/storage/workflow-store.js'
import { createTestDatabase, describePostgres } from '../support/postgres.js'

const k1 = { id: 'k1', key: randomBytes(32) }
const k2 = { id: 'k2', key: randomBytes(32) }
const codecV1 = createPayloadCodec(staticKeyProvider([k1]))
const codecV2 = createPayloadCodec(staticKeyProvider([k2, k1]))
/** Only the newest key: reads succeed only for values the rotation rewrote. */
const codecK2Only = createPayloadCodec(staticKeyProvider([k2]), { allowClear: false })

/** Writes runs with an input and an error, completed steps (one with an outbox entry) and events. */
async function writeRuns(store: WorkflowStore, prefix: string, count: number): Promise<void> {
  await store.init()
  for (let i = 0; i < count; i++) {
    const id = `${prefix}-${i}`
    const { run } = await store.createRun({ id, workflow: 'w', version: 1, input: { n: i, secret: 's' }, createdAt: i, roles: ['analyst'], claimBy: { owner: 'o', leaseMs: 60_000 } })
    const fence = { runId: run.id, epoch: run.epoch }
    const outbox = [{ id: `${id}-m`, adapter: 'queue', payload: { body: i } }]
    await store.saveStep(fence, { runId: id, key: 'load', task: 'load', status: 'completed', output: [i], attempts: 1, startedAt: 1, finishedAt: 2, outbox })
    await store.sendEvent({ name: 'ping', runId: id, payload: { i }, sentAt: 10 + i })
    await store.updateRun(fence, { status: 'failed', finishedAt: 3, error: { name: 'Error', message: `failed ${i}` } })
  }
}

/** Everything the runs stored, read back through `store`. */
async function readAll(store: WorkflowStore, prefix: string, count: number): Promise<unknown[]> {
  const values: unknown[] = []
  for (let i = 0; i < count; i++) {
    const id = `${prefix}-${i}` as never
    const run = (await store.getRun(id))!
    values.push(run.input, run.error?.message, run.roles, (await store.loadSteps(id))[0]!.output, (await store.pendingEvents(id, 'ping', 0))[0]!.payload)
  }
  return values
}

const expected = (count: number) => Array.from({ length: count }, (_, i) => [{ n: i, secret: 's' }, `failed ${i}`, ['analyst'], [i], { i }]).flat()

describe('re-encryption on SQLite', () => {
  const folder = mkdtempSync(join(tmpdir(), 'weft-rotate-'))
  afterAll(() => rmSync(folder, { recursive: true, force: true }))
  const open = (file: string, codec?: ValueCodec) => sqliteStore({ path: join(folder, file), ...(codec === undefined ? {} : { codec }) })

  /** The key id of every non-null encoded value in the file (`clear` for a clear one). */
  function keyIds(file: string): Set<string> {
    const db = new Database(join(folder, file), { readonly: true })
    const columns = [
      `select input as v from weft_runs`, `select error as v from weft_runs`, `select roles as v from weft_runs`,
      `select output as v from weft_steps`, `select error as v from weft_steps`, `select history as v from weft_steps`,
      `select payload as v from weft_events`, `select payload as v from weft_outbox`,
    ]
    const values = columns.flatMap((sql) => (db.prepare(sql).all() as { v: string | null }[]).map((row) => row.v))
    db.close()
    return new Set(values.filter((v): v is string => v !== null).map((v) => (v.startsWith('wenc1.') ? v.split('.')[1]! : 'clear')))
  }

  it('rewrites values of an old key with the newest, so that only the newest is needed', async () => {
    await using_(open('old-key.sqlite', codecV1), (store) => writeRuns(store, 'r', 3))
    expect(keyIds('old-key.sqlite')).toEqual(new Set(['k1']))
    const usageOf = (keyId: string) => (usage: readonly KeyUsage[]) => usage.filter((u) => u.keyId === keyId).reduce((sum, u) => sum + u.values, 0)
    const before = await using_(open('old-key.sqlite'), (store) => store.valueKeyUsage())
    expect(before).toContainEqual({ table: 'weft_steps', column: 'output', keyId: 'k1', values: 3 })
    expect([usageOf('k1')(before), usageOf('k2')(before)]).toEqual([3 * 3 + 3 + 3 + 3, 0])
    const progress = await using_(open('old-key.sqlite', codecV2), (store) => store.reencryptValues({ batchSize: 2 }))
    expect(progress.rewritten).toBe(3 * 3 + 3 + 3 + 3)
    expect(keyIds('old-key.sqlite')).toEqual(new Set(['k2']))
    const after = await using_(open('old-key.sqlite'), (store) => store.valueKeyUsage())
    expect([usageOf('k1')(after), usageOf('k2')(after)]).toEqual([0, 3 * 3 + 3 + 3 + 3])
    expect(await using_(open('old-key.sqlite', codecK2Only), (store) => readAll(store, 'r', 3))).toEqual(expected(3))
  })

  it('encrypts values written in clear before encryption was turned on', async () => {
    await using_(open('clear.sqlite'), (store) => writeRuns(store, 'c', 2))
    expect(keyIds('clear.sqlite')).toEqual(new Set(['clear']))
    expect(await using_(open('clear.sqlite'), (store) => store.valueKeyUsage())).toContainEqual({ table: 'weft_runs', column: 'input', keyId: 'clear', values: 2 })
    await using_(open('clear.sqlite', codecV2), (store) => store.reencryptValues())
    expect(keyIds('clear.sqlite')).toEqual(new Set(['k2']))
    expect(await using_(open('clear.sqlite', codecK2Only), (store) => readAll(store, 'c', 2))).toEqual(expected(2))
  })

  it('resumes from the cursor of the last batch after a crash, and a second pass rewrites nothing', async () => {
    await using_(open('crash.sqlite', codecV1), (store) => writeRuns(store, 'x', 5))
    let last: RotationCursor | undefined
    let batches = 0
    const crash = new Error('killed')
    const stopped = await using_(open('crash.sqlite', codecV2), (store) =>
      store
        .reencryptValues({
          batchSize: 2,
          onBatch: (progress: RotationProgress) => {
            last = { table: progress.table, after: progress.after }
            if (++batches === 4) throw crash
          },
        })
        .catch((error: unknown) => error),
    )
    expect(stopped).toBe(crash)
    expect(keyIds('crash.sqlite')).toEqual(new Set(['k1', 'k2']))
    expect(last).toEqual({ table: 'weft_steps', after: ['x-1', 'load'] })
    const resumed = await using_(open('crash.sqlite', codecV2), (store) => store.reencryptValues({ batchSize: 2, resumeFrom: last }))
    expect(resumed.scanned).toBeLessThan(5 * 3 + 5 * 3 + 5 + 5)
    expect(keyIds('crash.sqlite')).toEqual(new Set(['k2']))
    const again = await using_(open('crash.sqlite', codecV2), (store) => store.reencryptValues())
    expect(again.rewritten).toBe(0)
    expect(await using_(open('crash.sqlite', codecK2Only), (store) => readAll(store, 'x', 5))).toEqual(expected(5))
  })

  it('refuses to rotate a store without an encrypting codec', async () => {
    const error = await using_(open('none.sqlite'), async (store) => {
      await store.init()
      return store.reencryptValues().catch((thrown: unknown) => thrown)
    })
    expect(error).toBeInstanceOf(InvalidOptionsError)
  })
})

describePostgres('re-encryption on PostgreSQL', () => {
  it('rewrites every value of an old key with the newest', async () => {
    const database = await createTestDatabase()
    try {
      await using_(postgresStore({ connectionString: database.url, codec: codecV1 }), (store) => writeRuns(store, 'p', 3))
      const progress = await using_(postgresStore({ connectionString: database.url, codec: codecV2 }), (store) => store.reencryptValues({ batchSize: 2 }))
      expect(progress.rewritten).toBe(3 * 3 + 3 + 3 + 3)
      const client = new pg.Client({ connectionString: database.url })
      await client.connect()
      const { rows } = await client.query<{ v: string }>(`select input as v from weft_runs union all select output from weft_steps union all select payload from weft_events union all select payload from weft_outbox`)
      await client.end()
      expect(new Set(rows.map((row) => row.v.split('.')[1]))).toEqual(new Set(['k2']))
      const usage = await using_(postgresStore({ connectionString: database.url }), (store) => store.valueKeyUsage())
      expect(usage).toContainEqual({ table: 'weft_events', column: 'payload', keyId: 'k2', values: 3 })
      expect(usage.filter((u) => u.keyId !== 'k2')).toEqual([])
      expect(await using_(postgresStore({ connectionString: database.url, codec: codecK2Only }), (store) => readAll(store, 'p', 3))).toEqual(expected(3))
    } finally {
      await database.drop()
    }
  })
})

/** Runs `work` with `store`, closing it after. */
async function using_<S extends { close(): Promise<void> }, T>(store: S, work: (store: S) => Promise<T>): Promise<T> {
  try {
    return await work(store)
  } finally {
    await store.close()
  }
}
