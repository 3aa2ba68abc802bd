// The cost of tracing per task (weft-sdk/otel): the same in-memory workflows (a chain and a fan-out of 1,000
// no-op tasks) run by three engines — without tracing ("off"), with `weftTracing()` and the OpenTelemetry API
// alone (no SDK registered: the global tracer is a no-op), and with an SDK (BasicTracerProvider, a
// SimpleSpanProcessor and the InMemorySpanExporter, emptied after each run). The configurations take turns
// repetition by repetition (interleaved, so the machine's drifts fall on all of them); each figure is the median µs
// per task, each overhead the median of the per-repetition ratios against "off" measured in the same round. A
// fourth configuration, a listener that does nothing, shows what any listener costs (the engine builds its events
// only when someone listens): the floor of tracing without an SDK, shared with the live metrics.
// No context manager is registered: Weft passes parents explicitly, so none is needed (and none is loaded).

import { trace } from '@opentelemetry/api'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { MemoryWorkflowStore, createEngine } from '../dist/index.js'
import { weftTracing } from '../dist/otel.js'
import { chain, fanOut } from './shapes.mjs'
import { measure, median } from './timing.mjs'
import { define } from './weft.mjs'

/** The tracing of each configuration, made afresh for each runner; `spans()` counts what the SDK exported. */
function configurations() {
  const exporter = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
  let exported = 0
  return {
    exporter,
    exported: () => exported,
    list: [
      { name: 'off', tracing: () => undefined, afterRun: () => {} },
      // What any listener costs (the engine then builds every event): the floor under tracing without an SDK.
      { name: 'a no-op listener (engine.on)', tracing: () => undefined, listener: true, afterRun: () => {} },
      { name: 'API, no SDK registered', tracing: () => weftTracing({ tracer: trace.getTracer('weft-bench') }), afterRun: () => {} },
      {
        name: 'SDK + in-memory exporter',
        tracing: () => weftTracing({ tracer: provider.getTracer('weft-bench'), useActiveContext: false }),
        afterRun: () => {
          exported += exporter.getFinishedSpans().length
          exporter.reset()
        },
      },
    ],
  }
}

function runnerOf(workflow, configuration) {
  const tracing = configuration.tracing()
  const engine = createEngine({ store: new MemoryWorkflowStore({ serialization: 'off' }), ...(tracing === undefined ? {} : { tracing }) })
  if (configuration.listener === true) engine.on(() => {})
  engine.register(workflow)
  return {
    run: async () => {
      await engine.run(workflow)
      configuration.afterRun()
    },
    close: () => engine.close(),
  }
}

/**
 * µs per run of what tracing without an SDK does at all: the start span (`runCreated`) and the run span
 * (`runStarting`), both no-ops that do not record, so the run is not followed and no event is built for it.
 * Measured alone, many times: the per-task figures above cannot resolve a cost this small on a noisy machine.
 */
function noSdkCostPerRun(runs = 200_000) {
  const tracing = weftTracing({ tracer: trace.getTracer('weft-bench') })
  tracing.attach(() => () => {})
  const samples = []
  for (let r = 0; r < 5; r++) {
    const began = performance.now()
    for (let i = 0; i < runs; i++) {
      const runId = `r${i}`
      const traceContext = tracing.runCreated({ runId, workflow: 'bench', version: 1, createdAt: 1, parent: undefined })
      tracing.runStarting({ type: 'run.started', at: 1, runId, workflow: 'bench', version: 1, traceContext })
    }
    samples.push(((performance.now() - began) * 1000) / runs)
  }
  if (tracing.openRuns !== 0) throw new Error(`tracing without an SDK followed ${tracing.openRuns} runs`)
  return median(samples)
}

/**
 * Measures µs per task of each configuration on a chain and a fan-out of `tasks` no-op tasks.
 * @returns {{ rows: Array<{ shape: string, results: Array<{ name: string, us: number, ratio: number }> }>, exported: number }}
 */
export async function measureTracing({ rounds = 7, tasks = 1_000, work }) {
  const configs = configurations()
  const rows = []
  for (const shape of [chain(tasks), fanOut(tasks)]) {
    const workflow = define(shape, work, `${shape.name} (tracing)`)
    const samples = configs.list.map(() => [])
    for (let r = 0; r < rounds; r++) {
      for (const [i, configuration] of configs.list.entries()) {
        samples[i].push((await measure({ prepare: () => runnerOf(workflow, configuration), work, tasks: shape.deps.length, reps: 1, minMs: 100 })).us)
      }
    }
    const off = samples[0]
    rows.push({
      shape: shape.name,
      results: configs.list.map((configuration, i) => ({ name: configuration.name, us: median(samples[i]), ratio: median(samples[i].map((value, r) => value / off[r])) })),
    })
  }
  return { rows, exported: configs.exported(), noSdkPerRunUs: noSdkCostPerRun(), tasks }
}

/** Prints the section's table and notes. */
export function printTracing(result, table, us) {
  const rows = []
  for (const { shape, results } of result.rows) {
    const off = results[0].us
    for (const { name, us: value, ratio } of results) {
      const note = name.startsWith('API') ? (ratio <= 1.1 ? 'within ≤ 1.10×' : 'OVER 1.10×') : name === 'off' ? '' : `${value >= off ? '+' : '−'}${us(Math.abs(value - off))} µs/task`
      rows.push([shape, name, us(value), `${ratio.toFixed(2)}×`, note])
    }
  }
  table(['shape', 'tracing', 'µs per task (median)', 'vs off, same round', 'note'], rows)
  console.log(`  Without an SDK the tracing's whole work is ${us(result.noSdkPerRunUs)} µs per run (two no-op spans; measured alone), i.e.`)
  console.log(`  ${us(result.noSdkPerRunUs / result.tasks)} µs per task at ${result.tasks.toLocaleString('en-US')} tasks per run: it does not follow the run, so the engine builds no events.`)
  console.log(`  ${result.exported.toLocaleString('en-US')} spans exported to memory (one per run, one per task attempt, one start span per run).`)
  console.log('  Target: the API without an SDK ≤ 1.10× off. With the SDK every attempt is a real span (ids, attributes,')
  console.log('  the span processor and exporter); the figure is reported, not a target.')
}
