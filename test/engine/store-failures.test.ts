/**
 * A store that fails under a run is never reported as the run's tasks
 * failing: the run is given up for recovery, and its handle follows the store
 * to the run's real end (or, when the store cannot recover by itself, reports
 * that at once instead of waiting forever).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createEngine, defineWorkflow, MemoryWorkflowStore, sqliteStore, StorageError } from 'weft-sdk'
import type { Fence, RunPatch, StepRecord } from 'weft-sdk/store'
import { flush } from '../support/test-clock.js'

const folder = mkdtempSync(join(tmpdir(), 'weft-store-failures-'))
afterAll(() => rmSync(folder, { recursive: true, force: true }))

/** A memory store whose chosen operations fail a given number of times. */
class FailingStore extends MemoryWorkflowStore {
  stepFailures = new Map<string, number>()
  timerFailures = 0
  finalFailures = 0
  error: () => unknown = () => new StorageError('busy', 'a write failed (busy): SQLITE_BUSY: the database is locked')

  override async saveStep(fence: Fence, step: StepRecord): Promise<StepRecord> {
    const left = this.stepFailures.get(step.key) ?? 0
    if (left > 0) {
      this.stepFailures.set(step.key, left - 1)
      throw this.error()
    }
    return super.saveStep(fence, step)
  }

  override async timer(fence: Fence, key: string, wakeAt: number): Promise<number> {
    if (this.timerFailures-- > 0) throw this.error()
    return super.timer(fence, key, wakeAt)
  }

  override async updateRun(fence: Fence, patch: RunPatch): Promise<void> {
    if (patch.finishedAt !== undefined && this.finalFailures-- > 0) throw this.error()
    return super.updateRun(fence, patch)
  }
}

const fastRecovery = { leaseDuration: '150 ms', heartbeatInterval: '50 ms', claimInterval: '30 ms', pollInterval: '10 ms' } as const

