/**
 * Starting a run again under its id with the same input returns that run,
 * whatever form the stored input reads back in: the comparison is a keyed
 * digest of the canonical serialized input, stored with the run.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEngine, defineWorkflow, MemoryWorkflowStore, RunConflictError, SerializationError, sqliteStore } from 'weft-sdk'
import { inputDigest, type WorkflowStore } from 'weft-sdk/store'

import { postgresStore } from '../../src/postgres.js'
import { createTestDatabase, postgresSkipReason, type TestDatabase } from '../support/postgres.js'

const folder = mkdtempSync(join(tmpdir(), 'weft-idempotent-'))
afterAll(() => rmSync(folder, { recursive: true, force: true }))

function nullPrototype(): Record<string, unknown> {
  const value = Object.create(null) as Record<string, unknown>
  value.a = 1
  return value
}

// eslint-disable-next-line no-sparse-arrays
const sameInputs: [string, () => unknown][] = [
  ['an invalid Date', () => ({ at: new Date(Number.NaN) })],
  ['a sparse array', () => [1, , 3]],
  ['a null-prototype object', () => nullPrototype()],
  ['a Buffer', () => ({ bytes: Buffer.from('weft-sdk') })],
  ['a Map and a Set', () => ({ m: new Map([[1, new Set(['x'])]]) })],
  ['keys in another order', () => ({ b: 2, a: 1 })],
]

const stores: [string, () => WorkflowStore][] = [
  ['memory', () => new MemoryWorkflowStore()],
  ['SQLite', () => sqliteStore({ path: join(folder, `${Math.random().toString(36).slice(2)}.sqlite`) })],
]

let pgDatabase: TestDatabase | undefined
afterAll(() => pgDatabase?.drop())
if (postgresSkipReason() === null) {
  stores.push(['PostgreSQL', () => postgresStore({ connectionString: pgDatabase!.url, maxConnections: 2 })])
  beforeAll(async () => {
    pgDatabase = await createTestDatabase()
  })
}

describe.each(stores)('idempotent start on the %s store', (_name, makeStore) => {
  const workflow = defineWorkflow<unknown>({ name: 'echo', version: 1 })
    .task('echo', () => 'done')
    .build()

  it.each(sameInputs)('returns the existing run for the same input holding %s', async (_what, make) => {
    const store = makeStore()
    const engine = createEngine({ store, workflows: [workflow] })
    const runId = `order-${Math.random().toString(36).slice(2)}`
    const first = await engine.start(workflow, make(), { runId })
    await first.result()
    const again = await engine.start(workflow, make(), { runId })
    expect(again.id).toBe(runId)
    expect((await again.result()).output('echo')).toBe('done')
    await engine.close()
    await store.close()
  })

  it('still refuses another input under the same id', async () => {
    const store = makeStore()
    const engine = createEngine({ store, workflows: [workflow] })
    const runId = `order-${Math.random().toString(36).slice(2)}`
    await (await engine.start(workflow, { at: new Date(0) }, { runId })).result()
    const error = await engine.start(workflow, { at: new Date(1) }, { runId }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RunConflictError)
    expect(error).toMatchObject({ code: 'WEFT_RUN_CONFLICT', conflict: 'input' })
    await engine.close()
    await store.close()
  })
})

describe('the input digest', () => {
  it('is the same for inputs that store alike and differs for others', () => {
    expect(inputDigest({ a: 1, b: [undefined] })).toBe(inputDigest({ b: [,], a: 1 }))
    expect(inputDigest(new Uint8Array([1, 2]))).toBe(inputDigest(Buffer.from([1, 2])))
    expect(inputDigest({ a: 1 })).not.toBe(inputDigest({ a: '1' }))
    expect(inputDigest(new Map([['a', 1]]))).not.toBe(inputDigest({ a: 1 }))
    expect(inputDigest({ a: 1 })).toMatch(/^v1:[0-9a-f]{64}$/)
  })

  it('refuses an input that cannot be serialized on the memory store, as the durable stores do', async () => {
    class Order {
      constructor(readonly id: string) {}
    }
    const engine = createEngine({ store: new MemoryWorkflowStore() })
    const workflow = defineWorkflow<unknown>({ name: 'by-value', version: 1 }).task('t', () => 1).build()
    await expect(engine.start(workflow, { order: new Order('o-1') }, { runId: 'same' })).rejects.toBeInstanceOf(SerializationError)
    expect(await engine.listRuns()).toEqual([])
    await engine.close()
  })

  it("lets a run of a memory store without serialization, whose input cannot be serialized, be started again under its id", async () => {
    class Order {
      constructor(readonly id: string) {}
    }
    const input = { order: new Order('o-1') }
    const engine = createEngine({ store: new MemoryWorkflowStore({ serialization: 'off' }) })
    const workflow = defineWorkflow<unknown>({ name: 'by-reference', version: 1 }).task('t', () => 1).build()
    const first = await engine.start(workflow, input, { runId: 'same' })
    await first.result()
    expect((await engine.start(workflow, input, { runId: 'same' })).id).toBe('same')
    await engine.close()
  })

  it('is keyed: another key gives another digest', () => {
    expect(inputDigest({ a: 1 }, 'key one')).not.toBe(inputDigest({ a: 1 }, 'key two'))
  })
})
