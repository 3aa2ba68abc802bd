/**
 * Two Nest applications on one real PostgreSQL database: an API process
 * (role 'api') that starts, signals and reads runs over HTTP, and a worker
 * (role 'worker') that executes them with a Nest service injected; and the
 * health indicator under @nestjs/terminus, down once the database is gone.
 */
import { Body, Controller, Get, Module, Param, Post } from '@nestjs/common'
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus'
import { afterEach, describe, expect, it } from 'vitest'
import { Task, Workflow, WorkflowBase, type TaskContext } from 'weft-sdk'
import { postgresStore } from 'weft-sdk/postgres'
import { WeftClient, WeftHealthIndicator, WeftModule, type WeftModuleOptions } from 'weft-sdk/nestjs'
import { createTestDatabase, describePostgres, type TestDatabase } from '../support/postgres.js'
import { listen, type RunningApp } from './nest-app.js'
import { PriceBook } from './quote-fixtures.js'

@Workflow({ name: 'nest-approval', version: 1 })
class ApprovalWorkflow extends WorkflowBase<{ orderId: string }> {
  static readonly result = 'decide'
  constructor(private readonly prices: PriceBook) {
    super()
  }

  @Task()
  async decide(input: { orderId: string }, ctx: TaskContext<{ orderId: string }>): Promise<string> {
    const approval = await ctx.waitForEvent<{ by: string }>('approved')
    return `${input.orderId} at ${this.prices.priceOf(input.orderId)} approved by ${approval.by}`
  }
}

@Controller('approvals')
class ApprovalsController {
  constructor(private readonly weft: WeftClient) {}

  @Post()
  async start(@Body() body: { orderId: string }) {
    return { runId: (await this.weft.start(ApprovalWorkflow, body)).id }
  }

  @Post(':id/approve')
  async approve(@Param('id') id: string, @Body() body: { by: string }) {
    await this.weft.signal(id, 'approved', body)
    return { sent: true }
  }

  @Get(':id')
  read(@Param('id') id: string) {
    return this.weft.read(id)
  }
}

@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly weft: WeftHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.weft.isHealthy('weft')])
  }
}

/** The API process: it declares the workflow (to start it, typed) but provides none of its dependencies. */
@Module({ imports: [WeftModule.forFeature([ApprovalWorkflow])], controllers: [ApprovalsController] })
class ApiApprovals {}

/** The worker: the workflow with the service its constructor asks for, and a health endpoint. */
@Module({ imports: [WeftModule.forFeature([ApprovalWorkflow]), TerminusModule], providers: [PriceBook], controllers: [HealthController] })
class WorkerApprovals {}

function weft(database: TestDatabase, options: WeftModuleOptions) {
  return WeftModule.forRoot({ store: postgresStore({ connectionString: database.url }), claimInterval: '100 ms', onBackgroundError: () => undefined, ...options })
}

/** Asks `read` until `done` holds of its answer (the worker is another application), for at most 10 s. */
async function until<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 10_000
  for (;;) {
    const value = await read()
    if (done(value) || Date.now() > deadline) return value
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

describePostgres('WeftModule on PostgreSQL', () => {
  const apps: RunningApp[] = []
  const databases: TestDatabase[] = []
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.app.close().catch(() => undefined)
    for (const database of databases.splice(0)) await database.drop()
  })

  async function database(): Promise<TestDatabase> {
    const created = await createTestDatabase()
    databases.push(created)
    return created
  }

  it('an API application starts, signals and reads a run that a worker application executes', async () => {
    const db = await database()
    const api = await listen({ imports: [weft(db, { role: 'api' }), ApiApprovals] })
    apps.push(api)
    const worker = await listen({ imports: [weft(db, { role: 'worker' }), WorkerApprovals] })
    apps.push(worker)

    const { body } = await api.request('POST', '/approvals', { orderId: 'o-7' })
    const running = await until(() => api.request('GET', `/approvals/${body.runId}`), (read) => read.body.status === 'running')
    expect(running.body.status).toBe('running')
    expect((await api.request('POST', `/approvals/${body.runId}/approve`, { by: 'ada' })).status).toBe(201)
    const done = await until(() => api.request('GET', `/approvals/${body.runId}`), (read) => read.body.status === 'completed')
    expect(done.body).toMatchObject({ status: 'completed', outputs: { decide: 'o-7 at 30 approved by ada' } })
    expect(worker.app.get(PriceBook).calls).toBe(1)
  })

  it('the health indicator reports the store and is down (503) once the database is unreachable', async () => {
    const db = await database()
    const worker = await listen({ imports: [weft(db, { role: 'worker' }), WorkerApprovals] })
    apps.push(worker)
    const up = await worker.request('GET', '/health')
    expect(up.status).toBe(200)
    expect(up.body).toMatchObject({ status: 'ok', info: { weft: { status: 'up', store: { status: 'up' }, adapters: {} } } })

    await db.drop()
    const down = await worker.request('GET', '/health')
    expect(down.status).toBe(503)
    expect(down.body).toMatchObject({ status: 'error', error: { weft: { status: 'down', store: { status: 'down' } } } })
    expect(down.body.error.weft.store.error).toMatch(/database|terminat|connect/i)
  })
})
