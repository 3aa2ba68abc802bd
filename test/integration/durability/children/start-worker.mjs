// A process of the duplicate-start test: after `go` on stdin, starts the same run
// id STARTS times at once (input built from INPUT_AMOUNT, with a Date and a Map),
// waits for every handle's result and prints them.
import { createEngine, defineWorkflow } from 'weft-sdk'
import { describe, effect, engineOptions, failOnUncaught, marker, openStore, sleep, nextLine } from './common.mjs'

failOnUncaught()
const env = process.env

const Once = defineWorkflow({ name: 'once', version: 1 })
  .task('only', async (input, ctx) => {
    effect({ runId: ctx.runId, step: 'only' })
    await sleep(200)
    return { amount: input.amount, tags: [...input.tags.keys()], executedBy: process.pid }
  })
  .build()

const store = await openStore()
const engine = createEngine({ store, workflows: [Once], ...engineOptions() })
await engine.ready
marker('ready')
await nextLine()

const input = { amount: Number(env.INPUT_AMOUNT), placedAt: new Date(Date.UTC(2026, 0, 2)), tags: new Map([['rush', true]]) }
const starts = Array.from({ length: Number(env.STARTS) }, () =>
  engine.start(Once, input, { runId: env.RUN_ID }).then(
    async (run) => ({ id: run.id, output: (await run.result()).output('only') }),
    (error) => ({ error: describe(error) }),
  ),
)
marker('results', { results: await Promise.all(starts) })
await engine.close()
await store.close()
