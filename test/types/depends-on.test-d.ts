/**
 * Compile-time checks of `@DependsOn`, `@Task({ dependsOn })` and the strict
 * `@Task()` on decorated workflow classes. Each right program compiles with exact types; each wrong one is
 * rejected on the offending decorator line (the `@ts-expect-error` directive
 * fails the run with TS2578 if the line ever compiles).
 */
import { describe, expectTypeOf, test } from 'vitest'
import { DependsOn, Task, Workflow, WorkflowBase, type InputOf, type TaskContext, type TaskName, type TaskOutput, type TaskOutputs, type WorkflowOutputs } from 'weft-sdk'
import type { DependencyValue } from 'weft-sdk/types'

interface OrderInput {
  readonly orderId: string
}
interface Order {
  readonly id: string
  readonly total: number
}
interface Receipt {
  readonly charged: number
}
/** Has nothing in common with any input or output above. */
interface Unrelated {
  readonly unrelated: boolean
}

describe('@DependsOn: the right program compiles with exact types', () => {
  test('dependency outputs arrive awaited, in order, then the TaskContext', () => {
    @Workflow({ name: 'orders-ok', version: 1 })
    class Orders extends WorkflowBase<OrderInput> {
      @Task()
      load(input: OrderInput): Order {
        return { id: input.orderId, total: 3 }
      }

      @DependsOn('load')
      async charge(order: Order): Promise<Receipt> {
        return { charged: order.total }
      }

      @DependsOn('load', 'charge')
      ship(order: Order, receipt: Receipt, ctx: TaskContext<OrderInput>) {
        expectTypeOf(ctx.input).toEqualTypeOf<OrderInput>()
        return `${order.id}:${receipt.charged}:${ctx.runId}`
      }

      // A parameter may be wider than what the dependency returns.
      @DependsOn('charge')
      audit(receipt: { charged: number } | null, ctx: TaskContext) {
        return receipt === null ? ctx.task : receipt.charged
      }

      // A task may ignore trailing arguments (TypeScript allows fewer parameters).
      @DependsOn('load', 'charge')
      count() {
        return 1
      }
    }

    expectTypeOf<InputOf<Orders>>().toEqualTypeOf<OrderInput>()
    expectTypeOf<TaskName<Orders>>().toEqualTypeOf<'load' | 'charge' | 'ship' | 'audit' | 'count'>()
    // `charge` is async: dependents get the awaited value, never the Promise.
    expectTypeOf<TaskOutput<Orders, 'charge'>>().toEqualTypeOf<Receipt>()
    expectTypeOf<TaskOutputs<Orders>>().toEqualTypeOf<{
      readonly load: Order
      readonly charge: Receipt
      readonly ship: string
      readonly audit: string | number
      readonly count: number
    }>()
    expectTypeOf<WorkflowOutputs<typeof Orders>>().toEqualTypeOf<TaskOutputs<Orders>>()
    expectTypeOf<TaskOutputs<Orders>>().not.toBeAny()
    expectTypeOf<TaskOutput<Orders, 'ship'>>().not.toBeAny()
  })

  test('an optional dependency gives T | undefined', () => {
    @Workflow({ name: 'coupon-ok', version: 1 })
    class Coupons extends WorkflowBase<OrderInput> {
      @Task()
      load(input: OrderInput): Order {
        return { id: input.orderId, total: 3 }
      }

      @Task()
      coupon(input: OrderInput): string {
        return input.orderId
      }

      @DependsOn('load', { task: 'coupon', optional: true })
      ship(order: Order, coupon: string | undefined, ctx: TaskContext<OrderInput>) {
        return `${order.id} ${coupon ?? ''} ${ctx.runId}`
      }
    }

    expectTypeOf<DependencyValue<Coupons, { task: 'coupon'; optional: true }>>().toEqualTypeOf<string | undefined>()
    expectTypeOf<DependencyValue<Coupons, 'coupon'>>().toEqualTypeOf<string>()
    expectTypeOf<DependencyValue<Coupons, { task: 'coupon' }>>().toEqualTypeOf<string>()
    expectTypeOf<DependencyValue<Coupons, { task: 'coupon'; optional: true }>>().not.toBeAny()
  })
  test('optional parameters keep their undefined, and void parameters stay void', () => {
    @Workflow({ name: 'optional-params-ok', version: 1 })
    class OptionalParams extends WorkflowBase<OrderInput> {
      @Task()
      load(input: OrderInput): Order {
        return { id: input.orderId, total: 3 }
      }

      @Task()
      coupon(input: OrderInput): string {
        return input.orderId
      }

      @Task()
      notify(input: OrderInput): void {
        void input
      }

      // `coupon?: string` accepts the `string | undefined` of an optional dependency.
      @DependsOn('load', { task: 'coupon', optional: true })
      ship(order: Order, coupon?: string, ctx?: TaskContext<OrderInput>) {
        return `${order.id} ${coupon ?? ''} ${ctx?.runId ?? ''}`
      }

      // A void output is received as a void parameter.
      @DependsOn('notify')
      afterNotify(done: void, ctx: TaskContext<OrderInput>) {
        return [done, ctx.task]
      }
    }

    expectTypeOf<TaskOutput<OptionalParams, 'notify'>>().toEqualTypeOf<void>()
    expectTypeOf<TaskOutput<OptionalParams, 'ship'>>().toEqualTypeOf<string>()
  })
})

