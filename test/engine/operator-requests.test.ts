/**
 * Requests through the store (an operator's `weft runs cancel`, a handle in
 * another process) are applied once: the same request read again before the
 * store confirmed it was cleared is not a second cancel (which would abort
 * the run's cleanups).
 */
import { describe, expect, it } from 'vitest'
import { createEngine, defineWorkflow, MemoryWorkflowStore } from 'weft-sdk'
import type { Fence } from 'weft-sdk/store'

class FlakyClearStore extends MemoryWorkflowStore {
  clearFailures = 1
  clears = 0
  override async clearAction(fence: Fence): Promise<void> {
    this.clears++
    if (this.clearFailures-- > 0) throw new Error('connection reset')
    return super.clearAction(fence)
  }
}

describe('a cancel request read twice', () => {
  it('cancels once: the cleanup it lets run is not aborted when the request is read again', async () => {
    const store = new FlakyClearStore()
    const cleanup: string[] = []
    const workflow = defineWorkflow({ name: 'twice', version: 1 })
      .task('work', (_input, ctx) => new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('stopped')))))
      .always('cleanUp', async (_input, ctx) => {
        cleanup.push('started')
        await new Promise((resolve) => setTimeout(resolve, 150))
        cleanup.push(ctx.signal.aborted ? 'aborted' : 'finished')
        return 'cleaned'
      })
      .build()
    const background: unknown[] = []
    const engine = createEngine({ store, workflows: [workflow], leaseDuration: '300 ms', heartbeatInterval: '20 ms', onBackgroundError: (e) => background.push(e) })
    const run = await engine.start(workflow)
    await store.requestAction(run.id, 'cancel', Date.now())
    const outcome = await run.outcome()
    expect(outcome.status).toBe('cancelled')
    expect(cleanup).toEqual(['started', 'finished'])
    expect(outcome.outputs).toEqual({ cleanUp: 'cleaned' })
    expect(store.clears).toBeGreaterThanOrEqual(2)
    expect(background).toHaveLength(1)
    await engine.close()
  })

  it('still lets a second request abort the cleanups once the first was cleared', async () => {
    const store = new MemoryWorkflowStore()
    const workflow = defineWorkflow({ name: 'two-requests', version: 1 })
      .task('work', (_input, ctx) => new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('stopped')))))
      .always('cleanUp', (_input, ctx) => new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('aborted')))))
      .build()
    const engine = createEngine({ store, workflows: [workflow], heartbeatInterval: '20 ms' })
    const started = new Promise<void>((resolve) => engine.on('task.started', (event) => event.task === 'cleanUp' && resolve()))
    const run = await engine.start(workflow)
    await store.requestAction(run.id, 'cancel', Date.now())
    await started
    await new Promise((resolve) => setTimeout(resolve, 60))
    await store.requestAction(run.id, 'cancel', Date.now())
    const outcome = await run.outcome()
    expect(outcome.status).toBe('cancelled')
    expect(outcome.tasks.map((t) => [t.task, t.status])).toEqual([
      ['work', 'cancelled'],
      ['cleanUp', 'cancelled'],
    ])
    await engine.close()
  })
})
