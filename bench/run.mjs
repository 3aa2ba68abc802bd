// Weft benchmarks: `npm run bench` (builds dist/, then runs this file).
//
// Prints figures and ratios; it never passes or fails on time. It exits
// non-zero only when a contender computes something wrong (a task not run
// exactly once, a waiting run that does not complete, a durable run not
// stored completed exactly once) or a durable section could not run.
//
// Order matters: Weft and raw Promises are measured first, then the durable
// stores (SQLite; PostgreSQL against DBOS Transact, which runs in a child
// process of its own), and LangGraph.js is loaded last with a dynamic
// import(), because LangGraph uses AsyncLocalStorage, which on Node 20 makes
// every later await in the process about 3.5× slower.
//
// Flags: --quick skips LangGraph on the 100×100 DAG (about two minutes of
// the total: LangGraph's cost per task grows with the size of the graph).
// --durable-only runs only the durable sections (4 and 5, about a minute).
// WEFT_BENCH_HISTORY_RUNS=<n> seeds section 3i's history with n runs instead of 1,000,000 (a quick check).

import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import os from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const quick = process.argv.includes('--quick')
const durableOnly = process.argv.includes('--durable-only')

// 1. Bench-only dependencies (LangGraph, DBOS) live in bench/node_modules.
const benchDependencies = Object.keys(JSON.parse(readFileSync(join(here, 'package.json'), 'utf8')).dependencies ?? {})
if (benchDependencies.some((name) => !existsSync(join(here, 'node_modules', ...name.split('/'), 'package.json')))) {
  console.log('Installing bench dependencies (npm --prefix bench install)…')
  const npm = spawnSync('npm', ['--prefix', here, 'install', '--no-audit', '--no-fund'], { stdio: 'inherit', shell: process.platform === 'win32' })
  if (npm.status !== 0) process.exit(npm.status ?? 1)
}
if (!existsSync(join(here, '..', 'dist', 'index.js'))) {
  console.error('dist/index.js is missing: run `npm run build` (or use `npm run bench`, which builds first).')
  process.exit(1)
}

// 2. Memory figures need global.gc: re-run this file with --expose-gc.
if (typeof globalThis.gc !== 'function' && process.env.WEFT_BENCH_CHILD === undefined) {
  const child = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, WEFT_BENCH_CHILD: '1' },
  })
  process.exit(child.status ?? 1)
}

const { chain, fanOut, layeredDag, mainShapes } = await import('./shapes.mjs')
const { awaitCost, countingWork, measure, median, othersLoad } = await import('./timing.mjs')
const { table, heading, us, spread, ratio, bytes, ms, cores: coresOf, perSecond, percent } = await import('./report.mjs')
const weft = await import('./weft.mjs')
const raw = await import('./raw.mjs')
const { measureWaitingRuns } = await import('./memory.mjs')

const startedAt = performance.now()
const sectionTimes = []
let sectionStart = startedAt
const wholeRunLoad = othersLoad()
function endSection() {
  const last = sectionTimes.at(-1)
  if (last === undefined) return
  last.ms = performance.now() - sectionStart
  last.others = last.load()
}
function section(title) {
  endSection()
  sectionStart = performance.now()
  sectionTimes.push({ title, ms: 0, load: othersLoad() })
  heading(title)
}
const work = countingWork()
const shapes = mainShapes()
const tasksOf = (shape) => shape.deps.length

console.log(`Weft benchmarks — Node ${process.version}, ${os.platform()} ${os.arch()}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model.trim()})`)
console.log('No-op async tasks (they only count their calls). Figures are µs per task: the median of several')
console.log('timed repetitions after a warm-up, with min–max. Benchmarks only: nothing passes or fails on time.')
console.log('Machines are noisy: compare the ratios measured in this run rather than absolute numbers.')

async function measureWeftAndRaw(reps) {
  const results = new Map()
  for (const shape of shapes) {
    const t = performance.now()
    const workflow = weft.define(shape, work)
    const buildMs = performance.now() - t
    const w = await measure({ prepare: () => weft.prepare(shape, work, workflow), work, tasks: tasksOf(shape), reps })
    const r = await measure({ prepare: () => raw.prepare(shape, work), work, tasks: tasksOf(shape), reps })
    results.set(shape, { weft: w, raw: r, buildMs })
  }
  return results
}

let awaitBefore
let before
let memOk = true
const durableProblems = []
const summaryTitle = 'Summary (Weft and raw from section 1, LangGraph from section 6)'

