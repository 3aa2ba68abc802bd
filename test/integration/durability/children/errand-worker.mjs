// A worker of the `errand` workflow: first → second → third, and an @Always cleanup.
//
// START=<run id>    start that run; its `second` task prints `in-second` and then blocks until the process is killed
// RESUME=<run id>   await that run (claimed at startup from a killed worker) and print how it ended (`ended`)
import { createEngine, defineWorkflow } from 'weft-sdk'
import { effect, engineOptions, failOnUncaught, marker, openStore, stayAlive } from './common.mjs'

failOnUncaught()
const env = process.env

const Errand = defineWorkflow({ name: 'errand', version: 1 })
  .task('first', (_input, ctx) => {
    effect({ runId: ctx.runId, step: 'first' })
    return 1
  })
  .task('second', { dependsOn: ['first'] }, async (n, ctx) => {
    effect({ runId: ctx.runId, step: 'second' })
    if (ctx.runId === env.START) {
      marker('in-second', { runId: ctx.runId })
      await new Promise(() => undefined)
    }
    return n + 1
  })
  .task('third', { dependsOn: ['second'] }, (n, ctx) => {
    effect({ runId: ctx.runId, step: 'third' })
    return n + 1
  })
  .always('cleanup', (_input, ctx) => {
    effect({ runId: ctx.runId, step: 'cleanup' })
    return 'cleaned'
  })
  .build()

const store = await openStore()
const engine = createEngine({ store, workflows: [Errand], ...engineOptions() })
await engine.ready
marker('ready')

if (env.START) {
  await engine.start(Errand, undefined, { runId: env.START })
  stayAlive()
}
if (env.RESUME) {
  stayAlive() // a paused run keeps no timer of its own (the heartbeat's is unref'd)
  const run = await engine.getRun(env.RESUME)
  if (run === undefined) throw new Error(`no run ${env.RESUME}`)
  marker('claimed', { runId: env.RESUME, status: run.status() })
  const outcome = await run.outcome()
  marker('ended', { runId: env.RESUME, status: outcome.status, error: outcome.error?.message, outputs: outcome.outputs })
}
