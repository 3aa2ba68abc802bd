/**
 * "If it compiles, each task receives what its parameters say": for every way
 * a parameter can be bound, the wrong program fails `tsc` and the right one
 * beside it compiles. Cases marked "(was a hole)" compiled before the binding
 * rules of `src/graph/type-level.ts` and then received something else at run
 * time (checked against the previous commit's decorators: each of those
 * `@ts-expect-error` lines was reported unused there).
 */
import { describe, expectTypeOf, test } from 'vitest'
import {
  Always,
  Cache,
  defineWorkflow,
  DependsOn,
  Loop,
  OnFailure,
  Task,
  WorkflowBase,
  type LoopContext,
  type LoopResult,
  type TaskContext,
  type TaskFailure,
  type TaskOutput,
} from 'weft-sdk'

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

declare const flag: boolean

describe('a plain @Task() receives the workflow input, then the TaskContext', () => {
  test('a parameter typed as another task\'s output needs the dependency declared (was a hole: it received the input)', () => {
    class Orders extends WorkflowBase<OrderInput> {
      @Task() load(input: OrderInput): Order {
        return { id: input.orderId, total: 3 }
      }
      // @ts-expect-error no dependency declared: the 1st parameter receives the workflow input, not load's Order
      @Task() charge(order: Order) {
        return order.total * 2
      }
      @DependsOn('load') chargeRight(order: Order) {
        return order.total * 2
      }
      @Task({ dependsOn: ['load'] }) chargeInOptions(order: Order) {
        return order.total * 2
      }
    }
    void Orders
  })

  test('the context is the 2nd parameter, after the input (was a hole: a 1st-parameter context received the input)', () => {
    class Void extends WorkflowBase {
      // @ts-expect-error the 1st parameter receives the (void) workflow input, not the TaskContext
      @Task() tick(ctx: TaskContext<void>) {
        return ctx.runId
      }
      @Task() tickRight(input: void, ctx: TaskContext<void>) {
        return [input, ctx.runId]
      }
    }
    void Void
  })

  test('a TaskFailure parameter needs @OnFailure (was a hole: it received the input)', () => {
    class Pay extends WorkflowBase<OrderInput> {
      @Task() charge(input: OrderInput): Receipt {
        return { charged: input.orderId.length }
      }
      // @ts-expect-error without @OnFailure the 1st parameter receives the workflow input, not a TaskFailure
      @Task() refund(failure: TaskFailure) {
        return failure.message
      }
      @OnFailure('charge') refundRight(failure: TaskFailure, ctx: TaskContext<OrderInput>) {
        return `${failure.message} ${ctx.runId}`
      }
    }
    void Pay
  })

  test('a LoopContext needs @Loop (was a hole: a non-loop received a TaskContext, and its output was typed as a LoopResult)', () => {
    class Loops extends WorkflowBase<Order> {
      // @ts-expect-error only a @Loop body receives a LoopContext
      @Task() notALoop(order: Order, ctx: LoopContext<Order>): Order {
        return { ...order, total: ctx.iteration }
      }
      @Loop({ while: (o: Order) => o.total < 3, maxIterations: 3 }) loop(order: Order, ctx: LoopContext<Order>): Order {
        return { ...order, total: order.total + 1 + ctx.iteration * 0 }
      }
    }
    expectTypeOf<TaskOutput<Loops, 'loop'>>().toEqualTypeOf<LoopResult<Order>>()
  })

  test('a cleanup declared with @Task() receives the input', () => {
    class Cleanup extends WorkflowBase<OrderInput> {
      @Task() load(input: OrderInput): Order {
        return { id: input.orderId, total: 3 }
      }
      // @ts-expect-error a cleanup without dependencies receives the workflow input, not load's Order
      @Task() @Always() cleanUp(order: Order) {
        return order.id
      }
      @Task() @Always() cleanUpRight(input: OrderInput) {
        return input.orderId
      }
      @DependsOn({ task: 'load', optional: true }) @Always() cleanUpAfterLoad(order: Order | undefined) {
        return order?.id
      }
    }
    void Cleanup
  })
})

