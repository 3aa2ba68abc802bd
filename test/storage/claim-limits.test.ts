/**
 * Claims over several workflow versions with a limit below the number of
 * claimable runs: exactly `limit` runs, the oldest across every version (ties
 * by id), whatever order the versions are listed in. Run against every store.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { MemoryWorkflowStore, sqliteStore } from 'weft-sdk'
import type { NewRun, WorkflowStore, WorkflowVersion } from 'weft-sdk/store'
import { postgresStore } from '../../src/postgres.js'
import { createTestDatabase, describePostgres } from '../support/postgres.js'

const lease = 30_000
const v1 = { name: 'orders', version: 1 }
const v2 = { name: 'orders', version: 2 }
const refunds = { name: 'refunds', version: 1 }

function newRun(id: string, workflow: WorkflowVersion, createdAt: number): NewRun {
  return { id, workflow: workflow.name, version: workflow.version, input: { id }, createdAt }
}

function describeClaimLimits(name: string, create: () => Promise<WorkflowStore>): void {
  describe(`claims across workflow versions: ${name}`, () => {
    let store!: WorkflowStore
    beforeEach(async () => {
      store = await create()
      await store.init()
    })
    afterEach(async () => {
      await store.close()
    })

    const claim = (owner: string, limit: number, workflows: readonly WorkflowVersion[]) =>
      store.claimRuns({ owner, leaseMs: lease, limit, workflows, now: 10_000 })

    /** Five claimable runs alternating between two versions, and one of a version nobody claims. */
    async function interleaved(): Promise<void> {
      await store.createRun(newRun('a', v1, 1))
      await store.createRun(newRun('b', v2, 2))
      await store.createRun(newRun('c', v1, 3))
      await store.createRun(newRun('d', v2, 4))
      await store.createRun(newRun('e', v1, 5))
      await store.createRun(newRun('old', { name: 'orders', version: 3 }, 0))
    }

    it('claims exactly the limit, the oldest runs across both versions', async () => {
      await interleaved()
      const first = await claim('w1', 3, [v1, v2])
      expect(first.map((r) => r.id)).toEqual(['a', 'b', 'c'])
      expect(first.every((r) => r.status === 'running' && r.leaseOwner === 'w1' && r.epoch === 1)).toBe(true)
      expect((await store.getRun('d'))!.status).toBe('pending')
      expect((await store.getRun('e'))!.status).toBe('pending')
    })

    it('claims the rest on the next call, then nothing', async () => {
      await interleaved()
      await claim('w1', 3, [v1, v2])
      expect((await claim('w2', 3, [v1, v2])).map((r) => r.id)).toEqual(['d', 'e'])
      expect(await claim('w3', 3, [v1, v2])).toEqual([])
      expect((await store.getRun('old'))!.status).toBe('pending')
    })

    it('does not depend on the order the versions are listed in', async () => {
      await interleaved()
      expect((await claim('w1', 2, [v2, v1])).map((r) => r.id)).toEqual(['a', 'b'])
    })

    it('claims one run with a limit of one, even when every version has candidates', async () => {
      await interleaved()
      await store.createRun(newRun('r', refunds, 6))
      expect((await claim('w1', 1, [refunds, v2, v1])).map((r) => r.id)).toEqual(['a'])
      expect((await store.listRuns({ status: 'running' })).map((r) => r.id)).toEqual(['a'])
    })

    it('counts a version listed twice once', async () => {
      await interleaved()
      expect((await claim('w1', 2, [v1, v1, v2, v1])).map((r) => r.id)).toEqual(['a', 'b'])
      expect((await store.listRuns({ status: 'running' })).map((r) => r.id).sort()).toEqual(['a', 'b'])
    })

    it('breaks ties of creation time by id across versions', async () => {
      await store.createRun(newRun('y', v1, 7))
      await store.createRun(newRun('x', v2, 7))
      await store.createRun(newRun('z', refunds, 7))
      await store.createRun(newRun('w', v1, 8))
      expect((await claim('w1', 2, [v1, v2, refunds])).map((r) => r.id)).toEqual(['x', 'y'])
      expect((await claim('w2', 5, [v1, v2, refunds])).map((r) => r.id)).toEqual(['z', 'w'])
    })

    it('takes the runs of an expired lease and pending runs in one oldest-first order, up to the limit', async () => {
      await store.createRun({ ...newRun('expired', v2, 1), claimBy: { owner: 'gone', leaseMs: 100 } })
      await store.createRun(newRun('p1', v1, 2))
      await store.createRun(newRun('p2', v2, 3))
      await store.createRun(newRun('p3', v1, 4))
      const taken = await claim('w1', 2, [v1, v2])
      expect(taken.map((r) => [r.id, r.recoveries])).toEqual([['expired', 1], ['p1', 0]])
    })
  })
}

const folder = mkdtempSync(join(tmpdir(), 'weft-claims-'))
let files = 0
afterAll(() => rmSync(folder, { recursive: true, force: true }))

describeClaimLimits('memory', async () => new MemoryWorkflowStore())
describeClaimLimits('SQLite (file, WAL)', async () => sqliteStore({ path: join(folder, `store-${files++}.sqlite`) }))
describePostgres('PostgreSQL store', () => {
  describeClaimLimits('PostgreSQL', async () => {
    const database = await createTestDatabase()
    const store = postgresStore({ connectionString: database.url, maxConnections: 4 })
    const close = store.close.bind(store)
    store.close = async () => {
      await close()
      await database.drop()
    }
    return store
  })
})
