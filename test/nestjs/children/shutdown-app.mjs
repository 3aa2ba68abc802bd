// A Nest application of the graceful-shutdown test, run from the built package (dist/): a worker
// (WeftModule.forRoot, drain DRAIN) that starts one run of a task working TASK_MS, with an adapter
// and a store that say when they are closed. Shutdown hooks are on: SIGTERM closes the application.
// Written without decorators (Module(...)(class)), so that node runs it as it is.
// Each line on stdout is one JSON marker.
import { setTimeout as sleep } from 'node:timers/promises'
import { Module } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { Engine, defineWorkflow, sqliteStore } from 'weft-sdk'
import { WeftModule } from 'weft-sdk/nestjs'

const mark = (marker, fields = {}) => process.stdout.write(`${JSON.stringify({ marker, at: Date.now(), ...fields })}\n`)
const { DATABASE, TASK_MS, DRAIN } = process.env

const Slow = defineWorkflow({ name: 'nest-drain', version: 1 })
  .task('work', async (input, ctx) => {
    mark('task-started', { runId: ctx.runId })
    await sleep(input.ms)
    mark('task-done', { runId: ctx.runId })
    return input.ms
  })
  .build()

// An adapter that only says when it is closed.
const ledger = {
  name: 'ledger',
  kind: 'test',
  health: async () => ({ state: 'up', latencyMs: 0, breakers: [], limiters: [] }),
  stats: () => ({ adapter: 'ledger', kind: 'test', operations: [] }),
  close: async () => mark('adapter-closed'),
}

const store = sqliteStore({ path: DATABASE })
const closeStore = store.close.bind(store)
store.close = async () => {
  await closeStore()
  mark('store-closed')
}

class AppModule {}
Module({ imports: [WeftModule.forRoot({ store, drain: DRAIN, workflows: [Slow], adapters: [{ token: 'Ledger', adapter: ledger }], onRunRecovered: () => undefined })] })(AppModule)

const app = await NestFactory.createApplicationContext(AppModule, { logger: false })
app.enableShutdownHooks()
const run = await app.get(Engine).start(Slow, { ms: Number(TASK_MS) })
mark('started', { runId: run.id })
