/**
 * The disk fills up under a worker: SQLite rolls the write back with
 * SQLITE_FULL (the database's size limit, max_page_count) or fails it with
 * SQLITE_IOERR_WRITE (a file-size limit, ulimit -f). The worker used to crash
 * ("no such savepoint" thrown from the write queue's background callback) or,
 * with the run given up, its handle waited forever. Now the run is given up
 * for recovery with a StorageError, the handle reports it at once, the
 * process closes cleanly, and once there is room a worker finishes the run
 * from its checkpoints: every step recorded once, the same outputs.
 */
import { statSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sqliteStore } from 'weft'
import { countEffects, readEffects, spawnChild, stopAllChildren, useChildCleanup, useTempDir, type Child } from './harness.js'

useChildCleanup()
const tempDir = useTempDir('disk-full')
const steps = 12
const payloadBytes = 16_384

/** A migrated, empty Weft database file; returns its path, size and page count. */
async function freshDatabase(name: string): Promise<{ path: string; bytes: number; pages: number }> {
  const path = join(tempDir(), `${name}.sqlite`)
  const store = sqliteStore({ path })
  await store.init()
  await store.close()
  const db = new Database(path)
  const pages = Number(db.pragma('page_count', { simple: true }))
  db.close()
  return { path, bytes: statSync(path).size, pages }
}

function worker(name: string, path: string, env: Record<string, string | number>, options = {}): Child {
  return spawnChild('disk-worker.mjs', name, { WEFT_STORE: 'sqlite', WEFT_STORE_LOCATION: path, EFFECTS_FILE: join(tempDir(), `${name}-effects.jsonl`), STEPS: steps, PAYLOAD_BYTES: payloadBytes, ...env }, options)
}

interface Scenario {
  readonly name: string
  readonly reason: 'disk-full' | 'io'
  readonly code: RegExp
  readonly full: (db: { path: string; bytes: number; pages: number }, runId: string) => Child
}

const scenarios: Scenario[] = [
  {
    name: 'the database size limit (SQLITE_FULL)',
    reason: 'disk-full',
    code: /SQLITE_FULL/,
    full: (db, runId) => worker(`full-${runId}`, db.path, { START: runId, MAX_PAGES: db.pages + 12 }),
  },
  {
    name: 'a file-size limit (SQLITE_IOERR_WRITE)',
    reason: 'io',
    code: /SQLITE_IOERR/,
    // Room for the database as it is and a few steps in the write-ahead log, in 512-byte blocks.
    full: (db, runId) => worker(`ulimit-${runId}`, db.path, { START: runId }, { fileSizeLimitBlocks: Math.ceil((db.bytes + 4 * payloadBytes) / 512) }),
  },
]

describe.each(scenarios)('the disk filling up under a run: $name', (scenario) => {
  let db: { path: string; bytes: number; pages: number }
  let filled: Child
  const runId = `ledger-${scenario.reason}`

  beforeAll(async () => {
    db = await freshDatabase(`disk-${scenario.reason}`)
    filled = scenario.full(db, runId)
  })
  afterAll(stopAllChildren)

  it('gives the run up with a StorageError that the handle reports at once, and the process closes cleanly', async () => {
    const outcome = await filled.waitFor('outcome', { timeoutMs: 15_000 })
    expect(outcome.status).toBe('abandoned')
    expect(outcome.error).toMatchObject({ name: 'StorageError', code: 'WEFT_STORAGE', reason: scenario.reason })
    expect((outcome.error as { message: string }).message).toMatch(scenario.code)
    await filled.waitFor('closed')
    await filled.expectCleanExit()
    expect(filled.all('uncaught')).toEqual([])
    const row = new Database(db.path, { readonly: true }).prepare('select status from weft_runs where id = ?').get(runId) as { status: string }
    expect(row.status).toBe('running')
  })

  it('is finished from its checkpoints once there is room: each step recorded once, the same outputs', async () => {
    const resumed = worker(`resume-${runId}`, db.path, { RESUME: runId })
    const completed = await resumed.waitFor('completed', { timeoutMs: 15_000 })
    await resumed.expectCleanExit()
    const expected = Object.fromEntries(Array.from({ length: steps }, (_, i) => [`s${String(i + 1).padStart(2, '0')}`, payloadBytes]))
    expect(completed.outputs).toEqual(expected)
    const check = new Database(db.path, { readonly: true })
    const keys = (check.prepare('select key from weft_steps where run_id = ? order by key').all(runId) as { key: string }[]).map((r) => r.key)
    check.close()
    expect(keys).toEqual(Object.keys(expected))
    // A step runs again only if its checkpoint was lost with the disk: at most the steps in flight then.
    const effects = [...readEffects(join(tempDir(), `${filled.name}-effects.jsonl`)), ...readEffects(join(tempDir(), `resume-${runId}-effects.jsonl`))]
    const repeated = [...countEffects(effects).values()].filter((n) => n > 1)
    expect(repeated.length).toBeLessThanOrEqual(1)
    expect(repeated.every((n) => n === 2)).toBe(true)
  })
})
