import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { RunRecord, StepRecord, WorkflowStore } from 'weft'

/** Creates a fresh, empty store for one test, and disposes of it after. */
export interface StoreFixture {
  create(): Promise<WorkflowStore>
}

function run(id: string, extra: Partial<RunRecord> = {}): RunRecord {
  return { id, workflow: 'orders', version: 1, input: { orderId: id }, status: 'running', createdAt: 1_000, startedAt: 1_000, ...extra }
}

function step(runId: string, key: string, extra: Partial<StepRecord> = {}): StepRecord {
  return { runId, key, task: key.split(/[#[/]/)[0]!, status: 'completed', output: { key }, attempts: 1, startedAt: 10, finishedAt: 20, ...extra }
}

/** The behaviour every `WorkflowStore` must have, run against each implementation. */
export function describeWorkflowStore(name: string, fixture: StoreFixture): void {
  describe(`WorkflowStore conformance: ${name}`, () => {
    let store: WorkflowStore
    beforeEach(async () => {
      store = await fixture.create()
    })
    afterEach(async () => {
      await store.close()
    })

    it('creates a run and reads it back', async () => {
      const created = await store.createRun(run('r1'))
      expect(created).toEqual({ run: run('r1'), created: true })
      expect(await store.getRun('r1')).toEqual(run('r1'))
      expect(await store.getRun('missing')).toBeUndefined()
    })

    it('does not overwrite a run created twice with the same id', async () => {
      await store.createRun(run('r1'))
      const again = await store.createRun(run('r1', { input: { other: true } }))
      expect(again.created).toBe(false)
      expect(again.run.input).toEqual({ orderId: 'r1' })
    })

    it('updates a run status and timestamps', async () => {
      await store.createRun(run('r1'))
      await store.updateRun('r1', { status: 'failed', finishedAt: 2_000, error: { name: 'Error', message: 'x', task: 'charge' } })
      expect(await store.getRun('r1')).toMatchObject({ status: 'failed', finishedAt: 2_000, error: { message: 'x', task: 'charge' } })
    })

    it('lists runs newest first with filters and a limit', async () => {
      await store.createRun(run('r1'))
      await store.createRun(run('r2', { workflow: 'refunds' }))
      await store.createRun(run('r3', { status: 'completed' }))
      expect((await store.listRuns()).map((r) => r.id)).toEqual(['r3', 'r2', 'r1'])
      expect((await store.listRuns({ workflow: 'orders' })).map((r) => r.id)).toEqual(['r3', 'r1'])
      expect((await store.listRuns({ status: 'running' })).map((r) => r.id)).toEqual(['r2', 'r1'])
      expect((await store.listRuns({ limit: 1 })).map((r) => r.id)).toEqual(['r3'])
    })

    it('records a step once: the first write wins', async () => {
      await store.createRun(run('r1'))
      const first = await store.saveStep(step('r1', 'charge', { output: { amount: 1 } }))
      const second = await store.saveStep(step('r1', 'charge', { output: { amount: 2 } }))
      expect(first.output).toEqual({ amount: 1 })
      expect(second.output).toEqual({ amount: 1 })
      expect(await store.loadSteps('r1')).toHaveLength(1)
    })

    it('keeps steps of different keys and runs apart', async () => {
      await store.createRun(run('r1'))
      await store.createRun(run('r2'))
      await store.saveStep(step('r1', 'loop#0'))
      await store.saveStep(step('r1', 'loop#1'))
      await store.saveStep(step('r1', 'fan[0]'))
      await store.saveStep(step('r1', 'agent/llm'))
      await store.saveStep(step('r2', 'loop#0'))
      expect((await store.loadSteps('r1')).map((s) => s.key).sort()).toEqual(['agent/llm', 'fan[0]', 'loop#0', 'loop#1'])
      expect((await store.loadSteps('r2')).map((s) => s.key)).toEqual(['loop#0'])
    })

    it('stores failed and skipped steps with their error', async () => {
      await store.createRun(run('r1'))
      await store.saveStep(step('r1', 'charge', { status: 'failed', output: undefined, error: { name: 'TypeError', message: 'boom', code: 'E1' }, attempts: 3 }))
      await store.saveStep(step('r1', 'ship', { status: 'skipped', output: undefined, startedAt: undefined, attempts: 0 }))
      const steps = await store.loadSteps('r1')
      expect(steps.find((s) => s.key === 'charge')).toMatchObject({ status: 'failed', attempts: 3, error: { name: 'TypeError', message: 'boom', code: 'E1' } })
      expect(steps.find((s) => s.key === 'ship')).toMatchObject({ status: 'skipped', attempts: 0 })
    })

    it('keeps outputs as they were written', async () => {
      await store.createRun(run('r1'))
      const output = { text: 'héllo ✓', n: 1.5, nested: { list: [1, 'two', null] }, empty: '' }
      await store.saveStep(step('r1', 'x', { output }))
      expect((await store.loadSteps('r1'))[0]!.output).toEqual(output)
    })
  })
}
