/**
 * Compile-time checks of `@When`, `@Loop`, `@OnFailure`, `@Cache` and of
 * `@Workflow({ input: schema })` against `WorkflowBase<Input>`.
 */
import { Schema } from 'effect'
import { describe, expectTypeOf, test } from 'vitest'
import {
  Cache,
  DependsOn,
  Loop,
  OnFailure,
  Retry,
  Task,
  When,
  Workflow,
  WorkflowBase,
  type InputOf,
  type LoopContext,
  type LoopResult,
  type TaskContext,
  type TaskFailure,
  type TaskOutput,
  type TaskOutputs,
} from 'weft-sdk'

interface Scored {
  readonly score: number
}
interface Batch {
  readonly remaining: number
  readonly done: number
}
interface Receipt {
  readonly charged: number
}
interface Rate {
  readonly currency: string
}

describe('@When', () => {
  test('a condition over the task arguments compiles', () => {
    @Workflow({ name: 'when-ok', version: 1 })
    class Quality extends WorkflowBase<Scored> {
      @Task()
      @When((input: Scored) => input.score >= 0)
      check(input: Scored): Scored {
        return input
      }

      @DependsOn('check')
      @When((q: Scored) => q.score > 0.8)
      premium(q: Scored) {
        return `premium ${q.score}`
      }

      // The condition may take a wider type, fewer parameters, or be async.
      @DependsOn('check', 'premium')
      @When(async (q: { score: number }) => q.score > 0.5)
      both(q: Scored, label: string) {
        return `${label} ${q.score}`
      }
    }

    expectTypeOf<TaskOutputs<Quality>>().toEqualTypeOf<{
      readonly check: Scored
      readonly premium: string
      readonly both: string
    }>()
  })

  test('a condition that does not accept the task arguments fails', () => {
    @Workflow({ name: 'when-bad', version: 1 })
    class Quality extends WorkflowBase<Scored> {
      @Task()
      check(input: Scored): Scored {
        return input
      }

      @DependsOn('check')
      // @ts-expect-error the condition's 1st parameter (string) does not accept the task's Scored
      @When((label: string) => label.length > 0)
      wrongType(q: Scored) {
        return q
      }

      @DependsOn('check')
      // @ts-expect-error the condition takes more parameters than the task
      @When((q: Scored, extra: number) => q.score > extra)
      tooMany(q: Scored) {
        return q
      }

      @DependsOn('check')
      // @ts-expect-error the condition must return a boolean (or a promise of one)
      @When((q: Scored) => q.score)
      notBoolean(q: Scored) {
        return q
      }
    }
    void Quality
  })
})

