/**
 * Another process holds SQLite's write lock longer than the store waits for
 * it (`maxBusyWaitMs`) just as a task records a sub-step. The write fails
 * with a busy StorageError: that used to fail the task and the handle said
 * `failed` while the database said `running` (a later process completed the
 * run, and the two outcomes disagreed). Now the run is given up for
 * recovery, this engine resumes it once the lock is free and its lease has
 * ended, and the handle reports the end the database records.
 */
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createEngine, defineWorkflow, sqliteStore } from 'weft-sdk'
import { spawnChild, stopAllChildren, useChildCleanup, useTempDir } from './harness.js'

useChildCleanup()
const tempDir = useTempDir('lock-held')
afterAll(stopAllChildren)

describe('a write lock held past maxBusyWaitMs while a task records a sub-step', () => {
  it('gives the run up instead of failing it; it is resumed once the lock is free, and the handle sees the recorded end', async () => {
    const path = join(tempDir(), 'lock-held.sqlite')
    const store = sqliteStore({ path, busyTimeoutMs: 20, maxBusyWaitMs: 150 })
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    let inStep!: () => void
    const entered = new Promise<void>((resolve) => (inStep = resolve))
    const calls: number[] = []
    const workflow = defineWorkflow({ name: 'locked-out', version: 1 })
      .task('agent', async (_input, ctx) => {
        const answer = await ctx.step('call', async () => {
          calls.push(ctx.attempt)
          inStep()
          await gate
          return 42
        })
        return `answer: ${answer}`
      })
      .build()
    // Lease renewals and claims meet the lock too: they report it and try again later.
    const background: unknown[] = []
    const engine = createEngine({
      store,
      workflows: [workflow],
      leaseDuration: '600 ms',
      heartbeatInterval: '100 ms',
      claimInterval: '50 ms',
      pollInterval: '20 ms',
      onBackgroundError: (error) => background.push(error),
    })
    const run = await engine.start(workflow)
    await entered
    // Another process takes the write lock for 1.2 s, once.
    const hog = spawnChild('lock-hog.mjs', 'hog', { WEFT_STORE_LOCATION: path, HOLD_MS: 1_200, GAP_MS: 60_000 })
    await hog.waitFor('ready')
    await new Promise((resolve) => setTimeout(resolve, 50))
    release()
    const outcome = await run.outcome()
    expect(outcome.status).toBe('completed')
    expect(outcome.outputs).toEqual({ agent: 'answer: 42' })
    expect(await store.getRun(run.id)).toMatchObject({ status: 'completed', recoveries: 1 })
    expect(calls).toHaveLength(2)
    expect(background.length).toBeGreaterThan(0)
    expect(background.every((error) => (error as { reason?: string }).reason === 'busy')).toBe(true)
    hog.send('stop')
    await engine.close()
    await store.close()
  })
})
