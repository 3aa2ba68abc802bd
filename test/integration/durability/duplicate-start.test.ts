/**
 * Starting the same run id many times at once, from two processes, creates
 * one run and executes it once; every start gets a handle on that run. The
 * same id with another input is a RunConflictError.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEngine, defineWorkflow, RunConflictError, type Engine } from 'weft-sdk'
import { describePostgres } from '../../support/postgres.js'
import { createTestStore, readEffects, spawnChild, stopAllChildren, useChildCleanup, useTempDir, type Marker, type StoreKind, type TestStore } from './harness.js'

useChildCleanup()
const tempDir = useTempDir('duplicate-start')

/** The same workflow (name and version) as the children's; this process never executes it. */
const Once = defineWorkflow<{ amount: number; placedAt: Date; tags: Map<string, boolean> }>({ name: 'once', version: 1 })
  .task('only', (input) => ({ amount: input.amount, tags: [...input.tags.keys()], executedBy: 0 }))
  .build()

function duplicateStarts(kind: StoreKind): void {
  let store: TestStore
  let effectsFile: string
  let results: Marker[] = []
  let client: Engine
  const runId = `${kind}-order-1`

  beforeAll(async () => {
    store = await createTestStore(kind, tempDir(), `duplicate-${kind}`)
    effectsFile = join(tempDir(), `duplicate-${kind}-effects.jsonl`)
    const children = ['one', 'two'].map((name) =>
      spawnChild('start-worker.mjs', `start-${kind}-${name}`, { ...store.childEnv(`start-${kind}-${name}`), EFFECTS_FILE: effectsFile, RUN_ID: runId, INPUT_AMOUNT: 42, STARTS: 5, POLL_MS: 50 }),
    )
    await Promise.all(children.map((child) => child.waitFor('ready')))
    for (const child of children) child.send('go')
    results = await Promise.all(children.map((child) => child.waitFor('results')))
    await Promise.all(children.map((child) => child.expectCleanExit()))
    client = createEngine({ store: await store.store(), claimRuns: false })
  }, 60_000)

  afterAll(async () => {
    await stopAllChildren()
    await client?.close()
    await store?.close()
  })

  it('creates exactly one run and executes its task once for 10 concurrent starts from two processes', async () => {
    expect(await store.query('select id from weft_runs')).toEqual([{ id: runId }])
    expect((await store.run(runId))!.status).toBe('completed')
    expect(readEffects(effectsFile).map((e) => `${e.runId}/${e.step}`)).toEqual([`${runId}/only`])
  })

  it('gives every one of the 10 starts a handle on that run, with the one execution\'s output', () => {
    const all = results.flatMap((m) => m.results as { id?: string; output?: { executedBy: number }; error?: unknown }[])
    expect(all).toHaveLength(10)
    const executor = readEffects(effectsFile)[0]!.pid
    for (const result of all) expect(result).toEqual({ id: runId, output: { amount: 42, tags: ['rush'], executedBy: executor } })
  })

  it('answers a start with the same id and the same input with the existing run, without a new execution', async () => {
    const again = await client.start(Once, { amount: 42, placedAt: new Date(Date.UTC(2026, 0, 2)), tags: new Map([['rush', true]]) }, { runId })
    expect(again.id).toBe(runId)
    expect((await again.result()).output('only').amount).toBe(42)
    expect(readEffects(effectsFile)).toHaveLength(1)
  })

  it('rejects the same id with a different input with RunConflictError (WEFT_RUN_CONFLICT), writing nothing', async () => {
    const before = await store.query('select * from weft_runs')
    const error = await client.start(Once, { amount: 43, placedAt: new Date(Date.UTC(2026, 0, 2)), tags: new Map([['rush', true]]) }, { runId }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RunConflictError)
    expect(error).toMatchObject({ code: 'WEFT_RUN_CONFLICT', conflict: 'input', runId })
    expect(await store.query('select * from weft_runs')).toEqual(before)
  })
}

describe('duplicate start of one run id on SQLite', () => {
  duplicateStarts('sqlite')
})

describePostgres('duplicate start of one run id on PostgreSQL', () => {
  duplicateStarts('postgres')
})
