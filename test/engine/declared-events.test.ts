import 'reflect-metadata'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Schema } from 'effect'
import { inject } from 'tsyringe'
import { afterEach, describe, expect, it } from 'vitest'
import { createEngine, EventPayloadError, MemoryWorkflowStore, sqliteStore, Task, Workflow, WorkflowBase, type TaskContext } from 'weft-sdk'
import { flush } from '../support/test-clock.js'

const Events = {
  approved: Schema.Struct({ by: Schema.NonEmptyString }),
  amended: Schema.Struct({ amount: Schema.NumberFromString }),
}

@Workflow({ name: 'declared-approval', version: 1 })
class Approval extends WorkflowBase.withEvents(Events) {
  @Task() async approve(_input: void, ctx: TaskContext<void, typeof Events>): Promise<string> {
    const { by } = await ctx.waitForEvent('approved')
    return by
  }
  @Task() async amend(_input: void, ctx: TaskContext<void, typeof Events>): Promise<number> {
    const { amount } = await ctx.waitForEvent('amended')
    return amount
  }
}

const folders: string[] = []
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true })
})

describe('declared events, at send time', () => {
  it('run.signal refuses a payload the declared schema refuses, naming event, workflow and the schema message, and stores nothing', async () => {
    const store = new MemoryWorkflowStore()
    const engine = createEngine({ store })
    const run = await engine.start(Approval)
    const refused = await run.signal('approved', { by: '' }).catch((error: unknown) => error)
    expect(refused).toBeInstanceOf(EventPayloadError)
    expect(refused).toMatchObject({ code: 'WEFT_INVALID_EVENT_PAYLOAD', event: 'approved', workflow: 'declared-approval@1' })
    expect((refused as Error).message).toBe(
      'event "approved" of workflow declared-approval@1: the payload does not match the schema the workflow declares for it: at by: Expected a value with a length of at least 1; send a payload of that schema (nothing was stored)',
    )
    expect(await store.pendingEvents(run.id, 'approved', 0)).toEqual([])
    await engine.close()
  })

  it('engine.emit to a run validates the same way; a valid payload is delivered decoded', async () => {
    const engine = createEngine({ store: new MemoryWorkflowStore() })
    const run = await engine.start(Approval)
    await expect(engine.emit('amended', { amount: 12 }, { runId: run.id })).rejects.toBeInstanceOf(EventPayloadError)
    await engine.emit('amended', { amount: '12' }, { runId: run.id })
    await run.signal('approved', { by: 'ada' })
    expect((await run.details()).outputs).toEqual({ approve: 'ada', amend: 12 })
    await engine.close()
  })

  it('validates a run read from the store (not executing here) against its registered workflow', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'weft-events-'))
    folders.push(folder)
    const file = join(folder, 'weft.db')
    const owner = createEngine({ store: sqliteStore({ path: file }), claimRuns: false })
    const run = await owner.start(Approval)
    const other = createEngine({ store: sqliteStore({ path: file }), claimRuns: false, workflows: [Approval] })
    await expect((await other.getRun(Approval, run.id))!.signal('approved', { by: '' })).rejects.toBeInstanceOf(EventPayloadError)
    await other.close()
    await owner.close()
  })
})

describe('declared events after an input schema', () => {
  it('WorkflowBase.withInput(S).withEvents(E) keeps the input check and the events', async () => {
    const Expense = Schema.Struct({ amount: Schema.Number })
    @Workflow({ name: 'declared-after-input', version: 1 })
    class Approved extends WorkflowBase.withInput(Expense).withEvents(Events) {
      static readonly result = 'approve'
      @Task() async approve(input: typeof Expense.Type, ctx: TaskContext<typeof Expense.Type, typeof Events>): Promise<string> {
        return `${input.amount} by ${(await ctx.waitForEvent('approved')).by}`
      }
    }
    const engine = createEngine({ store: new MemoryWorkflowStore() })
    await expect(engine.start(Approved, JSON.parse('{ "amount": "12" }'))).rejects.toMatchObject({ code: 'WEFT_INVALID_INPUT' })
    const run = await engine.start(Approved, { amount: 12 })
    await expect(run.signal('approved', { by: '' })).rejects.toBeInstanceOf(EventPayloadError)
    await run.signal('approved', { by: 'ada' })
    expect(await run.result()).toBe('12 by ada')
    await engine.close()
  })
})