if (!durableOnly) {
  // ---- 1. Weft vs raw, before LangGraph is loaded ------------------------------------------

  section('1. Weft vs raw Promises (BEFORE LangGraph is loaded)')
  console.log('LangGraph.js uses AsyncLocalStorage; on Node 20, once any code uses it, every await in the')
  console.log('process gets ~3.5× slower. So Weft and raw run first; LangGraph is imported (dynamic import())')
  console.log('only in section 6, and section 7 re-measures Weft and raw with it loaded.\n')

  awaitBefore = await awaitCost()
  before = await measureWeftAndRaw(7)
  table(
    ['shape', 'tasks', 'raw µs/task', 'min–max', 'Weft µs/task', 'min–max', 'Weft/raw', 'Weft build'],
    shapes.map((shape) => {
      const { weft: w, raw: r, buildMs } = before.get(shape)
      return [shape.name, tasksOf(shape).toLocaleString('en-US'), us(r.us), spread(r), us(w.us), spread(w), ratio(w.us, r.us), ms(buildMs)]
    }),
  )
  console.log(`\n  A bare \`await\` of an async no-op costs ${us(awaitBefore)} µs here (no AsyncLocalStorage in the process yet).`)
  console.log('  raw = one promise per node awaiting its dependencies\' promises. Weft = defineWorkflow(...).build()')
  console.log("  run by engine.run() with an in-memory store (MemoryWorkflowStore({ serialization: 'off' }): values kept by")
  console.log('  reference, unchecked, as before the default serialized them), a fresh engine per repetition.')
  console.log('  "Weft build" = defineWorkflow + build (graph compile), not included in µs/task.')

  // ---- 2. Scaling ---------------------------------------------------------------------------

  section('2. Weft scaling: µs per task at 10,000 tasks vs 100 tasks')
  const scaling = [
    ['chain', chain(100), chain(10_000)],
    ['layered DAG, 3 deps', layeredDag(10, 10), layeredDag(100, 100)],
  ]
  const scalingRows = []
  for (const [label, small, large] of scaling) {
    // Small and large alternate, one repetition each, so that drifts of a noisy
    // machine hit both; the ratio is the median of the per-repetition ratios.
    const contenders = {
      weft: (shape) => {
        const workflow = weft.define(shape, work, `${shape.name} (scaling)`)
        return () => weft.prepare(shape, work, workflow)
      },
      raw: (shape) => () => raw.prepare(shape, work),
    }
    const cells = {}
    for (const [name, make] of Object.entries(contenders)) {
      const prepareSmall = make(small)
      const prepareLarge = make(large)
      const smalls = []
      const larges = []
      for (let r = 0; r < 7; r++) {
        smalls.push((await measure({ prepare: prepareSmall, work, tasks: tasksOf(small), reps: 1, minMs: 100 })).us)
        larges.push((await measure({ prepare: prepareLarge, work, tasks: tasksOf(large), reps: 1, minMs: 100 })).us)
      }
      cells[name] = { small: median(smalls), large: median(larges), ratio: median(larges.map((l, i) => l / smalls[i])) }
    }
    const { weft: w, raw: r } = cells
    scalingRows.push([`${label}: ${small.name.split(',')[0]} → ${large.name.split(',')[0]}`, us(w.small), us(w.large), `${w.ratio.toFixed(2)}×`, w.ratio <= 1.3 ? 'within' : 'OVER', `${r.ratio.toFixed(2)}×`])
  }
  table(['shape', 'Weft 100', 'Weft 10,000', 'Weft 10k/100', 'target ≤ 1.3×', 'raw 10k/100'], scalingRows)
  console.log('\n  µs per task, medians of 7 alternating repetitions; the ratios are medians of per-repetition')
  console.log('  ratios. The per-run fixed cost (creating the run, its record and result) weighs more at 100')
  console.log('  tasks, which favours 10,000. What a run keeps per task until it ends (its step records; its')
  console.log('  event log, as numbers in typed arrays) is what could grow the cost: at 10,000 tasks it outlives')
  console.log('  V8\'s young generation and is promoted. raw Promises grow too (reference).')

  // ---- 3. Memory ----------------------------------------------------------------------------

  section('3. Memory: 10,000 concurrent runs waiting for an event')
  const mem = await measureWaitingRuns(10_000)
  const perRun = (a, b) => bytes((a - b) / mem.n)
  table(
    ['when', 'RSS', 'heap used', 'RSS − baseline', 'heap − baseline', 'per run: RSS', 'per run: heap'],
    [
      ['baseline (engine warm, after gc)', bytes(mem.baseline.rss), bytes(mem.baseline.heapUsed), '', '', '', ''],
      [
        `${mem.n.toLocaleString('en-US')} runs waiting (after gc)`,
        bytes(mem.waiting.rss),
        bytes(mem.waiting.heapUsed),
        bytes(mem.waiting.rss - mem.baseline.rss),
        bytes(mem.waiting.heapUsed - mem.baseline.heapUsed),
        perRun(mem.waiting.rss, mem.baseline.rss),
        perRun(mem.waiting.heapUsed, mem.baseline.heapUsed),
      ],
      [
        'peak (sampled every 2 ms)',
        bytes(mem.peak.rss),
        bytes(mem.peak.heapUsed),
        bytes(mem.peak.rss - mem.baseline.rss),
        bytes(mem.peak.heapUsed - mem.baseline.heapUsed),
        perRun(mem.peak.rss, mem.baseline.rss),
        perRun(mem.peak.heapUsed, mem.baseline.heapUsed),
      ],
      [
        'all completed (after gc)',
        bytes(mem.after.rss),
        bytes(mem.after.heapUsed),
        bytes(mem.after.rss - mem.baseline.rss),
        bytes(mem.after.heapUsed - mem.baseline.heapUsed),
        perRun(mem.after.rss, mem.baseline.rss),
        perRun(mem.after.heapUsed, mem.baseline.heapUsed),
      ],
    ],
  )
  memOk = mem.completed === mem.n
  const count = (n) => (n === undefined ? '?' : n.toLocaleString('en-US'))
  console.log(`\n  Workflow: prepare → wait (ctx.waitForEvent('go')) → finish. ${mem.n.toLocaleString('en-US')} runs started in ${ms(mem.waiting.startMs)};`)
  console.log(`  one engine.emit('go') reached ${count(mem.delivered)} waiting runs; ${count(mem.completed)} completed with its payload in ${ms(mem.releaseMs)}: ${memOk ? 'OK' : 'WRONG'}.`)
  console.log(`  Bytes per waiting run = (memory with all runs waiting − baseline) / ${mem.n.toLocaleString('en-US')}, both after gc${mem.gcAvailable ? '' : ' (gc NOT available: figures include garbage)'};`)
  console.log('  RSS also holds memory V8 keeps after collecting, so the heap figure is the one to compare. The')
  console.log('  peak includes garbage made while starting the runs and delivering the event. Waiting runs poll')
  console.log('  nothing: an event wakes its waiters; one watcher per engine looks for events other processes sent.')
  console.log(`  CPU while idle for 1 s: ${mem.idleBefore.toFixed(0)}% of a core with no run waiting, ${mem.waiting.idleCpu.toFixed(0)}% with ${mem.n.toLocaleString('en-US')} runs waiting.`)
  console.log('  The in-memory store (serialization \'off\': values by reference) keeps every run record and step, so')
  console.log('  "all completed" stays above baseline.')
}

