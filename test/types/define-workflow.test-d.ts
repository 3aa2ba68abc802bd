/**
 * Compile-time checks of the decorator-free builder, `defineWorkflow(...)`:
 * each task's parameters are typed from the tasks defined before it, and the
 * built definition is typed for `engine.start` like a decorated class.
 */
import { Schema } from 'effect'
import { describe, expectTypeOf, test } from 'vitest'
import {
  defineWorkflow,
  type Engine,
  type LoopContext,
  type LoopResult,
  type RunResult,
  type TaskContext,
  type TaskFailure,
  type WorkflowDefinition,
  type WorkflowInput,
  type WorkflowOutputs,
} from 'weft-sdk'

declare const engine: Engine

interface Input {
  readonly records: readonly number[]
}

describe('defineWorkflow: the right program compiles with exact types', () => {
  test('root tasks get the input; dependents get earlier outputs, awaited, in order, then the context', () => {
    defineWorkflow<Input>({ name: 'pipeline', version: 1 })
      .task('validate', (input, ctx) => {
        expectTypeOf(input).toEqualTypeOf<Input>()
        expectTypeOf(ctx).toEqualTypeOf<TaskContext<Input>>()
        return input.records.filter((r) => r >= 0)
      })
      .task('label', async (input) => `${input.records.length} records`)
      .task('transform', { dependsOn: ['validate', 'label'] }, (valid, label, ctx) => {
        expectTypeOf(valid).toEqualTypeOf<number[]>()
        // `label` is async: its dependents get the awaited string.
        expectTypeOf(label).toEqualTypeOf<string>()
        expectTypeOf(ctx).toEqualTypeOf<TaskContext<Input>>()
        expectTypeOf(valid).not.toBeAny()
        return valid.map((r) => r * 2)
      })
      // An explicit annotation that is wider than the output is fine.
      .task('store', { dependsOn: ['transform'], retry: { maxAttempts: 3 } }, (rows: readonly number[]) => rows.length)
  })

  test('an optional dependency arrives as T | undefined', () => {
    defineWorkflow<Input>({ name: 'optional', version: 1 })
      .task('count', (input) => input.records.length)
      .task('coupon', () => 'SAVE10')
      .task('price', { dependsOn: ['count', { task: 'coupon', optional: true }] }, (count, coupon) => {
        expectTypeOf(count).toEqualTypeOf<number>()
        expectTypeOf(coupon).toEqualTypeOf<string | undefined>()
        return count * (coupon === undefined ? 10 : 9)
      })
      .task('plain', { dependsOn: [{ task: 'coupon' }] }, (coupon) => {
        expectTypeOf(coupon).toEqualTypeOf<string>()
        return coupon
      })
  })

  test('conditions, loops, failure handlers and cleanups are typed', () => {
    defineWorkflow<Input>({ name: 'flow', version: 1 })
      .task('sum', (input) => input.records.reduce((a, b) => a + b, 0))
      .task(
        'premium',
        {
          dependsOn: ['sum'],
          when: (sum) => {
            expectTypeOf(sum).toEqualTypeOf<number>()
            return sum > 10
          },
        },
        (sum) => sum > 100,
      )
      .loop(
        'halve',
        { dependsOn: ['sum'], while: (state: number, iteration) => state > 1 && iteration < 100, maxIterations: 100 },
        (state, ctx) => {
          expectTypeOf(state).toEqualTypeOf<number>()
          expectTypeOf(ctx).toEqualTypeOf<LoopContext<Input>>()
          return state / 2
        },
      )
      .onFailure('sumFailed', 'sum', (failure, ctx) => {
        expectTypeOf(failure).toEqualTypeOf<TaskFailure>()
        expectTypeOf(ctx).toEqualTypeOf<TaskContext<Input>>()
        return failure.message
      })
      .always('cleanUp', (input) => {
        expectTypeOf(input).toEqualTypeOf<Input>()
        return true
      })
      .task('report', { dependsOn: ['halve', 'premium'] }, (halve, premium) => {
        expectTypeOf(halve).toEqualTypeOf<LoopResult<number>>()
        expectTypeOf(premium).toEqualTypeOf<boolean>()
        return `${halve.finalState} ${premium}`
      })
  })

  test('build() is usable with engine.start; the result is typed per task', async () => {
    const Pipeline = defineWorkflow<Input>({ name: 'pipeline', version: 1 })
      .task('validate', (input) => input.records.filter((r) => r >= 0))
      .task('transform', { dependsOn: ['validate'] }, async (valid) => valid.map((r) => String(r * 2)))
      .loop('grow', { while: (s: Input) => s.records.length < 3, maxIterations: 3 }, (s) => ({ records: [...s.records, 0] }))
      .build()

    type Outputs = { readonly validate: number[] } & { readonly transform: string[] } & { readonly grow: LoopResult<Input> }
    expectTypeOf(Pipeline).toEqualTypeOf<WorkflowDefinition<Input, Outputs>>()
    expectTypeOf<WorkflowInput<typeof Pipeline>>().toEqualTypeOf<Input>()
    expectTypeOf<WorkflowOutputs<typeof Pipeline>>().toEqualTypeOf<Outputs>()
    expectTypeOf<WorkflowInput<typeof Pipeline>>().not.toBeAny()

    const run = await engine.start(Pipeline, { records: [1, -2, 3] })
    const result = await run.result()
    expectTypeOf(result).toEqualTypeOf<RunResult<Outputs>>()
    expectTypeOf(result.output('transform')).toEqualTypeOf<string[]>()
    expectTypeOf(result.output('grow')).toEqualTypeOf<LoopResult<Input>>()
    expectTypeOf(result.outputs.validate).toEqualTypeOf<number[] | undefined>()
    expectTypeOf(result.output('transform')).not.toBeAny()

    // @ts-expect-error records must be numbers
    await engine.start(Pipeline, { records: ['1'] })
    // @ts-expect-error the input is required
    await engine.start(Pipeline)
    // @ts-expect-error 'store' is not a task of this definition
    result.output('store')
  })

  test('a void definition may be started without input', async () => {
    const Tick = defineWorkflow({ name: 'tick', version: 1 })
      .task('tick', () => 1)
      .build()
    expectTypeOf<WorkflowInput<typeof Tick>>().toEqualTypeOf<void>()
    const result = await engine.run(Tick)
    expectTypeOf(result.output('tick')).toEqualTypeOf<number>()
    // @ts-expect-error a void definition takes no input
    await engine.start(Tick, { records: [] })
  })

  test('an input schema gives the input type', () => {
    const OrderInput = Schema.Struct({ orderId: Schema.String })
    const Orders = defineWorkflow({ name: 'orders', version: 1, input: OrderInput })
      .task('load', (input) => {
        expectTypeOf(input).toEqualTypeOf<{ readonly orderId: string }>()
        return input.orderId.length
      })
      .build()
    expectTypeOf<WorkflowInput<typeof Orders>>().toEqualTypeOf<{ readonly orderId: string }>()
  })
})

