/**
 * The history's query paths on SQLite (a real file) and PostgreSQL: the window's edges (from included, to
 * excluded), workflows with no runs in the window left out, runs that never ended, and exact percentiles of groups
 * of every size from 1 to 40 with ties, against the sort-based reference, under both definitions. SQLite reads each
 * workflow's range of the runs' history index and picks nearest ranks from its percentile_disc bounds
 * (nearestRankOfBounds); PostgreSQL uses percentile_disc / percentile_cont.
 */
import Database from 'better-sqlite3'
import fc from 'fast-check'
import { Kysely, Migrator, SqliteDialect } from 'kysely'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { sqliteStore } from 'weft-sdk'
import { nearestRankIndex, reportedFractions, type PercentileDefinition } from '../../src/core/percentile-rank.js'
import { percentiles } from '../../src/observability/percentiles.js'
import { nearestRankOfBounds } from '../../src/storage/sql/history-sql.js'
import { weftMigrationProvider } from '../../src/storage/sql/migrations.js'
import type { HistoryStore, RunStatus, WorkflowStore } from '../../src/storage/workflow-store.js'
import { describePostgres } from '../support/postgres.js'
import { postgresStoreOnOwnDatabase } from '../support/postgres-store.js'
import { testSeed } from '../support/seed.js'

const seed = testSeed('test/storage/history-queries.test.ts')

type HistoryTestStore = WorkflowStore & { history: HistoryStore }

interface Recorded {
  readonly workflow: string
  readonly createdAt: number
  readonly waitMs: number
  readonly durationMs: number
  readonly status: RunStatus
}

let runNumber = 0
/** Records a run through the store's API: created, claimed after its wait, one step `work`, ended unless running. */
async function record(store: WorkflowStore, run: Recorded): Promise<void> {
  const id = `run-${String(++runNumber).padStart(6, '0')}` as never
  await store.createRun({ id, workflow: run.workflow, version: 1, input: {}, createdAt: run.createdAt })
  const startedAt = run.createdAt + run.waitMs
  const [claimed] = await store.claimRuns({ owner: 'test', leaseMs: 1e12, limit: 1, workflows: [{ name: run.workflow, version: 1 }], now: startedAt })
  const fence = { runId: id, epoch: claimed!.epoch }
  await store.saveStep(fence, { runId: id, key: 'work', task: 'work', status: 'completed', output: 1, attempts: 1, startedAt, finishedAt: startedAt + run.durationMs })
  if (run.status !== 'running') await store.updateRun(fence, { status: run.status, finishedAt: startedAt + run.durationMs })
}

const ended = (workflow: string, createdAt: number, durationMs = 10): Recorded => ({ workflow, createdAt, waitMs: 1, durationMs, status: 'completed' })

function reference(values: readonly number[], definition: PercentileDefinition) {
  const [p50, p95, p99] = percentiles(values, [50, 95, 99], { definition })
  return { count: values.length, p50, p95, p99, max: Math.max(...values) }
}

const percentilesOf = ({ count, p50, p95, p99, max }: { count: number; p50?: number; p95?: number; p99?: number; max?: number }) => ({ count, p50, p95, p99, max })

/** Groups of 1 to 40 durations drawn from a small range (many ties), one workflow each. */
const groups: number[][] = fc.sample(fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 40, maxLength: 40 }), { seed, numRuns: 1 })[0]!.map((_, i, all) => all.slice(0, i + 1))

