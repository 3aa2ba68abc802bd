/**
 * store.history on memory, SQLite (a real file) and PostgreSQL: the same
 * random history (written through each store's own API) gives the same
 * counts, rates' inputs and exact percentiles in every store, equal to a
 * reference computed here from the data with the sort-based `percentiles`;
 * the workflow and time filters select the same runs.
 */
import fc from 'fast-check'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { MemoryWorkflowStore, sqliteStore } from 'weft-sdk'
import type { PercentileDefinition } from '../../src/core/percentile-rank.js'
import { percentiles } from '../../src/observability/percentiles.js'
import type { DurationPercentiles, HistoryQuery, HistoryStore, RunStatus, WorkflowStore } from '../../src/storage/workflow-store.js'
import { describePostgres } from '../support/postgres.js'
import { postgresStoreOnOwnDatabase } from '../support/postgres-store.js'
import { testSeed } from '../support/seed.js'

const seed = testSeed('test/storage/history-store.test.ts')

interface SeedStep {
  readonly task: 'fetch' | 'score'
  readonly status: 'completed' | 'failed' | 'skipped'
  readonly attempts: number
  readonly durationMs: number
  readonly tokens: number
}
interface SeedRun {
  readonly workflow: 'orders' | 'reports'
  readonly createdAt: number
  readonly waitMs: number
  readonly durationMs: number
  readonly status: RunStatus
  readonly steps: readonly SeedStep[]
}

const stepArbitrary = fc.record({
  task: fc.constantFrom('fetch' as const, 'score' as const),
  status: fc.constantFrom('completed' as const, 'completed' as const, 'failed' as const, 'skipped' as const),
  attempts: fc.integer({ min: 1, max: 4 }),
  durationMs: fc.integer({ min: 0, max: 60_000 }),
  tokens: fc.constantFrom(0, 0, 120, 2_000),
})
const runArbitrary = fc.record({
  workflow: fc.constantFrom('orders' as const, 'reports' as const),
  createdAt: fc.integer({ min: 1_000_000, max: 2_000_000 }),
  waitMs: fc.integer({ min: 0, max: 5_000 }),
  durationMs: fc.integer({ min: 0, max: 600_000 }),
  status: fc.constantFrom<RunStatus>('completed', 'completed', 'failed', 'cancelled', 'running', 'dead-lettered'),
  steps: fc.uniqueArray(stepArbitrary, { maxLength: 2, selector: (step) => step.task }),
})
const histories: SeedRun[][] = fc.sample(fc.array(runArbitrary, { minLength: 20, maxLength: 80 }), { seed, numRuns: 3 })

/** Writes a run through the store's API: created, claimed after its wait, its steps saved, then ended. */
async function writeRun(store: WorkflowStore, run: SeedRun, i: number): Promise<void> {
  const id = `run-${String(i).padStart(4, '0')}` as never
  await store.createRun({ id, workflow: run.workflow, version: 1, input: { i }, createdAt: run.createdAt })
  const startedAt = run.createdAt + run.waitMs
  const [claimed] = await store.claimRuns({ owner: 'seeder', leaseMs: 1e12, limit: 1, workflows: [{ name: run.workflow, version: 1 }], now: startedAt })
  const fence = { runId: id, epoch: claimed!.epoch }
  for (const step of run.steps) {
    const skipped = step.status === 'skipped'
    await store.saveStep(fence, {
      runId: id,
      key: step.task,
      task: step.task,
      status: step.status,
      ...(step.status === 'completed' ? { output: 1 } : {}),
      ...(step.status === 'failed' ? { error: { name: 'Error', message: 'boom' } } : {}),
      attempts: skipped ? 0 : step.attempts,
      startedAt: skipped ? undefined : startedAt,
      finishedAt: startedAt + (skipped ? 0 : step.durationMs),
      ...(step.tokens > 0 ? { usage: { tokens: step.tokens, costUsd: step.tokens / 1000 } } : {}),
    })
    // A sub-step of the task: never counted as the task.
    await store.saveStep(fence, { runId: id, key: `${step.task}/sub`, task: step.task, status: 'completed', output: 2, attempts: 3, startedAt, finishedAt: startedAt + 1 })
  }
  if (run.status !== 'running') await store.updateRun(fence, { status: run.status, finishedAt: startedAt + run.durationMs })
}

function reference(values: readonly number[], definition: PercentileDefinition): DurationPercentiles {
  if (values.length === 0) return { count: 0, mean: undefined, p50: undefined, p95: undefined, p99: undefined, max: undefined }
  const [p50, p95, p99] = percentiles(values, [50, 95, 99], { definition })
  return { count: values.length, mean: values.reduce((a, b) => a + b, 0) / values.length, p50, p95, p99, max: Math.max(...values) }
}

