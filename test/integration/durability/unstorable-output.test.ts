/**
 * A task whose output the store cannot keep (a function, or over the size
 * limit) fails with the typed error, records no output, and leaves its worker
 * running. It used to throw out of the checkpoint code as an uncaught
 * exception: the worker process died, and every worker that recovered the
 * run died the same way until it was dead-lettered.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { describePostgres } from '../../support/postgres.js'
import { createTestStore, readEffects, spawnChild, stopAllChildren, useChildCleanup, useTempDir, type Child, type Marker, type StoreKind, type TestStore } from './harness.js'

useChildCleanup()
const tempDir = useTempDir('unstorable')

function unstorableOutput(kind: StoreKind): void {
  let store: TestStore
  let effectsFile: string
  let worker: Child
  let outcomes: Marker[] = []

  beforeAll(async () => {
    store = await createTestStore(kind, tempDir(), `unstorable-${kind}`)
    effectsFile = join(tempDir(), `unstorable-${kind}-effects.jsonl`)
    worker = spawnChild('output-worker.mjs', `output-${kind}`, { ...store.childEnv(`output-${kind}`), EFFECTS_FILE: effectsFile, MAX_BYTES: 4_096 })
    await worker.expectCleanExit()
    outcomes = worker.all('outcome')
  })
  afterAll(async () => {
    await stopAllChildren()
    await store?.close()
  })

  /** The step rows of a run: the failure is recorded, the output never is. */
  const steps = (runId: string) => store.query<{ key: string; status: string; output: string | null; error: string }>('select key, status, output, error from weft_steps where run_id = ?', [runId])

  it('fails a task returning a function with SerializationError, records the failure without output, and never runs its dependent', async () => {
    expect(outcomes[0]).toMatchObject({ runId: 'unstorable-function', status: 'failed', cause: { name: 'SerializationError', code: 'WEFT_SERIALIZATION' } })
    const [make, ...others] = await steps('unstorable-function')
    expect(others).toEqual([])
    expect(make).toMatchObject({ key: 'make', status: 'failed', output: null })
    expect(JSON.parse(make!.error)).toMatchObject({ name: 'SerializationError', code: 'WEFT_SERIALIZATION' })
    expect((await store.run('unstorable-function'))!.status).toBe('failed')
    expect(readEffects(effectsFile).filter((e) => e.runId === 'unstorable-function').map((e) => e.step)).toEqual(['make'])
  })

  it('fails a task returning more than the size limit with PayloadTooLargeError, and records the failure without output', async () => {
    expect(outcomes[1]).toMatchObject({ runId: 'unstorable-large', status: 'failed', cause: { name: 'PayloadTooLargeError', code: 'WEFT_PAYLOAD_TOO_LARGE' } })
    expect(await steps('unstorable-large')).toMatchObject([{ key: 'make', status: 'failed', output: null }])
  })

  it('keeps the worker alive and working: it runs the next run and exits normally', () => {
    expect(outcomes[2]).toMatchObject({ runId: 'fine', status: 'completed', outputs: { ok: 'ok' } })
    expect(worker.all('uncaught')).toEqual([])
  })
}

describe('a task output the store cannot keep, on SQLite', () => {
  unstorableOutput('sqlite')
})

describePostgres('a task output the store cannot keep, on PostgreSQL', () => {
  unstorableOutput('postgres')
})
