/**
 * The disk fills up under a worker: SQLite rolls the write back with
 * SQLITE_FULL (the database's size limit, max_page_count) or fails it with
 * SQLITE_IOERR_WRITE (a file-size limit, ulimit -f). The worker used to crash
 * ("no such savepoint" thrown from the write queue's background callback) or,
 * with the run given up, its handle waited forever while the task ran again
 * after every lease expiry. Now the run is given up for recovery with a
 * StorageError that the handle reports at once; the worker holds its claims
 * while the disk stays full (no task runs again) and probes the store; once
 * there is room the run is finished from its checkpoints — by the same
 * worker, or by another — every step recorded once, the same outputs.
 */
import { statSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sqliteStore } from 'weft-sdk'
import { countEffects, readEffects, spawnChild, stopAllChildren, useChildCleanup, useTempDir, type Child } from './harness.js'

useChildCleanup('all')
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
  return spawnChild(
    'disk-worker.mjs',
    name,
    { WEFT_STORE: 'sqlite', WEFT_STORE_LOCATION: path, EFFECTS_FILE: join(tempDir(), `${name}-effects.jsonl`), STEPS: steps, PAYLOAD_BYTES: payloadBytes, LEASE_MS: 300, HEARTBEAT_MS: 100, CLAIM_MS: 50, ...env },
    options,
  )
}

const stepNames = Array.from({ length: steps }, (_, i) => `s${String(i + 1).padStart(2, '0')}`)
const allOutputs = Object.fromEntries(stepNames.map((name) => [name, payloadBytes]))

interface Scenario {
  readonly name: string
  readonly reason: 'disk-full' | 'io'
  readonly code: RegExp
  readonly full: (db: { path: string; bytes: number; pages: number }, runId: string) => Child
  /** Whether the full worker itself can be given room (max_page_count can be raised; ulimit -f cannot). */
  readonly roomInProcess: boolean
}

const scenarios: Scenario[] = [
  {
    name: 'the database size limit (SQLITE_FULL)',
    reason: 'disk-full',
    code: /SQLITE_FULL/,
    full: (db, runId) => worker(`full-${runId}`, db.path, { START: runId, MAX_PAGES: db.pages + 12 }),
    roomInProcess: true,
  },
  {
    name: 'a file-size limit (SQLITE_IOERR_WRITE)',
    reason: 'io',
    code: /SQLITE_IOERR/,
    // Room for the database as it is and a few steps in the write-ahead log, in 512-byte blocks.
    full: (db, runId) => worker(`ulimit-${runId}`, db.path, { START: runId }, { fileSizeLimitBlocks: Math.ceil((db.bytes + 4 * payloadBytes) / 512) }),
    roomInProcess: false,
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

  const effects = () => countEffects([...readEffects(join(tempDir(), `${filled.name}-effects.jsonl`)), ...readEffects(join(tempDir(), `resume-${runId}-effects.jsonl`))])
  const stepKeys = () => {
    const check = new Database(db.path, { readonly: true })
    const keys = (check.prepare('select key from weft_steps where run_id = ? order by key').all(runId) as { key: string }[]).map((r) => r.key)
    check.close()
    return keys
  }

  it('gives the run up with a StorageError that the handle reports at once, without crashing', async () => {
    const outcome = await filled.waitFor('outcome', { timeoutMs: 15_000 })
    expect(outcome.status).toBe('abandoned')
    expect(outcome.error).toMatchObject({ name: 'StorageError', code: 'WEFT_STORAGE', reason: scenario.reason })
    expect((outcome.error as { message: string }).message).toMatch(scenario.code)
    expect(filled.all('uncaught')).toEqual([])
  })

  it('runs no task again while the disk stays full, lease after lease: it holds its claims and probes the store', async () => {
    // Five leases of 300 ms: each would have let the worker claim the run and run its failed step again.
    await new Promise((resolve) => setTimeout(resolve, 1_500))
    expect(filled.exit).toBeUndefined()
    expect([...effects().values()].every((n) => n === 1)).toBe(true)
    const row = new Database(db.path, { readonly: true }).prepare('select status, recoveries from weft_runs where id = ?').get(runId)
    expect(row).toEqual({ status: 'running', recoveries: 0 })
  })

  it('is finished from its checkpoints once there is room: each step recorded once, the same outputs', async () => {
    let completed
    if (scenario.roomInProcess) {
      filled.send('room')
      completed = await filled.waitFor('completed', { timeoutMs: 15_000 })
      await filled.waitFor('closed')
    } else {
      filled.send('close')
      await filled.waitFor('closed')
      const resumed = worker(`resume-${runId}`, db.path, { RESUME: runId })
      completed = await resumed.waitFor('completed', { timeoutMs: 15_000 })
      await resumed.expectCleanExit()
    }
    await filled.expectCleanExit()
    expect(completed.outputs).toEqual(allOutputs)
    expect(stepKeys()).toEqual(stepNames)
    // The step whose checkpoint the full disk refused ran once more; no other step did.
    const repeated = [...effects().values()].filter((n) => n > 1)
    expect(repeated).toEqual([2])
  })
})
