/**
 * A run's status message may quote an error (a worker that could not start
 * the run names its cause): with the payload codec it is stored encrypted,
 * bound to its run, read back in clear, and re-encrypted by a rotation, while
 * the clear messages the store writes itself are left as they are — on a real
 * SQLite file and a real PostgreSQL database.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import pg from 'pg'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createPayloadCodec, sqliteStore, staticKeyProvider, type RunId } from 'weft-sdk'
import { postgresStore } from 'weft-sdk/postgres'
import { createTestDatabase, describePostgres, type TestDatabase } from '../support/postgres.js'

const canary = `canary-${randomBytes(8).toString('hex')}`
const k1 = { id: 'k1', key: randomBytes(32) }
const k2 = { id: 'k2', key: randomBytes(32) }
const codecV1 = createPayloadCodec(staticKeyProvider([k1]), { allowClear: false })
const codecV2 = createPayloadCodec(staticKeyProvider([k2, k1]), { allowClear: false })

type Store = ReturnType<typeof sqliteStore> | ReturnType<typeof postgresStore>

/** The raw status_message column of a run. */
type RawMessage = (runId: string) => Promise<string | null>
/** Sets the raw status_message column of a run (as the store's own SQL does for a run no worker can claim). */
type SetRaw = (runId: string, text: string) => Promise<void>

function statusMessageChecks(open: (codec: typeof codecV1) => Store, raw: () => { read: RawMessage; write: SetRaw }): void {
  it('stores a failed start\'s status message encrypted, reads it in clear, and rotates it, leaving clear messages alone', async () => {
    const store = open(codecV1)
    await store.init()
    const now = Date.now()
    const failed = 'r-failed' as RunId
    const waiting = 'r-waiting' as RunId
    for (const id of [failed, waiting]) await store.createRun({ id, workflow: 'w', version: 1, input: {}, createdAt: now, claimBy: { owner: 'worker-1', leaseMs: 60_000 } })
    await store.releaseRuns('worker-1', [{ runId: failed, epoch: 1 }], { failure: `worker-1 could not start it: ${canary}` })
    expect((await store.getRun(failed))?.statusMessage).toBe(`worker-1 could not start it: ${canary}`)
    const stored = await raw().read(failed)
    expect(stored).toMatch(/^wenc1\.k1\./)
    expect(stored).not.toContain(canary)
    await raw().write(waiting, 'no worker has workflow w@1')
    expect((await store.getRun(waiting))?.statusMessage).toBe('no worker has workflow w@1')
    await store.close()

    const rotated = open(codecV2)
    await rotated.init()
    const progress = await rotated.reencryptValues()
    expect(progress.rewritten).toBeGreaterThan(0)
    expect(await raw().read(failed)).toMatch(/^wenc1\.k2\./)
    expect(await raw().read(waiting)).toBe('no worker has workflow w@1')
    expect((await rotated.getRun(failed))?.statusMessage).toBe(`worker-1 could not start it: ${canary}`)
    // Its clear messages are not values left to rotate.
    expect((await rotated.valueKeyUsage()).filter((u) => u.column === 'status_message')).toEqual([{ table: 'weft_runs', column: 'status_message', keyId: 'k2', values: 1 }])
    await rotated.close()
  })
}

describe('status messages under the payload codec (SQLite)', () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'weft-status-'))
  })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))
  const file = () => join(dir, 'weft.sqlite')
  statusMessageChecks(
    (codec) => sqliteStore({ path: file(), codec }),
    () => ({
      read: async (runId) => {
        const db = new Database(file(), { readonly: true })
        try {
          return (db.prepare('select status_message from weft_runs where id = ?').get(runId) as { status_message: string | null }).status_message
        } finally {
          db.close()
        }
      },
      write: async (runId, text) => {
        const db = new Database(file())
        db.prepare('update weft_runs set status_message = ? where id = ?').run(text, runId)
        db.close()
      },
    }),
  )
})

describePostgres('status messages under the payload codec (PostgreSQL)', () => {
  let db: TestDatabase
  beforeEach(async () => {
    db = await createTestDatabase()
  })
  afterEach(() => db.drop())
  const query = async (sql: string, values: unknown[]) => {
    const client = new pg.Client({ connectionString: db.url })
    await client.connect()
    try {
      return await client.query(sql, values)
    } finally {
      await client.end()
    }
  }
  statusMessageChecks(
    (codec) => postgresStore({ connectionString: db.url, codec }),
    () => ({
      read: async (runId) => ((await query('select status_message from weft_runs where id = $1', [runId])).rows[0] as { status_message: string | null }).status_message,
      write: async (runId, text) => {
        await query('update weft_runs set status_message = $1 where id = $2', [text, runId])
      },
    }),
  )
})