// ---- 3b. Adapters: HttpAdapter vs raw fetch --------------------------------------------------

let adapterOk = true
if (!durableOnly) {
  section('3b. Adapters: a call through HttpAdapter vs raw fetch, same local server')
  const { measureHttpOverhead } = await import('./adapters.mjs')
  const http = await measureHttpOverhead({ calls: quick ? 1_500 : 4_000, warmup: 3_000 })
  adapterOk = http.wrong === 0
  table(
    ['client', 'µs per call (median)', 'overhead'],
    [
      ['raw fetch', us(http.rawUs), '—'],
      ['raw fetch + AbortController timeout', us(http.timedUs), `${(http.timedOverhead * 100).toFixed(1)}%`],
      ['raw fetch + the adapter\'s cut (no signal)', us(http.cutUs), `${(http.cutOverhead * 100).toFixed(1)}%`],
      ['HttpAdapter, no policies', us(http.bareUs), `${(http.bareOverhead * 100).toFixed(1)}%`],
      ['HttpAdapter, 5 policies on', us(http.adapterUs), `${(http.overhead * 100).toFixed(1)}%`],
    ],
  )
  const pct = (x) => `${(x * 100).toFixed(1)}%`
  console.log(`  POST of a small JSON body with auth and an idempotency key; the clients take turns call by call (${http.calls}`)
  console.log(`  calls each after ${http.warmup} rounds of warm-up, a random order each round), overhead = ratio of the median call`)
  console.log(`  times to raw fetch's (of the means: policies on ${pct(http.meanOverhead)}). Policies: retry, timeout, breaker, rate limit,`)
  console.log('  bulkhead, none tripping, run directly (DirectPolicies) since none acts; the adapter also decodes the JSON and counts latency.')
  console.log(`  Cold phase (the first ${http.cold.rounds} calls of fresh clients, before V8 optimizes code that runs once per call):`)
  console.log(`  policies on ${pct(http.cold.adapter)}, no policies ${pct(http.cold.bare)} over raw fetch.`)
  const verdict = (overhead) => `${overhead <= 0.1 ? 'met' : 'NOT met'} (${pct(overhead)})`
  console.log(`  Target ≤ 10% with policies on: at steady state ${verdict(http.overhead)}; in the cold phase ${verdict(http.cold.adapter)}.`)
  if (!adapterOk) console.log(`  WRONG: ${http.wrong} calls returned another body`)
}

