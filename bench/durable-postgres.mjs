// Durable benchmarks on PostgreSQL: Weft (`postgresStore`) against DBOS
// Transact on the same throwaway server (fsync and synchronous_commit on),
// and against the raw commit rate of that server, all measured in this run.
//
// The server is started by scripts/postgres-server.mjs (the same code the
// tests use), with pg_stat_statements loaded to count the statements each
// workflow costs. Each configuration has a database of its own, so engines of
// one configuration never claim another's runs and statements are counted per
// configuration:
//   - Weft in-process: one engine starts and executes its runs (claimRuns: true).
//   - Weft 1 / 2 workers: this process starts runs with `claimRuns: false` and
//     awaits their results; 1 or 2 child processes (durable-worker.mjs) run
//     engines with `claimRuns: true` that claim and execute them.
//   - DBOS: a child process (dbos.mjs) starting and executing its workflows
//     in-process, as DBOS does by default.
// Phases alternate between configurations over several rounds (fsync latency
// drifts on these machines), and every figure is the median over the rounds.

import { fork } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { PostgresUnavailableError, startPostgres } from '../scripts/postgres-server.mjs'
import { createEngine } from '../dist/index.js'
import { postgresStore } from '../dist/postgres.js'
import { drive } from './drive.mjs'
import { chainWorkflow } from './durable-workflows.mjs'
import { countingPool, rootPg } from './pg-counting.mjs'
import { cpuMeter, postgresCpuMs } from './procstat.mjs'
import { median, registerRelatedCpu } from './timing.mjs'

const here = (file) => fileURLToPath(new URL(file, import.meta.url))

/** A child process driven over IPC; messages are buffered until asked for. */
function forkChild(script, args, execArgv = process.execArgv) {
  const child = fork(here(script), [JSON.stringify(args)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv })
  const inbox = []
  const waiters = []
  let failure
  const settle = () => {
    for (let i = 0; i < waiters.length; i++) {
      const w = waiters[i]
      if (failure !== undefined) {
        waiters.splice(i--, 1)
        w.reject(new Error(`${script}: ${failure}`))
        continue
      }
      const j = inbox.findIndex((m) => m.type === w.type)
      if (j >= 0) {
        waiters.splice(i--, 1)
        w.resolve(inbox.splice(j, 1)[0])
      }
    }
  }
  child.on('message', (message) => {
    if (message.type === 'error') failure ??= message.error
    else inbox.push(message)
    settle()
  })
  const exited = new Promise((resolve) => child.on('exit', resolve))
  child.on('exit', (code, signal) => {
    failure ??= `exited (${signal ?? code}) before answering`
    settle()
  })
  return {
    pid: child.pid,
    next: (type) =>
      new Promise((resolve, reject) => {
        waiters.push({ type, resolve, reject })
        settle()
      }),
    request(message, type) {
      const reply = this.next(type)
      child.send(message)
      return reply
    },
    exited,
    kill: () => child.kill('SIGKILL'),
  }
}

const xmaxSql = `select pg_snapshot_xmax(pg_current_snapshot())::text::bigint as x`

/**
 * Runs the PostgreSQL section. Returns `{ unavailable }` when PostgreSQL's
 * binaries are missing, else the server, raw commit rates, per configuration
 * and mode the medians over rounds, and the correctness checks.
 */
