// Historical queries over a big recorded history: `weft stats` (the real CLI from dist/), `engine.history()` and
// `store.history` over N runs (1,000,000 by default; WEFT_BENCH_HISTORY_RUNS=<n> for a quick check) seeded with SQL
// (bench/history-seed.mjs: the same rows on both databases) into a SQLite file and into a throwaway PostgreSQL
// server. Each database is migrated up to the schema before the history indexes, seeded, then opened by the store,
// which applies the remaining migrations (the upgrade's cost on that history is reported; on PostgreSQL the
// all-time task rows are timed right after it, then the steps vacuumed as autovacuum would, then everything timed).
// The two databases must answer the same reports: a difference is a wrong result, not noise. Query plans are
// printed (SQLite's EXPLAIN QUERY PLAN of the statements the store runs; PostgreSQL's EXPLAIN of its two), and
// everything is deleted after.

import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely'
import pg from 'pg'
import { createEngine, sqliteStore } from '../dist/index.js'
import { postgresStore } from '../dist/postgres.js'
import { queueWaitSql, runDurationSql, sqliteWorkflowNamesSql, workflowCountsSql, pgPercentilesSql, pgTaskHistorySql, runFilter } from '../dist/storage/sql/history-sql.js'
import { ensureHistoryAggregates } from '../dist/storage/sqlite/sqlite-history-aggregates.js'
import { sqliteRunRowSql, sqliteTaskRowsSql } from '../dist/storage/sqlite/sqlite-history-queries.js'
import { weftMigrationProvider } from '../dist/storage/sql/migrations.js'
import { PostgresUnavailableError, startPostgres } from '../scripts/postgres-server.mjs'
import { seedSpanMs, seedStatements, seedWorkflows } from './history-seed.mjs'
import { median } from './timing.mjs'

const require = createRequire(new URL('../package.json', import.meta.url))
const Database = require('better-sqlite3')
const cli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url))

/** The migration before the history index: the schema a database had when its history was recorded. */
const before = '2026_12_09_013_trace'
const dayMs = 86_400_000
const busiest = seedWorkflows[0][0]
const count = (n) => n.toLocaleString('en-US')

/** A baseline measured in the same run: a bare scan of every run and every step (a count and a sum, no grouping). */
const bareRunsSql = 'select count(*), sum(finished_at - started_at) from weft_runs'
const bareStepsSql = 'select count(*), sum(finished_at - started_at) from weft_steps'

/**
 * The queries timed: [label, HistoryQuery, weft stats flags]. `weft stats` reads the last 24 h unless told
 * otherwise, so the all-time rows pass `--since all` and the last-24-h row is the bare command.
 */
function cases(now) {
  return [
    ['all workflows, all time', {}, ['--since', 'all']],
    [`one workflow (${busiest}), all time`, { workflow: busiest }, ['--workflow', busiest, '--since', 'all']],
    ['last 24 h (bare weft stats)', { from: now - dayMs }, []],
  ]
}

async function migrateTo(db, dialect) {
  const { error } = await new Migrator({ db, provider: weftMigrationProvider(dialect) }).migrateTo(before)
  if (error !== undefined) throw error
  await db.destroy()
}

/** A line saying what the section is doing (seeding and the queries take minutes). */
const progress = (text) => console.log(`  … ${text}`)

const timed = async (work) => {
  const started = performance.now()
  const value = await work()
  return { ms: performance.now() - started, value }
}

/** The median time of `repeats` calls of `work`, and its last value. */
async function medianOf(repeats, work) {
  const times = []
  let value
  for (let i = 0; i < repeats; i++) ({ ms: times[i], value } = await timed(work))
  return { ms: median(times), min: Math.min(...times), max: Math.max(...times), value }
}

