/**
 * Durable timers keep their deadline across a restart, and waits for events
 * survive one: the event may even be sent while no worker runs.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEngine, type Engine } from 'weft-sdk'
import { deserialize } from 'weft-sdk/store'
import { describePostgres } from '../../support/postgres.js'
import { createTestStore, readEffects, spawnChild, stopAllChildren, until, useChildCleanup, useTempDir, type StoreKind, type TestStore } from './harness.js'

useChildCleanup()
const tempDir = useTempDir('timers')

const SLEEP_MS = 3_000
/** How late a woken timer may be: the claim at restart, loading steps, a busy machine. */
const LATE_MS = 600

function timersAndEvents(kind: StoreKind): void {
  let store: TestStore
  let effectsFile: string
  let client: Engine
  let children = 0

  beforeAll(async () => {
    store = await createTestStore(kind, tempDir(), `timers-${kind}`)
    effectsFile = join(tempDir(), `timers-${kind}-effects.jsonl`)
    client = createEngine({ store: await store.store(), claimRuns: false })
    await client.ready
  })
  afterAll(async () => {
    await stopAllChildren()
    await client?.close()
    await store?.close()
  })

  function worker(env: Record<string, string | number | undefined>) {
    const name = `wait-${kind}-${++children}`
    return spawnChild('wait-worker.mjs', name, { ...store.childEnv(name), EFFECTS_FILE: effectsFile, POLL_MS: 100, ...env })
  }

  /** Starts a run in a worker, waits until `ready(runId)` holds, SIGKILLs the worker. */
  async function startThenKill(env: Record<string, string | number>, ready: () => Promise<unknown>) {
    const first = worker(env)
    await first.waitFor('started')
    await ready()
    await first.killHard()
    await store.settled(first.name)
  }

  /**
   * Restarts a worker that resumes the run; its outputs, and when the worker was up (its `ready`
   * marker: the store open and its first claim pass done), so that time windows leave out how long
   * spawning a process took.
   */
  async function resumeTimed(runId: string) {
    const second = worker({ RESUME: runId })
    const readyAt = (await second.waitFor('ready')).at
    const resumed = await second.waitFor('resumed', { timeoutMs: 20_000 })
    await second.expectCleanExit()
    return { outputs: deserialize(resumed.outputs as string) as Record<string, unknown>, readyAt }
  }

  async function resume(runId: string) {
    return (await resumeTimed(runId)).outputs
  }

  it(`wakes a ctx.sleep('3 s') at its original deadline after the worker is SIGKILLed 1 s in and restarted`, async () => {
    const runId = `${kind}-nap`
    const first = worker({ START: runId, WORKFLOW: 'napper', SLEEP_MS })
    await first.waitFor('started')
    const timer = await until('the timer to be stored', async () => {
      const [row] = await store.query<{ key: string; wake_at: number }>('select key, wake_at from weft_timers where run_id = ?', [runId])
      return row
    })
    const deadline = Number(timer.wake_at)
    // The scenario itself: the worker sleeps 1 s of its 3 s, then dies.
    await new Promise((resolve) => setTimeout(resolve, deadline - SLEEP_MS + 1_000 - Date.now()))
    await first.killHard()
    await store.settled(first.name)

    const restartedAt = Date.now()
    const { outputs, readyAt } = await resumeTimed(runId)
    const wokeAt = (outputs.nap as { wokeAt: number }).wokeAt
    console.log(`durable timer [${kind}]: deadline ${deadline}, restarted ${deadline - restartedAt} ms before it, worker up ${deadline - readyAt} ms before it, woke ${wokeAt - deadline} ms after it`)
    expect(wokeAt).toBeGreaterThanOrEqual(deadline)
    // Due at the deadline, or as soon as the new worker is up if spawning it took longer than that.
    expect(wokeAt - Math.max(deadline, readyAt)).toBeLessThanOrEqual(LATE_MS)
    // Not a new sleep of the full duration: that would end SLEEP_MS or more after the restart.
    expect(wokeAt - restartedAt).toBeLessThan(SLEEP_MS)
    expect(await store.query('select key, wake_at from weft_timers where run_id = ?', [runId])).toEqual([timer])
    expect(readEffects(effectsFile).filter((e) => e.runId === runId).map((e) => e.step)).toEqual(['nap-start', 'nap-start', 'woke'])
  }, 30_000)

  it('wakes a durable sleep whose deadline passed while no worker ran at once on restart, without sleeping again', async () => {
    const runId = `${kind}-overslept`
    const first = worker({ START: runId, WORKFLOW: 'napper', SLEEP_MS: 1_000 })
    await first.waitFor('started')
    const timer = await until('the timer to be stored', async () => (await store.query<{ wake_at: number }>('select wake_at from weft_timers where run_id = ?', [runId]))[0])
    await first.killHard()
    await store.settled(first.name)
    // The scenario: no worker runs until after the deadline.
    await new Promise((resolve) => setTimeout(resolve, Number(timer.wake_at) + 300 - Date.now()))

    const { outputs, readyAt } = await resumeTimed(runId)
    const wokeAt = (outputs.nap as { wokeAt: number }).wokeAt
    expect(wokeAt).toBeGreaterThan(Number(timer.wake_at))
    // At once once the worker is up (measured from its ready marker, not from the spawn): not after a new 1 s sleep.
    expect(wokeAt - readyAt).toBeLessThan(LATE_MS)
  }, 30_000)

  it('completes a run waiting for an event sent to it while no worker was running', async () => {
    const runId = `${kind}-approval`
    const waitStored = () => until('the wait to be stored', async () => (await store.query('select key from weft_timers where run_id = ?', [runId]))[0])
    await startThenKill({ START: runId, WORKFLOW: 'approval', EVENT: 'approved' }, waitStored)
    expect((await store.run(runId))!.status).toBe('running')

    await client.emit('approved', { by: 'ada', at: new Date(Date.UTC(2026, 5, 1)) }, { runId })
    expect(await resume(runId)).toEqual({ approve: { by: 'ada', at: new Date(Date.UTC(2026, 5, 1)) } })
    expect(await store.stepKeys(runId)).toEqual(['approve', 'approve/wait:approved#0'])
    expect(await store.query('select run_id, consumed_at is not null as consumed from weft_events where name = ?', ['approved'])).toEqual([{ run_id: runId, consumed: kind === 'sqlite' ? 1 : true }])
  }, 30_000)

  it('completes a run waiting for an event sent to every run while no worker was running', async () => {
    const runId = `${kind}-broadcast`
    const waitStored = () => until('the wait to be stored', async () => (await store.query('select key from weft_timers where run_id = ?', [runId]))[0])
    await startThenKill({ START: runId, WORKFLOW: 'approval', EVENT: 'release-approved' }, waitStored)

    await client.emit('release-approved', { release: '1.2.0' })
    expect(await resume(runId)).toEqual({ approve: { release: '1.2.0' } })
    expect(await store.stepKeys(runId)).toEqual(['approve', 'approve/wait:release-approved#0'])
  }, 30_000)
}

describe('durable timers and event waits across a restart on SQLite', () => {
  timersAndEvents('sqlite')
})

describePostgres('durable timers and event waits across a restart on PostgreSQL', () => {
  timersAndEvents('postgres')
})
