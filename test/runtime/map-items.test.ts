/**
 * `ctx.map` items with their own policies: each item has its own retry,
 * timeout, attempts (recorded on its step), idempotency key and signal; a
 * failing item does not stop its siblings unless `failFast`; settled mode
 * returns failures as values and checkpoints them.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  createEngine,
  defineWorkflow,
  InvalidOptionsError,
  MapItemsFailedError,
  MemoryWorkflowStore,
  RunFailedError,
  sqliteStore,
  TaskTimeoutError,
  type MapItemResult,
} from 'weft-sdk'
import { stepAttempts } from 'weft-sdk/store'
import { flush, virtualTime } from '../support/test-clock.js'

const folder = mkdtempSync(join(tmpdir(), 'weft-map-items-'))
afterAll(() => rmSync(folder, { recursive: true, force: true }))

const noDelay = { initial: 0, max: 0 }

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  const error = await promise.then(() => undefined, (e: unknown) => e)
  return error instanceof RunFailedError ? error.cause : error
}

describe('ctx.map items with their own retry', () => {
  it('costs 5 calls plus the retries of the one flaky item, for five sub-questions', async () => {
    const calls: string[] = []
    const questions = ['q0', 'q1', 'q2', 'q3', 'q4']
    const workflow = defineWorkflow<string[]>({ name: 'research', version: 1 })
      .task('answer', (qs, ctx) =>
        ctx.map(
          qs,
          async (q) => {
            calls.push(q)
            // q2 is rate limited twice before it answers.
            if (q === 'q2' && calls.filter((c) => c === 'q2').length <= 2) throw Object.assign(new Error('429 Too Many Requests'), { code: 'HTTP_429' })
            return q.toUpperCase()
          },
          { retry: { maxAttempts: 3, backoff: noDelay } },
        ),
      )
      .build()
    const store = new MemoryWorkflowStore()
    const engine = createEngine({ store })
    const result = await engine.run(workflow, questions)
    expect(result.output('answer')).toEqual(['Q0', 'Q1', 'Q2', 'Q3', 'Q4'])
    expect(calls).toHaveLength(5 + 2)
    expect(calls.filter((q) => q !== 'q2')).toEqual(['q0', 'q1', 'q3', 'q4'])
    // The item's attempts are on its own step; the task made one attempt.
    const steps = await store.loadSteps(result.runId)
    const flaky = steps.find((s) => s.key === 'answer[2]')!
    expect(flaky.attempts).toBe(3)
    expect(stepAttempts(flaky).map((a) => [a.outcome, a.error?.code])).toEqual([
      ['failed', 'HTTP_429'],
      ['failed', 'HTTP_429'],
      ['completed', undefined],
    ])
    expect(steps.find((s) => s.key === 'answer')!.attempts).toBe(1)
    expect(steps.find((s) => s.key === 'answer[0]')).toMatchObject({ attempts: 1, history: undefined })
    await engine.close()
  })

  it('gives each item an idempotency key of its own, the same for each of its attempts', async () => {
    const seen: [number, number, string][] = []
    const workflow = defineWorkflow({ name: 'keys', version: 1 })
      .task('fan', async (_input, ctx) => {
        await ctx.map([0, 1], (_x, i, _signal, item) => {
          seen.push([i, item.attempt, item.idempotencyKey])
          if (i === 1 && item.attempt === 1) throw new Error('once')
        }, { retry: { maxAttempts: 2, backoff: noDelay } })
        await ctx.map(['a'], (_x, i, _signal, item) => void seen.push([i, item.attempt, item.idempotencyKey]), { name: 'named' })
      })
      .build()
    const engine = createEngine({ store: new MemoryWorkflowStore() })
    const run = await engine.start(workflow)
    await run.result()
    expect(seen).toEqual([
      [0, 1, `${run.id}:fan[0]`],
      [1, 1, `${run.id}:fan[1]`],
      [1, 2, `${run.id}:fan[1]`],
      [0, 1, `${run.id}:fan/named[0]`],
    ])
    await engine.close()
  })

  it("times out an item's attempt on the engine clock: its signal fires, and its retry runs", async () => {
    const time = virtualTime()
    const aborted: boolean[] = []
    const workflow = defineWorkflow({ name: 'slow-item', version: 1 })
      .task('fan', (_input, ctx) =>
        ctx.map(['slow', 'quick'], (x, _i, signal, item) => {
          if (x === 'quick' || item.attempt === 2) return x
          return new Promise<string>((_resolve, reject) => signal.addEventListener('abort', () => (aborted.push(signal.aborted), reject(signal.reason))))
        }, { timeout: '1 s', retry: { maxAttempts: 2, backoff: noDelay } }),
      )
      .build()
    const store = new MemoryWorkflowStore()
    const engine = createEngine({ store, clock: time.clock })
    const run = await engine.start(workflow)
    await flush()
    await time.advance(1_000)
    expect((await run.result()).output('fan')).toEqual(['slow', 'quick'])
    expect(aborted).toEqual([true])
    const slow = (await store.loadSteps(run.id)).find((s) => s.key === 'fan[0]')!
    expect(stepAttempts(slow).map((a) => [a.outcome, a.error?.name])).toEqual([
      ['failed', 'TaskTimeoutError'],
      ['completed', undefined],
    ])
    await engine.close()
  })
})

describe('a failing ctx.map item', () => {
  it('lets its siblings finish, then fails the map with MapItemsFailedError carrying every failure', async () => {
    const finished: number[] = []
    const abortedSiblings: number[] = []
    const workflow = defineWorkflow({ name: 'siblings', version: 1 })
      .task('fan', (_input, ctx) =>
        ctx.map([0, 1, 2, 3], async (n, _i, signal) => {
          signal.addEventListener('abort', () => abortedSiblings.push(n))
          await flush(2)
          if (n === 1 || n === 3) throw new Error(`item ${n} broke`)
          finished.push(n)
          return n
        }),
      )
      .build()
    const store = new MemoryWorkflowStore()
    const engine = createEngine({ store })
    const run = await engine.start(workflow)
    const error = await failureOf(run.result())
    expect(error).toBeInstanceOf(MapItemsFailedError)
    const failed = error as MapItemsFailedError
    expect(failed.code).toBe('WEFT_MAP_ITEMS_FAILED')
    expect(failed.failures.map((f) => [f.index, f.key, f.attempts, (f.error as Error).message])).toEqual([
      [1, 'fan[1]', 1, 'item 1 broke'],
      [3, 'fan[3]', 1, 'item 3 broke'],
    ])
    expect(failed.message).toBe(
      `task "fan": 2 of 4 ctx.map items failed (items 1, 3); item 1 after 1 attempt: item 1 broke; give the map a retry policy, or pass mode: 'settled' to get each item's failure as a value`,
    )
    expect(finished.sort()).toEqual([0, 2])
    expect(abortedSiblings.filter((n) => n === 0 || n === 2)).toEqual([])
    // The siblings are checkpointed (a retry of the task runs only the failed items); the failed items are written
    // with their attempts once the task has failed for good.
    const steps = await store.loadSteps(run.id)
    expect(steps.map((s) => [s.key, s.status]).sort()).toEqual([['fan', 'failed'], ['fan[0]', 'completed'], ['fan[1]', 'failed'], ['fan[2]', 'completed'], ['fan[3]', 'failed']])
    expect(steps.find((s) => s.key === 'fan[1]')).toMatchObject({ attempts: 1, error: { message: 'item 1 broke' } })
    const taskError = (await store.loadSteps(run.id)).find((s) => s.key === 'fan')!.error!
    expect(taskError).toMatchObject({ name: 'MapItemsFailedError', code: 'WEFT_MAP_ITEMS_FAILED', errors: [{ message: 'item 1 broke' }, { message: 'item 3 broke' }] })
    await engine.close()
  })

  it("keeps an item's failed attempts of the task's earlier attempt on its step when a task retry completes it", async () => {
    let calls = 0
    const workflow = defineWorkflow({ name: 'item-across-retries', version: 1 })
      .task('fan', { retry: { maxAttempts: 2, backoff: noDelay } }, (_input, ctx) =>
        ctx.map([0, 1], (n) => {
          if (n === 1 && ++calls <= 2) throw new Error(`item 1 failed (${calls})`)
          return n
        }, { retry: { maxAttempts: 2, backoff: noDelay } }),
      )
      .build()
    const store = new MemoryWorkflowStore()
    const engine = createEngine({ store })
    const result = await engine.run(workflow)
    expect(result.output('fan')).toEqual([0, 1])
    const item = (await store.loadSteps(result.runId)).find((s) => s.key === 'fan[1]')!
    expect(item).toMatchObject({ status: 'completed', attempts: 3 })
    expect(stepAttempts(item).map((a) => [a.attempt, a.outcome, a.error?.message])).toEqual([
      [1, 'failed', 'item 1 failed (1)'],
      [2, 'failed', 'item 1 failed (2)'],
      [3, 'completed', undefined],
    ])
    await engine.close()
  })

  it("writes a failed item with its attempts when its task fails for good, and stores its last error as the item's", async () => {
    const workflow = defineWorkflow({ name: 'item-failed-for-good', version: 1 })
      .task('fan', (_input, ctx) =>
        ctx.map([0], (_n, _i, _signal, item) => {
          throw new Error(`attempt ${item.attempt} failed`)
        }, { retry: { maxAttempts: 3, backoff: noDelay } }),
      )
      .build()
    const store = new MemoryWorkflowStore()
    const engine = createEngine({ store })
    const run = await engine.start(workflow)
    expect((await run.outcome()).status).toBe('failed')
    const item = (await store.loadSteps(run.id)).find((s) => s.key === 'fan[0]')!
    expect(item).toMatchObject({ status: 'failed', attempts: 3, error: { message: 'attempt 3 failed' } })
    expect(stepAttempts(item).map((a) => a.error?.message)).toEqual(['attempt 1 failed', 'attempt 2 failed', 'attempt 3 failed'])
    await engine.close()
  })

  it('with failFast, aborts its siblings and fails the map at once', async () => {
    const aborted: number[] = []
    let started = 0
    const workflow = defineWorkflow({ name: 'fail-fast', version: 1 })
      .task('fan', (_input, ctx) =>
        ctx.map([0, 1, 2, 3], (n, _i, signal) => {
          started++
          if (n === 0) return Promise.reject(new Error('first broke'))
          return new Promise<number>((_resolve, reject) => signal.addEventListener('abort', () => (aborted.push(n), reject(signal.reason))))
        }, { failFast: true, concurrency: 3 }),
      )
      .build()
    const engine = createEngine({ store: new MemoryWorkflowStore() })
    const error = await failureOf(engine.run(workflow))
    expect(error).toBeInstanceOf(MapItemsFailedError)
    expect((error as MapItemsFailedError).failures.map((f) => f.index)).toEqual([0])
    expect(aborted.sort()).toEqual([1, 2])
    expect(started).toBe(3)
    await engine.close()
  })
})

describe("ctx.map in mode 'settled'", () => {
  it('returns each item as a typed value or failure, checkpoints the failure, and does not run it again when the task is retried', async () => {
    const calls: number[] = []
    let taskAttempt = 0
    const workflow = defineWorkflow({ name: 'settled', version: 1 })
      .task('fan', { retry: { maxAttempts: 2, backoff: noDelay } }, async (_input, ctx) => {
        taskAttempt = ctx.attempt
        const results = await ctx.map([0, 1, 2], (n) => {
          calls.push(n)
          if (n === 1) throw Object.assign(new Error('no answer'), { code: 'E_NONE' })
          return n * 10
        }, { mode: 'settled', retry: { maxAttempts: 2, backoff: noDelay } })
        if (ctx.attempt === 1) throw new Error('the task fails after its map, once')
        return results
      })
      .build()
    const store = new MemoryWorkflowStore()
    const engine = createEngine({ store })
    const result = await engine.run(workflow)
    const results: MapItemResult<number>[] = result.output('fan')
    expect(taskAttempt).toBe(2)
    expect(results).toEqual([
      { ok: true, value: 0 },
      { ok: false, error: expect.objectContaining({ name: 'Error', message: 'no answer', code: 'E_NONE' }), attempts: 2 },
      { ok: true, value: 20 },
    ])
    // Item 1 ran its two attempts in the task's first attempt only.
    expect(calls).toEqual([0, 1, 2, 1])
    const item = (await store.loadSteps(result.runId)).find((s) => s.key === 'fan[1]')!
    expect(item).toMatchObject({ status: 'failed', attempts: 2, error: { message: 'no answer' } })
    expect(stepAttempts(item).map((a) => a.outcome)).toEqual(['failed', 'failed'])
    await engine.close()
  })

  it('returns the recorded failure again in a run resumed by another engine, without running the item', async () => {
    const path = join(folder, 'settled-resume.sqlite')
    const calls: number[] = []
    const build = () =>
      defineWorkflow({ name: 'settled-resume', version: 1 })
        .task('fan', async (_input, ctx) => {
          const results = await ctx.map([0, 1], (n) => {
            calls.push(n)
            if (n === 1) throw new Error('item 1 failed')
            return n
          }, { mode: 'settled' })
          await ctx.waitForEvent('go')
          return results
        })
        .build()
    const firstStore = sqliteStore({ path })
    const first = createEngine({ store: firstStore, workflows: [build()] })
    const run = await first.start(build())
    while ((await firstStore.loadSteps(run.id)).length < 2) await flush()
    // Released at once (the task waits for an event): another engine takes the run over.
    await first.close({ drain: 0 })
    expect(calls).toEqual([0, 1])

    const second = createEngine({ store: sqliteStore({ path }), workflows: [build()] })
    const resumed = await second.getRun(run.id)
    await flush(20)
    await resumed!.signal('go', null)
    const output = (await resumed!.result()).outputs['fan'] as MapItemResult<number>[]
    expect(output.map((r) => r.ok)).toEqual([true, false])
    expect(output[1]).toMatchObject({ ok: false, error: { message: 'item 1 failed' }, attempts: 1 })
    expect(calls).toEqual([0, 1])
    await second.close()
  })
})

describe('ctx.map options', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ['failFast in settled mode', { mode: 'settled', failFast: true }, `task "t": ctx.map options: failFast must be false in mode 'settled' (which waits for every item), got true`],
    ['a retry of 0 attempts', { retry: { maxAttempts: 0 } }, 'task "t": ctx.map options: retry maxAttempts must be an integer ≥ 1, got 0'],
    ['a timeout of 0', { timeout: 0 }, 'task "t": ctx.map options: timeout must be longer than 0 ms, got 0'],
    ['an unknown mode', { mode: 'any' }, `task "t": ctx.map options: mode must be one of 'all', 'settled', got "any"`],
    ['a concurrency of 0', { concurrency: 0 }, 'task "t": ctx.map options: concurrency must be an integer ≥ 1, got 0'],
    ['a fractional concurrency', { concurrency: 1.5 }, 'task "t": ctx.map options: concurrency must be an integer ≥ 1, got 1.5'],
    ['a concurrency that is not a number', { concurrency: '4' }, 'task "t": ctx.map options: concurrency must be an integer ≥ 1, got "4"'],
  ]
  it.each(cases)('refuses %s with InvalidOptionsError naming the task and option, and runs no item', async (_what, options, message) => {
    let calls = 0
    const workflow = defineWorkflow({ name: 'bad-map', version: 1 })
      .task('t', (_input, ctx) => ctx.map([1], () => calls++, options as never))
      .build()
    const engine = createEngine({ store: new MemoryWorkflowStore() })
    const error = await failureOf(engine.run(workflow))
    expect(error).toBeInstanceOf(InvalidOptionsError)
    expect((error as Error).message).toBe(message)
    expect(calls).toBe(0)
    await engine.close()
  })

  it('keeps TaskTimeoutError as the cause of an item that timed out on its last attempt', async () => {
    const time = virtualTime()
    const workflow = defineWorkflow({ name: 'timed-out-item', version: 1 })
      .task('fan', (_input, ctx) => ctx.map([0], () => new Promise<never>(() => undefined), { timeout: 50 }))
      .build()
    const engine = createEngine({ store: new MemoryWorkflowStore(), clock: time.clock })
    const run = await engine.start(workflow)
    await flush()
    await time.advance(50)
    const error = (await failureOf(run.result())) as MapItemsFailedError
    expect(error.failures[0]!.error).toBeInstanceOf(TaskTimeoutError)
    expect((error.failures[0]!.error as TaskTimeoutError).message).toBe('task "fan[0]" timed out after 50 ms')
    await engine.close()
  })
})

describe('MapItemsFailedError', () => {
  const failure = (index: number) => ({ index, key: `fan[${index}]`, error: new Error(`item ${index} broke`), attempts: 3 })

  it('advises a retry policy only to a map without one', () => {
    const withRetry = new MapItemsFailedError('fan', [failure(1)], 2, true)
    expect(withRetry.message).toBe(`task "fan": 1 of 2 ctx.map items failed (item 1); item 1 after 3 attempts: item 1 broke; pass mode: 'settled' to get each item's failure as a value`)
    expect(new MapItemsFailedError('fan', [failure(1)], 2).message).toContain('give the map a retry policy')
  })

  it('lists the first 10 failed items and counts the rest', () => {
    const failures = Array.from({ length: 13 }, (_, i) => failure(i))
    expect(new MapItemsFailedError('fan', failures, 20, true).message).toContain('13 of 20 ctx.map items failed (items 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 and 3 more)')
  })
})
