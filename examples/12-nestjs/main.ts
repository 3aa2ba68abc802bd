/**
 * Example 12: Weft inside a NestJS application.
 *
 * Shows:
 * - `WeftModule.forRoot` in the application module: the engine on a SQLite
 *   file, Weft's HTTP adapter to a payments API registered under a token
 *   (`Payments`), which makes it a Nest provider as well;
 * - `WeftModule.forFeature([OrderWorkflow])` in the orders module: the
 *   workflow's constructor gets the module's `Inventory` service and the
 *   adapter from Nest's container, a fresh workflow instance per run;
 * - a controller using `WeftClient`: `POST /orders` starts a run and returns
 *   its id, `POST /orders/:id/approval` sends the approval event the run
 *   waits for, `GET /orders/:id` reads the run;
 * - `WeftExceptionFilter`: an order with a reused id and another input is a
 *   409, an unknown run a 404;
 * - the application closing the engine (drained), the adapter and the store.
 *
 * The application listens on 127.0.0.1 (a free port) and is driven with
 * `fetch`, as a client would.
 *
 * Run it: `npm run build && npm run build:examples && node examples/dist/12-nestjs/main.js`.
 */
import 'reflect-metadata'
import { pathToFileURL } from 'node:url'
import { Module } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { HttpAdapter, sqliteStore } from 'weft-sdk'
import type { WorkflowStore } from 'weft-sdk/store'
import { WeftExceptionFilter, WeftModule, type RunView } from 'weft-sdk/nestjs'
import { Payments } from './order-workflow.js'
import { OrdersModule } from './orders.module.js'
import { startPaymentsApi } from './payments-api.js'

/** What the example saw, for its test. */
export interface NestjsSummary {
  readonly runId: string
  /** The run as read before the approval: waiting for it. */
  readonly beforeApproval: RunView
  /** The run as read once it completed. */
  readonly completed: RunView
  /** Charges the payments API made. */
  readonly charges: number
  /** Status codes of a conflicting start and of an unknown run. */
  readonly refused: { readonly conflict: number; readonly unknown: number }
}

export async function main(log: (line: string) => void = console.log, store: WorkflowStore = sqliteStore()): Promise<NestjsSummary> {
  const payments = await startPaymentsApi()
  const adapter = new HttpAdapter({ name: 'payments', baseUrl: payments.url })

  @Module({ imports: [WeftModule.forRoot({ store, adapters: [{ token: Payments, adapter }] }), OrdersModule] })
  class AppModule {}

  const app = await NestFactory.create(AppModule, { logger: false })
  app.useGlobalFilters(new WeftExceptionFilter(app.getHttpAdapter()))
  try {
    await app.listen(0, '127.0.0.1')
    const url = (await app.getUrl()).replace('[::1]', '127.0.0.1')
    const call = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${url}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })
      return { status: response.status, body: (await response.json()) as unknown }
    }
    const readRun = async (runId: string) => (await call('GET', `/orders/${runId}`)).body as RunView
    log(`Nest application listening on ${url}`)

    const order = { orderId: 'o-1001', sku: 'tea-001', quantity: 4 }
    const started = (await call('POST', '/orders', order)).body as { runId: string }
    log(`POST /orders -> run ${started.runId}`)
    const beforeApproval = await until(() => readRun(started.runId), (run) => run.tasks.some((task) => task.task === 'reserve' && task.status === 'completed'))
    log(`GET /orders/${started.runId} -> ${beforeApproval.status}: ${beforeApproval.tasks.map((task) => `${task.task} ${task.status}`).join(', ')}`)

    await call('POST', `/orders/${started.runId}/approval`, { by: 'ada' })
    log(`POST /orders/${started.runId}/approval -> sent`)
    const completed = await until(() => readRun(started.runId), (run) => run.status === 'completed')
    log(`GET /orders/${started.runId} -> ${completed.status}: ${String(completed.outputs?.['ship'])}`)

    const conflict = await call('POST', '/orders', { ...order, quantity: 5 })
    const unknown = await call('GET', '/orders/order-nope')
    log(`refused: a reused order id with another quantity -> ${conflict.status}, an unknown run -> ${unknown.status}`)
    return { runId: started.runId, beforeApproval, completed, charges: payments.charges.size, refused: { conflict: conflict.status, unknown: unknown.status } }
  } finally {
    await app.close() // drains the engine, closes the payments adapter and the store
    await payments.close()
  }
}

/** Reads until `done` holds (the run moves on in the background), for at most 5 s. */
async function until(read: () => Promise<RunView>, done: (run: RunView) => boolean): Promise<RunView> {
  const deadline = Date.now() + 5_000
  for (;;) {
    const run = await read()
    if (done(run) || Date.now() > deadline) return run
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error: unknown) => {
    console.error(error)
    process.exitCode = 1
  })
}
