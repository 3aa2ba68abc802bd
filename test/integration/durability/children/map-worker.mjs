// A worker whose task fans out with a settled ctx.map (concurrency 1): item 1 always fails (one
// attempt, no retry), items 0 and 2 succeed; each item appends an effect before it returns or throws.
//
// START=<run id>   start that run and print its outputs (`completed`)
// CRASH=item2      SIGKILL itself when item 2 starts (after its effect): items 0 and 1 are recorded
// RESUME=<run id>  await that run (claimed at startup from a killed worker) and print its outputs (`resumed`)
import { createEngine, defineWorkflow } from 'weft-sdk'
import { die, effect, engineOptions, failOnUncaught, marker, openStore, resumedOutputs } from './common.mjs'

failOnUncaught()
const env = process.env

const Fan = defineWorkflow({ name: 'settled-fan', version: 1 })
  .task('fan', (_input, ctx) =>
    ctx.map(
      [0, 1, 2],
      (n) => {
        effect({ runId: ctx.runId, item: n })
        if (n === 2 && env.CRASH === 'item2' && ctx.runId === env.START) die()
        if (n === 1) throw new Error('item 1 has no answer')
        return n * 10
      },
      { mode: 'settled', concurrency: 1 },
    ),
  )
  .build()

const store = await openStore()
const engine = createEngine({ store, workflows: [Fan], ...engineOptions() })
await engine.ready

if (env.RESUME) marker('resumed', { runId: env.RESUME, output: (await resumedOutputs(engine, env.RESUME)).fan })
if (env.START) {
  const run = await engine.start(Fan, undefined, { runId: env.START })
  marker('completed', { runId: env.START, output: (await run.result()).outputs.fan })
}
await engine.close()
await store.close()