describe('@DependsOn and @Task({ dependsOn }) pass the outputs in order, then the TaskContext', () => {
  test('fewer names than parameters: the next parameter receives the context', () => {
    class Orders extends WorkflowBase<OrderInput> {
      @Task() load(input: OrderInput): Order {
        return { id: input.orderId, total: 3 }
      }
      @DependsOn('load') charge(order: Order): Receipt {
        return { charged: order.total }
      }
      // @ts-expect-error only load is declared: the 2nd parameter receives the TaskContext, not charge's Receipt
      @DependsOn('load') ship(order: Order, receipt: Receipt) {
        return [order, receipt]
      }
      // @ts-expect-error the same through @Task({ dependsOn })
      @Task({ dependsOn: ['load'] }) shipInOptions(order: Order, receipt: Receipt) {
        return [order, receipt]
      }
      @DependsOn('load', 'charge') shipRight(order: Order, receipt: Receipt) {
        return [order, receipt]
      }
    }
    void Orders
  })

  test('more names than parameters: the context comes after every output', () => {
    class Orders extends WorkflowBase<OrderInput> {
      @Task() load(input: OrderInput): Order {
        return { id: input.orderId, total: 3 }
      }
      @DependsOn('load') charge(order: Order): Receipt {
        return { charged: order.total }
      }
      // @ts-expect-error the 2nd parameter receives charge's Receipt, not the TaskContext
      @DependsOn('load', 'charge') ship(order: Order, ctx: TaskContext<OrderInput>) {
        return [order, ctx]
      }
      // Ignoring trailing arguments is fine.
      @DependsOn('load', 'charge') shipRight(order: Order) {
        return order
      }
    }
    void Orders
  })

  test('an optional dependency may pass undefined, even when `optional` is only known as a boolean (was a hole)', () => {
    const maybeCoupon = { task: 'coupon', optional: flag } as const
    class Coupons extends WorkflowBase<OrderInput> {
      @Task() coupon(input: OrderInput): string {
        return input.orderId
      }
      // @ts-expect-error optional: boolean may be true: the parameter must accept undefined
      @DependsOn(maybeCoupon) apply(coupon: string) {
        return coupon.length
      }
      @DependsOn(maybeCoupon) applyRight(coupon: string | undefined) {
        return coupon?.length
      }
      @DependsOn({ task: 'coupon', optional: false }) required(coupon: string) {
        return coupon.length
      }
    }
    void Coupons
  })

  test('a @Cache key in @Task options takes the task\'s arguments (was a hole: any key function compiled)', () => {
    class Rates extends WorkflowBase<{ currency: string }> {
      // @ts-expect-error the key takes a number, the task's argument is the { currency } input
      @Task({ cache: { ttl: '1 m', key: (n: number) => n.toFixed() } }) rate(input: { currency: string }) {
        return input.currency.length
      }
      @Task({ cache: { ttl: '1 m', key: (input: { currency: string }) => input.currency } }) rateRight(input: { currency: string }) {
        return input.currency.length
      }
      @DependsOn('rateRight') @Cache({ ttl: '1 m', key: (n: number) => n.toFixed() }) rounded(n: number) {
        return Math.round(n)
      }
    }
    void Rates
  })
})

describe('@OnFailure passes a TaskFailure, then the TaskContext', () => {
  test('the context in the 1st position, or an extra parameter, fails', () => {
    class Pay extends WorkflowBase<OrderInput> {
      @Task() charge(input: OrderInput): Receipt {
        return { charged: input.orderId.length }
      }
      // @ts-expect-error the 1st parameter receives the TaskFailure, not the TaskContext
      @OnFailure('charge') refund(ctx: TaskContext<OrderInput>) {
        return ctx.runId
      }
      // @ts-expect-error a handler receives nothing after the TaskContext
      @OnFailure('charge') extra(failure: TaskFailure, ctx: TaskContext<OrderInput>, more: string) {
        return [failure, ctx, more]
      }
      @OnFailure('charge', { description: 'compensate' }) refundRight(failure: TaskFailure) {
        return failure.message
      }
    }
    void Pay
  })
})

