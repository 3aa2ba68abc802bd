/**
 * What a task that fell back leaves in its record: its last attempt failed
 * (with its error), then its fallback (`fallbackWith`, `fallbackValue`,
 * `fallbackTo`) as an entry of its own, the step still `completed` with the
 * fallback's output — and the analysis counting that failure, so a task that
 * always falls back is unreliable. Older records (without the fallback)
 * read as they were written. On a virtual clock: no real sleeps.
 */
import { describe, expect, it } from 'vitest'
import {
  analyzeWorkflow,
  compileWorkflow,
  defineWorkflow,
  loadWorkflowHistory,
  MemoryWorkflowStore,
  observeTasks,
  toAnalysisGraph,
  toChromeTrace,
  type Engine,
  type RunRecord,
} from 'weft-sdk'
import { stepAttempts, type StepRecord } from 'weft-sdk/store'
import { parseAttemptHistory } from '../../../src/storage/attempt-history.js'
import { memoryEngine } from '../../support/engines.js'
import { flush, virtualTime } from '../../support/test-clock.js'

const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })

/** Starts `workflow` on an engine with a virtual clock; `settle()` advances it until the run ends and returns the outcome and the run's steps by key. */
async function started(workflow: Parameters<Engine['start']>[0], store = new MemoryWorkflowStore()) {
  const time = virtualTime()
  const engine = memoryEngine({ clock: time.clock, store })
  const run = await engine.start(workflow as never, 'ACME' as never)
  let settled = false
  const outcome = run.outcome().then((o) => ((settled = true), o))
  const settle = async () => {
    for (let i = 0; i < 200 && !settled; i++) await time.advance(5)
    await flush()
    await engine.close()
    const steps = new Map((await store.loadSteps(run.id)).map((step) => [step.key, step]))
    return { outcome: await outcome, steps }
  }
  return { time, settle }
}

/** A promise and the functions that settle it (a body or fallback the test ends at a chosen virtual time). */
function deferred<T>() {
  let resolve!: (value: T) => void
  let reject!: (error: unknown) => void
  const promise = new Promise<T>((ok, fail) => ((resolve = ok), (reject = fail)))
  return { promise, resolve, reject }
}

