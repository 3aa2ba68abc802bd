// The cost of live metrics per task: the same in-memory workflows (a chain and a fan-out of 1,000 no-op tasks) run
// by engines without metrics ("off"), with `createEngine({ metrics: true })` (a LiveMetrics listener: counters,
// DDSketches and sliding windows per workflow and task), and with metrics plus `weftTracing()` on the OpenTelemetry
// API with no SDK registered (the configuration the target names). The configurations take turns repetition
// by repetition (interleaved, so the machine's drifts fall on all of them); each figure is the median µs per task,
// each overhead the median of the per-repetition ratios against "off" in the same round. A report is read when each
// runner closesner (a report of 1,000 tasks takes a few ms: read it when needed, not per run).

import { trace } from '@opentelemetry/api'
import { MemoryWorkflowStore, createEngine } from '../dist/index.js'
import { weftTracing } from '../dist/otel.js'
import { chain, fanOut } from './shapes.mjs'
import { measure, median } from './timing.mjs'
import { define } from './weft.mjs'

const configurations = [
  { name: 'off', config: () => ({}) },
  { name: 'metrics on', config: () => ({ metrics: true }) },
  { name: 'metrics on + tracing API, no SDK', config: () => ({ metrics: true, tracing: weftTracing({ tracer: trace.getTracer('weft-bench') }) }) },
]

let reports = 0

function runnerOf(workflow, configuration) {
  const config = configuration.config()
  const engine = createEngine({ store: new MemoryWorkflowStore({ serialization: 'off' }), ...config })
  engine.register(workflow)
  return {
    run: () => engine.run(workflow),
    close: () => {
      if (config.metrics) reports += engine.metrics().tasks.length > 0 ? 1 : 0
      return engine.close()
    },
  }
}

/**
 * Measures µs per task of each configuration on a chain and a fan-out of `tasks` no-op tasks.
 * @returns {{ rows: Array<{ shape: string, results: Array<{ name: string, us: number, ratio: number }> }>, reports: number }}
 */
export async function measureMetrics({ rounds = 7, tasks = 1_000, work }) {
  const rows = []
  for (const shape of [chain(tasks), fanOut(tasks)]) {
    const workflow = define(shape, work, `${shape.name} (metrics)`)
    const samples = configurations.map(() => [])
    for (let r = 0; r < rounds; r++) {
      for (const [i, configuration] of configurations.entries()) {
        samples[i].push((await measure({ prepare: () => runnerOf(workflow, configuration), work, tasks: shape.deps.length, reps: 1, minMs: 100 })).us)
      }
    }
    const off = samples[0]
    rows.push({
      shape: shape.name,
      results: configurations.map((configuration, i) => ({ name: configuration.name, us: median(samples[i]), ratio: median(samples[i].map((value, r) => value / off[r])) })),
    })
  }
  return { rows, reports }
}

/** Prints the section's table and notes. */
export function printMetrics(result, table, us) {
  const rows = []
  for (const { shape, results } of result.rows) {
    for (const { name, us: value, ratio } of results) {
      const note = name === 'off' ? '' : ratio <= 1.1 ? 'within ≤ 1.10×' : 'OVER 1.10×'
      rows.push([shape, name, us(value), `${ratio.toFixed(2)}×`, note])
    }
  }
  table(['shape', 'live metrics', 'µs per task (median)', 'vs off, same round', 'note'], rows)
  console.log(`  ${result.reports.toLocaleString('en-US')} reports read (one after each run with metrics). Target: ≤ 1.10× off.`)
  console.log('  Metrics on also makes the engine build every event object (no listener: none are built).')
}
