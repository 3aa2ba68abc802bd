/**
 * Every attempt of a task is recorded with its step: a task that failed
 * twice before it succeeded keeps both errors, on every store, and the
 * history stays bounded however many attempts a task makes.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import { createEngine, defineWorkflow, MemoryWorkflowStore, sqliteStore } from 'weft-sdk'
import { maxRecordedAttempts, stepAttempts, type AttemptRecord, type StepRecord, type WorkflowStore } from 'weft-sdk/store'
import { testSeed } from '../support/seed.js'

const folder = mkdtempSync(join(tmpdir(), 'weft-attempts-'))
afterAll(() => rmSync(folder, { recursive: true, force: true }))

class RateLimited extends Error {
  override name = 'RateLimited'
  readonly code = 'HTTP_429'
}

/** A workflow whose task `flaky` throws `failures[i]` on attempt i+1, then returns 'ok'. */
function flakyWorkflow(name: string, failures: readonly unknown[], maxAttempts: number) {
  let calls = 0
  const workflow = defineWorkflow({ name, version: 1 })
    .task('flaky', { retry: { maxAttempts, backoff: { initial: 0, max: 0 } } }, () => {
      const failure = failures[calls++]
      if (calls <= failures.length) throw failure
      return 'ok'
    })
    .build()
  return { workflow, calls: () => calls }
}

const stores: [string, () => WorkflowStore][] = [
  ['memory', () => new MemoryWorkflowStore()],
  ['SQLite', () => sqliteStore({ path: join(folder, `${Math.random().toString(36).slice(2)}.sqlite`) })],
]

async function stepOf(store: WorkflowStore, runId: string, key: string): Promise<StepRecord> {
  const step = (await store.loadSteps(runId)).find((s) => s.key === key)
  if (step === undefined) throw new Error(`no step ${key}`)
  return step
}

describe.each(stores)('attempts of a task on the %s store', (_label, openStore) => {
  it('keeps both errors of a task that failed twice (a 429, then a timeout) before it succeeded', async () => {
    const store = openStore()
    const { workflow } = flakyWorkflow('twice', [new RateLimited('429 Too Many Requests'), { status: 504, reason: 'timeout' }], 3)
    const engine = createEngine({ store })
    const run = await engine.start(workflow)
    const outcome = await run.outcome()
    const step = await stepOf(store, run.id, 'flaky')
    expect(step.attempts).toBe(3)
    const attempts = stepAttempts(step)
    expect(attempts.map((a) => [a.attempt, a.outcome])).toEqual([[1, 'failed'], [2, 'failed'], [3, 'completed']])
    expect(attempts[0]!.error).toMatchObject({ name: 'RateLimited', message: '429 Too Many Requests', code: 'HTTP_429', stack: expect.stringContaining('RateLimited') })
    expect(attempts[1]!.error).toMatchObject({ name: 'object', value: '{"status":504,"reason":"timeout"}' })
    for (const a of attempts) expect(a.finishedAt! >= a.startedAt!).toBe(true)
    expect(attempts[1]!.startedAt! >= attempts[0]!.finishedAt!).toBe(true)
    expect(step.history?.omitted).toBe(0)
    // The engine's own summary says the same.
    const summary = outcome.tasks.find((t) => t.task === 'flaky')!
    expect(summary.attempts).toBe(3)
    expect(summary.history?.earlier.map((a) => a.error?.name)).toEqual(['RateLimited', 'object'])
    await engine.close()
    await store.close()
  })

  it('records the last error on the step and the earlier ones in its history when every attempt fails', async () => {
    const store = openStore()
    const { workflow } = flakyWorkflow('always', [new Error('one'), new Error('two'), new Error('three')], 3)
    const engine = createEngine({ store })
    const run = await engine.start(workflow)
    expect((await run.outcome()).status).toBe('failed')
    const step = await stepOf(store, run.id, 'flaky')
    expect(step).toMatchObject({ status: 'failed', attempts: 3, error: { message: 'three' } })
    expect(stepAttempts(step).map((a) => [a.outcome, a.error?.message])).toEqual([
      ['failed', 'one'],
      ['failed', 'two'],
      ['failed', 'three'],
    ])
    await engine.close()
    await store.close()
  })

  it('writes no history for a task that succeeded at its first attempt (the step is its one attempt)', async () => {
    const store = openStore()
    const { workflow } = flakyWorkflow('once', [], 3)
    const engine = createEngine({ store })
    const run = await engine.start(workflow)
    await run.result()
    const step = await stepOf(store, run.id, 'flaky')
    expect(step.history).toBeUndefined()
    expect(stepAttempts(step)).toEqual([{ attempt: 1, outcome: 'completed', startedAt: step.startedAt, finishedAt: step.finishedAt }])
    await engine.close()
    await store.close()
  })
})