const selected = (runs: readonly SeedRun[], query: HistoryQuery) =>
  runs.filter((run) => (query.workflow === undefined || run.workflow === query.workflow) && run.createdAt >= (query.from ?? -Infinity) && run.createdAt < (query.to ?? Infinity))

function expectedWorkflows(runs: readonly SeedRun[], query: HistoryQuery, definition: PercentileDefinition) {
  const names = [...new Set(selected(runs, query).map((run) => run.workflow))].sort()
  return names.map((workflow) => {
    const mine = selected(runs, query).filter((run) => run.workflow === workflow)
    const ended = mine.filter((run) => ['completed', 'failed', 'cancelled'].includes(run.status))
    const count = (status: RunStatus) => mine.filter((run) => run.status === status).length
    return {
      workflow,
      total: mine.length,
      completed: count('completed'),
      failed: count('failed'),
      cancelled: count('cancelled'),
      deadLettered: count('dead-lettered'),
      recovered: 0,
      duration: reference(ended.map((run) => run.durationMs), definition),
      queueWait: reference(mine.map((run) => run.waitMs), definition),
      firstCreatedAt: Math.min(...mine.map((run) => run.createdAt)),
    }
  })
}

function expectedTasks(runs: readonly SeedRun[], query: HistoryQuery, definition: PercentileDefinition) {
  const steps = selected(runs, query).flatMap((run) => run.steps.map((step) => ({ workflow: run.workflow, step })))
  const keys = [...new Set(steps.map(({ workflow, step }) => `${workflow} ${step.task}`))].sort()
  return keys.map((key) => {
    const [workflow, task] = key.split(' ') as [string, string]
    const mine = steps.filter((s) => s.workflow === workflow && s.step.task === task).map((s) => s.step)
    const ran = mine.filter((step) => step.status !== 'skipped')
    const tokens = mine.reduce((sum, step) => sum + step.tokens, 0)
    return {
      workflow,
      task,
      completed: mine.filter((step) => step.status === 'completed').length,
      failed: mine.filter((step) => step.status === 'failed').length,
      skipped: mine.filter((step) => step.status === 'skipped').length,
      retries: ran.reduce((sum, step) => sum + step.attempts - 1, 0),
      duration: reference(ran.map((step) => step.durationMs), definition),
      tokens,
      costUsd: tokens / 1000,
    }
  })
}

/** Means are sums divided in each database: equal up to rounding; everything else exactly. */
function comparable<T extends object>(rows: readonly T[]): unknown[] {
  return rows.map((row) => JSON.parse(JSON.stringify(row, (key, value) => (key === 'mean' || key === 'costUsd') && typeof value === 'number' ? Math.round(value * 1e6) / 1e6 : value)))
}

const queries: HistoryQuery[] = [{}, { workflow: 'orders' }, { from: 1_250_000, to: 1_750_000 }, { workflow: 'reports', from: 1_500_000 }]

function historyCases(open: () => Promise<WorkflowStore & { history: HistoryStore }>): void {
  histories.forEach((runs, h) => {
    it(`answers random history ${h + 1} (${runs.length} runs) like the sort-based reference, per workflow and per task, for every filter and definition`, async () => {
      const store = await open()
      try {
        for (const [i, run] of runs.entries()) await writeRun(store, run, i)
        for (const query of queries) {
          for (const definition of ['nearest-rank', 'linear'] as const) {
            expect(comparable(await store.history.workflows({ ...query, definition }))).toEqual(comparable(expectedWorkflows(runs, query, definition)))
            expect(comparable(await store.history.tasks({ ...query, definition }))).toEqual(comparable(expectedTasks(runs, query, definition)))
          }
        }
      } finally {
        await store.close()
      }
    })
  })

  it('answers no rows for a window with no runs', async () => {
    const store = await open()
    expect(await store.history.workflows({ from: 0, to: 1 })).toEqual([])
    expect(await store.history.tasks({ workflow: 'none' })).toEqual([])
    await store.close()
  })
}

describe('memory store history', () => {
  historyCases(async () => new MemoryWorkflowStore())
})

describe('SQLite store history (a file)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'weft-history-'))
  let n = 0
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  historyCases(async () => {
    const store = sqliteStore({ path: join(dir, `history-${++n}.sqlite`) })
    await store.init()
    return store
  })
})

describePostgres('PostgreSQL store history', () => {
  historyCases(postgresStoreOnOwnDatabase)
})
