// Memory of many waiting runs: 10,000 concurrent runs of a 3-task workflow
// whose middle task waits for an event, then one emit releases them all.

import { MemoryWorkflowStore, createEngine, defineWorkflow } from '../dist/index.js'
import { collectGarbage } from './timing.mjs'

function waitingWorkflow(counter) {
  return defineWorkflow({ name: 'bench wait for go', version: 1 })
    .task('prepare', async () => 1)
    .task('wait', { dependsOn: ['prepare'] }, async (_prepared, ctx) => {
      counter.waiting++
      return ctx.waitForEvent('go')
    })
    .task('finish', { dependsOn: ['wait'] }, async (payload) => payload)
    .build()
}

/** Samples RSS and heap used until stopped; keeps the peaks. */
function sampler(intervalMs = 2) {
  const peak = { rss: 0, heapUsed: 0 }
  const sample = () => {
    const { rss, heapUsed } = process.memoryUsage()
    if (rss > peak.rss) peak.rss = rss
    if (heapUsed > peak.heapUsed) peak.heapUsed = heapUsed
  }
  const timer = setInterval(sample, intervalMs)
  return { peak, sample, stop: () => (clearInterval(timer), sample(), peak) }
}

function settled() {
  collectGarbage()
  collectGarbage()
  const { rss, heapUsed } = process.memoryUsage()
  return { rss, heapUsed }
}

/** CPU time the process uses while doing nothing for `ms`, in % of one core (timers and polling show here). */
async function idleCpu(ms = 1000) {
  const cpu = process.cpuUsage()
  const t = performance.now()
  await new Promise((resolve) => setTimeout(resolve, ms))
  const used = process.cpuUsage(cpu)
  return ((used.user + used.system) / 1000 / (performance.now() - t)) * 100
}

async function until(condition, what, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 1))
  }
}

/** Starts `n` runs, waits until each waits for 'go', emits 'go' once and waits for them all. */
async function wave(engine, workflow, counter, n, onWaiting = () => {}) {
  counter.waiting = 0
  const runs = await Promise.all(Array.from({ length: n }, () => engine.start(workflow)))
  await until(() => counter.waiting === n, `${n} runs to wait`)
  await new Promise((resolve) => setImmediate(resolve))
  const waiting = await onWaiting()
  const t = performance.now()
  const sent = await engine.emit('go', 'released')
  // Runs that were waiting for the event (the field's name differs across Weft versions).
  const delivered = sent.waitingRuns ?? sent.delivered
  const outcomes = await Promise.all(runs.map((run) => run.outcome()))
  const releaseMs = performance.now() - t
  const completed = outcomes.filter((o) => o.status === 'completed' && o.outputs.finish === 'released').length
  return { delivered, completed, releaseMs, waiting }
}

export async function measureWaitingRuns(n = 10_000) {
  const gcAvailable = typeof globalThis.gc === 'function'
  const counter = { waiting: 0 }
  const workflow = waitingWorkflow(counter)
  // Values by reference (serialization 'off'): the memory of the engine's waiting runs, not of stored copies.
  const engine = createEngine({ store: new MemoryWorkflowStore({ serialization: 'off' }) })
  engine.register(workflow)

  // Warm up the code paths, then take the baseline in the same process.
  await wave(engine, workflow, counter, 500)
  const baseline = settled()

  const peaks = sampler()
  const idleBefore = await idleCpu()
  const startedAt = performance.now()
  const result = await wave(engine, workflow, counter, n, async () => {
    peaks.sample()
    const startMs = performance.now() - startedAt
    const memory = settled()
    return { ...memory, startMs, idleCpu: await idleCpu() }
  })
  const peak = peaks.stop()
  const after = settled()
  await engine.close()

  return { n, gcAvailable, baseline, idleBefore, waiting: result.waiting, peak, after, delivered: result.delivered, completed: result.completed, releaseMs: result.releaseMs }
}
