/** Reading a bounded history from a real SQLite store, a run's Chrome trace, and the value digest behind "same input". */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  analyzeWorkflow, compileWorkflow, createEngine, defineWorkflow, InvalidOptionsError, loadWorkflowHistory, sqliteStore, toAnalysisGraph, toChromeTrace, valueDigest,
  type RecordedRun, type SqliteWorkflowStore,
} from 'weft-sdk'
import { testSeed } from '../../support/seed.js'
import { virtualTime } from '../../support/test-clock.js'
import { recordedRun } from './recorded-runs.js'

let calls = 0
const Pipeline = defineWorkflow<{ n: number }>({ name: 'pipeline', version: 1 })
  .task('load', (input) => input.n)
  .task('double', { dependsOn: ['load'], retry: { maxAttempts: 3, backoff: { initial: 1, jitter: 'none' } } }, (n: number) => {
    if (++calls % 3 === 1) throw new Error('flaky')
    return n * 2
  })
  .build()
const graph = toAnalysisGraph(compileWorkflow(Pipeline))

const folder = mkdtempSync(join(tmpdir(), 'weft-analysis-'))
let store: SqliteWorkflowStore

beforeAll(async () => {
  store = sqliteStore({ path: join(folder, 'weft.sqlite') })
  const engine = createEngine({ store, workflows: [Pipeline] })
  for (let n = 0; n < 6; n++) await (await engine.start(Pipeline, { n })).result()
  await engine.close()
})

afterAll(async () => {
  await store.close()
  rmSync(folder, { recursive: true, force: true })
})

describe('loadWorkflowHistory', () => {
  it('reads the newest runs of the workflow with their steps, no more than asked', async () => {
    const history = await loadWorkflowHistory(store, graph, { runs: 4 })
    expect(history.map((r) => (r.run.input as { n: number }).n)).toEqual([5, 4, 3, 2])
    expect(history.every((r) => r.steps.some((s) => s.task === 'double' && s.status === 'completed'))).toBe(true)
  })

  it('refuses a sample size that is not an integer from 1 to 10,000', async () => {
    await expect(loadWorkflowHistory(store, graph, { runs: 0 })).rejects.toThrow(InvalidOptionsError)
    await expect(loadWorkflowHistory(store, graph, { runs: 1.5 })).rejects.toThrow('history runs must be an integer from 1 to 10000, got 1.5')
  })
})

describe('blocked time, from what a real engine records', () => {
  it('counts the attempts a rate limit refused and the time until the next attempt', async () => {
    // A token bucket of one call per 200 ms, refusals failing the attempt (retried 50 ms later): of three runs
    // started at the same instant of a virtual clock, two are refused first.
    const Limited = defineWorkflow({ name: 'limited', version: 1 })
      .task('call', { rateLimit: { limit: 1, window: '200 ms', onLimit: 'fail', algorithm: 'token-bucket' }, retry: { maxAttempts: 20, backoff: { initial: '50 ms', max: '50 ms', jitter: 'none' } } }, () => 'done')
      .build()
    const limitedStore = sqliteStore({ path: join(folder, 'limited.sqlite') })
    const time = virtualTime()
    const engine = createEngine({ store: limitedStore, workflows: [Limited], clock: time.clock })
    const runs = await Promise.all([0, 1, 2].map(() => engine.start(Limited)))
    let settled = 0
    const results = Promise.all(runs.map((run) => run.result().finally(() => settled++)))
    for (let i = 0; i < 100 && settled < 3; i++) await time.advance(50)
    await results
    await engine.close()
    const limitedGraph = toAnalysisGraph(compileWorkflow(Limited))
    const [call] = analyzeWorkflow(limitedGraph, await loadWorkflowHistory(limitedStore, limitedGraph)).tasks
    await limitedStore.close()
    expect(call!.blockedSteps).toBe(2)
    expect(call!.blockedMs).toBeGreaterThanOrEqual(2 * 50)
    // One run passes at 0 ms; the next token comes at 200 ms (one run refused at 0, 50, 100 and 150 ms), the
    // last at 400 ms (the other refused eight times): 15 attempts, 12 of them refused.
    expect(call!.attempts).toBe(15)
    expect(call!.failedAttempts).toBe(call!.attempts - 3)
  })
})

describe('toChromeTrace', () => {
  it("draws a recorded run: a span for the run, a thread per task, a span per step and per timed attempt", async () => {
    const [newest] = await loadWorkflowHistory(store, graph, { runs: 6 })
    const retried = (await loadWorkflowHistory(store, graph, { runs: 6 })).find((r) => r.steps.some((s) => s.task === 'double' && s.attempts > 1))!
    const trace = toChromeTrace(retried)
    const threads = trace.traceEvents.filter((e) => e.name === 'thread_name').map((e) => [e.tid, e.args?.['name']])
    expect(threads).toEqual([[0, 'run'], [1, 'load'], [2, 'double']])
    const spans = trace.traceEvents.filter((e) => e.ph === 'X')
    expect(spans.map((e) => [e.cat, e.name])).toEqual([['run', `run ${retried.run.id}`], ['task', 'load'], ['task', 'double'], ['attempt', 'double attempt 1'], ['attempt', 'double attempt 2']])
    for (const span of spans) expect(span.ts! + span.dur!).toBeLessThanOrEqual(spans[0]!.dur!)
    expect(spans.find((e) => e.name === 'double attempt 1')!.args).toMatchObject({ outcome: 'failed', error: 'Error: flaky' })
    expect(JSON.parse(JSON.stringify(toChromeTrace(newest!)))).toHaveProperty('traceEvents')
  })

  it('places each step at its offset from the run start, in microseconds', () => {
    const run: RecordedRun = recordedRun({ id: 'r', steps: [{ task: 'load', start: 0, ms: 2 }, { task: 'double', start: 2, ms: 3.5 }] })
    const spans = toChromeTrace(run).traceEvents.filter((e) => e.cat === 'task')
    expect(spans.map((e) => [e.name, e.ts, e.dur])).toEqual([['load', 0, 2000], ['double', 2000, 3500]])
  })
})

describe('valueDigest', () => {
  it('is equal for equal values whatever the key or Map/Set insertion order', () => {
    expect(valueDigest({ a: 1, b: new Map([[1, 'x'], [2, 'y']]), c: new Set([3, 4]) })).toBe(valueDigest({ c: new Set([4, 3]), b: new Map([[2, 'y'], [1, 'x']]), a: 1 }))
  })

  it('is equal for a value and a copy of it with its object keys in another order (property)', () => {
    const reversedKeys = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(reversedKeys)
      if (value === null || typeof value !== 'object') return value
      return Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reversedKeys(v)]))
    }
    fc.assert(fc.property(fc.jsonValue(), (value) => {
      expect(valueDigest(reversedKeys(value))).toBe(valueDigest(value))
    }), { seed: testSeed('valueDigest'), numRuns: 300 })
  })

  it('tells apart values that JSON would confuse', () => {
    const digests = [undefined, null, Number.NaN, 'NaN', 1n, '1', new Date(0), '1970-01-01T00:00:00.000Z', [1], { 0: 1 }].map(valueDigest)
    expect(new Set(digests).size).toBe(digests.length)
  })
})
