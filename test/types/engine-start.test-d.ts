/**
 * Compile-time checks of `engine.start` / `engine.run`: the input is checked
 * against the workflow's declared input, and the run's result is typed per task.
 */
import { Schema } from 'effect'
import { describe, expectTypeOf, test } from 'vitest'
import {
  DependsOn,
  Loop,
  Task,
  Workflow,
  WorkflowBase,
  type Engine,
  type LoopContext,
  type LoopResult,
  type RunId,
  type RunResult,
  type TaskContext,
  type WorkflowInput,
  type WorkflowOutputs,
  type WorkflowRun,
} from 'weft-sdk'

declare const engine: Engine

interface OrderInput {
  readonly orderId: string
  readonly quantity: number
}
interface Order {
  readonly id: string
  readonly total: number
}

@Workflow({ name: 'fulfil', version: 1 })
class Fulfil extends WorkflowBase<OrderInput> {
  @Task()
  load(input: OrderInput): Order {
    return { id: input.orderId, total: input.quantity * 2 }
  }

  @Task()
  coupon(input: OrderInput): string {
    return input.orderId
  }

  @DependsOn('load')
  async charge(order: Order): Promise<number> {
    return order.total
  }

  @DependsOn('load', 'charge', { task: 'coupon', optional: true })
  async ship(order: Order, charged: number, coupon: string | undefined, ctx: TaskContext<OrderInput>) {
    return { tracking: `${order.id}-${charged}-${coupon ?? ''}-${ctx.runId}`, shipped: true as const }
  }

  @Loop({ while: (n: OrderInput) => n.quantity > 0, maxIterations: 3 })
  split(state: OrderInput, ctx: LoopContext<OrderInput>): OrderInput {
    return { ...state, quantity: state.quantity - ctx.iteration - 1 }
  }
}

@Workflow({ name: 'tick', version: 1 })
class Tick extends WorkflowBase {
  @Task()
  tick(): number {
    return 1
  }
}

@Workflow({ name: 'tick-void', version: 1 })
class TickVoid extends WorkflowBase<void> {
  // A root task of a void workflow may declare its (void) input.
  @Task()
  tick(input: void): string {
    return `tick ${String(input)}`
  }

  @Task()
  tock(input: void, ctx: TaskContext<void>): number {
    return ctx.attempt
  }
}

describe('engine.start: the input', () => {
  test('the right input is accepted', async () => {
    expectTypeOf<WorkflowInput<typeof Fulfil>>().toEqualTypeOf<OrderInput>()
    expectTypeOf<WorkflowInput<typeof Fulfil>>().not.toBeAny()
    const run = await engine.start(Fulfil, { orderId: 'o-1', quantity: 2 })
    expectTypeOf(run).toEqualTypeOf<WorkflowRun<WorkflowOutputs<typeof Fulfil>>>()
    await engine.start(Fulfil, { orderId: 'o-1', quantity: 2 }, { runId: 'run-1' as RunId })
    expectTypeOf(engine.run(Fulfil, { orderId: 'o-1', quantity: 2 })).toEqualTypeOf<Promise<RunResult<WorkflowOutputs<typeof Fulfil>>>>()
  })

  test('an input of the wrong shape is rejected', async () => {
    // @ts-expect-error quantity must be a number
    await engine.start(Fulfil, { orderId: 'o-1', quantity: '2' })
    // @ts-expect-error quantity is missing
    await engine.start(Fulfil, { orderId: 'o-1' })
    // @ts-expect-error an unknown property (excess property check)
    await engine.start(Fulfil, { orderId: 'o-1', quantity: 2, priority: 1 })
    // @ts-expect-error the input is required
    await engine.start(Fulfil)
    // @ts-expect-error the input is not a string
    await engine.run(Fulfil, 'o-1')
  })

  test('a WorkflowBase<void> workflow may be started without input, and takes none', async () => {
    expectTypeOf<WorkflowInput<typeof Tick>>().toEqualTypeOf<void>()
    expectTypeOf<WorkflowInput<typeof TickVoid>>().toEqualTypeOf<void>()
    await engine.start(Tick)
    await engine.start(TickVoid)
    await engine.start(Tick, undefined, { runId: 'run-2' as RunId })
    const result = await engine.run(TickVoid)
    expectTypeOf(result.output('tick')).toEqualTypeOf<string>()
    expectTypeOf(result.output('tock')).toEqualTypeOf<number>()
    // @ts-expect-error a void workflow takes no input
    await engine.start(Tick, { orderId: 'o-1' })
  })
})

describe('the run result is typed per task', () => {
  test('output(name) has the awaited return type; outputs.x may be undefined', async () => {
    const run = await engine.start(Fulfil, { orderId: 'o-1', quantity: 2 })
    const result = await run.result()
    expectTypeOf(result).toEqualTypeOf<RunResult<WorkflowOutputs<typeof Fulfil>>>()

    expectTypeOf(result.output('load')).toEqualTypeOf<Order>()
    expectTypeOf(result.output('charge')).toEqualTypeOf<number>()
    expectTypeOf(result.output('ship')).toEqualTypeOf<{ tracking: string; shipped: true }>()
    expectTypeOf(result.output('split')).toEqualTypeOf<LoopResult<OrderInput>>()

    expectTypeOf(result.outputs.coupon).toEqualTypeOf<string | undefined>()
    expectTypeOf(result.outputs.ship).toEqualTypeOf<{ tracking: string; shipped: true } | undefined>()
    expectTypeOf(result.outputs.split).toEqualTypeOf<LoopResult<OrderInput> | undefined>()

    expectTypeOf(result.output('ship')).not.toBeAny()
    expectTypeOf(result.outputs).not.toBeAny()
    expectTypeOf(result.outputs.charge).not.toBeAny()
    expectTypeOf<Parameters<typeof result.output>[0]>().toEqualTypeOf<'load' | 'coupon' | 'charge' | 'ship' | 'split'>()

    // @ts-expect-error 'shp' is not a task of the workflow
    result.output('shp')
    // @ts-expect-error not a task either
    void result.outputs.shp
  })
})

describe('engine.getRun with the workflow', () => {
  test('types the run by its workflow; by id alone, the outputs are unknown', async () => {
    const typed = await engine.getRun(Fulfil, 'r-1' as RunId)
    expectTypeOf(typed).toEqualTypeOf<WorkflowRun<WorkflowOutputs<typeof Fulfil>> | undefined>()
    expectTypeOf((await typed!.result()).output('charge')).toEqualTypeOf<number>()
    const untyped = await engine.getRun('r-1' as RunId)
    expectTypeOf(untyped).toEqualTypeOf<WorkflowRun | undefined>()
    // @ts-expect-error a run of Fulfil has no task 'tick'
    ;(await typed!.result()).output('tick')
  })
})

describe('WorkflowBase.withInput(schema)', () => {
  const Order = Schema.Struct({ orderId: Schema.NonEmptyString, count: Schema.Number })
  @Workflow({ name: 'typed-by-schema', version: 1 })
  class BySchema extends WorkflowBase.withInput(Order) {
    @Task() count(input: typeof Order.Type) {
      return input.count
    }
    // @ts-expect-error a root task receives the schema's type, not a string
    @Task() wrong(input: string) {
      return input
    }
  }

  test('types engine.start by the schema, once', async () => {
    expectTypeOf<WorkflowInput<typeof BySchema>>().toEqualTypeOf<typeof Order.Encoded>()
    // @ts-expect-error count must be a number
    await engine.start(BySchema, { orderId: 'o-1', count: 'two' })
  })
})
