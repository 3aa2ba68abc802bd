import { Schema } from 'effect'
import { describe, expectTypeOf, test } from 'vitest'
import { Cache, defineWorkflow, DependsOn, OnFailure, RunResult, Task, When, Workflow, WorkflowBase, type TaskContext, type TaskFailure } from 'weft-sdk'
import { memoryEngine } from '../support/engines.js'

interface OrderInput {
  readonly orderId: string
}
interface Order {
  readonly id: string
  readonly total: number
}
interface Other {
  readonly unrelated: true
}

describe('checks added after the first review of the type tests', () => {
  test('a root task with a TaskContext of another input type, or a parameter after the context, fails', () => {
    class Roots extends WorkflowBase<OrderInput> {
      // @ts-expect-error the context must carry the workflow input
      @Task() rootCtx(input: OrderInput, ctx: TaskContext<Other>) {
        return [input, ctx]
      }
      // @ts-expect-error nothing may follow the context
      @Task() rootExtra(input: OrderInput, ctx: TaskContext<OrderInput>, extra: string) {
        return [input, ctx, extra]
      }
      @Task() fine(input: OrderInput, ctx?: TaskContext<OrderInput>) {
        return [input, ctx]
      }
    }
    void Roots
  })

  test('a @When condition or @Cache key cannot take the TaskContext', () => {
    class Conditions extends WorkflowBase<OrderInput> {
      @Task() load(input: OrderInput): Order {
        return { id: input.orderId, total: 1 }
      }
      @DependsOn('load')
      // @ts-expect-error a condition receives the task's arguments, not the context
      @When((o: Order, ctx: TaskContext<OrderInput>) => ctx.input.orderId === o.id)
      conditional(order: Order, ctx: TaskContext<OrderInput>) {
        return [order, ctx]
      }
      @DependsOn('load')
      // @ts-expect-error a cache key receives the task's arguments, not the context
      @Cache({ ttl: '1 m', key: (o: Order, ctx: TaskContext<OrderInput>) => `${o.id}${ctx.runId}` })
      cached(order: Order, ctx: TaskContext<OrderInput>) {
        return [order, ctx]
      }
    }
    void Conditions
  })

  test('an @OnFailure handler takes a TaskFailure, then the context, and nothing else', () => {
    class Handlers extends WorkflowBase<OrderInput> {
      @Task() load(input: OrderInput): Order {
        return { id: input.orderId, total: 1 }
      }
      @OnFailure('load') fine(failure: TaskFailure, ctx: TaskContext<OrderInput>) {
        return [failure, ctx]
      }
      // @ts-expect-error the second parameter of a handler is the context
      @OnFailure('load')
      extra(failure: TaskFailure, extra: string) {
        return [failure, extra]
      }
    }
    void Handlers
  })

  test('@DependsOn needs at least one task, and a rest parameter is checked', () => {
    class Deps extends WorkflowBase<OrderInput> {
      @Task() load(input: OrderInput): Order {
        return { id: input.orderId, total: 1 }
      }
      // @ts-expect-error an empty @DependsOn() says nothing: leave it out for a root task
      @DependsOn()
      none(input: OrderInput) {
        return input
      }
      // @ts-expect-error a rest parameter of strings does not accept an Order
      @DependsOn('load')
      rest(...values: string[]) {
        return values
      }
      @DependsOn('load') restOk(...values: unknown[]) {
        return values
      }
    }
    void Deps
  })

  test('a schema narrower than the declared input is reported as such', () => {
    // @ts-expect-error the schema's type is narrower than WorkflowBase<OrderInput>
    @Workflow({ name: 'narrow', version: 1, input: Schema.Struct({ orderId: Schema.Literal('a') }) })
    class Narrow extends WorkflowBase<OrderInput> {
      @Task() a(input: OrderInput) {
        return input
      }
    }
    void Narrow
  })
})

describe('transforming input schemas', () => {
  const Quantity = Schema.Struct({ quantity: Schema.NumberFromString })

  test('engine.start takes the encoded input; tasks get the decoded one', async () => {
    @Workflow({ name: 'quantity', version: 1, input: Quantity })
    class Quantities extends WorkflowBase<typeof Quantity.Type, typeof Quantity.Encoded> {
      @Task() double(input: typeof Quantity.Type) {
        return input.quantity * 2
      }
    }
    const engine = memoryEngine()
    await engine.start(Quantities, { quantity: '5' })
    // @ts-expect-error engine.start takes what the schema decodes from: a string
    await engine.start(Quantities, { quantity: 5 })
    const defined = defineWorkflow({ name: 'quantity-defined', version: 1, input: Quantity })
      .task('double', (input) => input.quantity * 2)
      .build()
    expectTypeOf(await engine.run(defined, { quantity: '5' })).toEqualTypeOf<RunResult<{ readonly double: number }>>()
  })

  test('a transforming schema needs the encoded type declared', () => {
    // @ts-expect-error the schema decodes from strings: declare WorkflowBase<typeof Quantity.Type, typeof Quantity.Encoded>
    @Workflow({ name: 'quantity-undeclared', version: 1, input: Quantity })
    class Undeclared extends WorkflowBase<typeof Quantity.Type> {
      @Task() double(input: typeof Quantity.Type) {
        return input.quantity * 2
      }
    }
    void Undeclared
  })
})