// ---- 3c. Adapters: AmqpAdapter publish-with-confirm vs raw amqplib (skipped when no broker answers) ----

if (!durableOnly) {
  section('3c. Adapters: AMQP publish with confirms, AmqpAdapter vs raw amqplib, same broker')
  const { measureAmqpPublish, printAmqpPublish } = await import('./amqp.mjs')
  printAmqpPublish(await measureAmqpPublish({ rounds: quick ? 3 : 7, messages: 2_000 }), table)
}

// ---- 3d. Security: JWT authentication (bench/security.mjs; a separate block, added with the JWT slice) ----

if (!durableOnly) {
  section('3d. Security: JwtAuthenticator.authenticate, cached vs a full verification')
  const { measureJwtAuthentication, printJwtAuthentication } = await import('./security.mjs')
  const jwt = await measureJwtAuthentication({ rounds: quick ? 3 : 7 })
  printJwtAuthentication(jwt, table, us)
  if (jwt.wrong > 0) durableProblems.push(`JwtAuthenticator returned a wrong principal or used its cache wrongly ${jwt.wrong} times (see section 3d)`)
}

// ---- 3e. Security: encryption at rest per durable step (bench/encryption.mjs; added with the encryption slice) ----

if (!durableOnly) {
  section('3e. Security: encryption at rest, the payload codec alone and per durable step (SQLite, PostgreSQL)')
  const { measureEncryption, printEncryption } = await import('./encryption.mjs')
  const encryption = await measureEncryption({ reps: quick ? 3 : 7 })
  printEncryption(encryption, table, us)
  if (encryption.alone.wrong > 0) durableProblems.push(`the payload codec decrypted ${encryption.alone.wrong} values wrongly (see section 3e)`)
}

// ---- 3f. Security: the secure path per start (bench/secure-path.mjs) ----

if (!durableOnly) {
  section('3f. Security: a start through the secure path vs without security (SQLite)')
  const { measureSecurePath, printSecurePath } = await import('./secure-path.mjs')
  const secure = await measureSecurePath({ rounds: quick ? 3 : 7 })
  printSecurePath(secure, table, us)
  if (secure.auditEntries !== secure.runs) durableProblems.push(`the secure path wrote ${secure.auditEntries} audit entries for ${secure.runs} starts (see section 3f)`)
}

// ---- 3g. Observability: tracing per task (bench/tracing.mjs; added with the OpenTelemetry slice) ----

if (!durableOnly) {
  section('3g. Observability: OpenTelemetry tracing per task — off, the API without an SDK, an SDK with an in-memory exporter')
  const { measureTracing, printTracing } = await import('./tracing.mjs')
  printTracing(await measureTracing({ rounds: quick ? 3 : 7, work }), table, us)
}

// ---- 3h. Observability: live metrics per task (bench/metrics.mjs; added with the metrics slice) ----

if (!durableOnly) {
  section('3h. Observability: live metrics per task — off, metrics on, metrics on with the tracing API (no SDK)')
  const { measureMetrics, printMetrics } = await import('./metrics.mjs')
  printMetrics(await measureMetrics({ rounds: quick ? 5 : 15, work }), table, us)
}

// ---- 3i. Observability: historical queries over 1,000,000 recorded runs (bench/history.mjs; the history bench) ----

if (!durableOnly) {
  section('3i. Observability: weft stats and engine.history() over a big recorded history (SQLite, PostgreSQL)')
  const { measureHistory, printHistory } = await import('./history.mjs')
  const history = await measureHistory()
  printHistory(history, table)
  for (const problem of history.problems) durableProblems.push(`history section: ${problem}`)
  if (history.postgres.unavailable !== undefined) durableProblems.push(`the history section did not run on PostgreSQL: ${history.postgres.unavailable}`)
}

// ---- 3j. Observability: alert rules evaluated live (bench/alerts.mjs; added with the alerts slice) ----

if (!durableOnly) {
  section('3j. Observability: alert rules evaluated live — metrics only, eight rules every 15 s, every 50 ms')
  const { measureAlerts, printAlerts } = await import('./alerts.mjs')
  const firing = printAlerts(await measureAlerts({ rounds: quick ? 5 : 9 }))
  if (firing > 0) durableProblems.push(`${firing} alerts were firing at the end of section 3j (the workload is healthy: none should)`)
}