export async function measurePostgres({ rounds = 3, sequentialMs = 1500, concurrentMs = 2000, steps = 10, concurrency = 100, warmupSequential = 20, warmupConcurrent = 300 } = {}) {
  let server
  try {
    server = await startPostgres({ settings: { shared_preload_libraries: 'pg_stat_statements', 'pg_stat_statements.track_utility': true } })
  } catch (error) {
    if (error instanceof PostgresUnavailableError) return { unavailable: error.message }
    throw error
  }
  const pg = rootPg()
  const postmasterPid = Number(readFileSync(`${server.dataDir}/postmaster.pid`, 'utf8').split('\n')[0])
  let pgCpuFrozen
  // The server's CPU counts as the bench's own in the "others used" figures, also after it stopped.
  registerRelatedCpu(() => pgCpuFrozen ?? postgresCpuMs(postmasterPid))
  const urlOf = (database) => {
    const url = new URL(server.url)
    url.pathname = `/${database}`
    return url.toString()
  }
  const cleanups = []
  const admin = new pg.Client({ connectionString: urlOf('postgres') })
  try {
    await admin.connect()
    await admin.query('create extension if not exists pg_stat_statements')
    const settings = {}
    for (const name of ['fsync', 'synchronous_commit', 'wal_sync_method', 'shared_buffers', 'max_connections', 'server_version']) {
      settings[name] = (await admin.query(`show ${name}`)).rows[0][name]
    }
    for (const db of ['bench_raw', 'weft_in_process', 'weft_1_worker', 'weft_2_workers']) await admin.query(`create database ${db}`)
    const dbid = async (name) => (await admin.query('select oid::int as oid from pg_database where datname = $1', [name])).rows[0]?.oid

    // ---- raw commits: one-row INSERT, autocommit, 1 connection and 8 in parallel ----
    const rawClients = []
    for (let i = 0; i < 8; i++) {
      const client = new pg.Client({ connectionString: urlOf('bench_raw') })
      await client.connect()
      rawClients.push(client)
    }
    cleanups.push(() => Promise.all(rawClients.map((c) => c.end().catch(() => undefined))))
    await rawClients[0].query('create table raw_commits (id bigserial primary key, v text not null)')
    let rawInserted = 0
    const rawPhase = async (connections, durationMs) => {
      const deadline = performance.now() + durationMs
      const t0 = performance.now()
      let commits = 0
      await Promise.all(
        rawClients.slice(0, connections).map(async (client) => {
          while (performance.now() < deadline) {
            await client.query('insert into raw_commits (v) values ($1)', ['x'])
            commits++
          }
        }),
      )
      rawInserted += commits
      return { completed: commits, wrong: 0, ms: performance.now() - t0 }
    }

    // ---- Weft configurations ----
    const weftConfig = async ({ key, label, database, workers }) => {
      const url = urlOf(database)
      const counter = { calls: 0 }
      const { workflow, last, expected } = chainWorkflow(steps, counter)
      const pool = countingPool(url)
      const store = postgresStore({ pool })
      // Background errors (claim passes, lease renewals) fail the section, but for those of a claim pass
      // still in flight when engine.close() returns, which may find the pool ended.
      let closing = false
      const backgroundErrors = []
      const onBackgroundError = (error) => {
        if (!closing) backgroundErrors.push(String(error?.stack ?? error))
      }
      const engine = createEngine({ store, workflows: [workflow], claimRuns: workers === 0, onBackgroundError })
      const children = Array.from({ length: workers }, () => forkChild('durable-worker.mjs', { url, steps }))
      cleanups.push(async () => {
        await engine.close({ drain: '1 s' }).catch(() => undefined)
        await pool.end().catch(() => undefined)
        for (const c of children) c.kill()
      })
      await Promise.all([engine.ready, ...children.map((c) => c.next('ready'))])
      let issued = 0
      const once = async () => {
        issued++
        const run = await engine.start(workflow, 0)
        const result = await run.result()
        return result.output(last) === expected(0)
      }
      return {
        key,
        label,
        database,
        dbid: await dbid(database),
        kind: 'weft',
        childPids: () => children.map((c) => c.pid),
        drive: (options) => drive({ once, ...options }),
        queries: async () => {
          let n = pool.counts.queries
          for (const c of children) n += (await c.request({ type: 'stats' }, 'stats')).queries
          return n
        },
        async finish() {
          const workerStats = []
          for (const c of children) workerStats.push(await c.request({ type: 'stop' }, 'stopped'))
          await Promise.all(children.map((c) => c.exited))
          closing = true
          await engine.close({ drain: '5 s' })
          await pool.end()
          const calls = counter.calls + workerStats.reduce((a, s) => a + s.calls, 0)
          const client = new pg.Client({ connectionString: url })
          await client.connect()
          try {
            const runs = (
              await client.query(
                `select count(*)::int as runs, (count(*) filter (where status = 'completed'))::int as completed,
                   (count(*) filter (where epoch <> 1 or recoveries <> 0))::int as reclaimed from weft_runs`,
              )
            ).rows[0]
            const stored = (await client.query('select count(*)::int as n from weft_steps')).rows[0].n
            const problems = backgroundErrors.map((e) => `background error: ${e.split('\n')[0]}`)
            if (runs.runs !== issued || runs.completed !== issued) problems.push(`${issued} runs started, ${runs.runs} stored, ${runs.completed} completed`)
            if (runs.reclaimed !== 0) problems.push(`${runs.reclaimed} runs claimed more than once`)
            if (stored !== issued * steps) problems.push(`${stored} steps stored, expected ${issued * steps}`)
            if (calls !== issued * steps) problems.push(`${calls} task calls, expected ${issued * steps} (each task exactly once)`)
            return { runs: issued, calls, problems }
          } finally {
            await client.end()
          }
        },
      }
    }

    const dbosConfig = async () => {
      const database = 'dbos_bench'
      const child = forkChild('dbos.mjs', { url: urlOf(database), steps }, [...process.execArgv.filter((a) => a !== '--expose-gc'), '--no-deprecation'])
      cleanups.push(async () => child.kill())
      const ready = await child.next('ready')
      let issued = 0
      return {
        key: 'dbos',
        label: `DBOS ${ready.version} (in-process)`,
        database,
        dbid: await dbid(database),
        kind: 'dbos',
        version: ready.version,
        childPids: () => [child.pid],
        drive: async (options) => {
          const reply = await child.request({ type: 'drive', ...options }, 'drove')
          issued += reply.completed + reply.wrong
          return reply
        },
        queries: async () => undefined,
        async finish() {
          const stats = await child.request({ type: 'stop' }, 'stopped')
          await child.exited
          const client = new pg.Client({ connectionString: urlOf(database) })
          await client.connect()
          try {
            const status = (await client.query(`select status, count(*)::int as n from dbos.workflow_status group by status`)).rows
            const outputs = (await client.query(`select count(*)::int as n from dbos.operation_outputs`)).rows[0].n
            const succeeded = status.find((s) => s.status === 'SUCCESS')?.n ?? 0
            const total = status.reduce((a, s) => a + s.n, 0)
            const problems = []
            if (total !== issued || succeeded !== issued) problems.push(`${issued} workflows started, ${total} stored, ${succeeded} SUCCESS (${status.map((s) => `${s.status} ${s.n}`).join(', ')})`)
            if (outputs !== issued * steps) problems.push(`${outputs} step outputs stored, expected ${issued * steps}`)
            if (stats.calls !== issued * steps) problems.push(`${stats.calls} step calls, expected ${issued * steps} (each step exactly once)`)
            return { runs: issued, calls: stats.calls, problems }
          } finally {
            await client.end()
          }
        },
      }
    }

    const configs = await Promise.all([
      weftConfig({ key: 'in-process', label: 'Weft in-process', database: 'weft_in_process', workers: 0 }),
      weftConfig({ key: '1 worker', label: 'Weft, 1 worker process', database: 'weft_1_worker', workers: 1 }),
      weftConfig({ key: '2 workers', label: 'Weft, 2 worker processes', database: 'weft_2_workers', workers: 2 }),
      dbosConfig(),
    ])

    // ---- warm-up (JIT, connections, tables) ----
    for (const c of configs) {
      await c.drive({ concurrency: 1, count: warmupSequential })
      await c.drive({ concurrency, count: warmupConcurrent })
    }

    // ---- measured phases, alternating configurations over rounds ----
    const modes = [
      { mode: 'sequential', concurrency: 1, durationMs: sequentialMs },
      { mode: 'concurrent', concurrency, durationMs: concurrentMs },
    ]
    const samples = new Map() // `${key}/${mode}` → phase results
    const push = (id, phase) => {
      if (!samples.has(id)) samples.set(id, [])
      samples.get(id).push(phase)
    }
    const xmax = async () => Number((await admin.query(xmaxSql)).rows[0].x)
    const statementsOf = async (oid) =>
      (
        await admin.query(
          `select regexp_replace(query, '\\s+', ' ', 'g') as query, calls::int as calls, total_exec_time as ms, wal_records::int as wal
           from pg_stat_statements where dbid = $1 order by calls desc`,
          [oid],
        )
      ).rows
    const phase = async (config, { mode, concurrency: inFlight, durationMs }) => {
      await admin.query('select pg_stat_statements_reset()')
      const queries0 = await config.queries()
      const x0 = await xmax()
      const meter = cpuMeter({ children: config.childPids, postmasterPid })
      const result = await config.drive({ concurrency: inFlight, durationMs })
      const cpu = meter()
      const x1 = await xmax()
      const queries1 = await config.queries()
      const statements = await statementsOf(config.dbid)
      const n = result.completed
      push(`${config.key}/${mode}`, {
        ...result,
        perSecond: (n * 1000) / result.ms,
        latencyMs: result.latencyMs,
        xidsPerWorkflow: (x1 - x0) / n,
        queriesPerWorkflow: queries0 === undefined ? undefined : (queries1 - queries0) / n,
        statementsPerWorkflow: statements.reduce((a, s) => a + s.calls, 0) / n,
        statements: statements.map((s) => ({ ...s, perWorkflow: s.calls / n })),
        cpu,
      })
    }
    const rawPhases = [
      { key: 'raw', mode: 'sequential', connections: 1 },
      { key: 'raw', mode: '8 connections', connections: 8 },
    ]
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? configs : [...configs].reverse()
      const doRaw = async () => {
        for (const r of rawPhases) {
          const x0 = await xmax()
          const meter = cpuMeter({ postmasterPid })
          const result = await rawPhase(r.connections, 1000)
          const cpu = meter()
          const x1 = await xmax()
          push(`raw/${r.mode}`, { ...result, perSecond: (result.completed * 1000) / result.ms, xidsPerWorkflow: (x1 - x0) / result.completed, cpu })
        }
      }
      if (round % 2 === 0) await doRaw()
      for (const config of order) for (const m of round % 2 === 0 ? modes : [...modes].reverse()) await phase(config, m)
      if (round % 2 === 1) await doRaw()
    }

    // ---- correctness, then shut everything down ----
    const checks = []
    for (const c of configs) checks.push({ label: c.label, ...(await c.finish()) })
    const rawStored = (await rawClients[0].query('select count(*)::int as n from raw_commits')).rows[0].n
    checks.push({ label: 'raw commits', runs: rawInserted, problems: rawStored === rawInserted ? [] : [`${rawInserted} inserts committed, ${rawStored} rows stored`] })

    const summarize = (id) => {
      const list = samples.get(id) ?? []
      const med = (pick) => {
        const xs = list.map(pick).filter((x) => x !== undefined && Number.isFinite(x))
        return xs.length === 0 ? undefined : median(xs)
      }
      const rates = list.map((p) => p.perSecond)
      return {
        perSecond: med((p) => p.perSecond),
        min: Math.min(...rates),
        max: Math.max(...rates),
        reps: list.length,
        latencyMs: med((p) => p.latencyMs),
        xidsPerWorkflow: med((p) => p.xidsPerWorkflow),
        queriesPerWorkflow: med((p) => p.queriesPerWorkflow),
        statementsPerWorkflow: med((p) => p.statementsPerWorkflow),
        completed: list.reduce((a, p) => a + p.completed, 0),
        wrong: list.reduce((a, p) => a + p.wrong, 0),
        error: list.find((p) => p.error !== undefined)?.error,
        statements: list.at(-1)?.statements,
        cpu: {
          machine: med((p) => p.cpu.machine),
          self: med((p) => p.cpu.self),
          children: med((p) => p.cpu.children),
          postgres: med((p) => p.cpu.postgres),
          others: med((p) => p.cpu.others),
          cores: list[0]?.cpu.cores,
        },
      }
    }
    const results = {}
    for (const id of samples.keys()) results[id] = summarize(id)
    return {
      server: { version: settings.server_version, settings, timings: server.timings },
      dbosVersion: configs.find((c) => c.kind === 'dbos')?.version,
      configs: configs.map((c) => ({ key: c.key, label: c.label })),
      results,
      checks,
      steps,
      concurrency,
      rounds,
    }
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined)
    await admin.end().catch(() => undefined)
    pgCpuFrozen = postgresCpuMs(postmasterPid) ?? 0
    await server.stop()
  }
}