/** `weft stats --format json` as a child process: wall time (Node's start included) and the parsed report. */
function runCli(database, flags) {
  const started = performance.now()
  const child = spawnSync(process.execPath, [cli, 'stats', '--database', database, '--format', 'json', ...flags], { encoding: 'utf8', maxBuffer: 64 << 20 })
  const ms = performance.now() - started
  if (child.status !== 0) throw new Error(`weft stats ${flags.join(' ')} exited with ${child.status}: ${child.stderr.trim()}`)
  return { ms, report: JSON.parse(child.stdout) }
}

/** `weft --version` as a child process: what the CLI's wall time includes before any query (Node's start, loading Weft). */
function cliStartMs() {
  const started = performance.now()
  spawnSync(process.execPath, [cli, '--version'])
  return performance.now() - started
}

/** Times the API, the engine and the CLI on one store for every case. */
async function measureQueries({ open, database, now, repeats, bareScans, afterUpgrade = async () => undefined }) {
  const store = open()
  const { ms: upgradeMs } = await timed(() => store.init())
  // PostgreSQL completes the steps' history in the background of the store that migrated: timed from init's end.
  const { ms: completionMs, value: completion } = await timed(() => store.historyReady ?? Promise.resolve(undefined))
  const upgraded = await afterUpgrade(store)
  const engine = createEngine({ store, claimRuns: false })
  // A warm-up on an empty window: statements prepared and code compiled before anything is timed.
  await store.history.workflows({ from: now, to: now + 1 })
  await store.history.tasks({ from: now, to: now + 1 })
  const rows = []
  progress('querying…')
  for (const [label, query, flags] of cases(now)) {
    const workflows = await medianOf(repeats, () => store.history.workflows(query))
    const tasks = await medianOf(repeats, () => store.history.tasks(query))
    const history = await medianOf(repeats, () => engine.history(query))
    const stats = runCli(database, flags)
    rows.push({ label, query, workflows, tasks, history, cli: stats.ms, cliReport: stats.report })
  }
  await engine.close()
  await store.close()
  return { upgradeMs, completionMs: completion === undefined ? undefined : completionMs, completion, upgraded, rows, bare: await bareScans() }
}

/** Runs and steps a window selected, from its report. */
function counted(workflowRows, taskRows) {
  return {
    runs: workflowRows.reduce((sum, row) => sum + row.total, 0),
    steps: taskRows.reduce((sum, row) => sum + row.completed + row.failed + row.skipped, 0),
  }
}

// ---- SQLite ------------------------------------------------------------------------------------

function sqlitePlans(path) {
  const db = new Database(path, { readonly: true })
  try {
    ensureHistoryAggregates(db)
    const parameters = { from: -8.64e15, to: 8.64e15, workflow: busiest, definition: 'nearest-rank' }
    const plan = (sql) => db.prepare(`explain query plan ${sql}`).all(parameters).map((row) => row.detail).join('; ')
    return [
      ['workflow names (loose index scan)', plan(sqliteWorkflowNamesSql)],
      ['a workflow\'s runs (counts + percentiles)', plan(sqliteRunRowSql(true))],
      ['a workflow\'s tasks (folded by task in one pass)', plan(sqliteTaskRowsSql(true))],
    ]
  } finally {
    db.close()
  }
}

async function measureSqlite({ runs, now, repeats, dir }) {
  const path = join(dir, 'history.sqlite')
  await migrateTo(new Kysely({ dialect: new SqliteDialect({ database: new Database(path) }) }), 'sqlite')
  const db = new Database(path)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  progress(`SQLite: seeding ${count(runs)} runs…`)
  const seeded = await timed(() => db.transaction(() => seedStatements('sqlite', { runs, now }).forEach((sql) => db.prepare(sql).run()))())
  const totals = { runs: db.prepare('select count(*) as n from weft_runs').get().n, steps: db.prepare('select count(*) as n from weft_steps').get().n }
  db.close()
  const bareScans = async () => {
    const reader = new Database(path, { readonly: true })
    try {
      return { runs: (await timed(() => reader.prepare(bareRunsSql).get())).ms, steps: (await timed(() => reader.prepare(bareStepsSql).get())).ms }
    } finally {
      reader.close()
    }
  }
  const measured = await measureQueries({ open: () => sqliteStore({ path }), database: path, now, repeats, bareScans })
  return { seedMs: seeded.ms, totals, ...measured, plans: sqlitePlans(path) }
}

