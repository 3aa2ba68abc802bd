import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { LeaseLostError, PayloadTooLargeError, SerializationError, type ErrorRecord, type RunRecord, type RunId } from 'weft-sdk'
import type { AttemptHistory, Fence, NewRun, StepRecord, WorkflowStore } from 'weft-sdk/store'

/** Creates a fresh, empty store for one test. The suite closes it after the test. */
export interface StoreFixture {
  create(): Promise<WorkflowStore>
}

const orders = [{ name: 'orders', version: 1 }]
const lease = 30_000

function newRun(id: string, extra: Partial<NewRun> = {}): NewRun {
  return { id, workflow: 'orders', version: 1, input: { orderId: id }, createdAt: 1_000, ...extra }
}

function step(runId: string, key: string, extra: Partial<StepRecord> = {}): StepRecord {
  return { runId, key, task: key.split(/[#[/]/)[0]!, status: 'completed', output: { key }, attempts: 1, startedAt: 10, finishedAt: 20, ...extra }
}

/** An error record with every optional part, as the runtime writes one for an Error with causes. */
const fullError: ErrorRecord = {
  name: 'ChargeError',
  message: 'charge failed: é ✓',
  code: 'E_CHARGE',
  stack: 'ChargeError: charge failed\n    at charge (file:///app/charge.js:10:5)\n…',
  causes: [
    { name: 'TypeError', message: 'bad response', code: undefined },
    { name: 'object', message: '{"status":503}', value: '{"status":503}' },
  ],
}

/** The attempts of a step before its last: two failures kept in full, three older ones counted. */
const history: AttemptHistory = {
  earlier: [
    { attempt: 4, outcome: 'failed', startedAt: 11, finishedAt: 12, error: fullError },
    { attempt: 5, outcome: 'interrupted' },
  ],
  omitted: 3,
  lastStartedAt: 15,
}

/** The record of a thrown value that is not an Error. */
const thrownValue: ErrorRecord = { name: 'null', message: 'null', value: 'null' }

function fenceOf(run: RunRecord): Fence {
  return { runId: run.id, epoch: run.epoch }
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection')
    },
    (error: unknown) => error,
  )
}

/** Gives each test of the enclosing `describe` a fresh, initialised store, closed after the test. */
function eachTestStore(fixture: StoreFixture, use: (store: WorkflowStore) => void): void {
  let current: WorkflowStore | undefined
  beforeEach(async () => {
    current = await fixture.create()
    await current.init()
    use(current)
  })
  afterEach(async () => {
    await current?.close()
  })
}

/** The behaviour every `WorkflowStore` must have, run against each implementation. */
export function describeWorkflowStore(name: string, fixture: StoreFixture): void {
  describe(`WorkflowStore conformance: ${name}`, () => {
    let store!: WorkflowStore
    eachTestStore(fixture, (fresh) => (store = fresh))

    /** Creates a run claimed by `owner` and returns it. */
    async function claimed(id: string, owner = 'w1', now = 1_000): Promise<RunRecord> {
      return (await store.createRun(newRun(id, { createdAt: now, claimBy: { owner, leaseMs: lease } }))).run
    }

    describe('runs', () => {
      it('creates a pending run and reads it back', async () => {
        const { run, created } = await store.createRun(newRun('r1', { principal: 'ada' }))
        expect(created).toBe(true)
        expect(run).toMatchObject({ id: 'r1', status: 'pending', epoch: 0, recoveries: 0, input: { orderId: 'r1' }, principal: 'ada' })
        expect(await store.getRun('r1')).toMatchObject({ id: 'r1', status: 'pending', workflow: 'orders', version: 1, createdAt: 1_000 })
        expect(await store.getRun('missing')).toBeUndefined()
      })

      it('creates a run already claimed by its starter', async () => {
        const run = await claimed('r1', 'w1', 5_000)
        expect(run).toMatchObject({ status: 'running', epoch: 1, leaseOwner: 'w1', leaseExpiresAt: 5_000 + lease, startedAt: 5_000 })
      })

      it('keeps the trace context a run was created with and gives it to the worker that claims the run', async () => {
        const traceContext = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'
        await store.createRun(newRun('traced', { traceContext }))
        await store.createRun(newRun('untraced', { createdAt: 2_000 }))
        const claimedRuns = await store.claimRuns({ owner: 'w1', leaseMs: lease, limit: 10, workflows: orders, now: 10_000 })
        expect(claimedRuns.map((r) => [r.id, r.traceContext])).toEqual([['traced', traceContext], ['untraced', undefined]])
        expect((await store.getRun('traced'))!.traceContext).toBe(traceContext)
      })

      it('does not overwrite a run created twice with the same id', async () => {
        await store.createRun(newRun('r1'))
        const again = await store.createRun(newRun('r1', { input: { other: true } }))
        expect(again.created).toBe(false)
        expect(again.run.input).toEqual({ orderId: 'r1' })
      })

      it('lists runs newest first with filters and a limit', async () => {
        await store.createRun(newRun('r1', { createdAt: 1 }))
        await store.createRun(newRun('r2', { workflow: 'refunds', createdAt: 2 }))
        await claimed('r3', 'w1', 3)
        expect((await store.listRuns()).map((r) => r.id)).toEqual(['r3', 'r2', 'r1'])
        expect((await store.listRuns({ workflow: 'orders' })).map((r) => r.id)).toEqual(['r3', 'r1'])
        expect((await store.listRuns({ status: 'pending' })).map((r) => r.id)).toEqual(['r2', 'r1'])
        expect((await store.listRuns({ limit: 1 })).map((r) => r.id)).toEqual(['r3'])
      })

      it("records the starting principal's subject, tenant and roles, and lists a principal's or a tenant's runs", async () => {
        await store.createRun(newRun('r1', { createdAt: 1, principal: 'user:ada', tenant: 'acme', roles: ['analyst', 'viewer'] }))
        await store.createRun(newRun('r2', { createdAt: 2, principal: 'user:bob', tenant: 'acme' }))
        await store.createRun(newRun('r3', { createdAt: 3, principal: 'user:eve', tenant: 'globex' }))
        await store.createRun(newRun('r4', { createdAt: 4 }))
        const r1 = await store.getRun('r1' as RunId)
        expect({ principal: r1?.principal, tenant: r1?.tenant, roles: r1?.roles }).toEqual({ principal: 'user:ada', tenant: 'acme', roles: ['analyst', 'viewer'] })
        expect((await store.getRun('r4' as RunId))?.roles).toBeUndefined()
        expect((await store.listRuns({ ownedBy: { subject: 'user:ada' } })).map((r) => r.id)).toEqual(['r1'])
        expect((await store.listRuns({ ownedBy: { subject: 'user:ada', tenant: 'acme' } })).map((r) => r.id)).toEqual(['r2', 'r1'])
        expect((await store.listRuns({ ownedBy: { subject: 'user:eve', tenant: 'globex' }, workflow: 'orders' })).map((r) => r.id)).toEqual(['r3'])
        expect((await store.listRuns({ ownedBy: { subject: 'user:nobody', tenant: 'initech' } })).map((r) => r.id)).toEqual([])
      })

      it('writes the audit entries given with a new run, and with an idempotent repeat, in the same write', async () => {
        const entry = (index: number) => ({ chain: 'w1', index, at: 1, subject: 'user:ada', tenant: null, action: 'run.start' as const, resource: 'orders', runId: 'ra', outcome: 'succeeded' as const, reason: null, prevHash: '0'.repeat(64), hash: String(index).repeat(64) })
        await store.createRun(newRun('ra', { audit: [entry(0)] }))
        await store.createRun(newRun('ra', { audit: [entry(1)] }))
        const listed = (await store.audit!.listAudit({})).entries.map((e) => `${e.chain}#${e.index} ${e.runId}`)
        expect(listed.sort()).toEqual(['w1#0 ra', 'w1#1 ra'])
      })

      it('pages through runs with a cursor: the runs older than a given one, ties broken by id', async () => {
        for (const [id, createdAt] of [['a', 1], ['b', 2], ['c', 2], ['d', 2], ['e', 3]] as const) {
          await store.createRun(newRun(id, { createdAt, workflow: id === 'c' ? 'refunds' : 'orders' }))
        }
        const pages: string[][] = []
        let before: string | undefined
        do {
          const page = await store.listRuns({ limit: 2, before })
          pages.push(page.map((r) => r.id))
          before = page.at(-1)?.id
        } while (pages.at(-1)!.length === 2)
        expect(pages).toEqual([['e', 'd'], ['c', 'b'], ['a']])
        expect((await store.listRuns({ before: 'd', workflow: 'orders' })).map((r) => r.id)).toEqual(['b', 'a'])
        expect(await store.listRuns({ before: 'missing' })).toEqual([])
      })

      it('updates a run as its worker and frees the lease when it finishes', async () => {
        const run = await claimed('r1')
        await store.updateRun(fenceOf(run), { status: 'failed', finishedAt: 2_000, error: { name: 'Error', message: 'x', task: 'charge' } })
        const stored = await store.getRun('r1')
        expect(stored).toMatchObject({ status: 'failed', finishedAt: 2_000, error: { name: 'Error', message: 'x', task: 'charge' } })
        expect(stored!.leaseOwner).toBeUndefined()
      })

      it('rejects an update with a stale fence and changes nothing', async () => {
        const run = await claimed('r1')
        const error = await rejection(store.updateRun({ runId: 'r1', epoch: run.epoch + 1 }, { status: 'completed' }))
        expect(error).toBeInstanceOf(LeaseLostError)
        expect((await store.getRun('r1'))!.status).toBe('running')
      })
    })

    describe('claims and leases', () => {
      it('claims pending runs of known workflow versions, oldest first, up to the limit', async () => {
        await store.createRun(newRun('a', { createdAt: 1 }))
        await store.createRun(newRun('b', { createdAt: 2 }))
        await store.createRun(newRun('c', { createdAt: 3, version: 2 }))
        await store.createRun(newRun('d', { createdAt: 4 }))
        const claimedRuns = await store.claimRuns({ owner: 'w1', leaseMs: lease, limit: 2, workflows: orders, now: 10_000 })
        expect(claimedRuns.map((r) => r.id)).toEqual(['a', 'b'])
        expect(claimedRuns[0]).toMatchObject({ status: 'running', epoch: 1, leaseOwner: 'w1', leaseExpiresAt: 10_000 + lease, recoveries: 0, startedAt: 10_000 })
        expect((await store.claimRuns({ owner: 'w2', leaseMs: lease, limit: 10, workflows: orders, now: 10_000 })).map((r) => r.id)).toEqual(['d'])
        expect((await store.getRun('c'))!.status).toBe('pending')
      })

      it('does not claim a run whose lease is live, and claims it with a new epoch once it expired', async () => {
        const run = await claimed('r1', 'w1', 1_000)
        expect(await store.claimRuns({ owner: 'w2', leaseMs: lease, limit: 10, workflows: orders, now: 1_000 + lease - 1 })).toEqual([])
        const [taken] = await store.claimRuns({ owner: 'w2', leaseMs: lease, limit: 10, workflows: orders, now: 1_000 + lease })
        expect(taken).toMatchObject({ id: 'r1', epoch: run.epoch + 1, leaseOwner: 'w2', recoveries: 1, status: 'running' })
      })

      it('claims the runs of a dead owner before its lease expires', async () => {
        await claimed('r1', 'dead-worker')
        const taken = await store.claimRuns({ owner: 'w2', leaseMs: lease, limit: 10, workflows: orders, now: 2_000, deadOwners: ['dead-worker'] })
        expect(taken.map((r) => [r.id, r.recoveries])).toEqual([['r1', 1]])
      })

      it('lets a released run be claimed at once, without counting a recovery', async () => {
        const run = await claimed('r1', 'w1')
        await store.releaseRuns('w1', [fenceOf(run)])
        const [taken] = await store.claimRuns({ owner: 'w2', leaseMs: lease, limit: 10, workflows: orders, now: 2_000 })
        expect(taken).toMatchObject({ id: 'r1', recoveries: 0, epoch: 2, leaseOwner: 'w2' })
      })

      it('gives back a run its worker could not start: claimable at once, counted as a recovery, the failure as its message', async () => {
        const run = await claimed('r1', 'w1', 1_000)
        await store.releaseRuns('w1', [fenceOf(run)], { failure: 'worker w1 could not start it: SyntaxError: bad step' })
        expect(await store.getRun('r1')).toMatchObject({ leaseOwner: 'w1', leaseExpiresAt: 0, statusMessage: 'worker w1 could not start it: SyntaxError: bad step' })
        const [taken] = await store.claimRuns({ owner: 'w2', leaseMs: lease, limit: 10, workflows: orders, now: 2_000 })
        expect(taken).toMatchObject({ id: 'r1', recoveries: 1, epoch: 2, leaseOwner: 'w2' })
      })

      it('never claims a finished run', async () => {
        const run = await claimed('r1')
        await store.updateRun(fenceOf(run), { status: 'completed', finishedAt: 2_000 })
        expect(await store.claimRuns({ owner: 'w2', leaseMs: lease, limit: 10, workflows: orders, now: 10 ** 9 })).toEqual([])
      })

      it('gives each run to exactly one of many concurrent claimers', async () => {
        for (let i = 0; i < 40; i++) await store.createRun(newRun(`r${String(i).padStart(2, '0')}`, { createdAt: i }))
        const results = await Promise.all(
          Array.from({ length: 8 }, (_, w) => store.claimRuns({ owner: `w${w}`, leaseMs: lease, limit: 7, workflows: orders, now: 100 })),
        )
        const ids = results.flat().map((r) => r.id)
        expect(ids).toHaveLength(40)
        expect(new Set(ids).size).toBe(40)
      })

      it('renews the leases it holds, and reports lost ones and requested actions', async () => {
        const a = await claimed('a', 'w1', 1_000)
        const b = await claimed('b', 'w1', 1_000)
        await store.claimRuns({ owner: 'w2', leaseMs: lease, limit: 10, workflows: orders, now: 1_000 + lease })
        const c = await claimed('c', 'w1', 1_000 + lease)
        await store.requestAction('c', 'pause', 1_000 + lease)
        const renewed = await store.renewLeases('w1', [fenceOf(a), fenceOf(b), fenceOf(c)], lease, 1_000 + lease + 5)
        expect([...renewed.lost].sort()).toEqual(['a', 'b'])
        expect(renewed.requested).toEqual([{ runId: 'c', action: 'pause' }])
        expect((await store.getRun('c'))!.leaseExpiresAt).toBe(1_000 + 2 * lease + 5)
      })

      it('lists the owners of live leases', async () => {
        await claimed('a', 'w1', 1_000)
        await claimed('b', 'w2', 1_000)
        await claimed('c', 'w3', 0)
        expect((await store.leaseOwners(1_000 + lease - 1)).sort()).toEqual(['w1', 'w2'])
      })

      it('notes why runs of unknown workflow versions wait', async () => {
        await store.createRun(newRun('old', { version: 2 }))
        await store.createRun(newRun('known'))
        expect(await store.noteUnclaimable(orders, 5_000)).toBe(1)
        expect((await store.getRun('old'))!.statusMessage).toBe('waiting for a worker with workflow "orders" version 2 registered')
        expect((await store.getRun('known'))!.statusMessage).toBeUndefined()
        await store.claimRuns({ owner: 'w1', leaseMs: lease, limit: 10, workflows: [{ name: 'orders', version: 2 }], now: 6_000 })
        expect((await store.getRun('old'))!.statusMessage).toBeUndefined()
      })

      it('makes a run of an unknown version whose worker stopped pending again, and counts the stop when its version claims it', async () => {
        await store.createRun(newRun('old', { version: 2, createdAt: 1_000, claimBy: { owner: 'gone', leaseMs: lease } }))
        expect(await store.noteUnclaimable(orders, 1_000 + lease - 1)).toBe(0)
        expect((await store.getRun('old'))!.status).toBe('running')
        expect(await store.noteUnclaimable(orders, 1_000 + lease)).toBe(1)
        expect(await store.getRun('old')).toMatchObject({ status: 'pending', statusMessage: 'waiting for a worker with workflow "orders" version 2 registered', epoch: 1 })
        expect(await store.noteUnclaimable(orders, 1_000 + lease + 1)).toBe(0)
        const [claimed] = await store.claimRuns({ owner: 'w2', leaseMs: lease, limit: 10, workflows: [{ name: 'orders', version: 2 }], now: 2_000 + lease })
        expect(claimed).toMatchObject({ id: 'old', status: 'running', epoch: 2, recoveries: 1, leaseOwner: 'w2' })
        expect(claimed!.statusMessage).toBeUndefined()
      })
    })

    describe('requested actions', () => {
      it('cancels a pending run at once', async () => {
        await store.createRun(newRun('r1'))
        const run = await store.requestAction('r1', 'cancel', 2_000)
        expect(run).toMatchObject({ status: 'cancelled', finishedAt: 2_000, error: { code: 'WEFT_RUN_CANCELLED' } })
      })

      it('records a request for a running run until its worker clears it', async () => {
        const run = await claimed('r1')
        expect((await store.requestAction('r1', 'cancel', 2_000))!.requestedAction).toBe('cancel')
        await store.clearAction(fenceOf(run))
        expect((await store.getRun('r1'))!.requestedAction).toBeUndefined()
      })

      it('rejects clearing a request with a stale fence, keeping the request for the run\'s new worker', async () => {
        const run = await claimed('r1', 'w1', 1_000)
        await store.claimRuns({ owner: 'w2', leaseMs: lease, limit: 10, workflows: orders, now: 1_000 + lease })
        await store.requestAction('r1', 'pause', 2_000 + lease)
        const error = await rejection(store.clearAction(fenceOf(run)))
        expect(error).toBeInstanceOf(LeaseLostError)
        expect((await store.getRun('r1'))!.requestedAction).toBe('pause')
      })

      it('makes a dead-lettered run pending again, with its recoveries reset', async () => {
        const run = await claimed('r1', 'w1', 1_000)
        const [taken] = await store.claimRuns({ owner: 'w2', leaseMs: lease, limit: 10, workflows: orders, now: 1_000 + lease })
        await store.updateRun(fenceOf(taken!), { status: 'dead-lettered', statusMessage: 'crashed', finishedAt: 9 })
        const resumed = await store.requestAction('r1', 'resume', 3_000)
        expect(resumed).toMatchObject({ status: 'pending', recoveries: 0 })
        expect(resumed!.statusMessage).toBeUndefined()
        expect(run.epoch).toBe(1)
      })

      it('cancels a dead-lettered run at once; resuming it then changes nothing', async () => {
        await claimed('r1', 'w1', 1_000)
        const [taken] = await store.claimRuns({ owner: 'w2', leaseMs: lease, limit: 10, workflows: orders, now: 1_000 + lease })
        await store.updateRun(fenceOf(taken!), { status: 'dead-lettered', statusMessage: 'crashed', finishedAt: 9 })
        const cancelled = await store.requestAction('r1', 'cancel', 4_000)
        expect(cancelled).toMatchObject({ status: 'cancelled', finishedAt: 4_000, error: { code: 'WEFT_RUN_CANCELLED', message: 'run r1 was cancelled while it was dead-lettered' } })
        expect(cancelled!.requestedAction).toBeUndefined()
        expect(await store.requestAction('r1', 'resume', 5_000)).toMatchObject({ status: 'cancelled', finishedAt: 4_000 })
        expect(await store.claimRuns({ owner: 'w3', leaseMs: lease, limit: 10, workflows: orders, now: 10 * lease })).toEqual([])
      })

      it('answers undefined for an unknown run', async () => {
        expect(await store.requestAction('nope', 'cancel', 1)).toBeUndefined()
      })
    })

    describe('steps', () => {
      it('records a step once: the first write wins', async () => {
        const run = await claimed('r1')
        const first = await store.saveStep(fenceOf(run), step('r1', 'charge', { output: { amount: 1 } }))
        const second = await store.saveStep(fenceOf(run), step('r1', 'charge', { output: { amount: 2 } }))
        expect(first.output).toEqual({ amount: 1 })
        expect(second.output).toEqual({ amount: 1 })
        expect(await store.loadSteps('r1')).toHaveLength(1)
      })

      it('rejects a step written with a stale fence and records nothing', async () => {
        const run = await claimed('r1', 'w1', 1_000)
        await store.claimRuns({ owner: 'w2', leaseMs: lease, limit: 10, workflows: orders, now: 1_000 + lease })
        const error = await rejection(store.saveStep(fenceOf(run), step('r1', 'charge')))
        expect(error).toBeInstanceOf(LeaseLostError)
        expect((error as LeaseLostError).code).toBe('WEFT_LEASE_LOST')
        expect(await store.loadSteps('r1')).toEqual([])
      })

      it('keeps steps of different keys and runs apart', async () => {
        const r1 = await claimed('r1')
        const r2 = await claimed('r2')
        for (const key of ['loop#0', 'loop#1', 'fan[0]', 'agent/llm']) await store.saveStep(fenceOf(r1), step('r1', key))
        await store.saveStep(fenceOf(r2), step('r2', 'loop#0'))
        expect((await store.loadSteps('r1')).map((s) => s.key).sort()).toEqual(['agent/llm', 'fan[0]', 'loop#0', 'loop#1'])
        expect((await store.loadSteps('r2')).map((s) => s.key)).toEqual(['loop#0'])
      })

      it('stores failed and skipped steps with their error', async () => {
        const run = await claimed('r1')
        await store.saveStep(fenceOf(run), step('r1', 'charge', { status: 'failed', output: undefined, error: { name: 'TypeError', message: 'boom', code: 'E1' }, attempts: 3 }))
        await store.saveStep(fenceOf(run), step('r1', 'ship', { status: 'skipped', output: undefined, startedAt: undefined, attempts: 0 }))
        const steps = await store.loadSteps('r1')
        expect(steps.find((s) => s.key === 'charge')).toMatchObject({ status: 'failed', attempts: 3, error: { name: 'TypeError', message: 'boom', code: 'E1' } })
        expect(steps.find((s) => s.key === 'ship')).toMatchObject({ status: 'skipped', attempts: 0 })
      })

      it('keeps every part of an error record: stack, causes and the JSON of a value that was not an Error', async () => {
        const run = await claimed('r1')
        await store.saveStep(fenceOf(run), step('r1', 'charge', { status: 'failed', output: undefined, error: fullError, attempts: 2 }))
        await store.saveStep(fenceOf(run), step('r1', 'poll', { status: 'failed', output: undefined, error: thrownValue, attempts: 1 }))
        await store.updateRun(fenceOf(run), { status: 'failed', finishedAt: 2_000, error: { ...fullError, task: 'charge' } })
        const steps = await store.loadSteps('r1')
        expect(steps.find((s) => s.key === 'charge')!.error).toEqual(fullError)
        expect(steps.find((s) => s.key === 'poll')!.error).toEqual(thrownValue)
        expect((await store.getRun('r1'))!.error).toEqual({ ...fullError, task: 'charge' })
      })

      it("keeps a step's attempt history (errors, interrupted attempts, the omitted count), also for steps written together", async () => {
        const run = await claimed('r1')
        await store.saveStep(fenceOf(run), step('r1', 'charge', { attempts: 6, history }))
        // Written in one turn: stores that batch step writes (PostgreSQL) write these in one statement.
        await Promise.all([
          store.saveStep(fenceOf(run), step('r1', 'fan[0]', { attempts: 6, history })),
          store.saveStep(fenceOf(run), step('r1', 'fan[1]', { status: 'failed', output: undefined, error: thrownValue, attempts: 6, history })),
          store.saveStep(fenceOf(run), step('r1', 'fan[2]')),
        ])
        const steps = await store.loadSteps('r1')
        for (const key of ['charge', 'fan[0]', 'fan[1]']) expect(steps.find((s) => s.key === key)!.history, key).toEqual(history)
        expect(steps.find((s) => s.key === 'fan[2]')!.history).toBeUndefined()
      })

      it("keeps a step's metered usage (tokens, cost), also for steps written together and with the run's end", async () => {
        const run = await claimed('r1')
        const usage = { tokens: 1_234, costUsd: 0.0125 }
        await Promise.all([
          store.saveStep(fenceOf(run), step('r1', 'ask', { usage })),
          store.saveStep(fenceOf(run), step('r1', 'fan[0]', { status: 'failed', output: undefined, error: thrownValue, usage: { tokens: 7, costUsd: 0 } })),
          store.saveStep(fenceOf(run), step('r1', 'fan[1]')),
        ])
        if (store.saveFinalStep !== undefined) await store.saveFinalStep(fenceOf(run), step('r1', 'last', { usage }), { status: 'completed', finishedAt: 3_000 })
        const steps = await store.loadSteps('r1')
        expect(steps.find((s) => s.key === 'ask')!.usage).toEqual(usage)
        expect(steps.find((s) => s.key === 'fan[0]')!.usage).toEqual({ tokens: 7, costUsd: 0 })
        expect(steps.find((s) => s.key === 'fan[1]')!.usage).toBeUndefined()
        if (store.saveFinalStep !== undefined) expect(steps.find((s) => s.key === 'last')!.usage).toEqual(usage)
      })

      it('refuses an output, input or event payload it cannot store, naming it, and records nothing', async () => {
        class Money {
          constructor(readonly cents: number) {}
        }
        const run = await claimed('r1')
        const refused = await rejection(Promise.resolve().then(() => store.saveStep(fenceOf(run), step('r1', 'charge', { output: { total: new Money(5) } }))))
        expect(refused).toBeInstanceOf(SerializationError)
        expect((refused as Error).message).toContain('output of step "charge" of run r1.total')
        expect(await store.loadSteps('r1')).toEqual([])
        const input = await rejection(Promise.resolve().then(() => store.createRun(newRun('r2', { input: { callback: () => 1 } }))))
        expect(input).toBeInstanceOf(SerializationError)
        expect(await store.getRun('r2')).toBeUndefined()
        const payload = await rejection(Promise.resolve().then(() => store.sendEvent({ name: 'paid', runId: 'r1', payload: new Money(1), sentAt: 1 })))
        expect(payload).toBeInstanceOf(SerializationError)
        expect(await store.latestEventId()).toBe(0)
      })

      it('refuses an output over the size limit and records nothing', async () => {
        const run = await claimed('r1')
        const refused = await rejection(Promise.resolve().then(() => store.saveStep(fenceOf(run), step('r1', 'big', { output: 'x'.repeat(3 * 1024 * 1024) }))))
        expect(refused).toBeInstanceOf(PayloadTooLargeError)
        expect(await store.loadSteps('r1')).toEqual([])
      })

      it('gives back copies: changing a value after storing it, or one read back, does not change the record', async () => {
        const input = { items: ['a'] }
        const run = (await store.createRun(newRun('r1', { input, claimBy: { owner: 'w1', leaseMs: lease } }))).run
        input.items.push('changed after createRun')
        const output = { total: 1 }
        await store.saveStep(fenceOf(run), step('r1', 'sum', { output }))
        output.total = 2
        ;((await store.getRun('r1'))!.input as typeof input).items.push('changed after a read')
        ;((await store.loadSteps('r1'))[0]!.output as typeof output).total = 3
        expect((await store.getRun('r1'))!.input).toEqual({ items: ['a'] })
        expect((await store.loadSteps('r1'))[0]!.output).toEqual({ total: 1 })
      })

      it('gives back outputs and inputs with their types', async () => {
        const input = { at: new Date('2026-01-02T03:04:05.678Z'), ids: new Set([1, 2]), big: 12345678901234567890n }
        const run = (await store.createRun(newRun('r1', { input, claimBy: { owner: 'w1', leaseMs: lease } }))).run
        const output = { text: 'héllo ✓', n: 1.5, none: undefined, byKey: new Map([['a', [1, 'two', null]]]), when: new Date(0) }
        await store.saveStep(fenceOf(run), step('r1', 'x', { output }))
        expect((await store.loadSteps('r1'))[0]!.output).toEqual(output)
        const stored = await store.getRun('r1')
        expect(stored!.input).toEqual(input)
        expect((stored!.input as typeof input).at).toBeInstanceOf(Date)
      })
    })

    describe('durable timers', () => {
      it('keeps the first deadline stored under a key', async () => {
        const run = await claimed('r1')
        expect(await store.timer(fenceOf(run), 'nap/sleep#0', 5_000)).toBe(5_000)
        expect(await store.timer(fenceOf(run), 'nap/sleep#0', 9_000)).toBe(5_000)
        expect(await store.timer(fenceOf(run), 'nap/sleep#1', 9_000)).toBe(9_000)
      })

      it('rejects a timer written with a stale fence', async () => {
        const run = await claimed('r1', 'w1', 1_000)
        await store.claimRuns({ owner: 'w2', leaseMs: lease, limit: 10, workflows: orders, now: 1_000 + lease })
        expect(await rejection(store.timer(fenceOf(run), 'k', 1))).toBeInstanceOf(LeaseLostError)
      })
    })

    describe('event inbox', () => {
      it('keeps an event sent to a run until the run takes it, once', async () => {
        const run = await claimed('r1')
        const id = await store.sendEvent({ name: 'approval', runId: 'r1', payload: { ok: true }, sentAt: 100 })
        const [event] = await store.pendingEvents('r1', 'approval', 10_000)
        expect(event).toEqual({ id, name: 'approval', runId: 'r1', payload: { ok: true }, sentAt: 100 })
        expect(await store.takeEvent(fenceOf(run), event!, step('r1', 'wait/wait:approval#0', { output: { ok: true } }))).toBe(true)
        expect(await store.takeEvent(fenceOf(run), event!, step('r1', 'wait/wait:approval#1'))).toBe(false)
        expect(await store.pendingEvents('r1', 'approval', 0)).toEqual([])
        expect((await store.loadSteps('r1')).map((s) => [s.key, s.output])).toEqual([['wait/wait:approval#0', { ok: true }]])
      })

      it('gives an event sent to every run to each run that waits since before it, once each', async () => {
        const a = await claimed('a')
        const b = await claimed('b')
        await store.sendEvent({ name: 'go', payload: 1, sentAt: 50 })
        await store.sendEvent({ name: 'go', payload: 2, sentAt: 200 })
        await store.sendEvent({ name: 'other', payload: 3, sentAt: 200 })
        expect((await store.pendingEvents('a', 'go', 100)).map((e) => e.payload)).toEqual([2])
        const [forA] = await store.pendingEvents('a', 'go', 100)
        expect(await store.takeEvent(fenceOf(a), forA!, step('a', 'w/wait:go#0'))).toBe(true)
        expect(await store.pendingEvents('a', 'go', 100)).toEqual([])
        const [forB] = await store.pendingEvents('b', 'go', 100)
        expect(await store.takeEvent(fenceOf(b), forB!, step('b', 'w/wait:go#0'))).toBe(true)
      })

      it('lists events oldest first', async () => {
        await claimed('r1')
        for (const n of [1, 2, 3]) await store.sendEvent({ name: 'tick', runId: 'r1', payload: n, sentAt: n })
        expect((await store.pendingEvents('r1', 'tick', 0)).map((e) => e.payload)).toEqual([1, 2, 3])
      })

      it('rejects taking an event with a stale fence and leaves the event', async () => {
        const run = await claimed('r1', 'w1', 1_000)
        await store.sendEvent({ name: 'go', runId: 'r1', payload: 1, sentAt: 1 })
        await store.claimRuns({ owner: 'w2', leaseMs: lease, limit: 10, workflows: orders, now: 1_000 + lease })
        const [event] = await store.pendingEvents('r1', 'go', 0)
        expect(await rejection(store.takeEvent(fenceOf(run), event!, step('r1', 'w/wait:go#0')))).toBeInstanceOf(LeaseLostError)
        expect(await store.pendingEvents('r1', 'go', 0)).toHaveLength(1)
      })
    })
  })
}

/** Conformance of the optional `saveFinalStep` (stores that record a run's last step and end in one write). */
export function describeFinalStep(name: string, fixture: StoreFixture): void {
  describe(`WorkflowStore.saveFinalStep: ${name}`, () => {
    let store!: WorkflowStore
    eachTestStore(fixture, (fresh) => (store = fresh))

    it('records the last step and the end of the run together, and frees the lease', async () => {
      const run = (await store.createRun(newRun('r1', { claimBy: { owner: 'w1', leaseMs: lease } }))).run
      const stored = await store.saveFinalStep!(fenceOf(run), step('r1', 'ship', { output: 'shipped' }), { status: 'completed', finishedAt: 3_000 })
      expect(stored.output).toBe('shipped')
      expect(await store.getRun('r1')).toMatchObject({ status: 'completed', finishedAt: 3_000 })
      expect((await store.getRun('r1'))!.leaseOwner).toBeUndefined()
      expect((await store.loadSteps('r1')).map((s) => [s.key, s.output])).toEqual([['ship', 'shipped']])
    })

    it('keeps every part of the error records it writes', async () => {
      const run = (await store.createRun(newRun('r1', { claimBy: { owner: 'w1', leaseMs: lease } }))).run
      await store.saveFinalStep!(fenceOf(run), step('r1', 'ship', { status: 'failed', output: undefined, error: fullError }), { status: 'failed', finishedAt: 3_000, error: { ...fullError, task: 'ship' } })
      expect((await store.loadSteps('r1'))[0]!.error).toEqual(fullError)
      expect((await store.getRun('r1'))!.error).toEqual({ ...fullError, task: 'ship' })
    })

    it("keeps the step's attempt history", async () => {
      const run = (await store.createRun(newRun('r1', { claimBy: { owner: 'w1', leaseMs: lease } }))).run
      await store.saveFinalStep!(fenceOf(run), step('r1', 'ship', { attempts: 6, history }), { status: 'completed', finishedAt: 3_000 })
      expect((await store.loadSteps('r1'))[0]!.history).toEqual(history)
    })

    it('keeps a step recorded before and still ends the run', async () => {
      const run = (await store.createRun(newRun('r1', { claimBy: { owner: 'w1', leaseMs: lease } }))).run
      await store.saveStep(fenceOf(run), step('r1', 'ship', { output: 'first' }))
      const stored = await store.saveFinalStep!(fenceOf(run), step('r1', 'ship', { output: 'second' }), { status: 'completed', finishedAt: 3_000 })
      expect(stored.output).toBe('first')
      expect((await store.getRun('r1'))!.status).toBe('completed')
    })

    it('rejects a stale fence and writes nothing', async () => {
      const run = (await store.createRun(newRun('r1', { claimBy: { owner: 'w1', leaseMs: lease }, createdAt: 1_000 }))).run
      await store.claimRuns({ owner: 'w2', leaseMs: lease, limit: 10, workflows: orders, now: 1_000 + lease })
      const error = await rejection(store.saveFinalStep!(fenceOf(run), step('r1', 'ship'), { status: 'completed', finishedAt: 3_000 }))
      expect(error).toBeInstanceOf(LeaseLostError)
      expect(await store.loadSteps('r1')).toEqual([])
      expect((await store.getRun('r1'))!.status).toBe('running')
    })
  })
}

/** Conformance of the optional `getRunWithSteps` (stores that read a run and its steps in one round trip). */
export function describeRunWithSteps(name: string, fixture: StoreFixture): void {
  describe(`WorkflowStore.getRunWithSteps: ${name}`, () => {
    let store!: WorkflowStore
    eachTestStore(fixture, (fresh) => (store = fresh))

    it('reads an unfinished run without its steps', async () => {
      const run = (await store.createRun(newRun('r1', { claimBy: { owner: 'w1', leaseMs: lease } }))).run
      await store.saveStep(fenceOf(run), step('r1', 'pack'))
      const found = await store.getRunWithSteps!('r1')
      expect(found?.run).toMatchObject({ id: 'r1', status: 'running' })
      expect(found?.steps).toBeUndefined()
      expect(await store.getRunWithSteps!('missing')).toBeUndefined()
    })

    it('reads an ended run with exactly the steps loadSteps returns, outputs revived', async () => {
      const run = (await store.createRun(newRun('r1', { claimBy: { owner: 'w1', leaseMs: lease } }))).run
      const when = new Date('2026-11-28T12:00:00Z')
      await store.saveStep(fenceOf(run), step('r1', 'pack', { output: { when, tags: new Set(['a']), n: 10n } }))
      await store.saveStep(fenceOf(run), step('r1', 'pack#retry', { status: 'failed', output: undefined, error: { name: 'Boom', message: 'no', code: 'E' }, attempts: 6, history }))
      await store.updateRun(fenceOf(run), { status: 'failed', finishedAt: 3_000, error: { name: 'Boom', message: 'no' } })
      const found = await store.getRunWithSteps!('r1')
      expect(found?.run).toMatchObject({ id: 'r1', status: 'failed', finishedAt: 3_000 })
      const byKey = (steps: readonly StepRecord[]) => [...steps].sort((a, b) => (a.key < b.key ? -1 : 1))
      expect(byKey(found!.steps!)).toEqual(byKey(await store.loadSteps('r1')))
      expect(found!.steps!.find((s) => s.key === 'pack')!.output).toEqual({ when, tags: new Set(['a']), n: 10n })
      expect(found!.steps!.find((s) => s.key === 'pack#retry')!.history).toEqual(history)
    })

    it('reads an ended run that has no steps with an empty list', async () => {
      await store.createRun(newRun('r1'))
      await store.requestAction('r1', 'cancel', 2_000)
      expect(await store.getRunWithSteps!('r1')).toMatchObject({ run: { status: 'cancelled' }, steps: [] })
    })
  })
}

/** Conformance of the event feed engines use to wake their waiting tasks. */
export function describeEventFeed(name: string, fixture: StoreFixture): void {
  describe(`WorkflowStore event feed: ${name}`, () => {
    let store!: WorkflowStore
    eachTestStore(fixture, (fresh) => (store = fresh))

    it('lists the events sent after an id, oldest first, without payloads', async () => {
      expect(await store.latestEventId()).toBe(0)
      await store.createRun(newRun('r1'))
      const first = await store.sendEvent({ name: 'a', runId: 'r1', payload: 1, sentAt: 1 })
      const second = await store.sendEvent({ name: 'b', payload: 2, sentAt: 2 })
      const third = await store.sendEvent({ name: 'c', payload: 3, sentAt: 3 })
      expect(await store.latestEventId()).toBe(third)
      expect(await store.eventsAfter(0, 10)).toEqual([
        { id: first, name: 'a', runId: 'r1' },
        { id: second, name: 'b', runId: undefined },
        { id: third, name: 'c', runId: undefined },
      ])
      expect((await store.eventsAfter(first, 1)).map((e) => e.id)).toEqual([second])
      expect(await store.eventsAfter(third, 10)).toEqual([])
    })
  })
}
