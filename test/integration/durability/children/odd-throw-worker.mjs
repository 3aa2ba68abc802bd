// A worker whose task throws a value that cannot be turned into a string.
//
// START=<run id>  start a run of `odd` and print how it ended (`outcome`), then close
// THROWN=null-prototype|throwing-to-string|revoked-proxy   what the task throws
// STYLE=sync|async                                          whether it throws from a plain or an async function
import { createEngine, defineWorkflow } from 'weft-sdk'
import { effect, engineOptions, failOnUncaught, marker, openStore } from './common.mjs'

failOnUncaught()
const env = process.env

function thrown() {
  if (env.THROWN === 'null-prototype') return Object.create(null)
  if (env.THROWN === 'throwing-to-string') return { toString: () => { throw new Error('no string') }, toJSON: () => { throw new Error('no JSON') } }
  const { proxy, revoke } = Proxy.revocable({}, {})
  revoke()
  return proxy
}

const body = (_input, ctx) => {
  effect({ runId: ctx.runId, step: 'odd' })
  throw thrown()
}
const Odd = defineWorkflow({ name: 'odd-throw', version: 1 })
  .task('odd', env.STYLE === 'async' ? async (input, ctx) => body(input, ctx) : body)
  .build()

const store = await openStore()
const engine = createEngine({ store, workflows: [Odd], ...engineOptions() })
const run = await engine.start(Odd, undefined, { runId: env.START })
const outcome = await run.outcome()
marker('outcome', { status: outcome.status, task: outcome.tasks[0] })
await engine.close()
await store.close()
