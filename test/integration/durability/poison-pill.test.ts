/**
 * A poison pill: a task that kills its worker process every time it runs.
 * Restarted workers recover the run maxRecoveryAttempts times; the next one
 * dead-letters it instead of dying again, and keeps working on other runs.
 * An operator's resume makes the run pending again.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEngine, type Engine } from 'weft-sdk'
import { describePostgres } from '../../support/postgres.js'
import { createTestStore, readEffects, spawnChild, stopAllChildren, until, useChildCleanup, useTempDir, type Child, type StoreKind, type TestStore } from './harness.js'

useChildCleanup('all')
const tempDir = useTempDir('poison')

const MAX_RECOVERY = 2

function poisonPill(kind: StoreKind): void {
  let store: TestStore
  let effectsFile: string
  let survivor: Child
  let deaths = 0
  let children = 0
  const poisonId = `${kind}-poison`

  function worker(extra: Record<string, string | number> = {}) {
    const name = `poison-${kind}-${++children}`
    return spawnChild('poison-worker.mjs', name, { ...store.childEnv(name), EFFECTS_FILE: effectsFile, MAX_RECOVERY, CLAIM_MS: 100, ...extra })
  }

  beforeAll(async () => {
    store = await createTestStore(kind, tempDir(), `poison-${kind}`)
    effectsFile = join(tempDir(), `poison-${kind}-effects.jsonl`)
    await (await store.store()).createRun({ id: poisonId, workflow: 'poison', version: 1, input: {}, createdAt: Date.now() })
    // Restart a worker each time one dies, as a supervisor would, until one survives the run.
    for (let restarts = 0; restarts < 10; restarts++) {
      const child = worker()
      const outcome = await Promise.race([
        child.exited.then((exit) => ({ died: exit })),
        until('the run to be dead-lettered', async () => ((await store.run(poisonId))?.status === 'dead-lettered' ? true : undefined), 20_000).then(() => ({ died: undefined })),
      ])
      if (outcome.died === undefined) {
        survivor = child
        break
      }
      expect(outcome.died, child.diagnostics()).toEqual({ code: null, signal: 'SIGKILL' })
      await store.settled(child.name)
      deaths++
    }
  }, 60_000)

  afterAll(async () => {
    await stopAllChildren()
    await store?.close()
  })

  it(`dead-letters the run after maxRecoveryAttempts (${MAX_RECOVERY}) recoveries: ${MAX_RECOVERY + 1} deaths, then the next worker stops instead of running it`, async () => {
    expect(deaths).toBe(MAX_RECOVERY + 1)
    expect(readEffects(effectsFile).filter((e) => e.runId === poisonId)).toHaveLength(MAX_RECOVERY + 1)
    const run = (await store.run(poisonId))!
    expect(run).toMatchObject({ status: 'dead-lettered', recoveries: MAX_RECOVERY + 1, lease_owner: null })
    expect(run.finished_at).not.toBeNull()
    expect(survivor.exit).toBeUndefined()
  })

  it('says why the run was dead-lettered and how to resume it', async () => {
    const run = (await store.run(poisonId))!
    expect(run.status_message).toBe(
      `it was recovered ${MAX_RECOVERY + 1} times without finishing (more than maxRecoveryAttempts = ${MAX_RECOVERY}): its worker stopped, or could not start it; fix the cause, then resume it (weft runs resume ${poisonId})`,
    )
  })

  it('keeps the worker that dead-lettered it working on other runs', async () => {
    const healthyId = `${kind}-healthy`
    await (await store.store()).createRun({ id: healthyId, workflow: 'healthy', version: 1, input: {}, createdAt: Date.now() })
    await survivor.waitFor('run-completed', { where: (m) => m.runId === healthyId })
    expect((await store.run(healthyId))!.status).toBe('completed')
    expect(survivor.exit).toBeUndefined()
  })

  it('makes the run pending again when an operator resumes it, and a fixed worker then completes it', async () => {
    await survivor.killHard()
    const operator: Engine = createEngine({ store: await store.store(), claimRuns: false })
    try {
      const handle = (await operator.getRun(poisonId))!
      expect(handle.status()).toBe('dead-lettered')
      expect(await handle.resume()).toBe(true)
      expect(handle.status()).toBe('pending')
      expect(await store.run(poisonId)).toMatchObject({ status: 'pending', recoveries: 0, status_message: null, finished_at: null })

      const fixed = worker({ CURED: 1 })
      await fixed.waitFor('run-completed', { where: (m) => m.runId === poisonId })
      expect((await store.run(poisonId))!.status).toBe('completed')
      expect((await handle.result()).outputs).toEqual({ swallow: 'swallowed' })
    } finally {
      await operator.close()
    }
  })
}

describe('a poison pill on SQLite', () => {
  poisonPill('sqlite')
})

describePostgres('a poison pill on PostgreSQL', () => {
  poisonPill('postgres')
})
