// A worker of the poison-pill test: 'poison' (its task kills the process, unless CURED=1)
// and 'healthy' (one task). Claims runs; prints run-completed markers.
import { createEngine, defineWorkflow } from 'weft-sdk'
import { die, effect, engineOptions, failOnUncaught, marker, openStore, stayAlive } from './common.mjs'

failOnUncaught()
const env = process.env

const Poison = defineWorkflow({ name: 'poison', version: 1 })
  .task('swallow', (input, ctx) => {
    effect({ runId: ctx.runId, step: 'swallow' })
    if (env.CURED !== '1') die()
    return 'swallowed'
  })
  .build()
const Healthy = defineWorkflow({ name: 'healthy', version: 1 })
  .task('ok', (input, ctx) => {
    effect({ runId: ctx.runId, step: 'ok' })
    return 'ok'
  })
  .build()

const store = await openStore()
const engine = createEngine({ store, workflows: [Poison, Healthy], ...engineOptions() })
engine.on('run.completed', (event) => marker('run-completed', { runId: event.runId }))
await engine.ready
marker('ready')
stayAlive()