describe('defineWorkflow: each wrong program fails tsc', () => {
  test('unknown or later dependency, duplicate name, wrong or extra parameters', () => {
    const base = defineWorkflow<Input>({ name: 'bad', version: 1 })
      .task('validate', (input) => input.records.filter((r) => r >= 0))
      .task('count', (input) => input.records.length)

    // @ts-expect-error unknown dependency 'valdate' (typo of 'validate')
    base.task('store', { dependsOn: ['valdate'] }, (rows) => rows)
    // @ts-expect-error 'store' is defined after this task: not a known dependency yet
    base.task('early', { dependsOn: ['store'] }, (rows) => rows).task('store', () => 1)
    // @ts-expect-error 'validate' is already defined
    base.task('validate', () => 1)
    // @ts-expect-error 'count' is already defined (as a loop name too)
    base.loop('count', { while: (n: Input) => n.records.length > 0, maxIterations: 2 }, (n) => n)
    // @ts-expect-error wrong type: validate returns number[], not string
    base.task('store', { dependsOn: ['validate'] }, (rows: string) => rows)
    // @ts-expect-error swapped order: the 1st output is count's number
    base.task('store', { dependsOn: ['count', 'validate'] }, (rows: number[], count: number) => rows.length + count)
    // @ts-expect-error the dependency is optional: a number[] parameter does not accept undefined
    base.task('store', { dependsOn: [{ task: 'validate', optional: true }] }, (rows: number[]) => rows)
    // @ts-expect-error an extra parameter that is neither an output nor the context
    base.task('store', { dependsOn: ['validate'] }, (rows, ctx, extra: string) => [rows, ctx, extra])
    // @ts-expect-error the 2nd parameter is the TaskContext, not a string
    base.task('store', { dependsOn: ['validate'] }, (rows, extra: string) => [rows, extra])
    // @ts-expect-error a root task's input is Input, not a string
    base.task('root', (input: string) => input)
    // @ts-expect-error the condition receives validate's number[], not a string
    base.task('store', { dependsOn: ['validate'], when: (rows: string) => rows === '' }, (rows) => rows)
    // @ts-expect-error a failure handler of an unknown task
    base.onFailure('handler', 'nope', (failure) => failure.message)
    // @ts-expect-error the 'while' condition does not accept the loop state (number[])
    base.loop('halve', { dependsOn: ['validate'], while: (s: string) => s !== '', maxIterations: 2 }, (s) => s)
    // @ts-expect-error the loop body must return the next state
    base.loop('halve', { dependsOn: ['count'], while: (s: number) => s > 0, maxIterations: 2 }, (s) => `${s}`)
  })
})

describe('ctx.waitForEvent with a payload schema', () => {
  test('returns the schema\'s decoded type; match sees it too', () => {
    const Decision = Schema.Struct({ orderId: Schema.String, approved: Schema.Boolean })
    defineWorkflow({ name: 'typed-event', version: 1 })
      .task('await', async (_input, ctx) => {
        const decision = await ctx.waitForEvent('decision', { schema: Decision, match: (d) => d.approved })
        expectTypeOf(decision).toEqualTypeOf<{ readonly orderId: string; readonly approved: boolean }>()
        // @ts-expect-error match receives the decoded payload, which has no 'amount'
        await ctx.waitForEvent('decision', { schema: Decision, match: (d) => d.amount > 0 })
        return decision.orderId
      })
      .build()
  })
})
