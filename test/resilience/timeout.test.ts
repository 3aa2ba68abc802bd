import { describe, expect, it } from 'vitest'
import { defineWorkflow, MemoryWorkflowStore, TaskTimeoutError, type RunFailedError } from 'weft-sdk'
import type { Fence, StepRecord } from 'weft-sdk/store'
import { flush, virtualTime } from '../support/test-clock.js'
import { memoryEngine } from '../support/engines.js'

class RecordingStore extends MemoryWorkflowStore {
  readonly saved: StepRecord[] = []
  override async saveStep(fence: Fence, step: StepRecord): Promise<StepRecord> {
    this.saved.push(step)
    return super.saveStep(fence, step)
  }
}

describe('@Timeout', () => {
  it('fires the task signal, fails with TaskTimeoutError and never records a late result', async () => {
    const time = virtualTime()
    const store = new RecordingStore()
    let signal: AbortSignal | undefined
    let finishLate: ((value: string) => void) | undefined
    const workflow = defineWorkflow({ name: 'slow', version: 1 })
      .task('fetch', { timeout: '5 s' }, (_input, ctx) => {
        signal = ctx.signal
        return new Promise<string>((resolve) => (finishLate = resolve))
      })
      .task('use', { dependsOn: ['fetch'] }, (page) => page.length)
      .build()
    const engine = memoryEngine({ clock: time.clock, store })
    const run = await engine.start(workflow)
    await time.advance(4_999)
    expect(signal!.aborted).toBe(false)
    await time.advance(1)
    const outcome = await run.outcome()
    expect(signal!.aborted).toBe(true)
    const cause = (outcome.error as RunFailedError).cause
    expect(cause).toBeInstanceOf(TaskTimeoutError)
    expect((cause as TaskTimeoutError).message).toBe('task "fetch" timed out after 5000 ms')
    finishLate!('late page')
    await flush()
    expect(store.saved.filter((s) => s.status === 'completed')).toEqual([])
    expect(store.saved.find((s) => s.key === 'fetch')).toMatchObject({ status: 'failed', error: { code: 'WEFT_TASK_TIMEOUT' } })
    expect(outcome.tasks.map((t) => [t.task, t.status])).toEqual([
      ['fetch', 'failed'],
      ['use', 'cancelled'],
    ])
    await engine.close()
  })

  it('gives each retry attempt its own timeout', async () => {
    const time = virtualTime()
    const attempts: number[] = []
    const workflow = defineWorkflow({ name: 'retry-timeout', version: 1 })
      .task('fetch', { timeout: '1 s', retry: { maxAttempts: 3, backoff: { initial: 10, jitter: 'none' } } }, (_input, ctx) => {
        attempts.push(ctx.attempt)
        return ctx.attempt < 3 ? new Promise<number>(() => {}) : ctx.attempt
      })
      .build()
    const engine = memoryEngine({ clock: time.clock })
    const run = await engine.start(workflow)
    for (let i = 0; i < 10; i++) await time.advance(500)
    const outcome = await run.outcome()
    expect(outcome.outputs).toEqual({ fetch: 3 })
    expect(attempts).toEqual([1, 2, 3])
    await engine.close()
  })
})
