// A worker of the timers-and-events test.
//
// START=<run id> WORKFLOW=napper    task 'nap' sleeps SLEEP_MS durably (ctx.sleep), then records when it woke
// START=<run id> WORKFLOW=approval  task 'approve' waits for the event named in the input (ctx.waitForEvent)
// RESUME=<run id>                    awaits that run (claimed at startup) and prints its outputs (weft-serialized)
import { createEngine, defineWorkflow } from 'weft-sdk'
import { serialize } from 'weft-sdk/store'
import { effect, engineOptions, failOnUncaught, marker, openStore, stayAlive } from './common.mjs'

failOnUncaught()
const env = process.env

const Napper = defineWorkflow({ name: 'napper', version: 1 })
  .task('nap', async (input, ctx) => {
    effect({ runId: ctx.runId, step: 'nap-start' })
    marker('napping', { runId: ctx.runId })
    await ctx.sleep(input.sleepMs)
    const wokeAt = Date.now()
    effect({ runId: ctx.runId, step: 'woke', wokeAt })
    return { wokeAt }
  })
  .build()

const Approval = defineWorkflow({ name: 'approval', version: 1 })
  .task('approve', async (input, ctx) => {
    effect({ runId: ctx.runId, step: 'wait-start' })
    marker('waiting', { runId: ctx.runId })
    return ctx.waitForEvent(input.event)
  })
  .build()

const store = await openStore()
const engine = createEngine({ store, workflows: [Napper, Approval], ...engineOptions() })
await engine.ready
marker('ready')

if (env.RESUME) {
  const run = await engine.getRun(env.RESUME)
  const result = await run.result()
  marker('resumed', { runId: env.RESUME, outputs: serialize(result.outputs, 'outputs') })
  await engine.close()
  await store.close()
} else {
  const input = env.WORKFLOW === 'napper' ? { sleepMs: Number(env.SLEEP_MS) } : { event: env.EVENT }
  await engine.start(env.WORKFLOW === 'napper' ? Napper : Approval, input, { runId: env.START })
  marker('started', { runId: env.START })
  stayAlive()
}