describe('the cost of a history', () => {
  it("writes a retried task's attempts with its one checkpoint: no write of their own", async () => {
    const writes: string[] = []
    class CountingStore extends MemoryWorkflowStore {
      override saveStep(...args: Parameters<MemoryWorkflowStore['saveStep']>) {
        writes.push(`saveStep ${args[1].key}`)
        return super.saveStep(...args)
      }
    }
    const store = new CountingStore()
    const { workflow } = flakyWorkflow('one-write', [new Error('one'), new Error('two')], 3)
    const engine = createEngine({ store })
    const run = await engine.start(workflow)
    await run.result()
    // Three attempts, one write (the memory store writes the run's end apart: it has no saveFinalStep).
    expect(writes).toEqual(['saveStep flaky'])
    expect((await stepOf(store, run.id, 'flaky')).history?.earlier).toHaveLength(2)
    await engine.close()
  })
})

describe('the bound of a history', () => {
  it(`keeps the last ${maxRecordedAttempts} failures in full and counts the rest, whatever the number of failures`, async () => {
    const seed = testSeed('test/runtime/attempt-history.test.ts')
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 30 }), async (failures) => {
        const store = new MemoryWorkflowStore()
        const errors = Array.from({ length: failures }, (_, i) => new Error(`failure ${i + 1}`))
        const { workflow, calls } = flakyWorkflow(`bound-${failures}`, errors, failures + 1)
        const engine = createEngine({ store })
        const run = await engine.start(workflow)
        await run.result()
        const step = await stepOf(store, run.id, 'flaky')
        const kept = Math.min(failures, maxRecordedAttempts)
        expect(calls()).toBe(failures + 1)
        expect(step.attempts).toBe(failures + 1)
        expect(step.history?.omitted ?? 0).toBe(failures - kept)
        const attempts: AttemptRecord[] = stepAttempts(step)
        expect(attempts).toHaveLength(kept + 1)
        const expected = errors.slice(failures - kept).map((e, i) => ({ attempt: failures - kept + i + 1, message: e.message }))
        expect(attempts.slice(0, kept).map((a) => ({ attempt: a.attempt, message: a.error?.message }))).toEqual(expected)
        expect(attempts.at(-1)).toMatchObject({ attempt: failures + 1, outcome: 'completed' })
        await engine.close()
      }),
      { seed, numRuns: 25 },
    )
  })
})

describe('attempts of a loop', () => {
  const retry = { maxAttempts: 3, backoff: { initial: 0, max: 0 } }

  /** A loop of two iterations whose body fails `failuresPerIteration[i]` times in iteration i before it returns. */
  function refining(name: string, failuresPerIteration: readonly number[]) {
    const calls: number[] = []
    const workflow = defineWorkflow<number>({ name, version: 1 })
      .loop('refine', { while: (_draft: number, i: number) => i < 2, maxIterations: 2, retry }, (draft: number) => {
        const iteration = draft
        calls.push(iteration)
        const failures = calls.filter((c) => c === iteration).length
        if (failures <= failuresPerIteration[iteration]!) throw new Error(`iteration ${iteration}, call ${failures} failed`)
        return draft + 1
      })
      .build()
    return { workflow, calls }
  }

  it("keeps each iteration's failed attempt on the iteration's own step, and the last iteration's on the task", async () => {
    const store = new MemoryWorkflowStore()
    const { workflow, calls } = refining('refine-each', [1, 1])
    const engine = createEngine({ store })
    const run = await engine.start(workflow, 0)
    expect((await run.outcome()).status).toBe('completed')
    expect(calls).toEqual([0, 0, 1, 1])
    for (const iteration of [0, 1]) {
      const step = await stepOf(store, run.id, `refine#${iteration}`)
      expect(step.attempts).toBe(2)
      expect(stepAttempts(step).map((a) => [a.attempt, a.outcome, a.error?.message])).toEqual([
        [1, 'failed', `iteration ${iteration}, call 1 failed`],
        [2, 'completed', undefined],
      ])
      const [first, second] = stepAttempts(step)
      expect(first!.startedAt! >= step.startedAt! && second!.startedAt! >= first!.finishedAt!).toBe(true)
    }
    const task = await stepOf(store, run.id, 'refine')
    expect(stepAttempts(task).map((a) => [a.attempt, a.outcome, a.error?.message])).toEqual([
      [1, 'failed', 'iteration 1, call 1 failed'],
      [2, 'completed', undefined],
    ])
    await engine.close()
  })

  it("records the failing iteration's attempts on the task's failed step", async () => {
    const store = new MemoryWorkflowStore()
    const { workflow } = refining('refine-fails', [0, 3])
    const engine = createEngine({ store })
    const run = await engine.start(workflow, 0)
    expect((await run.outcome()).status).toBe('failed')
    expect((await stepOf(store, run.id, 'refine#0')).attempts).toBe(1)
    const task = await stepOf(store, run.id, 'refine')
    expect(task).toMatchObject({ status: 'failed', attempts: 3 })
    expect(stepAttempts(task).map((a) => a.error?.message)).toEqual(['iteration 1, call 1 failed', 'iteration 1, call 2 failed', 'iteration 1, call 3 failed'])
    await engine.close()
  })
})
