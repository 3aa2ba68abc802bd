import { describe, expect, it } from 'vitest'
import { MemoryWorkflowStore, PayloadTooLargeError } from 'weft-sdk'
import { describeEventFeed, describeWorkflowStore } from './workflow-store-conformance.js'
import { describeOutbox } from './outbox-conformance.js'

const fixture = { create: async () => new MemoryWorkflowStore() }
describeWorkflowStore('memory', fixture)
describeEventFeed('memory', fixture)
describeOutbox('memory', fixture)

describe("MemoryWorkflowStore({ serialization: 'off' })", () => {
  it('keeps values by reference, unchecked: what a durable store would refuse is stored', async () => {
    class Money {
      constructor(readonly cents: number) {}
    }
    const store = new MemoryWorkflowStore({ serialization: 'off' })
    const output = { total: new Money(5) }
    const { run } = await store.createRun({ id: 'r1', workflow: 'w', version: 1, input: null, createdAt: 1, claimBy: { owner: 'w1', leaseMs: 1_000 } })
    await store.saveStep({ runId: run.id, epoch: run.epoch }, { runId: 'r1', key: 'a', task: 'a', status: 'completed', output, attempts: 1, finishedAt: 2 })
    expect((await store.loadSteps('r1'))[0]!.output).toBe(output)
  })
})

describe('MemoryWorkflowStore limits', () => {
  it('applies the size limits it is given', async () => {
    const store = new MemoryWorkflowStore({ limits: { warnBytes: 10, maxBytes: 20 } })
    const refused = await store.sendEvent({ name: 'e', payload: 'x'.repeat(30), sentAt: 1 }).catch((error: unknown) => error)
    expect(refused).toBeInstanceOf(PayloadTooLargeError)
  })
})
