/**
 * Compile-time checks of defineWorkflow's declared result (`.build({ result })`)
 * and declared events (`.events({...})`): the twins of `static readonly result`
 * and `WorkflowBase.withEvents`.
 */
import { Schema } from 'effect'
import { describe, expectTypeOf, test } from 'vitest'
import { defineWorkflow, type Engine, type RunResult, type WorkflowEvents, type WorkflowResult } from 'weft-sdk'

declare const engine: Engine

const Ship = defineWorkflow<{ orderId: string }>({ name: 'ship', version: 1 })
  .task('charge', (input) => ({ amount: input.orderId.length }))
  .task('note', { dependsOn: ['charge'], when: (receipt) => receipt.amount > 3 }, (receipt) => `big: ${receipt.amount}`)
  .task('ship', { dependsOn: ['charge'] }, (receipt) => `shipped ${receipt.amount}`)

const Events = { approved: Schema.Struct({ by: Schema.String }), amended: Schema.Struct({ amount: Schema.NumberFromString }) }

describe('defineWorkflow(...).build({ result })', () => {
  test('one task: run.result() and engine.run give its output', async () => {
    const OneTask = Ship.build({ result: 'ship' })
    expectTypeOf(await engine.run(OneTask, { orderId: 'o-1' })).toEqualTypeOf<string>()
    const run = await engine.start(OneTask, { orderId: 'o-1' })
    expectTypeOf(await run.result()).toEqualTypeOf<string>()
    expectTypeOf((await run.details()).output('charge')).toEqualTypeOf<{ amount: number }>()
  })

  test('a record, optional where declared', () => {
    const Record = Ship.build({ result: { receipt: 'charge', note: { task: 'note', optional: true } } })
    expectTypeOf<WorkflowResult<typeof Record>>().toEqualTypeOf<{ receipt: { amount: number }; note: string | undefined }>()
  })

  test('a record with a key named task is a record; { task, optional } alone is one task', () => {
    const WithTaskKey = Ship.build({ result: { task: 'charge', label: 'ship' } })
    expectTypeOf<WorkflowResult<typeof WithTaskKey>>().toEqualTypeOf<{ task: { amount: number }; label: string }>()
    const One = Ship.build({ result: { task: 'note', optional: true } })
    expectTypeOf<WorkflowResult<typeof One>>().toEqualTypeOf<string | undefined>()
  })

  test('without a result, the RunResult', () => {
    const Plain = Ship.build()
    expectTypeOf<WorkflowResult<typeof Plain>>().toEqualTypeOf<
      RunResult<{ readonly charge: { amount: number } } & { readonly note: string } & { readonly ship: string }>
    >()
  })

  test('a result task typed any still gives its value, not a RunResult', () => {
    const Loose = defineWorkflow({ name: 'loose', version: 1 })
      .task('parse', (): any => JSON.parse('1'))
      .build({ result: 'parse' })
    expectTypeOf<WorkflowResult<typeof Loose>>().toBeAny()
  })

  test('an unknown task fails tsc', () => {
    // @ts-expect-error 'shp' is not a task of the workflow
    Ship.build({ result: 'shp' })
    // @ts-expect-error nor is 'charg', in a record
    Ship.build({ result: { receipt: 'charg' } })
  })
})

describe('defineWorkflow(...).events({...})', () => {
  const Expense = defineWorkflow<{ amount: number }>({ name: 'expense', version: 1 })
    .events(Events)
    .task('approve', async (input, ctx) => {
      const approved = await ctx.waitForEvent('approved')
      expectTypeOf(approved).toEqualTypeOf<{ readonly by: string }>()
      // @ts-expect-error 'aproved' is not a declared event
      await ctx.waitForEvent('aproved')
      return `${input.amount} by ${approved.by}`
    })
    .task('amend', { dependsOn: ['approve'] }, async (_approved, ctx) => (await ctx.waitForEvent('amended')).amount)
    .build({ result: 'amend' })

  test('type run.signal and waitForEvent by the declared schemas', async () => {
    expectTypeOf<WorkflowEvents<typeof Expense>>().toEqualTypeOf<typeof Events>()
    const run = await engine.start(Expense, { amount: 1 })
    await run.signal('approved', { by: 'ada' })
    await run.signal('amended', { amount: '3' })
    // @ts-expect-error by must be a string
    await run.signal('approved', { by: 1 })
    // @ts-expect-error not a declared event
    await run.signal('rejected', {})
    expectTypeOf(await run.result()).toEqualTypeOf<number>()
  })

  test('compose with services, declared first', () => {
    class Clock {
      now(): number {
        return 0
      }
    }
    defineWorkflow({ name: 'both', version: 1 })
      .events(Events)
      .services({ clock: Clock })
      .task('wait', async (_input, ctx) => `${(await ctx.waitForEvent('approved')).by} at ${ctx.services.clock.now()}`)
      .build()
  })

  test('compose with services in either order, events declared once', () => {
    class Clock {
      now(): number {
        return 0
      }
    }
    const afterServices = defineWorkflow({ name: 'both-after', version: 1 })
      .services({ clock: Clock })
      .events(Events)
      .task('wait', async (_input, ctx) => {
        expectTypeOf(await ctx.waitForEvent('approved')).toEqualTypeOf<{ readonly by: string }>()
        return ctx.services.clock.now()
      })
    expectTypeOf(afterServices).not.toHaveProperty('events')
    // @ts-expect-error the events are declared once
    defineWorkflow({ name: 'twice', version: 1 }).events(Events).services({ clock: Clock }).events(Events)
  })
})
