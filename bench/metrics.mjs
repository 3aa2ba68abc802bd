// The cost of live metrics per task: the same workflows run by engines without metrics ("off"), with
// `createEngine({ metrics: true })` (a LiveMetrics monitor: counters, DDSketches and sliding windows per workflow and
// task), and with metrics plus `weftTracing()` on the OpenTelemetry API with no SDK registered (the configuration the
// issue's target names). Shapes: a chain and a fan-out of 1,000 no-op tasks in memory (the worst case: a task costs
// ~2 µs, so every nanosecond of the monitor shows), and a chain of 100 tasks on a SQLite file (a durable task).
// The configurations take turns round by round on engines made once (interleaved, so the machine's drifts fall on
// all of them). Each figure is the median over rounds of the process's CPU time per task (process.cpuUsage: on a
// shared machine other processes inflate wall time, not this process's CPU time), each overhead the median of the
// per-round ratios against "off" in the same round, with their interquartile range: on a loaded 2-core machine one
// round's ratio swings by several percent either way, as much as what is measured, so a control configuration (a
// second engine without metrics) shows what the harness reads when nothing differs; each round starts with the next
// configuration. A report is read at the end (a
// report of 1,000 tasks takes a few ms: read it when needed, not per run).

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { trace } from '@opentelemetry/api'
import { MemoryWorkflowStore, createEngine, sqliteStore } from '../dist/index.js'
import { weftTracing } from '../dist/otel.js'
import { chain, fanOut } from './shapes.mjs'
import { median, othersLoad } from './timing.mjs'
import { define } from './weft.mjs'

const configurations = [
  { name: 'off', config: () => ({}) },
  // A control: the same configuration as "off" on an engine of its own. Its ratio is what this harness reads when
  // nothing differs (the machine's noise and any bias of an engine's turn in the round).
  { name: 'off again (control)', config: () => ({}), control: true },
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
  // Each round starts with the next configuration, so no configuration always follows the same one.
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < engines.length; k++) {
      const i = (r + k) % engines.length
      samples[i].push(await cpuPerTask(engines[i], workflow, runs, tasks))
    }
  }
  const reports = engines.filter((engine, i) => configurations[i].config().metrics === true && engine.metrics().tasks.length === tasks).length
  await Promise.all(engines.map((engine) => engine.close()))
  const off = samples[0]
  const result = (configuration, i) => {
    const ratios = samples[i].map((value, r) => value / off[r])
    return { name: configuration.name, control: configuration.control === true, us: median(samples[i]), ratio: median(ratios), ratioQuartiles: [quantile(ratios, 0.25), quantile(ratios, 0.75)] }
  }
  return { shape: `${shape.name}${store === memory ? '' : ', SQLite file'}`, rounds, reports, results: configurations.map(result) }
}

/** The q-quantile of `values` (linear interpolation between closest ranks). */
function quantile(values, q) {
  const sorted = [...values].sort((a, b) => a - b)
  const position = (sorted.length - 1) * q
  const below = Math.floor(position)
  return sorted[below] + (sorted[Math.min(below + 1, sorted.length - 1)] - sorted[below]) * (position - below)
}

const memory = () => new MemoryWorkflowStore({ serialization: 'off' })

/**
 * Measures CPU µs per task of each configuration on a chain and a fan-out of 1,000 in-memory tasks (20 runs a round:
 * ~40 ms of CPU per sample) and a chain of 100 tasks on SQLite (8 runs a round).
 * @returns {{ othersCores: number | undefined, rows: Array<{ shape: string, rounds: number, reports: number, results: Array<{ name: string, us: number, ratio: number, ratioQuartiles: [number, number] }> }> }}
 */
export async function measureMetrics({ rounds = 15, work }) {
  const dir = mkdtempSync(join(tmpdir(), 'weft-bench-metrics-'))
  const load = othersLoad()
  try {
    const rows = []
    for (const shape of [chain(1_000), fanOut(1_000)]) rows.push(await measureShape({ shape, store: memory, runs: 20, rounds, work }))
    const file = (i) => sqliteStore({ path: join(dir, `metrics-${i}.sqlite`) })
    rows.push(await measureShape({ shape: chain(100), store: file, runs: 8, rounds, work }))
    return { othersCores: load(), rows }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Prints the section's table and notes. */
export function printMetrics(result, table, us) {
  const rows = []
  for (const { shape, results } of result.rows) {
    for (const { name, control, us: value, ratio, ratioQuartiles: [q1, q3] } of results) {
      const quartiles = name === 'off' ? '' : `${q1.toFixed(2)}–${q3.toFixed(2)}`
      const note = name === 'off' ? '' : control ? 'noise floor' : ratio <= 1.1 ? 'within ≤ 1.10×' : 'OVER 1.10×'
      rows.push([shape, name, us(value), `${ratio.toFixed(2)}×`, quartiles, note])
    }
  }
  table(['shape', 'live metrics', 'CPU µs per task (median)', 'vs off, same round', 'middle half of rounds', 'note'], rows)
  const reports = result.rows.reduce((sum, row) => sum + row.reports, 0)
  const load = result.othersCores === undefined ? '' : ` Other processes used ${result.othersCores.toFixed(1)} of the machine's cores meanwhile.`
  console.log(`  ${reports} reports read at the end, each with every task. Target: ≤ 1.10× off; medians of ${result.rows[0].rounds} rounds.${load}`)
  console.log('  The engine tells its monitor of each completed task as numbers (no event object is built for it); the')
  console.log("  monitor counts them in small arrays by task and folds them into the task's counters, DDSketch and sliding")
  console.log('  window when read or once per window bucket: folded one at a time, each completion touched memory the')
  console.log('  run had evicted and cost ~1/3 of a no-op task. "off again" is a second engine without metrics: its ratio')
  console.log('  is what the harness reads when nothing differs; a ratio within its distance of 1.00 is not a measured cost.')
}
