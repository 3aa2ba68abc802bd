import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { SerializationError, type RunRecord } from 'weft-sdk'
import type { Fence, NewOutboxEntry, OutboxStore, StepRecord, WorkflowStore } from 'weft-sdk/store'
import type { StoreFixture } from './workflow-store-conformance.js'

/*
 * The durable outbox's store role, run against every store: entries written
 * with their step (atomically, first writer wins, deduplicated by id), claims
 * with leases like runs, settlements fenced by the claim.
 */

const lease = 30_000
const all = ['events', 'mail']

function step(runId: string, key: string, outbox: readonly NewOutboxEntry[] | undefined, extra: Partial<StepRecord> = {}): StepRecord {
  return { runId, key, task: key, status: 'completed', output: { key }, attempts: 1, startedAt: 10, finishedAt: 20, outbox, ...extra }
}

function entry(runId: string, key: string, n: number, adapter = 'events'): NewOutboxEntry {
  return { id: `${runId}:${key}:${adapter}:outbox:${n}`, adapter, payload: { exchange: 'orders', routingKey: 'created', body: { n, at: new Date(5), big: 7n } } }
}

export function describeOutbox(name: string, fixture: StoreFixture): void {
  describe(`OutboxStore conformance: ${name}`, () => {
    let store!: WorkflowStore
    let outbox!: OutboxStore
    let run!: RunRecord
    const fence = (): Fence => ({ runId: run.id, epoch: run.epoch })

    beforeEach(async () => {
      store = await fixture.create()
      await store.init()
      outbox = store.outbox!
      run = (await store.createRun({ id: 'r1', workflow: 'orders', version: 1, input: 1, createdAt: 1, claimBy: { owner: 'w0', leaseMs: lease } })).run
    })
    afterEach(async () => {
      await store.close()
    })

    it('stores the entries of a completed step with it, pending, payloads read back losslessly', async () => {
      await store.saveStep(fence(), step('r1', 'notify', [entry('r1', 'notify', 1), entry('r1', 'notify', 2, 'mail')]))
      const entries = await outbox.listOutbox()
      expect(entries.map((e) => [e.id, e.adapter, e.status, e.attempts, e.stepKey, e.runId])).toEqual([
        ['r1:notify:events:outbox:1', 'events', 'pending', 0, 'notify', 'r1'],
        ['r1:notify:mail:outbox:2', 'mail', 'pending', 0, 'notify', 'r1'],
      ])
      expect(entries[0]!.payload).toEqual({ exchange: 'orders', routingKey: 'created', body: { n: 1, at: new Date(5), big: 7n } })
      expect(await outbox.countOutbox()).toEqual({ pending: 2, delivered: 0, dead: 0 })
    })

    it('keeps one entry per id when the step is written again (a re-run before its checkpoint), and none from a later writer of a stored step', async () => {
      await store.saveStep(fence(), step('r1', 'notify', [entry('r1', 'notify', 1)]))
      // The same step again, first writer wins: its entries are not added, even a new id.
      await store.saveStep(fence(), step('r1', 'notify', [entry('r1', 'notify', 1), entry('r1', 'notify', 9)]))
      expect((await outbox.listOutbox()).map((e) => e.id)).toEqual(['r1:notify:events:outbox:1'])
    })

    it('writes nothing for a step that is refused (a payload that cannot be stored) or fenced out', async () => {
      const bad = { id: 'r1:bad:events:outbox:1', adapter: 'events', payload: { fn: () => 1 } }
      // A store may refuse at once (as it refuses an output) or reject: either way nothing is written.
      await expect(Promise.resolve().then(() => store.saveStep(fence(), step('r1', 'bad', [bad])))).rejects.toBeInstanceOf(SerializationError)
      expect(await store.loadSteps('r1')).toEqual([])
      await expect(store.saveStep({ runId: run.id, epoch: run.epoch + 5 }, step('r1', 'late', [entry('r1', 'late', 1)]))).rejects.toMatchObject({ code: 'WEFT_LEASE_LOST' })
      expect(await outbox.listOutbox()).toEqual([])
    })

    it('records no entry for a step that did not complete', async () => {
      await store.saveStep(fence(), step('r1', 'failed', [entry('r1', 'failed', 1)], { status: 'failed', output: undefined, error: { name: 'Error', message: 'x' } }))
      expect(await outbox.countOutbox()).toEqual({ pending: 0, delivered: 0, dead: 0 })
    })

    it("writes a final step's entries with the run's end", async () => {
      if (store.saveFinalStep === undefined) return
      await store.saveFinalStep(fence(), step('r1', 'last', [entry('r1', 'last', 1)]), { status: 'completed', finishedAt: 30 })
      expect((await store.getRun('r1'))!.status).toBe('completed')
      expect((await outbox.listOutbox()).map((e) => e.id)).toEqual(['r1:last:events:outbox:1'])
    })

    it('claims each entry for one deliverer, oldest first, only of its adapters, and counts the attempt', async () => {
      await store.saveStep(fence(), step('r1', 'a', [entry('r1', 'a', 1), entry('r1', 'a', 2), entry('r1', 'a', 1, 'mail')]))
      const first = await outbox.claimOutbox({ owner: 'w1', leaseMs: lease, limit: 10, adapters: ['events'], now: 100 })
      expect(first.map((e) => [e.id, e.attempts, e.leaseOwner, e.leaseExpiresAt])).toEqual([
        ['r1:a:events:outbox:1', 1, 'w1', 100 + lease],
        ['r1:a:events:outbox:2', 1, 'w1', 100 + lease],
      ])
      expect(await outbox.claimOutbox({ owner: 'w2', leaseMs: lease, limit: 10, adapters: all, now: 100 })).toMatchObject([{ id: 'r1:a:mail:outbox:1' }])
      expect(await outbox.claimOutbox({ owner: 'w2', leaseMs: lease, limit: 10, adapters: all, now: 200 })).toEqual([])
      expect(await outbox.outboxOwners(200)).toEqual(expect.arrayContaining(['w1', 'w2']))
    })

    it('claims only the given ids on the fast path', async () => {
      await store.saveStep(fence(), step('r1', 'a', [entry('r1', 'a', 1), entry('r1', 'a', 2)]))
      const claimed = await outbox.claimOutbox({ owner: 'w1', leaseMs: lease, limit: 10, adapters: all, now: 100, ids: ['r1:a:events:outbox:2'] })
      expect(claimed.map((e) => e.id)).toEqual(['r1:a:events:outbox:2'])
    })

    it('takes over an entry whose lease expired or whose owner is dead; the old claim can no longer settle it', async () => {
      await store.saveStep(fence(), step('r1', 'a', [entry('r1', 'a', 1)]))
      const [mine] = await outbox.claimOutbox({ owner: 'w1', leaseMs: lease, limit: 10, adapters: all, now: 100 })
      expect(await outbox.claimOutbox({ owner: 'w2', leaseMs: lease, limit: 10, adapters: all, now: 100 + lease - 1 })).toEqual([])
      const [dead] = await outbox.claimOutbox({ owner: 'w2', leaseMs: lease, limit: 10, adapters: all, now: 200, deadOwners: ['w1'] })
      expect(dead).toMatchObject({ id: mine!.id, attempts: 2, leaseOwner: 'w2' })
      expect(await outbox.settleOutbox({ id: mine!.id, owner: 'w1', attempts: 1 }, { kind: 'delivered', at: 300 })).toBe(false)
      const [expired] = await outbox.claimOutbox({ owner: 'w3', leaseMs: lease, limit: 10, adapters: all, now: 200 + lease })
      expect(expired).toMatchObject({ attempts: 3, leaseOwner: 'w3' })
      expect(await outbox.settleOutbox({ id: mine!.id, owner: 'w2', attempts: 2 }, { kind: 'delivered', at: 300 })).toBe(false)
      expect(await outbox.settleOutbox({ id: mine!.id, owner: 'w3', attempts: 3 }, { kind: 'delivered', at: 300 })).toBe(true)
      expect((await outbox.listOutbox())[0]).toMatchObject({ status: 'delivered', deliveredAt: 300, leaseOwner: undefined, attempts: 3 })
    })

    it('retries a failed entry after its backoff, and keeps a dead one out of claims', async () => {
      await store.saveStep(fence(), step('r1', 'a', [entry('r1', 'a', 1), entry('r1', 'a', 2)]))
      const [one, two] = await outbox.claimOutbox({ owner: 'w1', leaseMs: lease, limit: 10, adapters: all, now: 100 })
      expect(await outbox.settleOutbox({ id: one!.id, owner: 'w1', attempts: 1 }, { kind: 'retry', at: 110, retryAt: 5_000, error: 'nacked' })).toBe(true)
      expect(await outbox.settleOutbox({ id: two!.id, owner: 'w1', attempts: 1 }, { kind: 'dead', at: 110, error: 'no such exchange' })).toBe(true)
      expect(await outbox.claimOutbox({ owner: 'w1', leaseMs: lease, limit: 10, adapters: all, now: 4_999 })).toEqual([])
      expect((await outbox.claimOutbox({ owner: 'w1', leaseMs: lease, limit: 10, adapters: all, now: 5_000 })).map((e) => [e.id, e.attempts, e.lastError])).toEqual([[one!.id, 2, 'nacked']])
      expect(await outbox.listOutbox({ status: 'dead' })).toMatchObject([{ id: two!.id, status: 'dead', lastError: 'no such exchange' }])
      expect(await outbox.countOutbox()).toEqual({ pending: 1, delivered: 0, dead: 1 })
    })

    it('requeues dead entries (all, or those of the given ids), attempts counted from 0, the last error kept; an old claim still cannot settle them', async () => {
      await store.saveStep(fence(), step('r1', 'a', [entry('r1', 'a', 1), entry('r1', 'a', 2), entry('r1', 'a', 3)]))
      const [one, two, three] = await outbox.claimOutbox({ owner: 'w1', leaseMs: lease, limit: 10, adapters: all, now: 100 })
      await outbox.settleOutbox({ id: one!.id, owner: 'w1', attempts: 1 }, { kind: 'dead', at: 110, error: 'broker down' })
      await outbox.settleOutbox({ id: two!.id, owner: 'w1', attempts: 1 }, { kind: 'dead', at: 110, error: 'broker down' })
      expect(await outbox.requeueOutbox({ ids: [two!.id, three!.id, 'unknown'], now: 500 })).toEqual([two!.id])
      expect((await outbox.listOutbox()).map((e) => [e.id, e.status, e.attempts, e.availableAt, e.leaseOwner, e.lastError])).toEqual([
        [one!.id, 'dead', 1, 20, undefined, 'broker down'],
        [two!.id, 'pending', 0, 500, undefined, 'broker down'],
        [three!.id, 'pending', 1, 20, 'w1', undefined],
      ])
      expect(await outbox.settleOutbox({ id: two!.id, owner: 'w1', attempts: 1 }, { kind: 'delivered', at: 510 })).toBe(false)
      expect(await outbox.claimOutbox({ owner: 'w2', leaseMs: lease, limit: 10, adapters: all, now: 499, ids: [two!.id] })).toEqual([])
      expect(await outbox.claimOutbox({ owner: 'w2', leaseMs: lease, limit: 10, adapters: all, now: 500, ids: [two!.id] })).toMatchObject([{ id: two!.id, attempts: 1, leaseOwner: 'w2' }])
      expect(await outbox.requeueOutbox({ now: 600 })).toEqual([one!.id])
      expect(await outbox.countOutbox()).toEqual({ pending: 3, delivered: 0, dead: 0 })
      expect(await outbox.requeueOutbox({ now: 700 })).toEqual([])
    })

    it('lists by run and limit', async () => {
      await store.createRun({ id: 'r2', workflow: 'orders', version: 1, input: 1, createdAt: 1, claimBy: { owner: 'w0', leaseMs: lease } })
      await store.saveStep(fence(), step('r1', 'a', [entry('r1', 'a', 1), entry('r1', 'a', 2)]))
      await store.saveStep({ runId: 'r2', epoch: 1 }, step('r2', 'a', [entry('r2', 'a', 1)], { runId: 'r2' }))
      expect((await outbox.listOutbox({ runId: 'r2' })).map((e) => e.id)).toEqual(['r2:a:events:outbox:1'])
      expect(await outbox.listOutbox({ limit: 1 })).toHaveLength(1)
    })
  })
}
