/**
 * A PostgreSQL worker whose connections the server ends (a restart, a
 * failover, an administrator's pg_terminate_backend) keeps running: its pool
 * replaces them, and it goes on claiming and finishing runs. It used to die
 * at once: an idle pooled connection's error was an 'error' event nobody
 * listened to.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { join } from 'node:path'
import { describePostgres } from '../../support/postgres.js'
import { createTestStore, spawnChild, stopAllChildren, until, useChildCleanup, useTempDir, type Child, type TestStore } from './harness.js'

useChildCleanup('all')
const tempDir = useTempDir('connection-loss')

describePostgres('a PostgreSQL worker whose connections the server ends', () => {
  let store: TestStore
  let worker: Child
  let terminated = 0

  beforeAll(async () => {
    store = await createTestStore('postgres', tempDir(), 'connection-loss')
    worker = spawnChild('fleet-worker.mjs', 'conn-worker', { ...store.childEnv('conn-worker'), EFFECTS_FILE: join(tempDir(), 'effects.jsonl'), CLAIM_MS: 200, STEP_MS: 1 })
    await worker.waitFor('ready')
    const weft = await store.store()
    await weft.createRun({ id: 'before', workflow: 'fleet', version: 1, input: { n: 1 }, createdAt: Date.now() })
    await worker.waitFor('run-completed', { where: (m) => m.runId === 'before' })
    const rows = await store.query<{ ended: boolean }>('select pg_terminate_backend(pid) as ended from pg_stat_activity where application_name = ?', ['conn-worker'])
    terminated = rows.filter((row) => row.ended).length
    await store.settled('conn-worker')
  })

  afterAll(async () => {
    await stopAllChildren()
    await store?.close()
  })

  it('survives losing every connection, and claims and completes the next run', async () => {
    expect(terminated).toBeGreaterThan(0)
    await (await store.store()).createRun({ id: 'after', workflow: 'fleet', version: 1, input: { n: 2 }, createdAt: Date.now() })
    await worker.waitFor('run-completed', { where: (m) => m.runId === 'after', timeoutMs: 10_000 })
    expect((await store.run('after'))!.status).toBe('completed')
    expect(worker.exit).toBeUndefined()
    expect(worker.all('uncaught')).toEqual([])
    await until('the worker to be connected again', async () => {
      const [row] = await store.query<{ n: string }>('select count(*) as n from pg_stat_activity where application_name = ?', ['conn-worker'])
      return Number(row!.n) > 0 ? true : undefined
    })
  })
})
