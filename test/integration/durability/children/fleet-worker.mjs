// A worker of the two-worker test: runs of the 5-step 'fleet' workflow, claimed from the store.
// Prints run-started / run-completed markers; each step appends { runId, step, worker } and works STEP_MS.
import { createEngine, defineWorkflow } from 'weft-sdk'
import { effect, engineOptions, failOnUncaught, marker, openStore, sleep, stayAlive } from './common.mjs'

failOnUncaught()
const env = process.env
const stepMs = Number(env.STEP_MS ?? 10)

async function step(i, previous, ctx) {
  effect({ runId: ctx.runId, step: `f${i}`, worker: env.WORKER_ID })
  await sleep(stepMs)
  return (previous * 7 + i) % 100_003
}

let builder = defineWorkflow({ name: 'fleet', version: 1 }).task('f1', (input, ctx) => step(1, input.n, ctx))
for (let i = 2; i <= 5; i++) builder = builder.task(`f${i}`, { dependsOn: [`f${i - 1}`] }, (previous, ctx) => step(i, previous, ctx))
const Fleet = builder.build()

const engine = createEngine({ store: await openStore(), workflows: [Fleet], ...engineOptions() })
engine.on('run.started', (event) => marker('run-started', { runId: event.runId }))
engine.on('run.completed', (event) => marker('run-completed', { runId: event.runId }))
engine.on('run.failed', (event) => marker('run-failed', { runId: event.runId, error: event.error }))
await engine.ready
marker('ready')
stayAlive()
