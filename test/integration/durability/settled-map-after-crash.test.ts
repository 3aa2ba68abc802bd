/**
 * A settled `ctx.map` records a failed item as failed: a worker SIGKILLed
 * in the middle of the map is resumed by another process, which runs only
 * the item that had not finished and returns the recorded failure as it was,
 * without running that item again; the item that was running counts the
 * attempt lost with the killed process. On SQLite and PostgreSQL.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { stepAttempts } from 'weft-sdk/store'
import { createTestStore, readEffects, spawnChild, stopAllChildren, useChildCleanup, useTempDir, type StoreKind, type TestStore } from './harness.js'

useChildCleanup()
const tempDir = useTempDir('settled-map-after-crash')

describe.each(['sqlite', 'postgres'] as StoreKind[])('a settled ctx.map whose worker was killed in it (%s)', (kind) => {
  let store: TestStore
  beforeAll(async () => {
    store = await createTestStore(kind, tempDir(), 'settled-map')
  })
  afterAll(async () => {
    await stopAllChildren()
    await store?.close()
  })

  it('runs only the unfinished item again and returns the recorded failure of the failed one', async () => {
    const runId = `${kind}-settled-map`
    const effectsFile = join(tempDir(), `${runId}.jsonl`)
    const env = { ...store.childEnv(runId), EFFECTS_FILE: effectsFile }
    const crashing = spawnChild('map-worker.mjs', `${runId}-crash`, { ...env, START: runId, CRASH: 'item2' })
    expect(await crashing.waitForExit()).toEqual({ code: null, signal: 'SIGKILL' })
    await store.settled(crashing.name)

    const resuming = spawnChild('map-worker.mjs', `${runId}-resume`, { ...env, RESUME: runId })
    const resumed = await resuming.waitFor('resumed')
    await resuming.expectCleanExit()

    expect(resumed.output).toEqual([
      { ok: true, value: 0 },
      { ok: false, error: expect.objectContaining({ name: 'Error', message: 'item 1 has no answer' }), attempts: 1 },
      { ok: true, value: 20 },
    ])
    const items = readEffects(effectsFile).map((e) => [e.pid === crashing.pid ? 'first' : 'second', e.item])
    expect(items).toEqual([
      ['first', 0],
      ['first', 1],
      ['first', 2],
      ['second', 2],
    ])
    const steps = await (await store.store()).loadSteps(runId)
    expect(steps.find((s) => s.key === 'fan[1]')).toMatchObject({ status: 'failed', attempts: 1 })
    // Item 2 was running when its process was killed: the map was running (items 0 and 1 were recorded), so its
    // step counts the attempt lost with that process before the one that completed it, as its task does.
    const item2 = steps.find((s) => s.key === 'fan[2]')!
    expect(item2.attempts).toBe(2)
    expect(stepAttempts(item2).map((a) => [a.attempt, a.outcome])).toEqual([[1, 'interrupted'], [2, 'completed']])
    expect(stepAttempts(steps.find((s) => s.key === 'fan[0]')!).map((a) => a.outcome)).toEqual(['completed'])
  }, 60_000)
})