describe('the attempt history of a task that fell back', () => {
  it('keeps every failed attempt with its error, then the fallbackWith entry with its own times; the step is completed with its output', async () => {
    const workflow = defineWorkflow<string>({ name: 'fell-back', version: 1 })
      .task(
        'live',
        { retry: { maxAttempts: 2, backoff: { initial: 0, max: 0 } }, recover: { strategies: { connection: { fallbackWith: (_error, symbol) => ({ symbol, price: 42 }) } } } },
        (): { symbol: string; price: number } => {
          throw refused()
        },
      )
      .build()
    const { outcome, steps } = await (await started(workflow)).settle()

    const step = steps.get('live')!
    expect(step).toMatchObject({ status: 'completed', attempts: 2, output: { symbol: 'ACME', price: 42 } })
    expect(step.error).toBeUndefined()
    const attempts = stepAttempts(step)
    expect(attempts.map((a) => [a.attempt, a.outcome, a.error?.message])).toEqual([
      [1, 'failed', 'connect ECONNREFUSED 127.0.0.1:5432'],
      [2, 'failed', 'connect ECONNREFUSED 127.0.0.1:5432'],
      [2, 'fallback', undefined],
    ])
    expect(attempts[1]!.error?.code).toBe('ECONNREFUSED')
    // The fallback began as the second attempt failed, and ended with the step.
    expect(attempts[2]!.startedAt).toBe(attempts[1]!.finishedAt)
    expect(attempts[2]!.finishedAt).toBe(step.finishedAt)
    expect(step.history?.fallbackStartedAt).toBe(attempts[1]!.finishedAt)
    // The run's own summary of the task says the same.
    const summary = outcome.tasks.find((t) => t.task === 'live')!
    expect(summary.status).toBe('completed')
    expect(stepAttempts({ ...summary, finishedAt: step.finishedAt }).map((a) => a.outcome)).toEqual(['failed', 'failed', 'fallback'])
  })

  it('measures the fallback apart from the attempt it answers', async () => {
    const attempt = deferred<string>()
    const fallback = deferred<string>()
    const workflow = defineWorkflow<string>({ name: 'timed-fallback', version: 1 })
      .task('live', { recover: { strategies: { connection: { fallbackWith: () => fallback.promise } } } }, () => attempt.promise)
      .build()
    const { time, settle } = await started(workflow)
    await flush()
    await time.advance(10)
    attempt.reject(refused())
    await flush()
    await time.advance(30)
    fallback.resolve('cached')
    const { steps } = await settle()
    const [failed, fellBack] = stepAttempts(steps.get('live')!)
    expect(failed).toMatchObject({ attempt: 1, outcome: 'failed' })
    expect(failed!.finishedAt! - failed!.startedAt!).toBe(10)
    expect(fellBack).toMatchObject({ attempt: 1, outcome: 'fallback' })
    expect(fellBack!.finishedAt! - fellBack!.startedAt!).toBe(30)
    expect(steps.get('live')!.output).toBe('cached')
  })

  it('records fallbackValue and fallbackTo the same way: the failed attempt, then an instant fallback entry', async () => {
    const workflow = defineWorkflow<string>({ name: 'fell-back-to-values', version: 1 })
      .task('snapshot', () => 'snapshot')
      .task('byValue', { recover: { strategies: { connection: { fallbackValue: 'default' } } } }, (): string => {
        throw refused()
      })
      .task('byTask', { dependsOn: ['snapshot'], recover: { strategies: { connection: { fallbackTo: 'snapshot' } } } }, (_snapshot: string): string => {
        throw refused()
      })
      .build()
    const { steps } = await (await started(workflow)).settle()
    for (const key of ['byValue', 'byTask']) {
      const step = steps.get(key)!
      expect(step.status).toBe('completed')
      const attempts = stepAttempts(step)
      expect(attempts.map((a) => [a.outcome, a.error?.code])).toEqual([['failed', 'ECONNREFUSED'], ['fallback', undefined]])
      expect(attempts[1]!.finishedAt! - attempts[1]!.startedAt!).toBe(0)
    }
    expect(steps.get('byValue')!.output).toBe('default')
    expect(steps.get('byTask')!.output).toBe('snapshot')
  })

  it('gives a fallback that failed too its error, the step failing with FallbackFailedError, and counts one failed attempt, not two', async () => {
    const workflow = defineWorkflow<string>({ name: 'double-fault-history', version: 1 })
      .task('live', { recover: { strategies: { connection: { fallbackWith: (): string => { throw new Error('cache miss') } } } } }, (): string => {
        throw refused()
      })
      .build()
    const { steps } = await (await started(workflow)).settle()
    const step = steps.get('live')!
    expect(step).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'WEFT_FALLBACK_FAILED' } })
    expect(stepAttempts(step).map((a) => [a.outcome, a.error?.code ?? a.error?.message])).toEqual([
      ['failed', 'ECONNREFUSED'],
      ['fallback', 'WEFT_FALLBACK_FAILED'],
    ])
    const run = { id: step.runId, input: 'ACME' } as unknown as RunRecord
    const [observed] = observeTasks(toAnalysisGraph(compileWorkflow(workflow)), [{ run, steps: [step] }]).get('live')!
    expect(observed).toMatchObject({ attempts: 1, failedAttempts: 1 })
  })

  it("draws the fallback as a slice of its own in a run's Chrome trace", async () => {
    const fallback = deferred<string>()
    const workflow = defineWorkflow<string>({ name: 'fallback-trace', version: 1 })
      .task('live', { recover: { strategies: { connection: { fallbackWith: () => fallback.promise } } } }, (): string => {
        throw refused()
      })
      .build()
    const store = new MemoryWorkflowStore()
    const { time, settle } = await started(workflow, store)
    await flush()
    await time.advance(30)
    fallback.resolve('cached')
    const { steps } = await settle()
    const run = (await store.listRuns({ workflow: 'fallback-trace' }))[0]!
    const slices = toChromeTrace({ run, steps: [steps.get('live')!] }).traceEvents.filter((e) => e.cat === 'attempt' || e.cat === 'fallback')
    expect(slices.map((e) => [e.name, e.args?.['outcome'], e.dur])).toEqual([
      ['live attempt 1', 'failed', 0],
      ['live fallback', 'fallback', 30_000],
    ])
  })
})

