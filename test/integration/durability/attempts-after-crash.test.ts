/**
 * A task re-run after its process died shows 2 attempts, not 1: the attempt
 * that was running when the worker was SIGKILLed counts (as `interrupted`,
 * inferred when the run is taken over; nothing is written at an attempt's
 * start), and the re-run is attempt 2. On SQLite and PostgreSQL.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { stepAttempts } from 'weft-sdk/store'
import { createTestStore, spawnChild, stopAllChildren, useChildCleanup, useTempDir, type StoreKind, type TestStore } from './harness.js'

useChildCleanup()
const tempDir = useTempDir('attempts-after-crash')

describe.each(['sqlite', 'postgres'] as StoreKind[])('attempts of a task whose worker was killed in it (%s)', (kind) => {
  let store: TestStore
  beforeAll(async () => {
    store = await createTestStore(kind, tempDir(), 'attempts')
  })
  afterAll(async () => {
    await stopAllChildren()
    await store?.close()
  })

  it('records the interrupted attempt and the re-run one: attempts = 2 for that task, 1 for the others', async () => {
    const runId = `${kind}-killed-in-s05`
    const env = { ...store.childEnv(runId), EFFECTS_FILE: join(tempDir(), `${runId}.jsonl`) }
    const crashing = spawnChild('chain-worker.mjs', `${runId}-crash`, { ...env, START: runId, CRASH: '5:start' })
    expect(await crashing.waitForExit()).toEqual({ code: null, signal: 'SIGKILL' })
    await store.settled(crashing.name)

    const resuming = spawnChild('chain-worker.mjs', `${runId}-resume`, { ...env, RESUME: runId })
    await resuming.waitFor('resumed')
    await resuming.expectCleanExit()

    const steps = await (await store.store()).loadSteps(runId)
    const killed = steps.find((s) => s.key === 's05')!
    expect(killed.attempts).toBe(2)
    expect(stepAttempts(killed).map((a) => [a.attempt, a.outcome])).toEqual([
      [1, 'interrupted'],
      [2, 'completed'],
    ])
    const others = steps.filter((s) => s.key !== 's05')
    expect(others).toHaveLength(19)
    expect(others.every((s) => s.attempts === 1 && s.history === undefined)).toBe(true)
  }, 60_000)
})
