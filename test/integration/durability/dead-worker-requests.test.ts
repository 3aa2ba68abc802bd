/**
 * An operator's request (cancel, pause) for a run whose worker was killed is
 * recorded for "its worker", which will never pick it up. Whoever claims the
 * run next honours it before starting any task: a cancelled run ends
 * cancelled with its @Always cleanup run and no further task body started; a
 * paused run stays paused until resumed. (The recovering worker used to clear
 * the request and finish the run, performing its remaining side effects.)
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { describePostgres } from '../../support/postgres.js'
import { countEffects, createTestStore, readEffects, spawnChild, stopAllChildren, until, useChildCleanup, useTempDir, type StoreKind, type TestStore } from './harness.js'

useChildCleanup()
const tempDir = useTempDir('dead-worker-requests')

function requestsOfDeadWorkers(kind: StoreKind): void {
  let store: TestStore
  let effectsFile: string
  let children = 0

  const worker = (env: Record<string, string>) => {
    const name = `errand-${kind}-${++children}`
    return spawnChild('errand-worker.mjs', name, { ...store.childEnv(name), EFFECTS_FILE: effectsFile, LEASE_MS: 3_000, HEARTBEAT_MS: 100, CLAIM_MS: 100, ...env })
  }

  /** Starts a run in a worker, kills the worker while `second` runs, and waits until nothing of it can still write. */
  async function runKilledInSecond(runId: string): Promise<void> {
    const first = worker({ START: runId })
    await first.waitFor('in-second')
    await first.killHard()
    await store.settled(first.name)
    expect(await store.run(runId)).toMatchObject({ status: 'running' })
  }

  beforeAll(async () => {
    store = await createTestStore(kind, tempDir(), `requests-${kind}`)
    effectsFile = join(tempDir(), `requests-${kind}-effects.jsonl`)
  })
  afterAll(async () => {
    await stopAllChildren()
    await store?.close()
  })

  it('ends a cancelled run as cancelled: its cleanup runs, no task body starts', async () => {
    const runId = `${kind}-cancel`
    await runKilledInSecond(runId)
    const requested = await (await store.store()).requestAction(runId, 'cancel', Date.now())
    expect(requested).toMatchObject({ status: 'running', requestedAction: 'cancel' })

    const next = worker({ RESUME: runId })
    const ended = await next.waitFor('ended', { where: (m) => m.runId === runId })
    expect(ended).toMatchObject({ status: 'cancelled', error: `run ${runId} was cancelled: cancel requested` })
    expect(await store.run(runId)).toMatchObject({ status: 'cancelled', lease_owner: null })
    expect((await store.query<{ requested_action: string | null }>('select requested_action from weft_runs where id = ?', [runId]))[0]!.requested_action).toBeNull()
    const effects = countEffects(readEffects(effectsFile).filter((e) => e.runId === runId))
    expect(Object.fromEntries(effects)).toEqual({ [`${runId}/first`]: 1, [`${runId}/second`]: 1, [`${runId}/cleanup`]: 1 })
  })

  it('keeps a paused run paused (no task body starts) until it is resumed, then finishes it', async () => {
    const runId = `${kind}-pause`
    await runKilledInSecond(runId)
    await (await store.store()).requestAction(runId, 'pause', Date.now())

    const next = worker({ RESUME: runId })
    const claimed = await next.waitFor('claimed', { where: (m) => m.runId === runId })
    expect(claimed.status).toBe('paused')
    await until('the pause to be recorded and its request cleared', async () => {
      const [row] = await store.query<{ status: string; requested_action: string | null }>('select status, requested_action from weft_runs where id = ?', [runId])
      return row!.status === 'paused' && row!.requested_action === null ? true : undefined
    })
    const paused = countEffects(readEffects(effectsFile).filter((e) => e.runId === runId))
    expect(Object.fromEntries(paused)).toEqual({ [`${runId}/first`]: 1, [`${runId}/second`]: 1 })

    await (await store.store()).requestAction(runId, 'resume', Date.now())
    const ended = await next.waitFor('ended', { where: (m) => m.runId === runId })
    expect(ended).toMatchObject({ status: 'completed', outputs: { first: 1, second: 2, third: 3, cleanup: 'cleaned' } })
    const effects = countEffects(readEffects(effectsFile).filter((e) => e.runId === runId))
    expect(Object.fromEntries(effects)).toEqual({ [`${runId}/first`]: 1, [`${runId}/second`]: 2, [`${runId}/third`]: 1, [`${runId}/cleanup`]: 1 })
  })
}

describe('requests for a run whose worker was SIGKILLed, on SQLite', () => requestsOfDeadWorkers('sqlite'))
describePostgres('requests for a run whose worker was SIGKILLed, on PostgreSQL', () => requestsOfDeadWorkers('postgres'))