describe('a store failing inside ctx.step, ctx.sleep or the final write', () => {
  it('gives the run up when a ctx.step write fails, and the handle follows it to its completion', async () => {
    const store = new FailingStore()
    store.stepFailures.set('agent/call', 1)
    const calls: string[] = []
    const workflow = defineWorkflow({ name: 'step-write-fails', version: 1 })
      .task('agent', async (_input, ctx) => `answer: ${await ctx.step('call', () => (calls.push('call'), 42))}`)
      .build()
    const engine = createEngine({ store, workflows: [workflow], ...fastRecovery })
    const run = await engine.start(workflow)
    const outcome = await run.outcome()
    expect(outcome.status).toBe('completed')
    expect(outcome.outputs).toEqual({ agent: 'answer: 42' })
    expect(calls).toEqual(['call', 'call'])
    expect(await store.getRun(run.id)).toMatchObject({ status: 'completed', recoveries: 1 })
    await engine.close()
  })

  it('frees the engine-wide task slots of a run it gives up: under a limit of one task, the recovery and another run still run', async () => {
    const store = new FailingStore()
    store.stepFailures.set('agent/call', 1)
    const workflow = defineWorkflow({ name: 'slot-after-give-up', version: 1 })
      .task('agent', async (_input, ctx) => `answer: ${await ctx.step('call', () => 42)}`)
      .build()
    const quick = defineWorkflow({ name: 'quick-after-give-up', version: 1 }).task('go', () => 'done').build()
    const engine = createEngine({ store, workflows: [workflow, quick], maxConcurrentTasks: 1, ...fastRecovery })
    const run = await engine.start(workflow)
    const other = await engine.start(quick)
    expect((await other.result()).output('go')).toBe('done')
    expect((await run.outcome()).outputs).toEqual({ agent: 'answer: 42' })
    expect(engine.stats().tasks).toMatchObject({ running: 0, retrying: 0 })
    await engine.close()
  })

  it('ends a drain as soon as the run it waits for is given up (a store failure during shutdown)', async () => {
    const store = new FailingStore()
    Object.defineProperty(store, 'durable', { value: true })
    store.stepFailures.set('agent/call', 1)
    let release: () => void = () => {}
    const held = new Promise<void>((resolve) => (release = resolve))
    const workflow = defineWorkflow({ name: 'give-up-while-draining', version: 1 })
      .task('agent', async (_input, ctx) => {
        await held
        return ctx.step('call', () => 42)
      })
      .build()
    const engine = createEngine({ store, workflows: [workflow], ...fastRecovery })
    const run = await engine.start(workflow)
    await flush()
    // A drain of an hour: close() returns within the test's time only if the given-up run ends it.
    const closed = engine.close({ drain: '1 h' })
    await flush(20)
    release()
    await closed
    // Given up, not finished: the store keeps it for the next worker (this handle would wait for that).
    expect(await store.getRun(run.id)).toMatchObject({ status: 'running', recoveries: 0 })
  })

  it('gives the run up when a ctx.sleep timer write fails, and the handle follows it to its completion', async () => {
    const store = new FailingStore()
    store.timerFailures = 1
    const workflow = defineWorkflow({ name: 'timer-write-fails', version: 1 })
      .task('nap', async (_input, ctx) => {
        await ctx.sleep(1)
        return 'rested'
      })
      .build()
    const engine = createEngine({ store, workflows: [workflow], ...fastRecovery })
    const run = await engine.start(workflow)
    expect((await run.result()).output('nap')).toBe('rested')
    expect(await store.getRun(run.id)).toMatchObject({ status: 'completed', recoveries: 1 })
    await engine.close()
  })

  it('does not report an end the store did not record: a failed final write is recovered, and the handle sees the recorded end', async () => {
    const store = new FailingStore()
    store.finalFailures = 1
    const workflow = defineWorkflow({ name: 'final-write-fails', version: 1 })
      .task('a', () => 1)
      .task('b', { dependsOn: ['a'] }, () => {
        throw new Error('declined')
      })
      .build()
    const engine = createEngine({ store, workflows: [workflow], ...fastRecovery })
    const run = await engine.start(workflow)
    const outcome = await run.outcome()
    expect(outcome.status).toBe('failed')
    expect(await store.getRun(run.id)).toMatchObject({ status: 'failed', recoveries: 1, error: { name: 'Error', message: 'declined', task: 'b' } })
    expect(outcome.error?.message).toBe(`run ${run.id} of workflow "final-write-fails" failed in task "b": declined`)
    await engine.close()
  })

  it('reports a store failure that will not pass by itself at once, with the run left for recovery', async () => {
    const store = new FailingStore()
    store.stepFailures.set('agent/call', 1)
    store.error = () => new StorageError('disk-full', 'a write failed (disk-full): SQLITE_FULL: the disk is full')
    const workflow = defineWorkflow({ name: 'disk-full', version: 1 })
      .task('agent', (_input, ctx) => ctx.step('call', () => 42))
      .build()
    // A lease longer than the test: the handle must not wait for a recovery.
    const engine = createEngine({ store, workflows: [workflow], leaseDuration: '1 h' })
    const run = await engine.start(workflow)
    const error = await run.result().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(StorageError)
    expect(error).toMatchObject({ code: 'WEFT_STORAGE', reason: 'disk-full', isRetryable: false })
    expect((await run.outcome()).status).toBe('abandoned')
    expect(await store.getRun(run.id)).toMatchObject({ status: 'running' })
    await engine.close()
  })

  it('lets a run whose start was under way when close() began launch and finish before close() returns', async () => {
    const path = join(folder, 'close-during-start.sqlite')
    const store = sqliteStore({ path })
    // The run is being created (a slow database) while the engine closes, and the application closes the store next.
    const createRun = store.createRun.bind(store)
    store.createRun = async (run) => {
      await new Promise((resolve) => setTimeout(resolve, 50))
      return createRun(run)
    }
    const engine = createEngine({ store })
    const workflow = defineWorkflow({ name: 'close-during-start', version: 1 })
      .task('work', (_input, ctx) => ctx.step('inner', () => 'done'))
      .build()
    await engine.ready
    const starting = engine.start(workflow)
    await engine.close()
    await store.close()
    const run = await starting
    const outcome = await run.outcome()
    expect(outcome.status).toBe('completed')
    expect(outcome.outputs).toEqual({ work: 'done' })
    const reopened = sqliteStore({ path })
    await reopened.init()
    expect(await reopened.getRun(run.id)).toMatchObject({ status: 'completed' })
    await reopened.close()
  })
})
