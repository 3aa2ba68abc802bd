/**
 * Zombie fencing: a worker frozen with SIGSTOP while its tasks run, past its
 * lease; a second worker claims its runs and finishes them; then the zombie
 * is continued (SIGCONT). Every write it attempts from then on is rejected
 * (LeaseLostError, or "lost" for lease renewals), nothing it writes lands,
 * and the recorded outputs are the second worker's.
 *
 * A second scenario makes sure every kind of fenced write is attempted: a
 * worker freezes itself with six runs each parked before a write of one kind
 * (step, final step, run update, timer, event take, action clear), and after
 * SIGCONT each is attempted with the stale epoch and rejected.
 */
import { readFileSync } from 'node:fs'
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

/** Whether a process is stopped (SIGSTOP): its state in /proc is `T`. */
function isStopped(pid: number): boolean {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  return stat.slice(stat.lastIndexOf(')') + 2).startsWith('T')
}

/** The runs of the every-kind scenario (workflow `fk-<name>`), and the fenced writes each must attempt once continued. */
const parkedRuns = {
  step: ['saveStep'],
  final: ['saveFinalStep'],
  fail: ['saveStep', 'updateRun'],
  sleep: ['timer'],
  wait: ['takeEvent'],
  pause: ['updateRun', 'clearAction'],
} as const
type ParkedRun = keyof typeof parkedRuns

/** Each kind of fenced write, the run that attempts it and what it is there. */
const writeKinds: readonly [string, ParkedRun, string][] = [
  ['saveStep', 'step', 'the checkpoint of a task with another left'],
  ['saveFinalStep', 'final', 'the last checkpoint, which ends the run'],
  ['updateRun', 'fail', 'the end of a run whose task failed'],
  ['updateRun', 'pause', 'the pause an operator asked for'],
  ['timer', 'sleep', 'the deadline of a durable sleep'],
  ['takeEvent', 'wait', 'the take of an event the run waits for'],
  ['clearAction', 'pause', 'clearing the request it applied'],
]

function everyWriteKindScenario(kind: StoreKind): void {
  let store: TestStore
  let zombie: Child
  let continuedAt = 0
  let rowsBefore: Record<string, unknown[]> = {}
  const runId = (name: ParkedRun) => `${kind}-fk-${name}`
  const names = Object.keys(parkedRuns) as ParkedRun[]

  /** Everything a worker writes: runs, steps, timers, events and their takes. */
  const rows = async () => ({
    runs: await store.query('select id, status, epoch, lease_owner, lease_expires_at, requested_action, finished_at, error from weft_runs order by id'),
    steps: await store.query('select run_id, key, status, output from weft_steps order by run_id, key'),
    timers: await store.query('select run_id, key, wake_at from weft_timers order by run_id, key'),
    events: await store.query('select id, name, run_id, consumed_at from weft_events order by id'),
    takes: await store.query('select event_id, run_id from weft_event_takes order by event_id, run_id'),
  })

  beforeAll(async () => {
    store = await createTestStore(kind, tempDir(), `fence-kinds-${kind}`)
    const name = `fence-kinds-${kind}`
    zombie = spawnChild('fence-kinds-worker.mjs', name, { ...store.childEnv(name), LEASE_MS, HEARTBEAT_MS: 300, CLAIM_MS: 200, POLL_MS: 100, WORKER_ID: 'zombie' })
    await zombie.waitFor('ready')
    const weft = await store.store()
    for (const n of names) await weft.createRun({ id: runId(n), workflow: `fk-${n}`, version: 1, input: {}, createdAt: Date.now() })
    await Promise.all(names.filter((n) => n !== 'wait').map((n) => zombie.waitFor('parked', { where: (m) => m.runId === runId(n) })))
    await until('the wait for the event to be stored', async () => (await store.query('select key from weft_timers where run_id = ?', [runId('wait')]))[0])

    // The next renewal answers with this request, and the worker freezes itself right after it.
    expect((await weft.requestAction(runId('pause'), 'pause', Date.now()))?.requestedAction).toBe('pause')
    await zombie.waitFor('freezing')
    await until('the worker to be stopped', () => (isStopped(zombie.pid) ? true : undefined))
    await until("the frozen worker's leases to end", async () => {
      const expired = await Promise.all(names.map(async (n) => ((await store.run(runId(n)))!.lease_expires_at ?? 0) < Date.now()))
      return expired.every(Boolean) ? true : undefined
    })
    // Another worker's claim: a new epoch for every run (it holds them long enough for the test).
    const workflows = names.map((n) => ({ name: `fk-${n}`, version: 1 }))
    const taken = await weft.claimRuns({ owner: 'thief', leaseMs: 600_000, limit: 10, workflows, now: Date.now() })
    expect(taken.map((r) => [r.id, r.epoch]).sort()).toEqual(names.map((n) => [runId(n), 2]).sort())
    await weft.sendEvent({ name: 'go', runId: runId('wait'), payload: { sent: 'while frozen' }, sentAt: Date.now() })
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

  for (const [method, run, what] of writeKinds) {
    it(`attempts ${method} for ${what} once continued, and the store rejects it with LeaseLostError`, () => {
      const attempts = writesAfterContinue().filter((m) => m.method === method && m.runId === runId(run))
      expect(attempts.length, `${method} of run ${runId(run)} was never attempted: ${summarize(writesAfterContinue())}`).toBeGreaterThan(0)
      for (const write of attempts) {
        expect(write, JSON.stringify(write)).toMatchObject({ outcome: 'rejected', error: { name: 'LeaseLostError', code: 'WEFT_LEASE_LOST' }, epoch: 1 })
      }
    })
  }

  it('attempts a fenced write for every run once continued, and none is accepted', () => {
    const fenced = writesAfterContinue().filter((m) => m.epoch !== undefined)
    expect([...new Set(fenced.map((m) => m.runId as string))].sort()).toEqual(names.map(runId).sort())
    expect(fenced.filter((m) => m.outcome !== 'rejected')).toEqual([])
    console.log(`fence kinds [${kind}]: writes after SIGCONT: ${summarize(writesAfterContinue())}`)
  })

  it('renews its leases once continued, and every renewal reports every run lost', () => {
    const renewals = writesAfterContinue().filter((m) => m.method === 'renewLeases')
    expect(renewals.length, summarize(writesAfterContinue())).toBeGreaterThan(0)
    for (const renewal of renewals) {
      expect(renewal.outcome).toBe('accepted')
      expect([...(renewal.lost as string[])].sort()).toEqual((renewal.fences as { runId: string }[]).map((f) => f.runId).sort())
    }
  })

  it('lands nothing it writes: runs, steps, timers, events and takes are as the other worker left them', async () => {
    expect(await rows()).toEqual(rowsBefore)
  })

  it('gives up every run it lost, and claims none back', () => {
    const settled = zombie.all('settled')[0]!
    expect(settled.stats).toMatchObject({ abandoned: names.length, running: 0, paused: 0, completed: 0, failed: 0 })
    expect(zombie.all('write', (m) => m.method === 'claimRuns' && (m.calledAt as number) >= continuedAt && (m.claimed as string[]).length > 0)).toEqual([])
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

describe('zombie fencing of every kind of write on SQLite', () => {
  everyWriteKindScenario('sqlite')
})

describePostgres('zombie fencing of every kind of write on PostgreSQL', () => {
  everyWriteKindScenario('postgres')
})
