// A worker of the zombie-fencing test: claims runs of the 3-step 'relay' workflow.
// Step r2 prints `in-step` then works SLOW_MS, or with FREEZE_GAP_MS until it notices
// that the process was frozen that long (its clock jumped). Outputs name the worker (WORKER_ID).
// Every write it attempts is reported (recordWrites). On SIGCONT it prints
// `settled` once it runs nothing and has no write in flight.
import { createEngine, defineWorkflow } from 'weft-sdk'
import { effect, engineOptions, failOnUncaught, marker, openStore, pendingWrites, recordWrites, sleep, stayAlive } from './common.mjs'

failOnUncaught()
const env = process.env
const worker = env.WORKER_ID

const Relay = defineWorkflow({ name: 'relay', version: 1 })
  .task('r1', (input, ctx) => {
    effect({ runId: ctx.runId, step: 'r1', worker })
    return { by: worker, n: input.n }
  })
  .task('r2', { dependsOn: ['r1'] }, async (previous, ctx) => {
    effect({ runId: ctx.runId, step: 'r2', worker })
    marker('in-step', { runId: ctx.runId, step: 'r2' })
    if (env.FREEZE_GAP_MS === undefined) await sleep(Number(env.SLOW_MS ?? 0))
    else {
      for (let before = Date.now(); ; before = Date.now()) {
        await sleep(10)
        if (Date.now() - before >= Number(env.FREEZE_GAP_MS)) break
      }
    }
    return { by: worker, n: previous.n * 2 }
  })
  .task('r3', { dependsOn: ['r2'] }, (previous, ctx) => {
    effect({ runId: ctx.runId, step: 'r3', worker })
    return { by: worker, n: previous.n + 1 }
  })
  .build()

const engine = createEngine({ store: recordWrites(await openStore()), workflows: [Relay], ...engineOptions() })
engine.on('run.completed', (event) => marker('run-completed', { runId: event.runId }))
process.on('SIGCONT', async () => {
  marker('continued')
  while (engine.stats().runs.running > 0 || pendingWrites() > 0) await sleep(10)
  marker('settled', { stats: engine.stats().runs })
})
await engine.ready
marker('ready')
stayAlive()