// ---- PostgreSQL --------------------------------------------------------------------------------

async function postgresPlans(url) {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const param = (name) => ({ from: '$1::float8', to: '$2::float8', workflow: '$3::text' })[name]
    const filter = runFilter({}, param)
    const statements = [
      ['runs by workflow (counts + percentiles)', `${workflowCountsSql('postgres', filter)}, ${pgPercentilesSql(runDurationSql, 'nearest-rank')} as d, ${pgPercentilesSql(queueWaitSql, 'nearest-rank')} as w from weft_runs r where ${filter} group by r.workflow order by r.workflow`],
      ['tasks (counts + percentiles)', pgTaskHistorySql({}, 'nearest-rank')],
    ]
    const plans = []
    for (const [label, sql] of statements) {
      const { rows } = await client.query(`explain ${sql}`, [-8.64e15, 8.64e15])
      const nodes = rows.map((row) => row['QUERY PLAN'].trim().replace(/^->\s*/, '').replace(/\s+\(cost=.*$/, '')).filter((line) => !/^(Filter|Hash Cond|Index Cond|Group Key|Sort Key|Workers|Join Filter)/.test(line))
      plans.push([label, nodes.join('; ')])
    }
    return plans
  } finally {
    await client.end()
  }
}

async function seedPostgres(url, { runs, now }) {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    // A bulk load: no JIT for the seed's large expressions, no wait for each commit's flush, and no foreign-key
    // triggers (session_replication_role = replica; every step's run is inserted first, by construction).
    await client.query("set jit = off; set synchronous_commit = off; set session_replication_role = 'replica'")
    const seeded = await timed(async () => {
      await client.query('begin')
      for (const sql of seedStatements('postgres', { runs, now })) await client.query(sql)
      await client.query('commit')
    })
    const vacuum = await timed(() => client.query('vacuum analyze'))
    const rowsOf = async (table) => Number((await client.query(`select count(*) as n from ${table}`)).rows[0].n)
    return { seedMs: seeded.ms, vacuumMs: vacuum.ms, totals: { runs: await rowsOf('weft_runs'), steps: await rowsOf('weft_steps') } }
  } finally {
    await client.end()
  }
}

/**
 * The upgrade rewrites every step (it fills their history columns), and until vacuum has marked the pages
 * all-visible again an index-only scan still visits the table for each row. Autovacuum does that soon after (the
 * rewrite leaves every old row version dead): the all-time task rows are timed once right after the upgrade, then
 * the steps vacuumed, and everything else timed as the history stands from then on.
 */
function vacuumAfterUpgrade(url) {
  return async (store) => {
    const { ms: beforeVacuumMs } = await timed(() => store.history.tasks({}))
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    try {
      const { ms: vacuumMs } = await timed(() => client.query('vacuum analyze weft_steps'))
      return { beforeVacuumMs, vacuumMs }
    } finally {
      await client.end()
    }
  }
}

async function measurePostgresHistory({ runs, now, repeats }) {
  let server
  try {
    server = await startPostgres({})
    await migrateTo(new Kysely({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: server.url, max: 1 }) }) }), 'postgres')
    progress(`PostgreSQL: seeding ${count(runs)} runs…`)
    const seeded = await seedPostgres(server.url, { runs, now })
    const bareScans = async () => {
      const client = new pg.Client({ connectionString: server.url })
      await client.connect()
      try {
        return { runs: (await timed(() => client.query(bareRunsSql))).ms, steps: (await timed(() => client.query(bareStepsSql))).ms }
      } finally {
        await client.end()
      }
    }
    const measured = await measureQueries({ open: () => postgresStore({ connectionString: server.url }), database: server.url, now, repeats, bareScans, afterUpgrade: vacuumAfterUpgrade(server.url) })
    return { ...seeded, ...measured, plans: await postgresPlans(server.url), version: /\d+(\.\d+)?/.exec(server.version)?.[0] ?? server.version }
  } catch (error) {
    if (error instanceof PostgresUnavailableError) return { unavailable: error.message }
    throw error
  } finally {
    await server?.stop()
  }
}