describe('@Loop passes the state, the other outputs, then a LoopContext', () => {
  test('a root loop\'s state must accept the input; a dependent loop\'s the first output', () => {
    class Loops extends WorkflowBase<OrderInput> {
      @Task() load(input: OrderInput): Order {
        return { id: input.orderId, total: 3 }
      }
      // @ts-expect-error a root loop starts from the workflow input, not an Order (was a hole: @Task() accepted any task's output)
      @Loop({ while: (o: Order) => o.total < 5, maxIterations: 5 }) grow(o: Order, ctx: LoopContext<OrderInput>): Order {
        return { ...o, total: o.total + ctx.iteration }
      }
      @Loop({ dependsOn: ['load'], while: (o: Order) => o.total < 5, maxIterations: 5 }) growRight(o: Order, ctx: LoopContext<OrderInput>): Order {
        return { ...o, total: o.total + ctx.iteration }
      }
      // @ts-expect-error the LoopContext comes last: the 2nd parameter receives load's Order
      @Loop({ dependsOn: ['load', 'growRight'], while: (o: Order) => o.total < 5, maxIterations: 5 }) early(o: Order, ctx: LoopContext<OrderInput>): Order {
        return { ...o, total: ctx.iteration }
      }
      // @ts-expect-error unknown task 'lod' in the loop's dependencies
      @Loop({ dependsOn: ['lod'], while: (o: Order) => o.total < 5, maxIterations: 5 }) typo(o: Order, ctx: LoopContext<OrderInput>): Order {
        return { ...o, total: ctx.iteration }
      }
    }
    void Loops
  })

  test('a loop\'s final state may be its initial state, so its output is typed by the state parameter (was a hole)', () => {
    class Loops extends WorkflowBase<Order | null> {
      // No iteration may run: finalState is then the input, which may be null.
      @Loop({ while: (o: Order | null) => o !== null && o.total < 5, maxIterations: 5 })
      grow(o: Order | null, ctx: LoopContext<Order | null>): Order {
        return { id: o?.id ?? 'new', total: (o?.total ?? 0) + 1 + ctx.iteration * 0 }
      }
      // `any` as the last parameter says nothing: this is not a loop body.
      @Task() untyped(input: Order | null, ctx: any) {
        return [input, ctx].length
      }
    }
    expectTypeOf<TaskOutput<Loops, 'grow'>>().toEqualTypeOf<LoopResult<Order | null>>()
    expectTypeOf<TaskOutput<Loops, 'untyped'>>().toEqualTypeOf<number>()
  })
})

describe('defineWorkflow twins', () => {
  const base = defineWorkflow<number>({ name: 'twins', version: 1 })
    .task('count', (n) => n)
    .task('coupon', (n) => String(n))

  test('a loop state type must accept the initial state (was a hole: a narrower state compiled)', () => {
    // @ts-expect-error the state type 1 does not accept count's number
    base.loop('grow', { dependsOn: ['count'], while: (s: 1) => s === 1, maxIterations: 3 }, (s) => s)
    base.loop('grow', { dependsOn: ['count'], while: (s: number | string) => s !== 0, maxIterations: 3 }, (s) => `${s}`)
  })

  test('an optional dependency only known as a boolean may pass undefined (was a hole)', () => {
    // @ts-expect-error optional: boolean may be true: the parameter must accept undefined
    base.task('apply', { dependsOn: [{ task: 'coupon', optional: flag }] }, (coupon: string) => coupon.length)
    base.task('apply', { dependsOn: [{ task: 'coupon', optional: flag }] }, (coupon) => coupon?.length)
  })

  test('a cache key takes the task\'s arguments (was a hole: any key function compiled)', () => {
    // @ts-expect-error the key takes a string, the task receives count's number
    base.task('cached', { dependsOn: ['count'], cache: { ttl: '1 m', key: (s: string) => s } }, (n) => n)
    base.task('cached', { dependsOn: ['count'], cache: { ttl: '1 m', key: (n) => n.toFixed() } }, (n) => n)
    // @ts-expect-error a loop's key takes its state, a number here
    base.loop('spin', { dependsOn: ['count'], while: (n) => n > 0, maxIterations: 2, cache: { ttl: '1 m', key: (s: string) => s } }, (n) => n - 1)
  })

  test('a root task\'s 1st parameter is the input, a handler\'s the failure', () => {
    // @ts-expect-error the 1st parameter of a root task receives the input, not the TaskContext
    base.task('early', (ctx: TaskContext<number>) => ctx.runId)
    // @ts-expect-error a failure handler receives a TaskFailure first
    base.onFailure('handled', 'count', (ctx: TaskContext<number>) => ctx.runId)
    base.onFailure('handled', 'count', (failure, ctx) => `${failure.message} ${ctx.runId}`)
  })
})
