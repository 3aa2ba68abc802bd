// Durable benchmarks on SQLite: Weft's default store (`sqliteStore`: a file
// in WAL mode, synchronous=NORMAL) against the cost of one raw better-sqlite3
// commit measured here, and how many SQLite transactions a run takes.
//
// Transactions are counted by a wrapper around the better-sqlite3 connection
// handed to `sqliteStore({ database })`: every statement Weft prepares goes
// through it, so it sees each `begin`/`commit` it executes (the store's write
// queue and kysely's migrator use prepared statements), and each write
// statement run outside a transaction (SQLite's autocommit: one transaction
// each). `exec()` (pragmas only) is checked not to contain transaction control.

import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MemoryWorkflowStore, createEngine, sqliteStore } from '../dist/index.js'
import { chainWorkflow, fanOutWorkflow } from './durable-workflows.mjs'
import { median, measure } from './timing.mjs'

const require = createRequire(new URL('../package.json', import.meta.url))
const Database = require('better-sqlite3')

const TRANSACTION_CONTROL = /^\s*(begin|commit|end|rollback|savepoint|release)\b/i

/**
 * Wraps a better-sqlite3 connection, counting statements and transactions.
 * `counts.commits` = successful `commit`/`end` statements + write statements
 * run in autocommit mode; `counts.begins` = `begin …` statements executed.
 */
export function countingConnection(db) {
  const counts = { statements: 0, begins: 0, commits: 0, autocommits: 0, rollbacks: 0 }
  const wrap = (sql, statement) => {
    const control = TRANSACTION_CONTROL.exec(sql)?.[1]?.toLowerCase()
    const isBegin = control === 'begin'
    const isCommit = control === 'commit' || control === 'end'
    const isRollback = control === 'rollback' && !/^\s*rollback\s+to\b/i.test(sql)
    const call = (method, parameters) => {
      counts.statements++
      const autocommit = control === undefined && !statement.reader && !db.inTransaction
      const result = statement[method](...parameters)
      if (isBegin) counts.begins++
      else if (isCommit) counts.commits++
      else if (isRollback) counts.rollbacks++
      else if (autocommit) {
        counts.autocommits++
        counts.commits++
      }
      return result
    }
    return {
      get reader() {
        return statement.reader
      },
      run: (...p) => call('run', p),
      get: (...p) => call('get', p),
      all: (...p) => call('all', p),
      iterate: (...p) => call('iterate', p),
    }
  }
  return {
    counts,
    raw: db,
    prepare: (sql) => wrap(sql, db.prepare(sql)),
    exec: (sql) => {
      if (/\b(begin|commit|end|rollback)\b/i.test(sql.replace(/pragma[^;]*/gi, ''))) throw new Error(`countingConnection: transaction control in exec() is not counted: ${sql}`)
      return db.exec(sql)
    },
    close: () => db.close(),
    get inTransaction() {
      return db.inTransaction
    },
  }
}

/** A better-sqlite3 file configured like Weft's default store: WAL, synchronous=NORMAL. */
function openWal(path) {
  const db = new Database(path)
  db.pragma('journal_mode = wal')
  db.pragma('synchronous = normal')
  return db
}

/** µs per commit of one-row INSERTs in autocommit mode, and µs per row with `rowsPerCommit` rows per transaction. */
function rawCommits(path, rowsPerCommit) {
  const db = openWal(path)
  db.exec('create table raw_commits (id integer primary key, run_id text not null, key text not null, output text)')
  const insert = db.prepare('insert into raw_commits (run_id, key, output) values (?, ?, ?)')
  const batch = db.transaction((n) => {
    for (let i = 0; i < n; i++) insert.run('r', `k${i}`, '1')
  })
  const single = []
  const batched = []
  const commitsPerSample = 1000
  for (let i = 0; i < 300; i++) insert.run('r', `w${i}`, '1')
  for (let rep = 0; rep < 7; rep++) {
    let t = performance.now()
    for (let i = 0; i < commitsPerSample; i++) insert.run('r', `k${i}`, '1')
    single.push(((performance.now() - t) * 1000) / commitsPerSample)
    t = performance.now()
    for (let i = 0; i < commitsPerSample / 10; i++) batch(rowsPerCommit)
    batched.push(((performance.now() - t) * 1000) / ((commitsPerSample / 10) * rowsPerCommit))
  }
  db.close()
  const stats = (xs) => ({ us: median(xs), min: Math.min(...xs), max: Math.max(...xs), reps: xs.length })
  return { single: stats(single), batched: stats(batched) }
}