describe('@DependsOn: each wrong program fails tsc', () => {
  test('wrong type, swapped order, unknown name, self, promising too little, extra parameters', () => {
    @Workflow({ name: 'orders-bad', version: 1 })
    class Orders extends WorkflowBase<OrderInput> {
      config = { region: 'eu' }

      @Task()
      load(input: OrderInput): Order {
        return { id: input.orderId, total: 3 }
      }

      @DependsOn('load')
      async charge(order: Order): Promise<Receipt> {
        return { charged: order.total }
      }

      @Task()
      coupon(input: OrderInput): string {
        return input.orderId
      }

      // @ts-expect-error wrong type: charge returns Receipt, not number
      @DependsOn('load', 'charge')
      wrongType(order: Order, receipt: number) {
        return [order, receipt]
      }

      // @ts-expect-error swapped order: the 1st output is charge's Receipt, not an Order
      @DependsOn('charge', 'load')
      swapped(order: Order, receipt: Receipt) {
        return [order, receipt]
      }

      // @ts-expect-error unknown task name 'lod' (typo of 'load')
      @DependsOn('lod')
      unknownName(order: Order) {
        return order
      }

      // @ts-expect-error 'config' is a property, not a task method
      @DependsOn('load', 'config')
      notAMethod(order: Order, config: { region: string }) {
        return [order, config]
      }

      // @ts-expect-error a task cannot depend on itself
      @DependsOn('load', 'selfish')
      selfish(order: Order, self: number) {
        return [order, self]
      }

      // @ts-expect-error expects more than load promises: Order has no currency
      @DependsOn('coupon', 'load')
      expectsMore(coupon: string, order: Order & { currency: string }) {
        return [coupon, order.currency]
      }

      // @ts-expect-error the dependency is optional: the parameter must accept undefined
      @DependsOn('load', { task: 'coupon', optional: true })
      optionalAsRequired(order: Order, coupon: string) {
        return [order, coupon]
      }

      // @ts-expect-error an optional parameter still needs the right type: coupon returns a string
      @DependsOn('load', { task: 'coupon', optional: true })
      optionalWrongType(order: Order, coupon?: number) {
        return [order, coupon]
      }

      // @ts-expect-error the parameter after the dependency outputs must accept the TaskContext
      @DependsOn('load')
      extraInsteadOfContext(order: Order, extra: string) {
        return [order, extra]
      }

      // @ts-expect-error a parameter after the TaskContext receives nothing
      @DependsOn('load')
      extraAfterContext(order: Order, ctx: TaskContext<OrderInput>, extra: string) {
        return [order, ctx, extra]
      }

      // @ts-expect-error the TaskContext carries the workflow input, not Unrelated
      @DependsOn('load')
      wrongContext(order: Order, ctx: TaskContext<Unrelated>) {
        return [order, ctx]
      }
    }
    void Orders
  })
})

describe('@Task(): a root task must accept the workflow input', () => {
  test('the right program compiles', () => {
    @Workflow({ name: 'root-ok', version: 1 })
    class Root extends WorkflowBase<OrderInput> {
      @Task()
      exact(input: OrderInput, ctx: TaskContext<OrderInput>) {
        return `${input.orderId}:${ctx.attempt}`
      }

      // Wider than the input is fine.
      @Task()
      wider(input: { orderId: string } | undefined) {
        return input?.orderId.length ?? 0
      }

      // No parameter at all is fine.
      @Task()
      none() {
        return true
      }
    }

    expectTypeOf<TaskOutputs<Root>>().toEqualTypeOf<{
      readonly exact: string
      readonly wider: number
      readonly none: boolean
    }>()
  })

  test('a first parameter that does not accept the input fails', () => {
    // A plain @Task() is strict: its 1st parameter receives the workflow input
    // (soundness.test-d.ts covers a parameter typed as another task's output).
    @Workflow({ name: 'root-bad', version: 1 })
    class Root extends WorkflowBase<OrderInput> {
      @Task()
      load(input: OrderInput): Order {
        return { id: input.orderId, total: 1 }
      }

      // @ts-expect-error the 1st parameter does not accept OrderInput
      @Task()
      unrelated(input: Unrelated) {
        return input.unrelated
      }

      // @ts-expect-error the 1st parameter expects more than OrderInput gives
      @Task()
      narrower(input: OrderInput & { priority: number }) {
        return input.priority
      }
    }
    void Root
  })

  test('a class without WorkflowBase<Input> declares no input: a typed root parameter fails', () => {
    class Undeclared {
      // @ts-expect-error the input is undeclared (unknown): extend WorkflowBase<OrderInput>
      @Task()
      load(input: OrderInput) {
        return input.orderId
      }
    }
    void Undeclared
  })
})
