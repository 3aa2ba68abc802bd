/**
 * Runs an engine claims that it cannot start, or that carry a request: what
 * counts against them and what they end as.
 */
import { describe, expect, it } from 'vitest'
import { createEngine, defineWorkflow, MemoryWorkflowStore, StorageError, type RunId, type RunRecovered } from 'weft-sdk'
import type { StepRecord } from 'weft-sdk/store'

const workflow = defineWorkflow({ name: 'claimed', version: 1 })
  .task('a', () => 1)
  .task('b', { dependsOn: ['a'] }, (a) => a + 1)
  .always('cleanUp', () => 'cleaned')
  .build()

/** A run of `claimed` left by a dead worker (its lease over), with `steps` recorded. */
async function orphan(store: MemoryWorkflowStore, id: string, steps: readonly string[] = []): Promise<void> {
  const { run } = await store.createRun({ id, workflow: 'claimed', version: 1, input: undefined, createdAt: 1, claimBy: { owner: 'gone-host/1/x', leaseMs: 1 } })
  for (const [i, key] of steps.entries()) {
    const step: StepRecord = { runId: id, key, task: key, status: 'completed', output: key === 'cleanUp' ? 'cleaned' : i + 1, attempts: 1, startedAt: 1, finishedAt: 2 }
    await store.saveStep({ runId: id, epoch: run.epoch }, step)
  }
}

/** A memory store whose reads of one run's steps fail with `error`. */
class FailingReads extends MemoryWorkflowStore {
  constructor(private readonly error: () => unknown) {
    super()
  }
  override async loadSteps(runId: RunId): Promise<StepRecord[]> {
    if (runId === 'stuck') throw this.error()
    return super.loadSteps(runId)
  }
}

async function waitFor<T>(probe: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const value = await probe()
    if (value !== undefined) return value
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  throw new Error('timed out')
}

describe('a claimed run the engine cannot start', () => {
  it('is released without counting a recovery when the store failed as a whole', async () => {
    const store = new FailingReads(() => new StorageError('connection-lost', 'a PostgreSQL query failed (connection-lost)'))
    await orphan(store, 'stuck', ['a'])
    const engine = createEngine({ store, workflows: [workflow], claimInterval: '5 ms', maxRecoveryAttempts: 1, onBackgroundError: () => undefined })
    await engine.ready
    await new Promise((resolve) => setTimeout(resolve, 100))
    const run = (await store.getRun('stuck'))!
    expect(run.status).toBe('running')
    expect(run.recoveries).toBe(1) // the first claim took over the dead worker's lease; the failed starts counted nothing
    expect(run.statusMessage).toBeUndefined()
    await engine.close()
  })

  it('is dead-lettered after maxRecoveryAttempts when its own data fails (a corrupt row)', async () => {
    const store = new FailingReads(() => new StorageError('corrupt', 'a read failed (corrupt): SQLITE_CORRUPT'))
    await orphan(store, 'stuck', ['a'])
    const engine = createEngine({ store, workflows: [workflow], claimInterval: '5 ms', maxRecoveryAttempts: 1, onBackgroundError: () => undefined })
    const run = await waitFor(async () => {
      const stored = await store.getRun('stuck')
      return stored?.status === 'dead-lettered' ? stored : undefined
    })
    expect(run.recoveries).toBe(2)
    await engine.close()
  })
})

describe('a cancel asked of a run whose worker died', () => {
  it('changes nothing when every task of the run is recorded: the run ends completed', async () => {
    const store = new MemoryWorkflowStore()
    await orphan(store, 'done', ['a', 'b', 'cleanUp'])
    await store.requestAction('done', 'cancel', 3)
    const engine = createEngine({ store, workflows: [workflow] })
    await engine.ready
    const outcome = await (await engine.getRun('done'))!.outcome()
    expect(outcome.status).toBe('completed')
    expect(outcome.outputs).toEqual({ a: 1, b: 2, cleanUp: 'cleaned' })
    await engine.close()
  })
})

describe('a run taken over from a dead worker', () => {
  it('is announced: a run.recovered event in its events and to listeners, and one call of onRunRecovered', async () => {
    const store = new MemoryWorkflowStore()
    await orphan(store, 'left', ['a'])
    const announced: RunRecovered[] = []
    const heard: string[] = []
    const engine = createEngine({ store, workflows: [workflow], onRunRecovered: (event) => announced.push(event) })
    engine.on((event) => void ('runId' in event && heard.push(event.type)))
    await engine.ready
    const run = (await engine.getRun('left'))!
    expect((await run.outcome()).outputs).toEqual({ a: 1, b: 2, cleanUp: 'cleaned' })
    expect(announced).toEqual([{ type: 'run.recovered', at: expect.any(Number), runId: 'left', workflow: 'claimed', recoveries: 1, epoch: 2, replayedSteps: 1 }])
    expect(heard.slice(0, 2)).toEqual(['run.started', 'run.recovered'])
    await engine.close()
  })

  it('is not announced for a run this engine starts itself', async () => {
    const announced: RunRecovered[] = []
    const engine = createEngine({ store: new MemoryWorkflowStore(), workflows: [workflow], onRunRecovered: (event) => announced.push(event) })
    const run = await engine.start(workflow)
    await run.outcome()
    const types: string[] = []
    for await (const event of run.events()) types.push(event.type)
    expect(types).not.toContain('run.recovered')
    expect(announced).toEqual([])
    await engine.close()
  })
})
