// The cost of live metrics per task: the same workflows run by engines without metrics ("off"), with
// `createEngine({ metrics: true })` (a LiveMetrics listener: counters, DDSketches and sliding windows per workflow and
// task), and with metrics plus `weftTracing()` on the OpenTelemetry API with no SDK registered (the configuration the
// issue's target names). Shapes: a chain and a fan-out of 1,000 no-op tasks in memory (the worst case: a task costs
// ~2 µs, so every nanosecond of the monitor shows), and a chain of 100 tasks on a SQLite file (a durable task).
// The configurations take turns round by round on engines made once (interleaved, so the machine's drifts fall on
// all of them). Each figure is the median over rounds of the process's CPU time per task (process.cpuUsage: on a
// shared machine other processes inflate wall time, not this process's CPU time), each overhead the median of the
// per-round ratios against "off" in the same round. A report is read at the end (a report of 1,000 tasks takes a few
// ms: read it when needed, not per run).

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { trace } from '@opentelemetry/api'
import { MemoryWorkflowStore, createEngine, sqliteStore } from '../dist/index.js'
import { weftTracing } from '../dist/otel.js'
import { chain, fanOut } from './shapes.mjs'
import { median } from './timing.mjs'
import { define } from './weft.mjs'

const configurations = [
  { name: 'off', config: () => ({}) },
  { name: 'metrics on', config: () => ({ metrics: true }) },
  { name: 'metrics on + tracing API, no SDK', config: () => ({ metrics: true, tracing: weftTracing({ tracer: trace.getTracer('weft-bench') }) }) },
]

/** CPU µs per task of `runs` runs of `workflow` on `engine`. */
async function cpuPerTask(engine, workflow, runs, tasks) {
  const before = process.cpuUsage()
  for (let i = 0; i < runs; i++) await engine.run(workflow)
  const used = process.cpuUsage(before)
  return (used.user + used.system) / (runs * tasks)
}

async function measureShape({ shape, store, runs, rounds, work }) {
  const workflow = define(shape, work, `${shape.name} (metrics)`)
  const tasks = shape.deps.length
  const engines = configurations.map((configuration, i) => createEngine({ store: store(i), ...configuration.config() }).register(workflow))
  for (const engine of engines) await cpuPerTask(engine, workflow, runs, tasks)
  const samples = configurations.map(() => [])
  for (let r = 0; r < rounds; r++) for (const [i, engine] of engines.entries()) samples[i].push(await cpuPerTask(engine, workflow, runs, tasks))
  const reports = engines.slice(1).filter((engine) => engine.metrics().tasks.length === tasks).length
  await Promise.all(engines.map((engine) => engine.close()))
  const off = samples[0]
  return { shape: `${shape.name}${store === memory ? '' : ', SQLite file'}`, reports, results: configurations.map((configuration, i) => ({ name: configuration.name, us: median(samples[i]), ratio: median(samples[i].map((value, r) => value / off[r])) })) }
}

const memory = () => new MemoryWorkflowStore({ serialization: 'off' })

/**
 * Measures CPU µs per task of each configuration on a chain and a fan-out of 1,000 in-memory tasks and a chain of
 * 100 tasks on SQLite.
 * @returns {{ rows: Array<{ shape: string, reports: number, results: Array<{ name: string, us: number, ratio: number }> }> }}
 */
export async function measureMetrics({ rounds = 15, work }) {
  const dir = mkdtempSync(join(tmpdir(), 'weft-bench-metrics-'))
  try {
    const rows = []
    for (const shape of [chain(1_000), fanOut(1_000)]) rows.push(await measureShape({ shape, store: memory, runs: 5, rounds, work }))
    const file = (i) => sqliteStore({ path: join(dir, `metrics-${i}.sqlite`) })
    rows.push(await measureShape({ shape: chain(100), store: file, runs: 3, rounds, work }))
    return { rows }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Prints the section's table and notes. */
export function printMetrics(result, table, us) {
  const rows = []
  for (const { shape, results } of result.rows) {
    for (const { name, us: value, ratio } of results) rows.push([shape, name, us(value), `${ratio.toFixed(2)}×`, name === 'off' ? '' : ratio <= 1.1 ? 'within ≤ 1.10×' : 'OVER 1.10×'])
  }
  table(['shape', 'live metrics', 'CPU µs per task (median)', 'vs off, same round', 'note'], rows)
  const reports = result.rows.reduce((sum, row) => sum + row.reports, 0)
  console.log(`  ${reports} reports read at the end, each with every task. Target: ≤ 1.10× off. Metrics on also makes the engine`)
  console.log('  build every event object (without a listener none are built); the monitor adds a DDSketch insert and a')
  console.log('  sliding-window count per task that ends, which a no-op in-memory task (~2 µs) shows most.')
}