describe('@Loop', () => {
  test('a loop body with a LoopContext compiles; dependents receive LoopResult<S>', () => {
    @Workflow({ name: 'loop-ok', version: 1 })
    class Batches extends WorkflowBase<Batch> {
      @Loop({ while: (s: Batch) => s.remaining > 0, maxIterations: 50 })
      process(state: Batch, ctx: LoopContext<Batch>): Batch {
        expectTypeOf(ctx.iteration).toEqualTypeOf<number>()
        return { remaining: state.remaining - 100, done: state.done + 100 }
      }

      @Task()
      seed(input: Batch): number {
        return input.remaining
      }

      // A dependent loop whose state is a dependency's output; an async body.
      @Loop({ dependsOn: ['seed'], while: (n: number, iteration) => n > 0 && iteration < 10, maxIterations: 10 })
      async countdown(n: number, ctx: LoopContext<Batch>): Promise<number> {
        return n - ctx.input.done
      }

      @DependsOn('process', 'countdown')
      report(batches: LoopResult<Batch>, countdown: LoopResult<number>, ctx: TaskContext<Batch>) {
        return `${batches.finalState.done} ${batches.iterations} ${countdown.maxIterationsReached} ${ctx.task}`
      }
    }

    expectTypeOf<TaskOutput<Batches, 'process'>>().toEqualTypeOf<LoopResult<Batch>>()
    expectTypeOf<TaskOutput<Batches, 'countdown'>>().toEqualTypeOf<LoopResult<number>>()
    expectTypeOf<TaskOutput<Batches, 'report'>>().toEqualTypeOf<string>()
    expectTypeOf<TaskOutput<Batches, 'process'>['iterationResults']>().toEqualTypeOf<readonly Batch[]>()
    expectTypeOf<TaskOutput<Batches, 'process'>>().not.toBeAny()
  })

  test('a wrong loop fails', () => {
    @Workflow({ name: 'loop-bad', version: 1 })
    class Batches extends WorkflowBase<Batch> {
      @Task()
      seed(input: Batch): number {
        return input.remaining
      }

      @Loop({ while: (s: Batch) => s.remaining > 0, maxIterations: 5 })
      process(state: Batch, ctx: LoopContext<Batch>): Batch {
        return { ...state, done: ctx.iteration }
      }

      // @ts-expect-error the last parameter must be a LoopContext (a TaskContext is not one)
      @Loop({ while: (s: Batch) => s.remaining > 0, maxIterations: 5 })
      plainContext(state: Batch, ctx: TaskContext<Batch>): Batch {
        return { ...state, done: ctx.attempt }
      }

      // @ts-expect-error a loop body without a LoopContext parameter
      @Loop({ while: (s: Batch) => s.remaining > 0, maxIterations: 5 })
      noContext(state: Batch): Batch {
        return state
      }

      // @ts-expect-error the body must return the next state (a Batch), not a string
      @Loop({ while: (s: Batch) => s.remaining > 0, maxIterations: 5 })
      wrongState(state: Batch, ctx: LoopContext<Batch>): string {
        return `${state.done} ${ctx.iteration}`
      }

      // @ts-expect-error the 'while' condition takes a number, the state is a Batch
      @Loop({ while: (s: number) => s > 0, maxIterations: 5 })
      wrongWhile(state: Batch, ctx: LoopContext<Batch>): Batch {
        return { ...state, done: ctx.iteration }
      }

      // @ts-expect-error a loop's dependents receive LoopResult<Batch>, not the Batch state
      @DependsOn('process')
      rawState(state: Batch) {
        return state.done
      }

      // @ts-expect-error a dependent loop's LoopContext carries the workflow input (Batch), not Receipt
      @Loop({ dependsOn: ['seed'], while: (n: number) => n > 0, maxIterations: 5 })
      wrongLoopContext(n: number, ctx: LoopContext<Receipt>): number {
        return n - ctx.input.charged
      }
    }
    void Batches
  })
})

describe('@OnFailure', () => {
  test('a handler taking a TaskFailure compiles', () => {
    @Workflow({ name: 'on-failure-ok', version: 1 })
    class Pay extends WorkflowBase<{ amount: number }> {
      @Task()
      charge(input: { amount: number }): Receipt {
        return { charged: input.amount }
      }

      @OnFailure('charge')
      refund(failure: TaskFailure, ctx: TaskContext<{ amount: number }>) {
        expectTypeOf(failure.message).toEqualTypeOf<string>()
        expectTypeOf(failure.error).toEqualTypeOf<unknown>()
        return `compensated ${failure.task} after ${failure.attempts}: ${ctx.input.amount}`
      }
    }

    expectTypeOf<TaskOutputs<Pay>>().toEqualTypeOf<{ readonly charge: Receipt; readonly refund: string }>()
  })

  test('a handler of an unknown task, or that does not take a TaskFailure, fails', () => {
    @Workflow({ name: 'on-failure-bad', version: 1 })
    class Pay extends WorkflowBase<{ amount: number }> {
      @Task()
      charge(input: { amount: number }): Receipt {
        return { charged: input.amount }
      }

      // @ts-expect-error unknown task 'chrage' (typo of 'charge')
      @OnFailure('chrage')
      refund(failure: TaskFailure) {
        return failure.message
      }

      // @ts-expect-error a failure handler receives a TaskFailure, not the task's Receipt
      @OnFailure('charge')
      expectsOutput(receipt: Receipt) {
        return receipt.charged
      }
    }
    void Pay
  })
})

