/**
 * The drain comes before Nest destroys the application's providers: a task
 * in flight when app.close() is called uses a service that closes its
 * connection in onModuleDestroy, and still finishes (its run completed in
 * the SQLite file), the service closing only afterwards. And the explicit
 * drain (WeftLifecycle.drain) for applications that tear down another way.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { Injectable, Module, type OnModuleDestroy } from '@nestjs/common'
import { afterAll, describe, expect, it } from 'vitest'
import { Engine, sqliteStore, Task, Workflow, WorkflowBase, type RunId } from 'weft-sdk'
import { WeftLifecycle, WeftModule } from 'weft-sdk/nestjs'
import { listen, sqliteFolder } from './nest-app.js'

const files = sqliteFolder()
afterAll(() => files.remove())

/** What happened, in order, across the task and the service. */
const events: string[] = []
let taskStarted: () => void = () => undefined

/** A service holding a connection it closes when Nest destroys it, as database clients do. */
@Injectable()
class Ledger implements OnModuleDestroy {
  private open = true
  record(entry: string): string {
    if (!this.open) throw new Error('connection closed')
    return `recorded ${entry}`
  }
  onModuleDestroy(): void {
    this.open = false
    events.push('connection-closed')
  }
}

@Workflow({ name: 'nest-ledger', version: 1 })
class LedgerWorkflow extends WorkflowBase<{ entry: string }> {
  constructor(private readonly ledger: Ledger) {
    super()
  }

  @Task()
  async post(input: { entry: string }): Promise<string> {
    events.push('task-started')
    taskStarted()
    // Work that outlasts the start of the shutdown: Nest would have destroyed Ledger by now.
    await sleep(300)
    const recorded = this.ledger.record(input.entry)
    events.push('task-done')
    return recorded
  }
}

@Module({ imports: [WeftModule.forFeature([LedgerWorkflow])], providers: [Ledger] })
class LedgerModule {}

async function storedStatus(path: string, runId: RunId) {
  const store = sqliteStore({ path })
  try {
    return { run: await store.getRun(runId), steps: await store.loadSteps(runId) }
  } finally {
    await store.close()
  }
}

/** Starts a run in a new application and resolves once its task is running. */
async function runningTask(path: string) {
  events.length = 0
  const started = new Promise<void>((resolve) => (taskStarted = resolve))
  const { app } = await listen({ imports: [WeftModule.forRoot({ store: () => sqliteStore({ path }), drain: '10 s' }), LedgerModule] })
  const run = await app.get(Engine).start(LedgerWorkflow, { entry: 'e-1' })
  await started
  return { app, runId: run.id }
}

describe('shutting down a Nest application with a task in flight', () => {
  it('lets the task finish with the services it uses still open, then Nest destroys them (app.close)', async () => {
    const path = files.path('order')
    const { app, runId } = await runningTask(path)
    await app.close()
    expect(events).toEqual(['task-started', 'task-done', 'connection-closed'])
    const { run, steps } = await storedStatus(path, runId)
    expect(run?.status).toBe('completed')
    expect(steps.map((step) => [step.key, step.output])).toEqual([['post', 'recorded e-1']])
  })

  it('drains on WeftLifecycle.drain() called by hand; the close that follows waits for nothing more', async () => {
    const path = files.path('by-hand')
    const { app, runId } = await runningTask(path)
    await app.get(WeftLifecycle).drain()
    expect(events).toEqual(['task-started', 'task-done'])
    await app.close()
    expect(events).toEqual(['task-started', 'task-done', 'connection-closed'])
    expect((await storedStatus(path, runId)).run?.status).toBe('completed')
  })
})
