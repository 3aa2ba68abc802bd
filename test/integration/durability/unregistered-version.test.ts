/**
 * Runs are pinned to their workflow version. A worker that finds, at
 * recovery, a run of a version it does not have leaves it for a worker that
 * has it: the run waits as `pending` with a status message saying so, and is
 * never failed. A worker with that version later completes it.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { describePostgres } from '../../support/postgres.js'
import { createTestStore, readEffects, spawnChild, stopAllChildren, until, useChildCleanup, useTempDir, type Child, type StoreKind, type TestStore } from './harness.js'

useChildCleanup('all')
const tempDir = useTempDir('versions')

const message = 'waiting for a worker with workflow "versioned" version 2 registered'

function unregisteredVersion(kind: StoreKind): void {
  let store: TestStore
  let effectsFile: string
  let other: Child
  const crashed = `${kind}-crashed-v2`
  const queued = `${kind}-queued-v2`

  beforeAll(async () => {
    store = await createTestStore(kind, tempDir(), `versions-${kind}`)
    effectsFile = join(tempDir(), `versions-${kind}-effects.jsonl`)
    // A v2 worker starts a run and dies in its task; another v2 run was queued by a client.
    const v2 = spawnChild('version-worker.mjs', `v2-${kind}`, { ...store.childEnv(`v2-${kind}`), EFFECTS_FILE: effectsFile, VERSIONS: '2', START: crashed, VERSION: 2, LEASE_MS: 1_000 })
    await v2.waitFor('working')
    await v2.killHard()
    await store.settled(v2.name)
    await (await store.store()).createRun({ id: queued, workflow: 'versioned', version: 2, input: {}, createdAt: Date.now() })

    // Recovery by a worker that has versions 1 and 3 only.
    other = spawnChild('version-worker.mjs', `v13-${kind}`, { ...store.childEnv(`v13-${kind}`), EFFECTS_FILE: effectsFile, VERSIONS: '1,3', CLAIM_MS: 100 })
    await other.waitFor('ready')
    await until('both v2 runs to be noted', async () => {
      const runs = await Promise.all([crashed, queued].map((id) => store.run(id)))
      return runs.every((run) => run?.status_message === message) ? true : undefined
    })
  }, 30_000)

  afterAll(async () => {
    await stopAllChildren()
    await store?.close()
  })

  it('leaves a run of an unregistered version that never ran pending, with a message naming the version it waits for', async () => {
    expect(await store.run(queued)).toMatchObject({ status: 'pending', status_message: message, epoch: 0 })
  })

  it('leaves a run of an unregistered version whose worker crashed pending (not running), with that message, never failed', async () => {
    const run = (await store.run(crashed))!
    expect(run).toMatchObject({ status: 'pending', status_message: message, epoch: 1, finished_at: null })
  })

  it('keeps them so while the worker keeps sweeping: it never claims, runs or fails them', async () => {
    const epochs = await Promise.all([crashed, queued].map(async (id) => (await store.run(id))!.epoch))
    const since = Date.now()
    // Three more claim sweeps of the other worker (every 100 ms), then look again.
    const sweeps = () => other.all('write', (m) => m.method === 'claimRuns' && (m.calledAt as number) > since).length
    await until('three more claim sweeps', () => (sweeps() >= 3 ? true : undefined))
    for (const [i, id] of [crashed, queued].entries()) expect(await store.run(id)).toMatchObject({ status: 'pending', epoch: epochs[i], status_message: message })
    expect(readEffects(effectsFile).filter((e) => e.version !== 2)).toEqual([])
    expect(other.all('working')).toEqual([])
  })

  it('has a worker with version 2 complete both runs later, counting the crash as one recovery', async () => {
    const v2 = spawnChild('version-worker.mjs', `v2-again-${kind}`, { ...store.childEnv(`v2-again-${kind}`), EFFECTS_FILE: effectsFile, VERSIONS: '2', FINISH: 1, CLAIM_MS: 100 })
    await Promise.all([crashed, queued].map((runId) => v2.waitFor('run-completed', { where: (m) => m.runId === runId })))
    expect(await store.run(crashed)).toMatchObject({ status: 'completed', status_message: null, recoveries: 1 })
    expect(await store.run(queued)).toMatchObject({ status: 'completed', status_message: null, recoveries: 0 })
  })
}

describe('a run of an unregistered workflow version found at recovery, on SQLite', () => {
  unregisteredVersion('sqlite')
})

describePostgres('a run of an unregistered workflow version found at recovery, on PostgreSQL', () => {
  unregisteredVersion('postgres')
})
