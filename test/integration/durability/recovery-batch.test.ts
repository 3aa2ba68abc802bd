/**
 * A worker recovers runs in batches. One run of a batch that cannot be
 * resumed (here: a stored step no longer reads back) is given back and
 * reported, and the rest of the batch still starts at once. It used to abort
 * the batch: the other runs stayed claimed by the worker, not running, until
 * their leases ended. Giving it back counts as a failed recovery, so a run
 * that can never start is dead-lettered after maxRecoveryAttempts instead of
 * being claimed and failed forever (it used to be released and claimed again
 * at every pass, without end).
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestStore, spawnChild, stopAllChildren, until, useChildCleanup, useTempDir, type TestStore } from './harness.js'

useChildCleanup()
const tempDir = useTempDir('recovery-batch')

describe('recovering a batch of runs, one of which cannot be resumed', () => {
  let store: TestStore

  beforeAll(async () => {
    store = await createTestStore('sqlite', tempDir(), 'recovery-batch')
    const weft = await store.store()
    // Two runs of a worker on another machine whose leases have ended; the first's step was corrupted on disk.
    for (const [i, id] of ['broken', 'healthy'].entries()) {
      const { run } = await weft.createRun({ id, workflow: 'fleet', version: 1, input: { n: i }, createdAt: 1_000 + i, claimBy: { owner: 'other-host/1/gone', leaseMs: 1 } })
      await weft.saveStep({ runId: id, epoch: run.epoch }, { runId: id, key: 'f1', task: 'f1', status: 'completed', output: i * 7 + 1, attempts: 1, finishedAt: 1_001 })
    }
    await store.query(`update weft_steps set output = '{"$weft":"temporal","v":"x"}' where run_id = 'broken'`)
  })
  afterAll(async () => {
    await stopAllChildren()
    await store?.close()
  })

  it('gives back and reports the run it cannot resume, and starts the rest of the batch at once (not after their leases, 30 s)', async () => {
    const worker = spawnChild('fleet-worker.mjs', 'batch-worker', { ...store.childEnv('batch-worker'), EFFECTS_FILE: join(tempDir(), 'effects.jsonl'), STEP_MS: 1, CLAIM_MS: 60_000 })
    const completed = await worker.waitFor('run-completed', { where: (m) => m.runId === 'healthy', timeoutMs: 10_000 })
    const ready = await worker.waitFor('ready')
    expect(completed.at - ready.at).toBeLessThan(5_000)
    expect(worker.all('background-error')[0]).toMatchObject({ error: { name: 'SyntaxError' } })
    // Given back as a failed recovery: the owner stays (the next claim counts it), the lease is over.
    const broken = (await store.run('broken'))!
    expect(broken).toMatchObject({ status: 'running', lease_expires_at: 0 })
    expect(broken.lease_owner).toMatch(/\/\d+\//)
    expect(broken.status_message).toMatch(/^worker \S+ could not start it: cannot read a stored value: unknown tag \{"\$weft":"temporal"\}/)
  })

  it('dead-letters a run that fails to start on every claim after maxRecoveryAttempts', async () => {
    const worker = spawnChild('fleet-worker.mjs', 'poisoned-worker', { ...store.childEnv('poisoned-worker'), EFFECTS_FILE: join(tempDir(), 'effects-2.jsonl'), STEP_MS: 1, CLAIM_MS: 50, MAX_RECOVERY: 2 })
    await worker.waitFor('ready')
    const run = await until('the broken run to be dead-lettered', async () => {
      const row = await store.run('broken')
      return row?.status === 'dead-lettered' ? row : undefined
    }, 10_000)
    expect(run).toMatchObject({ recoveries: 3, lease_owner: null })
    expect(run.status_message).toBe('it was recovered 3 times without finishing (more than maxRecoveryAttempts = 2): its worker stopped, or could not start it; fix the cause, then resume it (weft runs resume broken)')
  })
})
