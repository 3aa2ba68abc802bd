/**
 * A task throws a value that cannot be turned into a string: an object
 * without a prototype, one whose toString throws, a revoked Proxy. Recording
 * the error used to throw: an async task killed the process (an unhandled
 * rejection), a sync one left the run running with a live lease, its body
 * re-run on every claim, never dead-lettered. Now the run fails once, with a
 * readable record, in a process that ends cleanly.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestStore, readEffects, spawnChild, stopAllChildren, useChildCleanup, useTempDir, type TestStore } from './harness.js'

useChildCleanup()
const tempDir = useTempDir('unprintable')

const cases = ['null-prototype', 'throwing-to-string', 'revoked-proxy'].flatMap((thrown) => (['sync', 'async'] as const).map((style) => ({ thrown, style })))

describe('a task throwing a value that cannot be printed, in a worker process on SQLite', () => {
  let store: TestStore
  beforeAll(async () => {
    store = await createTestStore('sqlite', tempDir(), 'unprintable')
  })
  afterAll(async () => {
    await stopAllChildren()
    await store?.close()
  })

  it.each(cases)('fails the run once and records the failure ($thrown, $style)', async ({ thrown, style }) => {
    const runId = `${thrown}-${style}`
    const effectsFile = join(tempDir(), `${runId}.jsonl`)
    const child = spawnChild('odd-throw-worker.mjs', runId, { ...store.childEnv(runId), START: runId, THROWN: thrown, STYLE: style, EFFECTS_FILE: effectsFile })
    const outcome = await child.waitFor('outcome')
    await child.expectCleanExit()
    expect(outcome.status).toBe('failed')
    expect(outcome.task).toMatchObject({ task: 'odd', status: 'failed', attempts: 1 })
    expect(readEffects(effectsFile)).toHaveLength(1)
    const [row] = await store.query<{ status: string; error: string; lease_owner: string | null }>('select status, error, lease_owner from weft_runs where id = ?', [runId])
    expect(row).toMatchObject({ status: 'failed', lease_owner: null })
    expect(JSON.parse(row!.error)).toMatchObject({ task: 'odd', message: expect.any(String) })
    const [step] = await store.query<{ status: string; error: string }>('select status, error from weft_steps where run_id = ? and key = ?', [runId, 'odd'])
    expect(step!.status).toBe('failed')
  })
})