describe('an attempt history recorded before fallbacks were', () => {
  const written: StepRecord = {
    runId: 'r-old',
    key: 'live',
    task: 'live',
    status: 'completed',
    output: 'cached',
    attempts: 2,
    startedAt: 0,
    finishedAt: 40,
    history: { earlier: [{ attempt: 1, outcome: 'failed', startedAt: 0, finishedAt: 10, error: { name: 'Error', message: 'refused' } }], omitted: 0, lastStartedAt: 20 },
  }

  it('reads as it was written: its last attempt is the completed step', () => {
    const history = parseAttemptHistory(JSON.stringify(written.history))
    expect(history).toEqual(written.history)
    expect(stepAttempts({ ...written, history }).map((a) => [a.attempt, a.outcome, a.startedAt])).toEqual([
      [1, 'failed', 0],
      [2, 'completed', 20],
    ])
  })

  it('drops a fallback start that is not a number, keeping the rest', () => {
    const history = parseAttemptHistory(JSON.stringify({ ...written.history, fallbackStartedAt: 'soon' }))
    expect(history).toEqual(written.history)
    expect(stepAttempts({ ...written, history }).at(-1)?.outcome).toBe('completed')
  })

  it('reads the fallback of a newer record', () => {
    const history = parseAttemptHistory(JSON.stringify({ ...written.history, fallbackStartedAt: 30 }))
    expect(stepAttempts({ ...written, history }).at(-1)).toEqual({ attempt: 2, outcome: 'fallback', startedAt: 30, finishedAt: 40 })
  })
})

describe('the analysis of a task that always falls back', () => {
  it("flags it unreliable with the default thresholds, though every step of it completed and it never retried", async () => {
    const workflow = defineWorkflow<number>({ name: 'always-falls-back', version: 1 })
      .task('load', (n) => n)
      .task('quote', { dependsOn: ['load'], recover: { strategies: { connection: { fallbackValue: -1 } } } }, (): number => {
        throw refused()
      })
      .task('report', { dependsOn: ['quote'] }, (quote) => `quote ${quote}`)
      .build()
    const store = new MemoryWorkflowStore()
    const time = virtualTime()
    const engine = memoryEngine({ clock: time.clock, store })
    for (let i = 0; i < 10; i++) await engine.run(workflow, i)
    await engine.close()

    const graph = toAnalysisGraph(compileWorkflow(workflow))
    const runs = await loadWorkflowHistory(store, graph)
    expect(runs).toHaveLength(10)
    expect(runs.map((r) => r.steps.find((s) => s.key === 'quote')).every((s) => s?.status === 'completed' && s.output === -1)).toBe(true)
    const analysis = analyzeWorkflow(graph, runs)
    const quote = analysis.tasks.find((t) => t.task === 'quote')!
    expect(quote).toMatchObject({ attempts: 10, failedAttempts: 10, failureRate: 1 })
    const unreliable = analysis.bottlenecks.filter((b) => b.kind === 'unreliable')
    expect(unreliable.map((b) => b.task)).toEqual(['quote'])
    expect(unreliable[0]!.evidence).toMatch(/^10 of 10 attempts failed \(100\.0%\) against 0\.0% for the other tasks \(0 of 20\)/)
  })
})
