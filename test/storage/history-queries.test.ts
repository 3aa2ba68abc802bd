/**
 * The history's query paths on SQLite (a real file) and PostgreSQL: the window's edges (from included, to
 * excluded), workflows with no runs in the window left out, runs that never ended, and exact percentiles of groups
 * of every size from 1 to 40 with ties, against the sort-based reference, under both definitions. Run rows read the
 * runs' history index; task rows PostgreSQL's steps' history index (migration 015), SQLite's runs joined to their
 * steps and folded by task (weft_task_stats). A history recorded before those migrations answers the same read
 * without migrating (the joined paths), after the upgrade (PostgreSQL fills the steps' history columns), and when a
 * writer of an earlier version adds steps without them (PostgreSQL's trigger fills them).
 */
import Database from 'better-sqlite3'
import fc from 'fast-check'
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql, type Dialect } from 'kysely'
import pg from 'pg'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { Schema } from 'effect'
import { createEngine, defineWorkflow, MemoryWorkflowStore, sqliteStore } from 'weft-sdk'
import { postgresStore } from '../../src/postgres.js'
import type { PercentileDefinition } from '../../src/core/percentile-rank.js'
import { percentiles } from '../../src/observability/percentiles.js'
import { completeStepHistory, stepHistoryIndexState, stepHistoryLockKey } from '../../src/storage/postgres/pg-step-history.js'
import { pgTaskHistorySql } from '../../src/storage/sql/history-sql.js'
import { weftMigrationProvider } from '../../src/storage/sql/migrations.js'
import type { HistoryStore, RunStatus, WorkflowStore } from '../../src/storage/workflow-store.js'
import { createTestDatabase, describePostgres } from '../support/postgres.js'
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

  it("refuses to read the history through a connection of the user's that does not forward aggregate(), saying so; everything else works", async () => {
    const db = new Database(join(dir, 'wrapped.sqlite'))
    /** A wrapper of the connection, as a user might write one: the methods Weft's connection type names, and aggregate() when told to. */
    const wrap = (forwardAggregate: boolean) => ({
      prepare: (text: string) => db.prepare(text),
      exec: (text: string) => db.exec(text),
      close: () => undefined,
      get inTransaction() {
        return db.inTransaction
      },
      ...(forwardAggregate ? { aggregate: (name: string, options: object) => db.aggregate(name, options as never) } : {}),
    })
    const store = sqliteStore({ database: wrap(false) })
    const forwarding = sqliteStore({ database: wrap(true) })
    try {
      await store.init()
      await record(store, ended('wrapped', 1_000))
      await expect(store.history.tasks({})).rejects.toThrow(/has no aggregate\(\).*pass the better-sqlite3 Database itself, or forward aggregate\(\)/)
      expect((await store.history.recoveries({}))).toEqual([])
      expect((await forwarding.history.tasks({})).map((row) => [row.workflow, row.task, row.completed])).toEqual([['wrapped', 'work', 1]])
    } finally {
      await store.close()
      await forwarding.close()
      db.close()
    }
  })

  it('answers a history recorded before the history indexes the same: read without migrating, upgraded, and written to by an earlier version', async () => {
    const path = join(dir, 'before-the-indexes.sqlite')
    await upgradeCase({
      dialect: new SqliteDialect({ database: new Database(path) }),
      open: (migrate) => sqliteStore({ path, migrate }),
    })
  })
})