function queryCases(open: () => Promise<HistoryTestStore>): void {
  it('counts a run created at `from` and leaves out one created at `to` (and one just before `from`)', async () => {
    const store = await open()
    try {
      for (const createdAt of [999, 1_000, 1_999, 2_000]) await record(store, ended('edges', createdAt))
      const totals = async (from?: number, to?: number) => (await store.history.workflows({ from, to })).map((row) => row.total)
      expect(await totals(1_000, 2_000)).toEqual([2])
      expect(await totals(1_000)).toEqual([3])
      expect(await totals(undefined, 1_000)).toEqual([1])
      expect(await totals(1_000, 1_000)).toEqual([])
      expect((await store.history.tasks({ from: 1_000, to: 2_000 })).map((row) => [row.task, row.completed])).toEqual([['work', 2]])
    } finally {
      await store.close()
    }
  })

  it('leaves out workflows without runs in the window; runs that never ended have a queue wait and no duration', async () => {
    const store = await open()
    try {
      await record(store, ended('early', 100))
      await record(store, { workflow: 'open', createdAt: 5_000, waitMs: 7, durationMs: 0, status: 'running' })
      await record(store, ended('late', 5_000, 40))
      const rows = await store.history.workflows({ from: 1_000 })
      expect(rows.map((row) => row.workflow)).toEqual(['late', 'open'])
      const open_ = rows.find((row) => row.workflow === 'open')!
      expect(open_.duration).toEqual({ count: 0, mean: undefined, p50: undefined, p95: undefined, p99: undefined, max: undefined })
      expect(percentilesOf(open_.queueWait)).toEqual({ count: 1, p50: 7, p95: 7, p99: 7, max: 7 })
      expect((await store.history.tasks({ from: 1_000, workflow: 'early' }))).toEqual([])
    } finally {
      await store.close()
    }
  })

  it('gives exact percentiles for every group size from 1 to 40 with ties, per workflow and per task, under both definitions', async () => {
    const store = await open()
    try {
      for (const [g, durations] of groups.entries()) {
        for (const [i, durationMs] of durations.entries()) await record(store, ended(`w${String(g + 1).padStart(2, '0')}`, 10_000 + i, durationMs))
      }
      for (const definition of ['nearest-rank', 'linear'] as const) {
        const workflows = await store.history.workflows({ definition })
        const tasks = await store.history.tasks({ definition })
        expect(workflows.map((row) => percentilesOf(row.duration))).toEqual(groups.map((durations) => reference(durations, definition)))
        expect(tasks.map((row) => percentilesOf(row.duration))).toEqual(groups.map((durations) => reference(durations, definition)))
      }
    } finally {
      await store.close()
    }
  })
}

describe('nearestRankOfBounds', () => {
  it("always finds the nearest rank's index among the two bounds SQLite's percentile_disc gives (counts up to 10^12)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e12 }), fc.constantFrom(...reportedFractions), (count, fraction) => {
        const index = nearestRankIndex(count, fraction)
        const low = Math.floor(fraction * (count - 1))
        const high = count - 1 - Math.floor((1 - fraction) * (count - 1))
        expect(index === low || index === high, `index ${index} of ${count} is neither ${low} nor ${high}`).toBe(true)
        expect(nearestRankOfBounds(count, fraction, low, high)).toBe(index)
      }),
      { seed, numRuns: 20_000 },
    )
  })
})

describe('SQLite history queries (a file)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'weft-history-queries-'))
  let n = 0
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const open = async () => {
    const store = sqliteStore({ path: join(dir, `history-${++n}.sqlite`) })
    await store.init()
    return store
  }
  queryCases(open)

  it('answers the same on a database its workers have not upgraded to the history index yet (a store that does not migrate)', async () => {
    const path = join(dir, 'before-the-index.sqlite')
    const kysely = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new Database(path) }) })
    const { error } = await new Migrator({ db: kysely, provider: weftMigrationProvider('sqlite') }).migrateTo('2026_12_09_013_trace')
    await kysely.destroy()
    expect(error).toBeUndefined()
    const older = sqliteStore({ path, migrate: false })
    const current = await open()
    try {
      await older.init()
      for (const store of [older, current]) {
        for (const [i, durationMs] of groups[9]!.entries()) await record(store, ended(i % 2 === 0 ? 'even' : 'odd', 1_000 + i, durationMs))
      }
      for (const definition of ['nearest-rank', 'linear'] as const) {
        expect(await older.history.workflows({ definition })).toEqual(await current.history.workflows({ definition }))
        expect(await older.history.tasks({ definition, from: 1_003 })).toEqual(await current.history.tasks({ definition, from: 1_003 }))
      }
    } finally {
      await older.close()
      await current.close()
    }
  })
})

describePostgres('PostgreSQL history queries', () => {
  queryCases(postgresStoreOnOwnDatabase)
})
