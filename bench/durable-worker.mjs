// A Weft worker process for the PostgreSQL benchmark: an engine with
// `claimRuns: true` (the default) on the benchmark's database, executing the
// runs the measuring process starts. Driven over IPC by durable-postgres.mjs:
// 'stats' → its task calls and queries so far; 'stop' → closes and exits.

import { createEngine } from '../dist/index.js'
import { postgresStore } from '../dist/postgres.js'
import { chainWorkflow } from './durable-workflows.mjs'
import { countingPool } from './pg-counting.mjs'

const { url, steps } = JSON.parse(process.argv[2])
const counter = { calls: 0 }
const { workflow } = chainWorkflow(steps, counter, `bench durable chain ${steps}`)
const pool = countingPool(url)
const store = postgresStore({ pool })
// A claim pass still in flight when engine.close() returns may use the pool after it ended: only errors
// before 'stop' count (engine.close() does not wait for an in-flight claim pass).
let stopping = false
const onBackgroundError = (e) => {
  if (!stopping) process.send?.({ type: 'error', error: String(e?.stack ?? e) })
}
const engine = createEngine({ store, workflows: [workflow], onBackgroundError })

const stats = () => ({ calls: counter.calls, queries: pool.counts.queries })

// The measuring process is gone (killed, Ctrl-C): do not linger.
process.on('disconnect', () => process.exit(1))

process.on('message', async (message) => {
  try {
    if (message.type === 'stats') process.send({ type: 'stats', ...stats() })
    else if (message.type === 'stop') {
      stopping = true
      await engine.close({ drain: '5 s' })
      await pool.end()
      process.send({ type: 'stopped', ...stats() }, () => process.exit(0))
    }
  } catch (error) {
    process.send({ type: 'error', error: String(error?.stack ?? error) }, () => process.exit(1))
  }
})

try {
  await engine.ready
  process.send({ type: 'ready' })
} catch (error) {
  process.send({ type: 'error', error: String(error?.stack ?? error) }, () => process.exit(1))
}
