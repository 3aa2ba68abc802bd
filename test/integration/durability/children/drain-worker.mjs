// A worker of the graceful-shutdown test: claims runs of 'drain' (d1 works input.ms,
// capped by CAP_MS; then d2). On SIGTERM it closes the engine with DRAIN_MS to drain,
// closes the store and exits 0.
import { createEngine, defineWorkflow } from 'weft-sdk'
import { effect, engineOptions, failOnUncaught, marker, openStore, sleep, stayAlive } from './common.mjs'

failOnUncaught()
const env = process.env
const cap = Number(env.CAP_MS ?? Infinity)

const Drain = defineWorkflow({ name: 'drain', version: 1 })
  .task('d1', async (input, ctx) => {
    effect({ runId: ctx.runId, step: 'd1-start' })
    marker('d1-started', { runId: ctx.runId })
    await sleep(Math.min(input.ms, cap))
    effect({ runId: ctx.runId, step: 'd1-done' })
    return input.ms
  })
  .task('d2', { dependsOn: ['d1'] }, (ms, ctx) => {
    effect({ runId: ctx.runId, step: 'd2' })
    return ms + 1
  })
  .build()

const store = await openStore()
const engine = createEngine({ store, workflows: [Drain], ...engineOptions() })
engine.on('run.completed', (event) => marker('run-completed', { runId: event.runId }))
process.on('SIGTERM', async () => {
  marker('sigterm')
  await engine.close({ drain: Number(env.DRAIN_MS) })
  await store.close()
  marker('closed')
  process.exit(0)
})
await engine.ready
marker('ready')
stayAlive()