describePostgres('PostgreSQL history queries', () => {
  queryCases(postgresStoreOnOwnDatabase)

  it("fills every step's history columns in the statement that writes it (one step, a batch, the final step, an event's step): none is left to the trigger", async () => {
    const database = await createTestDatabase()
    const admin = new pg.Client({ connectionString: database.url })
    const store = postgresStore({ connectionString: database.url })
    const Shapes = defineWorkflow({ name: 'history-shapes', version: 1 })
      .events({ go: Schema.Struct({ n: Schema.Number }) })
      .task('first', () => 1)
      .task('wait', { dependsOn: ['first'] }, async (_first: number, ctx) => (await ctx.waitForEvent('go')).n)
      .task('left', { dependsOn: ['wait'] }, (n: number) => n + 1)
      .task('right', { dependsOn: ['wait'] }, (n: number) => n + 2)
      .task('last', { dependsOn: ['left', 'right'] }, (left: number, right: number) => left + right)
      .build({ result: 'last' })
    const engine = createEngine({ store, workflows: [Shapes] })
    try {
      await store.init()
      await admin.connect()
      await admin.query('alter table weft_steps disable trigger weft_steps_fill_history')
      const run = await engine.start(Shapes)
      await run.signal('go', { n: 10 })
      expect(await run.result()).toBe(23)
      const { rows } = await admin.query<{ key: string; workflow: string | null; run_created_at: number | null; created_at: number }>(
        'select s.key, s.workflow, s.run_created_at, r.created_at from weft_steps s join weft_runs r on r.id = s.run_id order by s.key',
      )
      // The event's take is a sub-step of 'wait' (its own statement); the task rows leave it out.
      expect(rows.map((row) => row.key)).toEqual(['first', 'last', 'left', 'right', 'wait', 'wait/wait:go#0'])
      for (const row of rows) expect([row.key, row.workflow, row.run_created_at]).toEqual([row.key, 'history-shapes', row.created_at])
      expect((await store.history.tasks({})).map((row) => [row.task, row.completed])).toEqual([['first', 1], ['last', 1], ['left', 1], ['right', 1], ['wait', 1]])
    } finally {
      await engine.close()
      await store.close()
      await admin.end()
      await database.drop()
    }
  })

  it("completes the steps' history online after the upgrade, in the background: batch by batch, once per fleet (a second process waits for none), stoppable, the reads answering the same before and after", async () => {
    const database = await createTestDatabase()
    const pool = new pg.Pool({ connectionString: database.url, max: 2 })
    const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: database.url, max: 1 }) }) })
    const holder = new pg.Client({ connectionString: database.url })
    try {
      const { error } = await new Migrator({ db, provider: weftMigrationProvider('postgres') }).migrateTo(beforeTheIndexes)
      expect(error).toBeUndefined()
      for (const [n, run] of recordedRuns.entries()) await insertAsEarlierVersion(db, run, n)
      const expected = await recordedReference(recordedRuns)
      // Another process completing it holds the lock: this store's init returns at once, its reads join the runs.
      await holder.connect()
      await holder.query('select pg_advisory_lock($1::bigint)', [stepHistoryLockKey.toString()])
      const early = postgresStore({ connectionString: database.url })
      await early.init()
      expect(await early.historyReady).toBe('busy')
      expect(await stepHistoryIndexState(pool)).toBe('missing')
      const unfilled = async () => Number((await pool.query<{ n: string }>('select count(*) as n from weft_steps where workflow is null or run_created_at is null')).rows[0]!.n)
      expect(await unfilled()).toBe(recordedRuns.length * 2)
      await expectSameHistory(early.history, expected)
      await holder.query('select pg_advisory_unlock($1::bigint)', [stepHistoryLockKey.toString()])
      // Stopped (its store closing) before a batch: nothing filled, no index; the next completion resumes.
      expect(await completeStepHistory(pool as never, 4, AbortSignal.abort())).toBe('stopped')
      expect(await unfilled()).toBe(recordedRuns.length * 2)
      // Batches of 4 steps: the fill walks the primary key in many transactions.
      expect(await completeStepHistory(pool as never, 4)).toBe('completed')
      expect(await unfilled()).toBe(0)
      expect(await stepHistoryIndexState(pool)).toBe('valid')
      expect(await completeStepHistory(pool as never, 4)).toBe('complete')
      await expectSameHistory(early.history, expected)
      // The planner can use the index for each task's range (with the predicate written `key = task` it could not:
      // it merged it with `task = $1` and read the table). Sequential scans are discouraged, not forbidden: a plan
      // that cannot use the index still reads the table.
      await holder.query('set enable_seqscan = off')
      const plan = (await holder.query<{ 'QUERY PLAN': string }>(`explain ${pgTaskHistorySql({}, 'nearest-rank')}`, [0, 1e15])).rows.map((row) => row['QUERY PLAN']).join('\n')
      expect(plan).toMatch(/Index Only Scan using weft_steps_history on weft_steps s\s/)
      expect(plan).not.toMatch(/Seq Scan/)
      await early.close()
    } finally {
      await holder.end()
      await pool.end()
      await db.destroy()
      await database.drop()
    }
  })

  it('answers a history recorded before the history indexes the same: read without migrating, upgraded, and written to by an earlier version', async () => {
    const database = await createTestDatabase()
    try {
      await upgradeCase({
        dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: database.url, max: 1 }) }),
        open: (migrate) => postgresStore({ connectionString: database.url, migrate }),
      })
    } finally {
      await database.drop()
    }
  })
})

/** The migration before the history indexes (014: runs, 015: steps): the schema a database had when its history was recorded. */
const beforeTheIndexes = '2026_12_09_013_trace'

/** A run as the recorded history holds it, with its own step `work` and a map item of it (`work/0`, left out of the task rows). */
const recordedRuns: Recorded[] = [
  ...groups[7]!.map((durationMs, i) => ({ ...ended(i % 3 === 0 ? 'alpha' : 'beta', 1_000 + i, durationMs), waitMs: 1 + (i % 4) })),
  { workflow: 'alpha', createdAt: 1_050, waitMs: 3, durationMs: 0, status: 'running' },
  { workflow: 'beta', createdAt: 1_060, waitMs: 2, durationMs: 25, status: 'failed' },
]