// ---- 4. Durable: SQLite --------------------------------------------------------------------

section('4. Durable: SQLite (the default store: a file, WAL, synchronous=NORMAL)')
{
  const { cpuMeter } = await import('./procstat.mjs')
  const { measureSqlite } = await import('./durable-sqlite.mjs')
  const meter = cpuMeter()
  const r = await measureSqlite()
  const cpu = meter()
  console.log(`SQLite ${r.sqliteVersion} (better-sqlite3) on a file in a temp folder, set up by sqliteStore() itself: journal_mode=WAL,`)
  console.log("synchronous=NORMAL. No-op tasks that return their input + 1; every run's last output is checked. Runs one")
  console.log('after another (engine.run), a fresh engine per repetition on the same file; the in-memory engine runs the')
  console.log("same workflow (MemoryWorkflowStore with serialization 'off': the engine alone, values by reference).")
  console.log('Figures: median of 7 repetitions after a warm-up, min–max.\n')
  table(
    ['raw better-sqlite3, same settings', 'µs', 'min–max'],
    [
      ['one-row INSERT per commit (autocommit)', us(r.raw.single.us), spread(r.raw.single)],
      ['100 one-row INSERTs per commit, per row', us(r.raw.batched.us), spread(r.raw.batched)],
    ],
  )
  console.log()
  table(
    ['shape', 'tasks', 'in-memory µs/run', 'SQLite µs/run', 'min–max', 'SQLite µs/task', 'overhead µs/task', "commits' worth/task", 'target ≤ 2', 'transactions/run', 'statements/run'],
    r.rows.map((row) => [
      row.label,
      String(row.tasks),
      us(row.perRunMemory),
      us(row.perRunSqlite),
      `${us(row.durable.min * row.tasks)}–${us(row.durable.max * row.tasks)}`,
      us(row.durable.us),
      us(row.overheadPerTask),
      row.commitsWorth.toFixed(2),
      row.commitsWorth <= 2 ? 'yes' : 'NO',
      row.txns.min === row.txns.max ? String(row.txns.median) : `${row.txns.median} (${row.txns.min}–${row.txns.max})`,
      String(row.statements),
    ]),
  )
  console.log('\n  overhead µs/task = (SQLite µs/run − in-memory µs/run) / tasks: what durability adds per task.')
  console.log("  commits' worth/task = overhead µs/task ÷ µs of one raw one-row commit (above), measured in this run.")
  console.log('  transactions/run: counted by a wrapper around the better-sqlite3 connection handed to')
  console.log('  sqliteStore({ database }), through which every statement of the store runs: each `begin`/`commit` it')
  console.log('  executes, plus each write statement run in autocommit mode (its own transaction; none in a run).')
  console.log('  The median of 30 single runs (a background claim pass of the engine, once a second, adds 2 now and then);')
  console.log('  statements/run counts every statement executed (savepoints, fence checks and reads included).')
  for (const row of r.rows) {
    console.log(`  ${row.label}: ${row.runs.toLocaleString('en-US')} runs on SQLite took ${row.counts.commits.toLocaleString('en-US')} transactions in all (${(row.counts.commits / row.runs).toFixed(1)} per run, migrations and background passes included).`)
  }
  console.log(`  Fan-out: the 100 tasks finish in one turn of the event loop, so their step records share one transaction`)
  console.log('  (group commit); a chain needs one per task, plus one to create and one to finish the run.')
  console.log(
    `  Correctness: ${r.ok ? 'OK' : 'WRONG'} — every run returned the right output, ran each task exactly once, and is stored completed once` +
      ` with one step record per task${r.ok ? '.' : `: ${r.problems.join('; ')}`}`,
  )
  console.log(`  CPU during this section: this process ${coresOf(cpu.self)} cores, other processes ${coresOf(cpu.others)} of ${cpu.cores} cores.`)
  if (!r.ok) durableProblems.push(`SQLite section: ${r.problems.join('; ')}`)
}

// ---- 5. Durable: PostgreSQL, Weft vs DBOS --------------------------------------------------