/** Runs `shape` on an engine over `store`, checking each run's output. */
function runner(shape, store) {
  const engine = createEngine({ store, workflows: [shape.workflow] })
  let runs = 0
  return {
    engine,
    run: async () => {
      const result = await engine.run(shape.workflow, 0)
      runs++
      const out = result.output(shape.last)
      if (out !== shape.expected(0)) throw new Error(`${shape.name}: output ${out}, expected ${shape.expected(0)}`)
    },
    close: () => engine.close(),
    get runs() {
      return runs
    },
  }
}

/**
 * The SQLite section. Returns the raw commit cost, and per shape the in-memory
 * and SQLite figures, transactions per run and the correctness checks.
 */
export async function measureSqlite() {
  const dir = mkdtempSync(join(tmpdir(), 'weft-bench-sqlite-'))
  try {
    const raw = rawCommits(join(dir, 'raw.sqlite'), 100)
    const counter = { calls: 0 }
    const shapes = [
      { label: 'chain 100', ...chainWorkflow(100, counter, 'bench sqlite chain 100') },
      { label: 'fan-out 100 + join', ...fanOutWorkflow(100, counter, 'bench sqlite fan-out 100') },
    ]
    const rows = []
    let ok = true
    const problems = []
    for (const shape of shapes) {
      // In-memory engine: the same workflow, the same engine, no durable writes, values kept by reference
      // (serialization 'off'), so the ratio is what durability costs over the engine alone.
      const memory = await measure({ prepare: () => runner(shape, new MemoryWorkflowStore({ serialization: 'off' })), work: counter, tasks: shape.tasks, reps: 7 })

      const connection = countingConnection(openWal(join(dir, `${shape.name.replaceAll(' ', '-')}.sqlite`)))
      const store = sqliteStore({ database: connection })
      let started = 0
      const prepare = () => {
        const r = runner(shape, store)
        return {
          run: async () => {
            started++
            await r.run()
          },
          close: () => r.close(),
        }
      }
      const durable = await measure({ prepare, work: counter, tasks: shape.tasks, warmup: 3, rewarm: 1, rewarmTasks: 0, reps: 7, minMs: 300, maxRunsPerRep: 200 })

      // Transactions and statements of single runs (one engine, 30 runs one after another):
      // the median per run, so a claim pass of the background worker (once a second) does not count.
      const r = runner(shape, store)
      await r.engine.ready
      const txns = []
      const statements = []
      const callsBefore = counter.calls
      for (let i = 0; i < 30; i++) {
        const before = { ...connection.counts }
        started++
        await r.run()
        txns.push(connection.counts.commits - before.commits)
        statements.push(connection.counts.statements - before.statements)
      }
      await r.close()
      if (counter.calls - callsBefore !== 30 * shape.tasks) {
        ok = false
        problems.push(`${shape.label}: expected ${30 * shape.tasks} task calls in 30 runs, counted ${counter.calls - callsBefore}`)
      }

      // Correctness: every run stored completed, once, with one step per task.
      const check = connection.raw.prepare(`select count(*) as runs, sum(status = 'completed') as completed, sum(recoveries) as recoveries from weft_runs`).get()
      const steps = connection.raw.prepare(`select count(*) as n from weft_steps`).get().n
      const expectedSteps = started * shape.tasks
      const shapeOk = check.runs === started && check.completed === started && check.recoveries === 0 && steps === expectedSteps
      if (!shapeOk) {
        ok = false
        problems.push(`${shape.label}: ${started} runs started, stored ${check.runs} (${check.completed} completed, ${check.recoveries} recoveries), ${steps} steps (expected ${expectedSteps})`)
      }
      await store.close()
      connection.close()

      const perRunMemory = memory.us * shape.tasks
      const perRunSqlite = durable.us * shape.tasks
      const overheadPerTask = (perRunSqlite - perRunMemory) / shape.tasks
      rows.push({
        label: shape.label,
        tasks: shape.tasks,
        memory,
        durable,
        perRunMemory,
        perRunSqlite,
        overheadPerTask,
        commitsWorth: overheadPerTask / raw.single.us,
        txns: { median: median(txns), min: Math.min(...txns), max: Math.max(...txns) },
        statements: median(statements),
        runs: started,
        counts: { ...connection.counts },
      })
    }
    // Every task of every run (in-memory and SQLite, warm-ups included) ran exactly once: checked by measure().
    const probe = new Database(':memory:')
    const sqliteVersion = probe.prepare('select sqlite_version() as v').get().v
    probe.close()
    return { raw, rows, ok, problems, sqliteVersion }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
