// A worker of the unstorable-output test: runs 'unstorable' (its task returns what
// the store cannot keep: a function, or more than MAX_BYTES), then 'fine'; prints
// both outcomes and exits 0 — if it is still alive.
import { createEngine, defineWorkflow } from 'weft-sdk'
import { describe, effect, engineOptions, failOnUncaught, marker, openStore } from './common.mjs'

failOnUncaught()
process.removeAllListeners('warning') // the large-payload warning is expected here

const Unstorable = defineWorkflow({ name: 'unstorable', version: 1 })
  .task('make', (input, ctx) => {
    effect({ runId: ctx.runId, step: 'make' })
    return input.kind === 'function' ? { onDone: () => 'done' } : { blob: 'x'.repeat(input.bytes) }
  })
  .task('use', { dependsOn: ['make'] }, (made, ctx) => {
    effect({ runId: ctx.runId, step: 'use' })
    return 'used'
  })
  .build()
const Fine = defineWorkflow({ name: 'fine', version: 1 }).task('ok', () => 'ok').build()

const store = await openStore()
const engine = createEngine({ store, workflows: [Unstorable, Fine], ...engineOptions() })
await engine.ready
const outcomeOf = async (run) => {
  const outcome = await run.outcome()
  return { runId: run.id, status: outcome.status, cause: outcome.error === undefined ? undefined : describe(outcome.error.cause), outputs: outcome.outputs }
}
for (const [id, input] of [['unstorable-function', { kind: 'function' }], ['unstorable-large', { kind: 'large', bytes: 10_000 }]]) {
  marker('outcome', await outcomeOf(await engine.start(Unstorable, input, { runId: id })))
}
marker('outcome', await outcomeOf(await engine.start(Fine, undefined, { runId: 'fine' })))
await engine.close()
await store.close()
