// The cost of alert rules per task: the same workflows run by engines with live metrics only and with metrics plus
// alert rules of every kind (duration p95 on every task, failure rate on every task and on the runs, breaker open,
// escalations, dead letters and run-waiting read from the store, a predicate on the report), evaluated every 15 s
// (the default) and every 50 ms (far more often than anyone would: each evaluation reads the live report, copies the
// watched counters and the duration sketches' bins, and queries the store). The rules add no work on a task's path
// (the monitor listens only to breaker, dead-letter and escalation events, by type): what a task pays is the share of
// the evaluations that fall in its run. Shapes: a chain of 1,000 no-op tasks in memory (the worst case, a task is
// ~2 µs) and a chain of 100 tasks on a SQLite file. The configurations take turns round by round on engines made once;
// each figure is the median over rounds of the process's CPU time per task, each ratio the median of the per-round
// ratios against "metrics only" in the same round, with its interquartile range.
//
// Run: `npm run build && node bench/alerts.mjs` (WEFT_BENCH_ROUNDS=<n> for another number of rounds).

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MemoryWorkflowStore, createEngine, sqliteStore } from '../dist/index.js'
import { chain } from './shapes.mjs'
import { median, othersLoad } from './timing.mjs'
import { define } from './weft.mjs'

const rules = [
  { kind: 'duration', name: 'slow-task', task: '*', percentile: 95, above: '10 s' },
  { kind: 'failure-rate', name: 'failing-task', task: '*', above: 0.5 },
  { kind: 'failure-rate', name: 'failing-runs', above: 0.5 },
  { kind: 'breaker-open', name: 'breaker-open' },
  { kind: 'escalations', name: 'escalated' },
  { kind: 'dead-letters', name: 'dead-letters' },
  { kind: 'run-waiting', name: 'no-worker', longerThan: '5 m' },
  { kind: 'predicate', name: 'many-runs', when: (report) => report.workflows.some((w) => w.runs.total > 1e12) },
]

const configurations = [
  { name: 'metrics only', config: () => ({ metrics: true }) },
  { name: 'metrics + 8 alert rules, every 15 s', config: () => ({ metrics: true, alerts: { rules, interval: '15 s' } }) },
  { name: 'metrics + 8 alert rules, every 50 ms', config: () => ({ metrics: true, alerts: { rules, interval: '50 ms' } }) },
]

/** CPU µs per task of `runs` runs of `workflow` on `engine`. */
async function cpuPerTask(engine, workflow, runs, tasks) {
  const before = process.cpuUsage()
  for (let i = 0; i < runs; i++) await engine.run(workflow)
  const used = process.cpuUsage(before)
  return (used.user + used.system) / (runs * tasks)
}

/** The q-quantile of `values` (linear interpolation between closest ranks). */
function quantile(values, q) {
  const sorted = [...values].sort((a, b) => a - b)
  const position = (sorted.length - 1) * q
  const below = Math.floor(position)
  return sorted[below] + (sorted[Math.min(below + 1, sorted.length - 1)] - sorted[below]) * (position - below)
}

async function measureShape({ shape, label, store, runs, rounds }) {
  const workflow = define(shape, () => undefined, `${shape.name} (alerts)`)
  const tasks = shape.deps.length
  const engines = configurations.map((configuration, i) => createEngine({ store: store(i), ...configuration.config() }).register(workflow))
  for (const engine of engines) await cpuPerTask(engine, workflow, runs, tasks)
  const samples = configurations.map(() => [])
  for (let r = 0; r < rounds; r++) for (const [i, engine] of engines.entries()) samples[i].push(await cpuPerTask(engine, workflow, runs, tasks))
  const firing = engines.reduce((n, engine) => n + engine.alerts().length, 0)
  await Promise.all(engines.map((engine) => engine.close()))
  const base = samples[0]
  return configurations.map((configuration, i) => {
    const ratios = samples[i].map((value, r) => value / base[r])
    return { shape: label, name: configuration.name, us: median(samples[i]), ratio: median(ratios), quartiles: [quantile(ratios, 0.25), quantile(ratios, 0.75)], firing }
  })
}

export async function measureAlerts({ rounds = 15 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'weft-bench-alerts-'))
  const load = othersLoad()
  try {
    const rows = [
      ...(await measureShape({ shape: chain(1_000), label: 'chain of 1,000, memory', store: () => new MemoryWorkflowStore({ serialization: 'off' }), runs: 20, rounds })),
      ...(await measureShape({ shape: chain(100), label: 'chain of 100, SQLite file', store: (i) => sqliteStore({ path: join(dir, `alerts-${i}.sqlite`) }), runs: 8, rounds })),
    ]
    return { othersCores: load(), rows }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Prints what measureAlerts returned; returns how many alerts were firing at the end (none should be). */
export function printAlerts({ othersCores, rows }) {
  console.log('  Alert rules: CPU µs per task, and the ratio to "metrics only" in the same round (median, interquartile range)')
  for (const row of rows) {
    const ratio = row.name === 'metrics only' ? '1.00×' : `${row.ratio.toFixed(3)}× (${row.quartiles.map((q) => q.toFixed(3)).join('–')})`
    console.log(`  ${row.shape.padEnd(28)} ${row.name.padEnd(38)} ${row.us.toFixed(2).padStart(8)} µs  ${ratio}`)
  }
  const firing = rows[0].firing + rows.at(-1).firing
  console.log(`  alerts firing at the end (should be 0): ${firing}; other processes used ~${othersCores?.toFixed(2) ?? '?'} cores`)
  return firing
}

if (import.meta.url === `file://${process.argv[1]}`) {
  printAlerts(await measureAlerts({ rounds: Number(process.env.WEFT_BENCH_ROUNDS ?? 15) }))
}
