// A worker whose task `live` always fails (connection refused) and falls back, once
// @Retry gives up, to a `fallbackWith` function; `confirm` uses what `live` returned.
//
// START=<run id>   start a run of `quote` (input SYMBOL) and SIGKILL itself as soon as
//                  `live`'s output (the fallback's) is committed (in the task.completed listener)
// RESUME=<run id>  await that run (claimed at startup from the killed worker) and print its outputs
import { createEngine, defineWorkflow } from 'weft-sdk'
import { die, effect, engineOptions, failOnUncaught, marker, openStore, resumedOutputs } from './common.mjs'

failOnUncaught()
const env = process.env

const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' })

const Quote = defineWorkflow({ name: 'quote', version: 1 })
  .task(
    'live',
    {
      retry: { maxAttempts: 2, backoff: { initial: 0, max: 0 } },
      recover: {
        strategies: {
          connection: {
            fallbackWith: (error, symbol, ctx) => {
              effect({ runId: ctx.runId, step: 'fallback', attempts: ctx.attempts, errorClass: ctx.errorClass, error: error.message, key: ctx.idempotencyKey })
              return { symbol, price: 42, source: 'cache' }
            },
          },
        },
      },
    },
    (symbol, ctx) => {
      effect({ runId: ctx.runId, step: 'live', attempt: ctx.attempt })
      throw refused()
    },
  )
  .task('confirm', { dependsOn: ['live'] }, (quote, ctx) => {
    effect({ runId: ctx.runId, step: 'confirm' })
    return `${quote.symbol} at ${quote.price} (${quote.source})`
  })
  .build()

const store = await openStore()
const engine = createEngine({ store, workflows: [Quote], ...engineOptions() })
engine.on('task.completed', (event) => {
  if (event.runId === env.START && event.task === 'live' && !event.fromCheckpoint) die()
})
await engine.ready
marker('ready')

if (env.RESUME) marker('resumed', { runId: env.RESUME, outputs: await resumedOutputs(engine, env.RESUME) })

if (env.START) {
  await engine.start(Quote, env.SYMBOL ?? 'ACME', { runId: env.START })
  marker('started', { runId: env.START })
} else {
  await engine.close()
  await store.close()
}