/** Inserts `run` with the columns a Weft of migration 013 wrote (no history columns): the run, its step and a map item. */
async function insertAsEarlierVersion(db: Kysely<unknown>, run: Recorded, n: number): Promise<void> {
  const id = `early-${String(n).padStart(4, '0')}`
  const startedAt = run.createdAt + run.waitMs
  const finishedAt = run.status === 'running' ? null : startedAt + run.durationMs
  await sql`insert into weft_runs (id, workflow, version, input, status, created_at, started_at, finished_at, epoch)
    values (${id}, ${run.workflow}, 1, '{}', ${run.status}, ${run.createdAt}, ${startedAt}, ${finishedAt}, 1)`.execute(db)
  for (const key of ['work', 'work/0']) {
    await sql`insert into weft_steps (run_id, key, task, kind, status, output, attempts, started_at, finished_at)
      values (${id}, ${key}, 'work', 'task', 'completed', '1', 1, ${startedAt}, ${startedAt + run.durationMs})`.execute(db)
  }
}

/** The same runs recorded through a current store's API (one step each): the reference the recorded history must match. */
async function recordedReference(runs: readonly Recorded[]): Promise<HistoryStore> {
  const store = new MemoryWorkflowStore()
  for (const run of runs) await record(store, run)
  return store.history
}

/** The reports compared: both definitions, all time and a window, every workflow and one. */
const comparedQueries = (['nearest-rank', 'linear'] as const).flatMap((definition) => [{ definition }, { definition, from: 1_003, to: 1_040 }, { definition, workflow: 'beta' }])

async function expectSameHistory(store: HistoryStore, expected: HistoryStore): Promise<void> {
  for (const query of comparedQueries) {
    expect(await store.workflows(query), JSON.stringify(query)).toEqual(await expected.workflows(query))
    expect(await store.tasks(query), JSON.stringify(query)).toEqual(await expected.tasks(query))
  }
}

/**
 * A database migrated up to 013 and given a history by raw SQL; then read by a store that does not migrate (the
 * joined paths), upgraded by one that does (PostgreSQL: the steps' history columns filled from their runs), and
 * given one more run by an earlier version's statements after the upgrade (PostgreSQL: the trigger fills its step's
 * columns).
 */
async function upgradeCase({ dialect, open }: { dialect: Dialect; open: (migrate: boolean) => WorkflowStore & { history: HistoryStore } }): Promise<void> {
  // Only PostgreSQL's steps carry history columns (migration 015); SQLite's task rows join the runs to their steps.
  const historyColumns = dialect instanceof PostgresDialect
  const db = new Kysely<unknown>({ dialect })
  try {
    const { error } = await new Migrator({ db, provider: weftMigrationProvider(dialect instanceof PostgresDialect ? 'postgres' : 'sqlite') }).migrateTo(beforeTheIndexes)
    expect(error).toBeUndefined()
    for (const [n, run] of recordedRuns.entries()) await insertAsEarlierVersion(db, run, n)
    const expected = await recordedReference(recordedRuns)
    const older = open(false)
    await older.init()
    await expectSameHistory(older.history, expected)
    await older.close()

    const upgraded = open(true)
    await upgraded.init()
    // PostgreSQL completes the steps' history in the background of the store that migrated.
    if (historyColumns) expect(await (upgraded as unknown as { historyReady: Promise<string> }).historyReady).toBe('completed')
    try {
      if (historyColumns) {
        const unfilled = await sql<{ n: number | string }>`select count(*) as n from weft_steps where workflow is null or run_created_at is null`.execute(db)
        expect(Number(unfilled.rows[0]!.n)).toBe(0)
      }
      await expectSameHistory(upgraded.history, expected)

      const late: Recorded = { ...ended('beta', 1_070, 31), waitMs: 4 }
      await insertAsEarlierVersion(db, late, recordedRuns.length)
      if (historyColumns) {
        const filled = await sql<{ workflow: string; run_created_at: number | string }>`select workflow, run_created_at from weft_steps where run_id = ${`early-${String(recordedRuns.length).padStart(4, '0')}`} order by key`.execute(db)
        expect(filled.rows.map((row) => [row.workflow, Number(row.run_created_at)])).toEqual([['beta', 1_070], ['beta', 1_070]])
      }
      await expectSameHistory(upgraded.history, await recordedReference([...recordedRuns, late]))
    } finally {
      await upgraded.close()
    }
  } finally {
    await db.destroy()
  }
}
