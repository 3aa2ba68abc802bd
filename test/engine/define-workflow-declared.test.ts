import { Schema } from 'effect'
import { describe, expect, it } from 'vitest'
import { createEngine, defineWorkflow, EventPayloadError, InvalidOptionsError, MemoryWorkflowStore, ResultDeclarationError, token } from 'weft-sdk'
import { flush } from '../support/test-clock.js'
import { memoryEngine } from '../support/engines.js'

const Events = { approved: Schema.Struct({ by: Schema.NonEmptyString }) }

function shipping() {
  return defineWorkflow<{ orderId: string }>({ name: 'define-ship', version: 1 })
    .task('charge', (input) => ({ amount: input.orderId.length }))
    .task('note', { dependsOn: ['charge'], when: (receipt) => receipt.amount > 3 }, (receipt) => `big: ${receipt.amount}`)
    .task('ship', { dependsOn: ['charge'] }, (receipt) => `shipped ${receipt.amount}`)
}

describe('defineWorkflow(...).build({ result })', () => {
  it('makes run.result() and engine.run resolve to the declared task output', async () => {
    const engine = memoryEngine()
    expect(await engine.run(shipping().build({ result: 'ship' }), { orderId: 'o-1' })).toBe('shipped 3')
    const run = await engine.start(shipping().build({ result: 'ship' }), { orderId: 'o-1' })
    expect(await run.result()).toBe('shipped 3')
    expect((await run.details()).outputs).toEqual({ charge: { amount: 3 }, ship: 'shipped 3' })
    await engine.close()
  })

  it('reads a record, undefined for an optional task that was skipped', async () => {
    const engine = memoryEngine()
    const Record = shipping().build({ result: { receipt: 'charge', note: { task: 'note', optional: true } } })
    expect(await engine.run(Record, { orderId: 'o-1' })).toEqual({ receipt: { amount: 3 }, note: undefined })
    await engine.close()
  })

  it('reads a record with a key named task as a record, as the types do', async () => {
    const engine = memoryEngine()
    const Record = shipping().build({ result: { task: 'charge', label: 'ship' } })
    expect(await engine.run(Record, { orderId: 'o-1' })).toEqual({ task: { amount: 3 }, label: 'shipped 3' })
    await engine.close()
  })

  it('refuses a conditional task declared as required, and an unknown one, at build time', () => {
    expect(() => shipping().build({ result: 'note' })).toThrow(ResultDeclarationError)
    expect(() => shipping().build({ result: 'note' })).toThrow(
      `workflow "define-ship": its result names task "note", which may end without output (it has a when option): declare it { task: 'note', optional: true } so callers receive undefined when it has none`,
    )
    expect(() => shipping().build({ result: 'nope' as 'ship' })).toThrow(`its result names unknown task "nope"`)
    expect(() => shipping().build({ result: [] as never })).toThrow(ResultDeclarationError)
  })
})

describe('defineWorkflow(...).events({...})', () => {
  const Expense = defineWorkflow<{ amount: number }>({ name: 'define-expense', version: 1 })
    .events(Events)
    .task('approve', async (input, ctx) => `${input.amount} approved by ${(await ctx.waitForEvent('approved')).by}`)
    .build({ result: 'approve' })

  it('refuses an invalid payload at send time and delivers a valid one decoded', async () => {
    const engine = memoryEngine()
    const run = await engine.start(Expense, { amount: 12 })
    await expect(run.signal('approved', { by: '' })).rejects.toBeInstanceOf(EventPayloadError)
    await run.signal('approved', { by: 'ada' })
    expect(await run.result()).toBe('12 approved by ada')
    await engine.close()
  })

  it('never delivers a broadcast payload the schema refuses', async () => {
    const engine = memoryEngine()
    const run = await engine.start(Expense, { amount: 1 })
    await flush()
    await engine.emit('approved', { by: 7 })
    await flush()
    expect(run.status()).toBe('running')
    await engine.emit('approved', { by: 'grace' })
    expect(await run.result()).toBe('1 approved by grace')
    await engine.close()
  })

  it('refuses events that are not Effect Schemas, and events declared after the first task', () => {
    expect(() => defineWorkflow({ name: 'bad-events', version: 1 }).events({ approved: { by: 'string' } } as never).task('x', () => 1).build()).toThrow(InvalidOptionsError)
    const late = defineWorkflow({ name: 'late-events', version: 1 }).task('x', () => 1) as unknown as { events(e: unknown): unknown }
    expect(() => late.events(Events)).toThrow('declare its events once, before its first task')
  })

  it('takes the events after the services too', async () => {
    const Region = token<string>('Region')
    const Regional = defineWorkflow({ name: 'services-then-events', version: 1 })
      .services({ region: Region })
      .events(Events)
      .task('approve', async (_input, ctx) => `${ctx.services.region}: ${(await ctx.waitForEvent('approved')).by}`)
      .build({ result: 'approve' })
    const engine = createEngine({ store: new MemoryWorkflowStore() })
    engine.container.register(Region, { useValue: 'eu' })
    const run = await engine.start(Regional)
    await expect(run.signal('approved', { by: '' })).rejects.toBeInstanceOf(EventPayloadError)
    await run.signal('approved', { by: 'ada' })
    expect(await run.result()).toBe('eu: ada')
    await engine.close()
  })
})
