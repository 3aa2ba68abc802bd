/**
 * Graceful shutdown: a worker gets SIGTERM and closes its engine with a drain
 * time. It stops claiming at once, lets the task in flight that can finish
 * within the drain time finish (and records it), starts nothing new, and
 * releases the rest of its runs as it exits, so another worker resumes them
 * at once instead of waiting for their leases (30 s here) to end.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { describePostgres } from '../../support/postgres.js'
import { createTestStore, readEffects, spawnChild, stopAllChildren, until, useChildCleanup, useTempDir, type Child, type StoreKind, type TestStore } from './harness.js'

useChildCleanup()
const tempDir = useTempDir('shutdown')

const LEASE_MS = 30_000
const DRAIN_MS = 1_500

function gracefulShutdown(kind: StoreKind): void {
  let store: TestStore
  let effectsFile: string
  let first: Child
  let sigtermAt = 0
  let exitedAt = 0
  let afterExit: Record<string, Awaited<ReturnType<TestStore['run']>>> = {}
  let stepsAfterExit: Record<string, string[]> = {}
  const runs = { fast: `${kind}-fast`, slow: `${kind}-slow`, late: `${kind}-late` }

  beforeAll(async () => {
    store = await createTestStore(kind, tempDir(), `shutdown-${kind}`)
    effectsFile = join(tempDir(), `shutdown-${kind}-effects.jsonl`)
    const common = { EFFECTS_FILE: effectsFile, LEASE_MS, HEARTBEAT_MS: 1_000, CLAIM_MS: 100, DRAIN_MS }
    first = spawnChild('drain-worker.mjs', `drain-${kind}-1`, { ...store.childEnv(`drain-${kind}-1`), ...common, WORKER_ID: 'drain-1' })
    await first.waitFor('ready')
    const weft = await store.store()
    // d1 of the fast run ends within the drain time, d1 of the slow one does not.
    await weft.createRun({ id: runs.fast, workflow: 'drain', version: 1, input: { ms: 600 }, createdAt: Date.now() })
    await weft.createRun({ id: runs.slow, workflow: 'drain', version: 1, input: { ms: 60_000 }, createdAt: Date.now() + 1 })
    await Promise.all([runs.fast, runs.slow].map((runId) => first.waitFor('d1-started', { where: (m) => m.runId === runId })))

    sigtermAt = Date.now()
    first.kill('SIGTERM')
    await first.waitFor('sigterm')
    // Created after the worker began to close: it must not claim it, though it sweeps every 100 ms and drains 1.5 s.
    await weft.createRun({ id: runs.late, workflow: 'drain', version: 1, input: { ms: 10 }, createdAt: Date.now() })
    await first.expectCleanExit()
    exitedAt = Date.now()
    for (const [name, id] of Object.entries(runs)) {
      afterExit[name] = await store.run(id)
      stepsAfterExit[name] = await store.stepKeys(id)
    }
  }, 60_000)

  afterAll(async () => {
    await stopAllChildren()
    await store?.close()
  })

  const effectsOf = (runId: string) => readEffects(effectsFile).filter((e) => e.runId === runId)

  it('stops claiming at once: a run created after SIGTERM is left pending for another worker', () => {
    expect(afterExit.late).toMatchObject({ status: 'pending', epoch: 0, lease_owner: null })
    expect(first.all('d1-started', (m) => m.runId === runs.late)).toEqual([])
  })

  it('lets the task in flight that ends within the drain time finish and records it, then starts nothing new', () => {
    expect(stepsAfterExit.fast).toEqual(['d1'])
    expect(effectsOf(runs.fast).filter((e) => e.pid === first.pid).map((e) => e.step)).toEqual(['d1-start', 'd1-done'])
  })

  it(`releases its runs when the drain time (${DRAIN_MS} ms) is up, and exits`, () => {
    for (const run of [afterExit.fast, afterExit.slow]) expect(run).toMatchObject({ status: 'running', lease_owner: null, lease_expires_at: null })
    expect(stepsAfterExit.slow).toEqual([])
    const took = exitedAt - sigtermAt
    console.log(`graceful shutdown [${kind}]: exited ${took} ms after SIGTERM (drain ${DRAIN_MS} ms)`)
    expect(took).toBeGreaterThanOrEqual(DRAIN_MS)
    expect(took).toBeLessThan(DRAIN_MS + 2_000)
  })

  it('has another worker resume the released runs at once, long before their leases would have ended', async () => {
    const name = `drain-${kind}-2`
    const second = spawnChild('drain-worker.mjs', name, { ...store.childEnv(name), EFFECTS_FILE: effectsFile, LEASE_MS, CLAIM_MS: 100, DRAIN_MS, WORKER_ID: 'drain-2', CAP_MS: 50 })
    // Measured from the worker's ready marker (its first claim pass done), so spawning the process is left out.
    const readyAt = (await second.waitFor('ready')).at
    await Promise.all(Object.values(runs).map((runId) => second.waitFor('run-completed', { where: (m) => m.runId === runId, timeoutMs: 20_000 })))
    const lastCompletion = Math.max(...second.all('run-completed').map((m) => m.at))
    console.log(`graceful shutdown [${kind}]: the second worker finished all three runs ${lastCompletion - readyAt} ms after it was up`)
    expect(lastCompletion - readyAt).toBeLessThan(5_000)
    // The first worker renewed its leases every second until SIGTERM: released, they would still have run for this long.
    expect(lastCompletion).toBeLessThan(sigtermAt + LEASE_MS - 1_000)
    for (const id of [runs.fast, runs.slow]) expect((await store.run(id))!.recoveries).toBe(0)
    for (const id of Object.values(runs)) expect((await store.run(id))!.status).toBe('completed')
    // The fast run's d1 was recorded before the shutdown: it is not run again.
    expect(effectsOf(runs.fast).map((e) => `${e.step}@${e.pid === first.pid ? 'first' : 'second'}`)).toEqual(['d1-start@first', 'd1-done@first', 'd2@second'])
    expect(effectsOf(runs.slow).map((e) => `${e.step}@${e.pid === first.pid ? 'first' : 'second'}`)).toEqual(['d1-start@first', 'd1-start@second', 'd1-done@second', 'd2@second'])
    expect(second.all('background-error')).toEqual([])
    expect(first.all('background-error')).toEqual([])
  }, 40_000)
}

describe('graceful shutdown on SIGTERM on SQLite', () => {
  gracefulShutdown('sqlite')
})

describePostgres('graceful shutdown on SIGTERM on PostgreSQL', () => {
  gracefulShutdown('postgres')
})
