/**
 * A task that fell back (`@Recover` `fallbackWith`) keeps what its fallback
 * returned: the output is committed like any task output, so when the worker
 * is SIGKILLed right after that commit, the worker that resumes the run
 * replays it — neither the task nor its fallback runs again — and the run
 * completes with the fallback's value. On SQLite and PostgreSQL.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { stepAttempts } from 'weft-sdk/store'
import { countEffects, createTestStore, readEffects, spawnChild, stopAllChildren, useChildCleanup, useTempDir, type StoreKind, type TestStore } from './harness.js'

useChildCleanup()
const tempDir = useTempDir('fallback-after-crash')

describe.each(['sqlite', 'postgres'] as StoreKind[])('a task that fell back, then its worker was killed (%s)', (kind) => {
  let store: TestStore
  beforeAll(async () => {
    store = await createTestStore(kind, tempDir(), 'fallback')
  })
  afterAll(async () => {
    await stopAllChildren()
    await store?.close()
  })

  it("replays the fallback's recorded output after a restart instead of running the task or its fallback again", async () => {
    const runId = `${kind}-fell-back`
    const effectsFile = join(tempDir(), `${runId}.jsonl`)
    const env = { ...store.childEnv(runId), EFFECTS_FILE: effectsFile }

    const crashing = spawnChild('fallback-worker.mjs', `${runId}-crash`, { ...env, START: runId, SYMBOL: 'ACME' })
    expect(await crashing.waitForExit()).toEqual({ code: null, signal: 'SIGKILL' })
    await store.settled(crashing.name)
    // Killed once `live`'s output was committed: two failed attempts, one fallback, and its output on disk.
    const before = readEffects(effectsFile)
    expect(before.filter((e) => e.step !== 'confirm').map((e) => e.step)).toEqual(['live', 'live', 'fallback'])
    expect(before.find((e) => e.step === 'fallback')).toMatchObject({ attempts: 2, errorClass: 'connection', error: 'connect ECONNREFUSED 127.0.0.1:9', key: `${runId}:live:fallback` })
    const recorded = (await (await store.store()).loadSteps(runId)).find((s) => s.key === 'live')
    expect(recorded).toMatchObject({ status: 'completed', output: { symbol: 'ACME', price: 42, source: 'cache' } })

    const resuming = spawnChild('fallback-worker.mjs', `${runId}-resume`, { ...env, RESUME: runId })
    const resumed = await resuming.waitFor('resumed', { timeoutMs: 20_000 })
    await resuming.expectCleanExit()

    expect(resumed.outputs).toEqual({ live: { symbol: 'ACME', price: 42, source: 'cache' }, confirm: 'ACME at 42 (cache)' })
    const counts = countEffects(readEffects(effectsFile))
    expect(counts.get(`${runId}/live`)).toBe(2)
    expect(counts.get(`${runId}/fallback`)).toBe(1)
    expect(counts.get(`${runId}/confirm`)).toBeGreaterThanOrEqual(1)
    // The step keeps what recovery met: two connection failures, the last one falling back; completed, so recovered.
    const step = (await (await store.store()).loadSteps(runId)).find((s) => s.key === 'live')!
    expect(step).toMatchObject({ status: 'completed', attempts: 2 })
    expect(step.history?.recovery).toMatchObject({ failures: [{ errorClass: 'connection', strategy: 'fallback', count: 2 }], last: { errorClass: 'connection', strategy: 'fallback' } })
    // Both attempts failed (with their error), then the fallback gave the output: read back from the store after the restart.
    expect(stepAttempts(step).map((a) => [a.attempt, a.outcome, a.error?.message])).toEqual([
      [1, 'failed', 'connect ECONNREFUSED 127.0.0.1:9'],
      [2, 'failed', 'connect ECONNREFUSED 127.0.0.1:9'],
      [2, 'fallback', undefined],
    ])
  }, 60_000)
})