section('5. Durable: PostgreSQL — Weft vs DBOS Transact on the same server')
{
  const { measurePostgres } = await import('./durable-postgres.mjs')
  let r
  try {
    r = await measurePostgres()
  } catch (error) {
    r = { failed: error }
  }
  if (r.failed !== undefined) {
    console.log(`FAILED: ${r.failed?.stack ?? r.failed}`)
    durableProblems.push(`the PostgreSQL section failed: ${String(r.failed?.message ?? r.failed).split('\n')[0]}`)
  } else if (r.unavailable !== undefined) {
    console.log(`SKIPPED: PostgreSQL is not installed here, so this section could not run.\n  ${r.unavailable}`)
    durableProblems.push(`the PostgreSQL section did not run: ${r.unavailable}`)
  } else {
    const s = r.server.settings
    const res = (key, mode) => r.results[`${key}/${mode}`]
    const dbos = r.configs.find((c) => c.key === 'dbos')
    const weftConfigs = r.configs.filter((c) => c.key !== 'dbos')
    console.log(`PostgreSQL ${s.server_version}: a throwaway server started by the bench (scripts/postgres-server.mjs, as the tests`)
    console.log(`do) in a temp folder on 127.0.0.1, fsync=${s.fsync}, synchronous_commit=${s.synchronous_commit}, wal_sync_method=${s.wal_sync_method}, shared_buffers=${s.shared_buffers},`)
    console.log(`pg_stat_statements loaded. Workflow: ${r.steps} no-op steps in a chain (Weft: ${r.steps} tasks; DBOS ${r.dbosVersion}: ${r.steps} DBOS.runStep calls in`)
    console.log('a registered workflow); each result is checked. Sequential: start → await result → next. Concurrent: 100')
    console.log('closed loops, so 100 workflows are in flight. Weft workers are child processes running an engine')
    console.log('(claimRuns: true) on the same database; this process starts runs with claimRuns: false and awaits them.')
    console.log('In-process: one engine starts and executes its own runs. DBOS runs in a child process of its own, in-process')
    console.log('as DBOS does by default. Pools: 10 connections per process for both (their defaults); Weft\'s, like the pool')
    console.log('postgresStore({ connectionString }) creates, run prepared statements on their generic plans (forceGenericPlans).')
    console.log(`Each configuration has its own database; phases alternate between configurations; figures are medians of ${r.rounds}`)
    console.log('rounds (min–max).\n')

    const raw1 = res('raw', 'sequential')
    const raw8 = res('raw', '8 connections')
    table(
      ['raw commits: one-row INSERT, autocommit', 'commits/s', 'min–max', 'µs/commit', 'CPU: bench', 'PostgreSQL', 'others'],
      [
        ['1 connection, one after another', perSecond(raw1.perSecond), `${perSecond(raw1.min)}–${perSecond(raw1.max)}`, us(1e6 / raw1.perSecond), coresOf(raw1.cpu.self), coresOf(raw1.cpu.postgres), coresOf(raw1.cpu.others)],
        ['8 connections in parallel', perSecond(raw8.perSecond), `${perSecond(raw8.min)}–${perSecond(raw8.max)}`, us(1e6 / raw8.perSecond), coresOf(raw8.cpu.self), coresOf(raw8.cpu.postgres), coresOf(raw8.cpu.others)],
      ],
    )
    console.log()

    const modes = [
      ['sequential', 'sequential', raw1],
      ['concurrent', `${r.concurrency} in flight`, raw8],
    ]
    const ordered = [...weftConfigs, dbos]
    const throughputRows = []
    const costRows = []
    for (const [mode, modeLabel, rawRef] of modes) {
      const dbosRes = res('dbos', mode)
      for (const c of ordered) {
        const x = res(c.key, mode)
        const commitsPerSecond = x.xidsPerWorkflow * x.perSecond
        throughputRows.push([
          c.label,
          modeLabel,
          perSecond(x.perSecond),
          `${perSecond(x.min)}–${perSecond(x.max)}`,
          x.latencyMs.toFixed(1),
          c.key === 'dbos' ? '' : ratio(x.perSecond, dbosRes.perSecond),
          c.key === 'dbos' ? '' : x.perSecond / dbosRes.perSecond >= 3 ? 'yes' : 'NO',
        ])
        costRows.push([
          c.label,
          modeLabel,
          x.queriesPerWorkflow === undefined ? '—' : x.queriesPerWorkflow.toFixed(1),
          x.statementsPerWorkflow.toFixed(1),
          x.xidsPerWorkflow.toFixed(1),
          perSecond(commitsPerSecond),
          percent(commitsPerSecond / rawRef.perSecond),
          coresOf(x.cpu.self),
          coresOf(x.cpu.children),
          coresOf(x.cpu.postgres),
          coresOf(x.cpu.others),
        ])
      }
    }
    table(['configuration', 'mode', 'workflows/s', 'min–max', 'latency ms', 'Weft/DBOS', 'target ≥ 3×'], throughputRows)
    console.log()
    table(['configuration', 'mode', 'round trips/wf', 'statements/wf', 'write txns/wf', 'commits/s', '% of raw', 'CPU: bench', 'children', 'PostgreSQL', 'others'], costRows)
    console.log('\n  workflows/s = workflows completed / wall time; latency = mean time from start() to the result.')
    console.log('  Weft/DBOS = workflows/s of Weft ÷ workflows/s of DBOS in the same mode (target ≥ 3×).')
    console.log('  round trips/wf: queries Weft sent (a counting wrapper around the pg pool given as postgresStore({ pool }),')
    console.log('  in this process and the workers). statements/wf: every statement the server executed for that configuration')
    console.log("  (pg_stat_statements, its database only; BEGIN/COMMIT included). write txns/wf: transaction ids assigned")
    console.log('  during the phase (each is a commit that waits for a WAL flush with synchronous_commit=on; read-only')
    console.log('  transactions get none). Background work (claim passes, lease renewals, DBOS pollers) is included.')
    console.log('  commits/s = write txns/wf × workflows/s: the commit rate the configuration needs; % of raw = that ÷ the raw')
    console.log('  commit rate of this server (sequential ÷ 1 connection, concurrent ÷ 8 connections), measured in this run.')
    console.log('  CPU: average cores used by this process, its child processes (Weft workers or DBOS), the PostgreSQL server')
    console.log('  (all its processes) and everything else, from /proc; the machine has 2 cores.')

    // Where the statements go: pg_stat_statements of the last round, per workflow.
    const profile = (key, mode, limit) => {
      const x = res(key, mode)
      return (x.statements ?? []).slice(0, limit).map((st) => [
        st.perWorkflow.toFixed(2),
        us((st.ms * 1000) / Math.max(1, st.calls)),
        (st.wal / Math.max(1, st.calls)).toFixed(1),
        st.query.length > 96 ? `${st.query.slice(0, 95)}…` : st.query,
      ])
    }
    for (const [key, label] of [
      ['1 worker', 'Weft, 1 worker process, sequential (all processes)'],
      ['dbos', `DBOS ${r.dbosVersion}, sequential`],
    ]) {
      console.log(`\n  Statements per workflow — ${label} (pg_stat_statements, last round; server time, WAL records):`)
      table(['per wf', 'µs each', 'WAL rec', 'statement'], profile(key, 'sequential', 10))
    }

    console.log()
    for (const check of r.checks) {
      const ok = check.problems.length === 0
      const what = check.label === 'raw commits' ? `${check.runs.toLocaleString('en-US')} raw inserts all stored` : `${check.runs.toLocaleString('en-US')} workflows (warm-up included) each completed exactly once with the right output, stored completed with one record per step`
      console.log(`  Correctness, ${check.label}: ${ok ? 'OK' : 'WRONG'} — ${ok ? what : check.problems.join('; ')}.`)
      if (!ok) durableProblems.push(`PostgreSQL section, ${check.label}: ${check.problems.join('; ')}`)
    }
    for (const [id, x] of Object.entries(r.results)) {
      if (x.wrong > 0) {
        console.log(`  ${id}: ${x.wrong} workflows failed or returned a wrong output${x.error ? ` (first error: ${x.error.split('\n')[0]})` : ''}.`)
        durableProblems.push(`PostgreSQL section, ${id}: ${x.wrong} workflows failed or returned a wrong output`)
      }
    }
    console.log(`  Server: initdb ${r.server.timings.initdb} ms, start ${r.server.timings.start} ms.`)
  }
}