// ---- both --------------------------------------------------------------------------------------

/** Rounds what each database divides itself (means, costs) so that equal reports compare equal. */
function comparable(value) {
  return JSON.stringify(value, (key, v) => ((key === 'mean' || key === 'costUsd') && typeof v === 'number' ? Math.round(v * 1e3) / 1e3 : v))
}

/** The runs per workflow of a report's rows, of engine.history() or of `weft stats --format json`. */
const totalsOfReport = (report) => report.workflows.map((row) => `${row.workflow}:${row.runs.total}`).join(',')
const totalsOfRows = (rows) => rows.map((row) => `${row.workflow}:${row.total}`).join(',')

/**
 * Differences between the SQLite and PostgreSQL answers (the same rows were seeded into both), and between each
 * store's history and engine.history() or weft stats (a window of the last 24 h ends when the CLI runs: compared
 * by its workflows and tasks only; an all-time window by its runs too).
 */
function disagreements(sqlite, postgres) {
  const problems = []
  const stores = [['SQLite', sqlite], ...(postgres.rows === undefined ? [] : [['PostgreSQL', postgres]])]
  for (const [i, { label }] of sqlite.rows.entries()) {
    for (const [name, result] of stores) {
      const row = result.rows[i]
      if (totalsOfReport(row.history.value) !== totalsOfRows(row.workflows.value)) problems.push(`${name}, ${label}: engine.history() and store.history count different runs`)
      const cliShape = `${row.cliReport.workflows.length}/${row.cliReport.tasks.length}`
      if (cliShape !== `${row.workflows.value.length}/${row.tasks.value.length}`) problems.push(`${name}, ${label}: weft stats reported ${cliShape} workflows/tasks, the API ${row.workflows.value.length}/${row.tasks.value.length}`)
      // An all-time window does not move with the clock: weft stats must count the very same runs.
      if (row.query.from === undefined && totalsOfReport(row.cliReport) !== totalsOfRows(row.workflows.value)) problems.push(`${name}, ${label}: weft stats counted other runs than store.history (${totalsOfReport(row.cliReport)})`)
    }
    if (postgres.rows !== undefined) {
      if (comparable(sqlite.rows[i].workflows.value) !== comparable(postgres.rows[i].workflows.value)) problems.push(`${label}: SQLite and PostgreSQL answer different workflow rows`)
      if (comparable(sqlite.rows[i].tasks.value) !== comparable(postgres.rows[i].tasks.value)) problems.push(`${label}: SQLite and PostgreSQL answer different task rows`)
    }
  }
  return problems
}

/**
 * Seeds and measures both databases.
 * @returns {{ runs, shape, sqlite, postgres, problems: string[] }}
 */
export async function measureHistory({ runs = Number(process.env.WEFT_BENCH_HISTORY_RUNS ?? 1_000_000), repeats = 1 } = {}) {
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`WEFT_BENCH_HISTORY_RUNS must be a positive integer; got ${process.env.WEFT_BENCH_HISTORY_RUNS}`)
  const now = Date.now()
  const dir = mkdtempSync(join(tmpdir(), 'weft-bench-history-'))
  let sqlite
  try {
    sqlite = await measureSqlite({ runs, now, repeats, dir })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  const postgres = await measurePostgresHistory({ runs, now, repeats })
  return { runs, repeats, sqlite, postgres, cliStartMs: cliStartMs(), problems: disagreements(sqlite, postgres) }
}