describe('declared events on a base of a typed input', () => {
  it('OrderBase.withEvents(Events) keeps the input type and the declared events', async () => {
    abstract class OrderBase extends WorkflowBase<{ orderId: string }> {}
    @Workflow({ name: 'declared-on-base', version: 1 })
    class OnBase extends OrderBase.withEvents(Events) {
      static readonly result = 'wait'
      @Task() async wait(input: { orderId: string }, ctx: TaskContext<{ orderId: string }, typeof Events>): Promise<string> {
        return `${input.orderId} by ${(await ctx.waitForEvent('approved')).by}`
      }
    }
    const engine = createEngine({ store: new MemoryWorkflowStore() })
    const run = await engine.start(OnBase, { orderId: 'o-5' })
    await expect(run.signal('approved', { by: '' })).rejects.toBeInstanceOf(EventPayloadError)
    await run.signal('approved', { by: 'ada' })
    expect(await run.result()).toBe('o-5 by ada')
    expect(new OnBase()).toBeInstanceOf(OrderBase)
    await engine.close()
  })
})

describe('declaring events twice', () => {
  it('is refused, naming the base and the fix', () => {
    // The types refuse it too: a base with events has no withEvents.
    const declared = WorkflowBase.withEvents(Events) as unknown as typeof WorkflowBase
    expect(() => declared.withEvents(Events)).toThrow('already declares its events (withEvents); declare them all in one withEvents({ ... })')
  })
})

describe('declared events, on receipt', () => {
  it('a payload that reached the inbox without the check (the CLI, a broadcast) is never delivered: the task keeps waiting', async () => {
    const store = new MemoryWorkflowStore()
    const engine = createEngine({ store })
    const run = await engine.start(Approval)
    await flush()
    // What `weft runs signal` does: it writes to the store, where no workflow code is loaded.
    await store.sendEvent({ name: 'approved', runId: run.id, payload: { by: 42 }, sentAt: Date.now() })
    // A broadcast is checked by each run on receipt only.
    await engine.emit('approved', { by: '' })
    await engine.emit('amended', { amount: '3' }, { runId: run.id })
    await flush()
    expect(run.status()).toBe('running')
    await run.signal('approved', { by: 'grace' })
    expect((await run.details()).outputs).toEqual({ approve: 'grace', amend: 3 })
    await engine.close()
  })
})

describe('declared events, streamed', () => {
  it('ctx.events(name) yields payloads decoded by the declared schema and skips ones it refuses', async () => {
    const Readings = { reading: Schema.Struct({ value: Schema.NumberFromString }) }
    @Workflow({ name: 'declared-stream', version: 1 })
    class Meter extends WorkflowBase.withEvents(Readings) {
      @Task() async sum(_input: void, ctx: TaskContext<void, typeof Readings>): Promise<number> {
        let total = 0
        for await (const { value } of ctx.events('reading')) {
          total += value
          if (value === 0) break
        }
        return total
      }
    }
    const store = new MemoryWorkflowStore()
    const engine = createEngine({ store })
    const run = await engine.start(Meter)
    await flush()
    await run.signal('reading', { value: '2' })
    await store.sendEvent({ name: 'reading', runId: run.id, payload: { value: 40 }, sentAt: Date.now() })
    await run.signal('reading', { value: '3' })
    await run.signal('reading', { value: '0' })
    expect((await run.details()).output('sum')).toBe(5)
    await engine.close()
  })
})

describe('declared events on a base whose constructor takes an injected service', () => {
  it('AgentBase.withEvents(Events) passes the injected parameters on to the base', async () => {
    class Llm {
      complete(prompt: string): string {
        return `llm: ${prompt}`
      }
    }
    abstract class AgentBase extends WorkflowBase<{ topic: string }> {
      constructor(@inject(Llm) protected readonly llm: Llm) {
        super()
      }
    }
    @Workflow({ name: 'declared-agent', version: 1 })
    class Agent extends AgentBase.withEvents(Events) {
      static readonly result = 'draft'
      @Task() async draft(input: { topic: string }, ctx: TaskContext<{ topic: string }, typeof Events>): Promise<string> {
        return this.llm.complete(`${input.topic} by ${(await ctx.waitForEvent('approved')).by}`)
      }
    }
    const engine = createEngine({ store: new MemoryWorkflowStore() })
    engine.container.register(Llm, { useValue: new Llm() })
    const run = await engine.start(Agent, { topic: 'tides' })
    await expect(run.signal('approved', { by: '' })).rejects.toBeInstanceOf(EventPayloadError)
    await run.signal('approved', { by: 'ada' })
    expect(await run.result()).toBe('llm: tides by ada')
    await engine.close()
  })
})
