/**
 * Zombie fencing: a worker frozen with SIGSTOP while its tasks run, past its
 * lease; a second worker claims its runs and finishes them; then the zombie
 * is continued (SIGCONT). Every write it attempts from then on is rejected
 * (LeaseLostError, or "lost" for lease renewals), nothing it writes lands,
 * and the recorded outputs are the second worker's.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { describePostgres } from '../../support/postgres.js'
import { createTestStore, readEffects, spawnChild, stopAllChildren, until, useChildCleanup, useTempDir, type Child, type Marker, type StoreKind, type TestStore } from './harness.js'

useChildCleanup()
const tempDir = useTempDir('zombie')

const RUNS = 4
const LEASE_MS = 1_000
/**
 * The zombie's step r2 runs until it notices it was frozen (its clock jumps by
 * a lease): it is in flight at the freeze, and completes right after SIGCONT,
 * so the zombie attempts to record it.
 */
/** Writes fenced by a claim's epoch: each must fail once the claim is stale. */
const fencedWrites = ['updateRun', 'saveStep', 'timer', 'takeEvent', 'clearAction']

function zombieScenario(kind: StoreKind): void {
  let store: TestStore
  let effectsFile: string
  let zombie: Child
  let rescuer: Child
  let continuedAt = 0
  let rowsBefore: unknown[] = []
  const runIds = Array.from({ length: RUNS }, (_, i) => `${kind}-relay-${i}`)

  const rows = () =>
    store.query(
      `select r.id, r.status, r.epoch, r.lease_owner, r.finished_at, s.key, s.output, s.finished_at as step_finished_at
       from weft_runs r left join weft_steps s on s.run_id = r.id order by r.id, s.key`,
    )

  beforeAll(async () => {
    store = await createTestStore(kind, tempDir(), `zombie-${kind}`)
    effectsFile = join(tempDir(), `zombie-${kind}-effects.jsonl`)
    const common = { EFFECTS_FILE: effectsFile, LEASE_MS, HEARTBEAT_MS: 300, CLAIM_MS: 200 }
    zombie = spawnChild('relay-worker.mjs', `zombie-${kind}`, { ...store.childEnv(`zombie-${kind}`), ...common, WORKER_ID: 'zombie', FREEZE_GAP_MS: LEASE_MS })
    await zombie.waitFor('ready')
    const weft = await store.store()
    for (const [n, id] of runIds.entries()) await weft.createRun({ id, workflow: 'relay', version: 1, input: { n }, createdAt: Date.now() })
    await Promise.all(runIds.map((runId) => zombie.waitFor('in-step', { where: (m) => m.runId === runId })))

    zombie.kill('SIGSTOP')
    await until('the frozen worker\'s leases to end', async () => {
      const expired = await Promise.all(runIds.map(async (id) => ((await store.run(id))!.lease_expires_at ?? 0) < Date.now()))
      return expired.every(Boolean) ? true : undefined
    })
    rescuer = spawnChild('relay-worker.mjs', `rescuer-${kind}`, { ...store.childEnv(`rescuer-${kind}`), ...common, WORKER_ID: 'rescuer', SLOW_MS: 50 })
    await Promise.all(runIds.map((runId) => rescuer.waitFor('run-completed', { where: (m) => m.runId === runId })))
    rowsBefore = await rows()

    continuedAt = Date.now()
    zombie.kill('SIGCONT')
    await zombie.waitFor('settled')
  }, 60_000)

  afterAll(async () => {
    await stopAllChildren()
    await store?.close()
  })

  const writesAfterContinue = () => zombie.all('write', (m) => (m.calledAt as number) >= continuedAt)

  it('the second worker claims the frozen worker\'s runs only after their leases end, and finishes them', async () => {
    for (const id of runIds) {
      const run = (await store.run(id))!
      expect(run).toMatchObject({ status: 'completed', epoch: 2, lease_owner: null })
    }
    expect(rescuer.all('background-error')).toEqual([])
  })

  it('rejects every fenced write the zombie attempts after it is continued, with LeaseLostError', () => {
    const fenced = writesAfterContinue().filter((m) => fencedWrites.includes(m.method as string))
    expect(fenced.length, 'the zombie attempted no fenced write: the test proves nothing').toBeGreaterThan(0)
    for (const write of fenced) {
      expect(write, JSON.stringify(write)).toMatchObject({ outcome: 'rejected', error: { name: 'LeaseLostError', code: 'WEFT_LEASE_LOST' }, epoch: 1 })
    }
    console.log(`zombie [${kind}]: writes after SIGCONT: ${summarize(writesAfterContinue())}`)
  })

  it('renews none of the zombie\'s leases after it is continued: every renewal reports them lost', () => {
    for (const renewal of writesAfterContinue().filter((m) => m.method === 'renewLeases')) {
      const fences = renewal.fences as { runId: string }[]
      expect(renewal.outcome).toBe('accepted')
      expect([...(renewal.lost as string[])].sort()).toEqual(fences.map((f) => f.runId).sort())
    }
    expect(zombie.all('write', (m) => m.method === 'claimRuns' && (m.calledAt as number) >= continuedAt && (m.claimed as string[]).length > 0)).toEqual([])
  })

  it('lands nothing the zombie writes: runs and step rows are exactly as the second worker left them', async () => {
    expect(await rows()).toEqual(rowsBefore)
  })

  it('records the second worker\'s outputs for the steps the zombie was running and after', async () => {
    const weft = await store.store()
    for (const [n, id] of runIds.entries()) {
      const outputs = Object.fromEntries((await weft.loadSteps(id)).map((s) => [s.key, s.output]))
      expect(outputs).toEqual({ r1: { by: 'zombie', n }, r2: { by: 'rescuer', n: n * 2 }, r3: { by: 'rescuer', n: n * 2 + 1 } })
    }
    // The zombie's r2 ran (its effect is there) but its result was never recorded; r3 ran once, in the rescuer.
    const effects = readEffects(effectsFile)
    for (const id of runIds) {
      expect(effects.filter((e) => e.runId === id).map((e) => `${e.step}:${e.worker as string}`)).toEqual(['r1:zombie', 'r2:zombie', 'r2:rescuer', 'r3:rescuer'])
    }
  })

  it('the zombie stops executing the runs it lost (abandoned, none completed by it)', () => {
    const settled = zombie.all('settled')[0]!
    expect((settled.stats as Record<string, number>).abandoned).toBe(RUNS)
    expect(zombie.all('run-completed')).toEqual([])
  })
}

function summarize(writes: readonly Marker[]): string {
  const counts = new Map<string, number>()
  for (const w of writes) {
    const key = `${w.method as string} ${w.outcome as string}${w.error === undefined ? '' : ` (${(w.error as { name: string }).name})`}`
    counts.set(key, (counts.get(key) ?? 0) + 1)
  }
  return [...counts].map(([key, n]) => `${n}× ${key}`).join(', ')
}

describe('zombie fencing on SQLite (two processes on one file)', () => {
  zombieScenario('sqlite')
})

describePostgres('zombie fencing on PostgreSQL', () => {
  zombieScenario('postgres')
})