/** A duration for the table: two decimals below 10 s, e.g. "0.84 s" / "73 ms". */
const secs = (value) => (value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value.toFixed(0)} ms`)

function printStore(name, result) {
  console.log(`\n  ${name}: ${count(result.totals.runs)} runs, ${count(result.totals.steps)} steps seeded in ${secs(result.seedMs)}${result.vacuumMs === undefined ? '' : ` (then VACUUM ANALYZE ${secs(result.vacuumMs)})`};`)
  console.log(`  upgrade on that history: the store's init (migrations 2026_12_10_014_history_index and 2026_12_11_015_step_history) ${secs(result.upgradeMs)}` +
    (result.completionMs === undefined ? '.' : `; then, in its background, the steps' history filled and indexed online (${result.completion}) in ${secs(result.completionMs)}.`))
  const rows = result.rows.map((row) => {
    const { runs, steps } = counted(row.workflows.value, row.tasks.value)
    return [row.label, count(runs), count(steps), secs(row.workflows.ms), secs(row.tasks.ms), secs(row.history.ms), secs(row.cli)]
  })
  table(['query', 'runs', 'steps', 'history.workflows', 'history.tasks', 'engine.history()', 'weft stats (process)'], rows)
  const [all] = result.rows
  if (result.upgraded !== undefined) {
    const { beforeVacuumMs, vacuumMs } = result.upgraded
    console.log(`  Right after the upgrade, which rewrote every step, history.tasks for all time took ${secs(beforeVacuumMs)}; then VACUUM ANALYZE of the steps`)
    console.log(`  (${secs(vacuumMs)}; what autovacuum does soon after) marked them all-visible again, and the queries below were timed.`)
  }
  console.log(`  Baseline, same run: a bare scan (count and sum) of every run took ${secs(result.bare.runs)}, of every step ${secs(result.bare.steps)}: all-time`)
  console.log(`  history.workflows = ${(all.workflows.ms / result.bare.runs).toFixed(1)}× the runs' scan, history.tasks = ${(all.tasks.ms / result.bare.steps).toFixed(1)}× the steps' scan.`)
  console.log('  Query plans:')
  for (const [label, plan] of result.plans) console.log(`    ${label}: ${plan}`)
}

let table = () => {}

/** Prints the section. */
export function printHistory(result, printTable) {
  table = printTable
  const { runs, sqlite, postgres } = result
  const shape = seedWorkflows.map(([name, share, tasks]) => `${name} ${share}% (${tasks.length} tasks)`).join(', ')
  console.log(`${count(runs)} runs created over ${seedSpanMs / dayMs} days, seeded with SQL (bench/history-seed.mjs), the same rows in both databases:`)
  console.log(`${shape}; 93% completed, 4.5% failed, 1.5% cancelled, 1% dead-lettered, the last 10 minutes' runs running;`)
  console.log('steps 0.5–1.5× their task\'s typical time with a 1% tail up to 20×, 4% retried, two tasks skipped in 10% of runs.')
  console.log(`Times: ${result.repeats === 1 ? 'one call each' : `the median of ${result.repeats} calls each`}, after the store opened (and upgraded) the database. weft stats is`)
  console.log(`one child process (\`weft stats --format json\`): its start (Node, loading Weft) is in it, ${secs(result.cliStartMs)} for \`weft --version\` here.`)
  printStore('SQLite (a file, WAL)', sqlite)
  if (postgres.unavailable !== undefined) console.log(`\n  PostgreSQL: SKIPPED — ${postgres.unavailable}`)
  else printStore(`PostgreSQL ${postgres.version} (a throwaway server, default settings)`, postgres)
  console.log('\n  history.workflows / history.tasks: store.history\'s two queries; engine.history() runs both at once and builds the')
  console.log('  report; weft stats does the same in a fresh process. The runs/steps columns count what each window selected.')
  console.log(`  weft stats flags per row: ${cases(0).map(([label, , flags]) => `${label}: ${flags.length === 0 ? '(none: its default window)' : flags.join(' ')}`).join('; ')}.`)
  if (result.problems.length === 0) console.log('  Correctness: OK — SQLite and PostgreSQL answered identical rows for every query; engine.history() and weft stats agree.')
  else for (const problem of result.problems) console.log(`  WRONG: ${problem}`)
}
