// A worker of the `ledger` workflow (STEPS steps in a chain, each returning PAYLOAD_BYTES of text) on a
// SQLite file whose disk fills up under it.
//
// MAX_PAGES=<n>   the connection may not grow the database beyond n pages (SQLite's max_page_count: SQLITE_FULL)
//                 (a file-size limit, ulimit -f, is set by the test when it spawns the child: SQLITE_IOERR_WRITE)
// START=<run id>  start that run and print its outcome (`outcome`) as soon as the handle has one; then, on stdin,
//                 `room` lifts the database's size limit and awaits the run to its end (`completed`), while
//                 `close` closes the engine and the store (`closed`)
// RESUME=<run id> await that run (claimed at startup from the stopped worker) and print `completed` with its outputs
import Database from 'better-sqlite3'
import { createEngine, defineWorkflow, sqliteStore } from 'weft-sdk'
import { effect, engineOptions, failOnUncaught, marker, nextLine } from './common.mjs'

failOnUncaught()
const env = process.env
const steps = Number(env.STEPS ?? 12)
const payloadBytes = Number(env.PAYLOAD_BYTES ?? 16_384)
const stepName = (i) => `s${String(i).padStart(2, '0')}`

function step(i, previous, ctx) {
  effect({ runId: ctx.runId, step: stepName(i) })
  return `${i}:${previous.length}:`.padEnd(payloadBytes, String.fromCharCode(97 + (i % 26)))
}

let builder = defineWorkflow({ name: 'ledger', version: 1 }).task(stepName(1), (_input, ctx) => step(1, '', ctx))
for (let i = 2; i <= steps; i++) builder = builder.task(stepName(i), { dependsOn: [stepName(i - 1)] }, (previous, ctx) => step(i, previous, ctx))
const Ledger = builder.build()

function openStore() {
  if (env.MAX_PAGES === undefined) return { store: sqliteStore({ path: env.WEFT_STORE_LOCATION }), db: undefined }
  const db = new Database(env.WEFT_STORE_LOCATION)
  db.pragma(`max_page_count = ${Number(env.MAX_PAGES)}`)
  return { store: sqliteStore({ database: db }), db }
}

const { store, db } = openStore()
const engine = createEngine({ store, workflows: [Ledger], ...engineOptions() })
await engine.ready
marker('ready')

if (env.START) {
  const run = await engine.start(Ledger, undefined, { runId: env.START })
  const outcome = await run.outcome()
  const error = outcome.error
  marker('outcome', { status: outcome.status, error: error && { name: error.name, code: error.code, reason: error.reason, message: error.message } })
  const command = await nextLine()
  if (command === 'room') {
    db?.pragma('max_page_count = 1000000000')
    marker('room')
    await printCompleted(env.START)
  }
  await engine.close({ drain: 0 })
  await store.close()
  db?.close()
  marker('closed')
}

async function printCompleted(runId) {
  const run = await engine.getRun(runId)
  if (run === undefined) throw new Error(`no run ${runId}`)
  const result = await run.result()
  marker('completed', { runId, outputs: Object.fromEntries(Object.entries(result.outputs).map(([k, v]) => [k, v.length])) })
}
if (env.RESUME) {
  await printCompleted(env.RESUME)
  await engine.close()
  await store.close()
}
