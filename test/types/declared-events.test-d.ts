/**
 * Compile-time checks of declared events: `WorkflowBase.withEvents({...})`
 * types `run.signal` (name and payload) and `ctx.waitForEvent(name)` in the
 * workflow's tasks, without repeating the schema.
 */
import { Schema } from 'effect'
import { describe, expectTypeOf, test } from 'vitest'
import { Task, Workflow, WorkflowBase, type Engine, type TaskContext, type WorkflowEvents } from 'weft-sdk'

declare const engine: Engine

const Events = {
  approved: Schema.Struct({ by: Schema.String }),
  amended: Schema.Struct({ amount: Schema.NumberFromString }),
}
const Order = Schema.Struct({ orderId: Schema.String })

@Workflow({ name: 'approval-events', version: 1 })
class Approval extends WorkflowBase.withEvents(Events) {
  @Task() async approve(_input: void, ctx: TaskContext<void, typeof Events>): Promise<string> {
    const approved = await ctx.waitForEvent('approved')
    expectTypeOf(approved).toEqualTypeOf<{ readonly by: string }>()
    const amended = await ctx.waitForEvent('amended', { match: (a) => a.amount > 0 })
    expectTypeOf(amended).toEqualTypeOf<{ readonly amount: number }>()
    // @ts-expect-error 'aproved' is not an event the workflow declares
    await ctx.waitForEvent('aproved')
    for await (const event of ctx.events('approved')) expectTypeOf(event).toEqualTypeOf<{ readonly by: string }>()
    // @ts-expect-error a stream of an undeclared event fails too
    ctx.events('aproved')
    return approved.by
  }
}

@Workflow({ name: 'order-events', version: 1 })
class OrderApproval extends WorkflowBase.withInput(Order).withEvents(Events) {
  @Task() async wait(input: typeof Order.Type, ctx: TaskContext<typeof Order.Type, typeof Events>): Promise<string> {
    return `${input.orderId}: ${(await ctx.waitForEvent('approved')).by}`
  }
}

/** A typed input without a schema: declare it on a base of your own, then its events. */
abstract class OrderBase extends WorkflowBase<{ orderId: string }> {}

@Workflow({ name: 'typed-input-events', version: 1 })
class TypedInput extends OrderBase.withEvents(Events) {
  @Task() async wait(input: { orderId: string }, ctx: TaskContext<{ orderId: string }, typeof Events>): Promise<string> {
    return `${input.orderId}: ${(await ctx.waitForEvent('approved')).by}`
  }
}

/** A typed input without a schema, as a type argument of the base withEvents returns. */
@Workflow({ name: 'type-argument-events', version: 1 })
class TypeArgument extends WorkflowBase.withEvents(Events)<{ orderId: string }> {
  @Task() async wait(input: { orderId: string }, ctx: TaskContext<{ orderId: string }, typeof Events>): Promise<string> {
    return `${input.orderId}: ${(await ctx.waitForEvent('approved')).by}`
  }
}

describe('declared events', () => {
  test('with the input as a type argument of WorkflowBase.withEvents(...): the input and the events are typed', async () => {
    const run = await engine.start(TypeArgument, { orderId: 'o-1' })
    await run.signal('approved', { by: 'ada' })
    // @ts-expect-error the input type is the type argument
    await engine.start(TypeArgument, { order: 'o-1' })
    // @ts-expect-error the payload type comes from the declared schema
    await run.signal('approved', { by: 1 })
  })

  test('on a base class of a typed input: the input and the events are typed', async () => {
    const run = await engine.start(TypedInput, { orderId: 'o-1' })
    await run.signal('approved', { by: 'ada' })
    // @ts-expect-error the input type comes from OrderBase
    await engine.start(TypedInput, { order: 'o-1' })
  })

  test('type run.signal by name and encoded payload', async () => {
    const run = await engine.start(Approval)
    await run.signal('approved', { by: 'ada' })
    await run.signal('amended', { amount: '12' })
    // @ts-expect-error 'aproved' is not a declared event
    await run.signal('aproved', { by: 'ada' })
    // @ts-expect-error by must be a string
    await run.signal('approved', { by: 42 })
    // @ts-expect-error the payload is required
    await run.signal('approved')
    // @ts-expect-error the encoded form of amount is a string (the schema decodes it to a number)
    await run.signal('amended', { amount: 12 })
  })

  test('compose with withInput: both the input and the events are typed', async () => {
    expectTypeOf<WorkflowEvents<typeof OrderApproval>>().toEqualTypeOf<typeof Events>()
    const run = await engine.start(OrderApproval, { orderId: 'o-1' })
    await run.signal('approved', { by: 'ada' })
    // @ts-expect-error the input is checked too
    await engine.start(OrderApproval, { orderId: 1 })
  })

  test('a task whose context declares other events fails tsc', () => {
    @Workflow({ name: 'wrong-context', version: 1 })
    class WrongContext extends WorkflowBase {
      // @ts-expect-error the workflow declares no events, so the context does not carry these
      @Task() wait(_input: void, ctx: TaskContext<void, typeof Events>) {
        return ctx.waitForEvent('approved')
      }
    }
    void WrongContext
  })

  test('a workflow without declared events keeps the untyped forms', async () => {
    @Workflow({ name: 'free-events', version: 1 })
    class Free extends WorkflowBase {
      @Task() async wait(_input: void, ctx: TaskContext) {
        expectTypeOf(await ctx.waitForEvent<{ by: string }>('anything')).toEqualTypeOf<{ by: string }>()
        return 1
      }
    }
    const run = await engine.start(Free)
    await run.signal('anything', { any: 'payload' })
    await run.signal('no-payload')
  })
})

describe('declared events and the task context', () => {
  test('a task of a workflow that declares events cannot type its context without them', () => {
    @Workflow({ name: 'context-drops-events', version: 1 })
    class DropsEvents extends WorkflowBase.withEvents(Events) {
      // @ts-expect-error its TaskContext drops the declared events (waitForEvent would take any name, any payload type)
      @Task() async wait(_input: void, ctx: TaskContext<void>): Promise<number> {
        return (await ctx.waitForEvent<{ by: number }>('approved')).by
      }
      @Task() noContext(): number {
        return 1
      }
    }
    expectTypeOf<DropsEvents>().toHaveProperty('noContext')
  })
})

describe('withEvents on a base whose constructor takes injected parameters', () => {
  test('keeps the constructor parameters and the declared events', () => {
    class Llm {
      complete(prompt: string): string {
        return prompt
      }
    }
    abstract class AgentBase extends WorkflowBase<{ topic: string }> {
      constructor(protected readonly llm: Llm) {
        super()
      }
    }
    @Workflow({ name: 'agent-events', version: 1 })
    class Agent extends AgentBase.withEvents(Events) {
      @Task() async draft(input: { topic: string }, ctx: TaskContext<{ topic: string }, typeof Events>): Promise<string> {
        return this.llm.complete(`${input.topic} by ${(await ctx.waitForEvent('approved')).by}`)
      }
    }
    expectTypeOf<ConstructorParameters<typeof Agent>>().toEqualTypeOf<[llm: Llm]>()
    expectTypeOf<WorkflowEvents<typeof Agent>>().toEqualTypeOf<typeof Events>()
  })
})