describe('@Cache', () => {
  test('a key function over the task arguments compiles', () => {
    @Workflow({ name: 'cache-ok', version: 1 })
    class Rates extends WorkflowBase<Rate> {
      @Task()
      @Cache({ ttl: '5 m', key: (input: Rate) => input.currency })
      rate(input: Rate) {
        return input.currency.length * 1.1
      }

      @DependsOn('rate')
      @Cache({ ttl: '1 m', key: (rate: number) => rate.toFixed(2), capacity: 10 })
      @Retry({ maxAttempts: 2 })
      rounded(rate: number) {
        return Math.round(rate)
      }

      // No key: the arguments are stringified.
      @DependsOn('rate')
      @Cache({ ttl: '10 s' })
      plain(rate: number) {
        return rate
      }
    }

    expectTypeOf<TaskOutputs<Rates>>().toEqualTypeOf<{
      readonly rate: number
      readonly rounded: number
      readonly plain: number
    }>()
  })

  test('a key function that does not fit the task fails', () => {
    @Workflow({ name: 'cache-bad', version: 1 })
    class Rates extends WorkflowBase<Rate> {
      @Task()
      // @ts-expect-error the key takes { code }, the task's argument is a Rate
      @Cache({ ttl: '5 m', key: (input: { code: string }) => input.code })
      rate(input: Rate) {
        return input.currency.length
      }

      @Task()
      // @ts-expect-error the key takes more parameters than the task
      @Cache({ ttl: '5 m', key: (input: Rate, region: string) => `${input.currency}${region}` })
      twoKeys(input: Rate) {
        return input.currency
      }

      @Task()
      // @ts-expect-error the key must be a string
      @Cache({ ttl: '5 m', key: (input: Rate) => input.currency.length })
      numericKey(input: Rate) {
        return input.currency
      }
    }
    void Rates
  })
})

describe('@Workflow({ input: schema })', () => {
  const OrderInput = Schema.Struct({ orderId: Schema.String, quantity: Schema.Number })
  type OrderInput = typeof OrderInput.Type

  test('a schema whose type is the WorkflowBase<Input> type compiles', () => {
    @Workflow({ name: 'schema-ok', version: 1, input: OrderInput })
    class Orders extends WorkflowBase<OrderInput> {
      @Task()
      load(input: OrderInput) {
        return input.orderId
      }
    }

    // The same type written by hand (mutable properties) matches too.
    @Workflow({ name: 'schema-ok-2', version: 1, input: OrderInput })
    class ByHand extends WorkflowBase<{ orderId: string; quantity: number }> {
      @Task()
      load(input: { orderId: string; quantity: number }) {
        return input.quantity
      }
    }

    expectTypeOf<InputOf<Orders>>().toEqualTypeOf<{ readonly orderId: string; readonly quantity: number }>()
    expectTypeOf<InputOf<ByHand>>().toEqualTypeOf<{ orderId: string; quantity: number }>()
    expectTypeOf<InputOf<Orders>>().not.toBeAny()
  })

  test('a schema that does not match WorkflowBase<Input> fails', () => {
    // @ts-expect-error the schema's quantity is a number, the declared one a string
    @Workflow({ name: 'schema-bad', version: 1, input: OrderInput })
    class WrongField extends WorkflowBase<{ orderId: string; quantity: string }> {
      @Task()
      load(input: { orderId: string; quantity: string }) {
        return input.quantity
      }
    }

    // @ts-expect-error the declared input requires a field the schema does not produce
    @Workflow({ name: 'schema-bad-2', version: 1, input: OrderInput })
    class MissingField extends WorkflowBase<OrderInput & { customer: string }> {
      @Task()
      load(input: OrderInput & { customer: string }) {
        return input.customer
      }
    }

    // @ts-expect-error a schema without WorkflowBase<Input>: the input type is undeclared
    @Workflow({ name: 'schema-bad-3', version: 1, input: OrderInput })
    class Undeclared {
      @Task()
      load(input: unknown) {
        return input
      }
    }
    void [WrongField, MissingField, Undeclared]
  })
})