if (!durableOnly) {
  // ---- 6. LangGraph -------------------------------------------------------------------------

  section('6. LangGraph.js (imported now, after sections 1–5)')
  const lg = await import('./langgraph.mjs')
  console.log(`@langchain/langgraph ${lg.version}, no checkpointer, same no-op work. StateGraph: a node per task and an edge per`)
  console.log('dependency (joins wait for all). Functional API: an entrypoint calling one task() per node once its')
  console.log('dependencies resolved. Fewer repetitions: a LangGraph run of these shapes takes 0.2 s to 45 s.\n')

  const lgResults = new Map()
  const lgRows = []
  for (const shape of shapes) {
    const big = tasksOf(shape) > 5000
    const row = { stateGraph: undefined, functional: undefined, compileMs: undefined }
    if (!(big && quick)) {
      for (const api of [lg.stateGraph, lg.functional]) {
        const t = performance.now()
        const app = api.compile(shape, work)
        const compileMs = performance.now() - t
        const m = await measure({
          prepare: () => api.prepare(shape, work, app),
          work,
          tasks: tasksOf(shape),
          warmup: big ? 0 : 4,
          rewarm: big ? 0 : 1,
          rewarmTasks: 0,
          reps: big ? 1 : 3,
          minMs: 0,
        })
        if (api === lg.stateGraph) {
          row.stateGraph = m
          row.compileMs = compileMs
        } else row.functional = m
      }
    }
    lgResults.set(shape, row)
    const weftUs = before.get(shape).weft.us
    lgRows.push([
      shape.name,
      us(row.stateGraph?.us),
      spread(row.stateGraph),
      ratio(row.stateGraph?.us, weftUs),
      us(row.functional?.us),
      spread(row.functional),
      ratio(row.functional?.us, weftUs),
      row.compileMs === undefined ? (quick && big ? 'skipped (--quick)' : '—') : ms(row.compileMs),
    ])
  }
  table(['shape', 'StateGraph µs/task', 'min–max', '÷ Weft', 'functional µs/task', 'min–max', '÷ Weft', 'StateGraph compile'], lgRows)
  console.log('\n  ÷ Weft = LangGraph µs/task / Weft µs/task from section 1.')
  console.log('  Chain and fan-out: 4 warm-up runs, then 3 repetitions of (gc, 1 warm-up run, 1 timed run); median.')
  console.log('  The 100×100 DAG: a single timed run per API, no warm-up (the other shapes warmed the code; one run')
  console.log('  takes 30–45 s because LangGraph\'s cost per task grows with graph size). StateGraph compile time is')
  console.log('  not in µs/task.')

  // ---- 7. After LangGraph -------------------------------------------------------------------

  section('7. Weft and raw again, now that LangGraph (AsyncLocalStorage) has run')
  const awaitAfter = await awaitCost()
  const after = await measureWeftAndRaw(5)
  table(
    ['shape', 'raw µs/task', 'raw ×', 'Weft µs/task', 'Weft ×', 'Weft/raw'],
    shapes.map((shape) => {
      const a = after.get(shape)
      const b = before.get(shape)
      return [shape.name, us(a.raw.us), ratio(a.raw.us, b.raw.us), us(a.weft.us), ratio(a.weft.us, b.weft.us), ratio(a.weft.us, a.raw.us)]
    }),
  )
  console.log('\n  "×" = this figure / the same figure in section 1 (before LangGraph was loaded).')
  console.log(`  A bare \`await\` now costs ${us(awaitAfter)} µs (${ratio(awaitAfter, awaitBefore)} section 1's ${us(awaitBefore)} µs): the AsyncLocalStorage trap.`)

  // ---- Summary ------------------------------------------------------------------------------

  section(summaryTitle)
  table(
    ['shape', 'raw', 'Weft', 'LangGraph best', 'Weft/raw', 'LangGraph/Weft', 'Weft ≤ 10 µs', 'LangGraph/Weft ≥ 100×'],
    shapes.map((shape) => {
      const { weft: w, raw: r } = before.get(shape)
      const l = lgResults.get(shape)
      const candidates = [
        ['StateGraph', l.stateGraph],
        ['functional', l.functional],
      ].filter(([, m]) => m !== undefined)
      const best = candidates.sort((a, b) => a[1].us - b[1].us)[0]
      const lgRatio = best === undefined ? undefined : best[1].us / w.us
      return [
        shape.name,
        us(r.us),
        us(w.us),
        best === undefined ? '—' : `${us(best[1].us)} (${best[0]})`,
        ratio(w.us, r.us),
        ratio(best?.[1].us, w.us),
        w.us <= 10 ? 'yes' : 'NO',
        lgRatio === undefined ? '—' : lgRatio >= 100 ? 'yes' : 'NO',
      ]
    }),
  )
  console.log('\n  µs per task. "LangGraph best" is the faster of its two APIs on that shape (the comparison most')
  console.log('  favourable to LangGraph).')
}
endSection()
const others = wholeRunLoad()
const cores = (n) => (n === undefined ? '?' : n.toFixed(1))
console.log(`\nTotal bench time: ${ms(performance.now() - startedAt)}.`)
console.log(`  Per section: ${sectionTimes.filter((x) => x.title !== summaryTitle).map((x) => `${x.title.split('.')[0]}: ${ms(x.ms)} (others used ${cores(x.others)} cores)`).join(', ')}.`)
if (others !== undefined) {
  const busy = others > 0.25
  console.log(`  Other processes used ${cores(others)} of ${os.cpus().length} cores on average during the run${busy ? ': the machine was busy, so figures are noisier than usual.' : '.'}`)
}

let failed = false
if (!memOk) {
  console.error('\nERROR: not every waiting run was released and completed (see section 3).')
  failed = true
}
if (!adapterOk) {
  console.error('\nERROR: a call through the HttpAdapter returned a wrong body (see section 3b).')
  failed = true
}
for (const problem of durableProblems) {
  console.error(`\nERROR: ${problem}`)
  failed = true
}
if (failed) process.exit(1)
