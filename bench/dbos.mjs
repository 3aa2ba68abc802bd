// DBOS Transact in a process of its own, for the PostgreSQL benchmark: the
// same 10-step no-op workflow (a chain of `DBOS.runStep` calls), executed
// in-process as DBOS does by default, on the benchmark's PostgreSQL server.
// Its own process because DBOS is a singleton and uses AsyncLocalStorage
// (which slows every await of the process it runs in on Node 20).
// Driven over IPC by durable-postgres.mjs: 'drive' → a closed-loop load;
// 'stop' → DBOS.shutdown() and exit.

import { readFileSync } from 'node:fs'
import { DBOS } from '@dbos-inc/dbos-sdk'
import { drive } from './drive.mjs'

const { url, steps } = JSON.parse(process.argv[2])
const version = JSON.parse(readFileSync(new URL('./node_modules/@dbos-inc/dbos-sdk/package.json', import.meta.url), 'utf8')).version
const counter = { calls: 0 }

async function noop(x) {
  counter.calls++
  return x + 1
}

// Step names built once: the workflow is deterministic, as DBOS requires.
const names = Array.from({ length: steps }, (_, i) => `t${i}`)
async function chain(input) {
  let x = input
  for (let i = 0; i < steps; i++) {
    const current = x
    x = await DBOS.runStep(() => noop(current), { name: names[i] })
  }
  return x
}
const workflow = DBOS.registerWorkflow(chain, { name: `benchChain${steps}` })

async function once() {
  const handle = await DBOS.startWorkflow(workflow)(0)
  return (await handle.getResult()) === steps
}

// The measuring process is gone (killed, Ctrl-C): do not linger.
process.on('disconnect', () => process.exit(1))

process.on('message', async (message) => {
  try {
    if (message.type === 'drive') {
      const result = await drive({ once, concurrency: message.concurrency, durationMs: message.durationMs, count: message.count })
      process.send({ type: 'drove', ...result, calls: counter.calls })
    } else if (message.type === 'stop') {
      await DBOS.shutdown()
      process.send({ type: 'stopped', calls: counter.calls }, () => process.exit(0))
    }
  } catch (error) {
    process.send({ type: 'error', error: String(error?.stack ?? error) }, () => process.exit(1))
  }
})

try {
  DBOS.setConfig({ name: 'weft-bench', systemDatabaseUrl: url, applicationVersion: 'bench', logLevel: 'warn' })
  await DBOS.launch()
  process.send({ type: 'ready', version })
} catch (error) {
  process.send({ type: 'error', error: String(error?.stack ?? error) }, () => process.exit(1))
}
