/**
 * Compile-time checks of `@Recover`'s `fallbackWith`: in `defineWorkflow` the
 * fallback is a function typed by its task (the error, the task's arguments,
 * a `FallbackContext` with the definition's services) whose result must fit
 * the task's output; in a workflow class it names a method that must not be
 * public (a public method is a task by the class's type); a workflow's
 * options for every task take none.
 */
import { describe, expectTypeOf, test } from 'vitest'
import {
  defineWorkflow,
  Recover,
  Task,
  token,
  Workflow,
  WorkflowBase,
  type FallbackContext,
  type RecoverOptions,
  type TaskFailure,
  type WorkflowOutputs,
} from 'weft-sdk'

interface Quote {
  readonly price: number
  readonly live: boolean
}

const Region = token<string>('Region')

describe('defineWorkflow: a fallbackWith function is typed by its task', () => {
  test("it receives the error, the task's arguments in order and a FallbackContext of the workflow's input", () => {
    defineWorkflow<{ symbol: string }>({ name: 'quotes', version: 1 })
      .task('symbol', (input) => input.symbol)
      .task('venue', () => 'XNAS' as const)
      .task(
        'live',
        {
          dependsOn: ['symbol', 'venue'],
          recover: {
            strategies: {
              connection: {
                fallbackWith: (error, symbol, venue, ctx) => {
                  expectTypeOf(error).toBeUnknown()
                  expectTypeOf(symbol).toEqualTypeOf<string>()
                  expectTypeOf(venue).toEqualTypeOf<'XNAS'>()
                  expectTypeOf(ctx).toEqualTypeOf<FallbackContext<{ symbol: string }>>()
                  expectTypeOf(ctx.signal).toEqualTypeOf<AbortSignal>()
                  return { price: symbol.length, live: false }
                },
              },
            },
          },
        },
        async (symbol, venue): Promise<Quote> => ({ price: symbol.length + venue.length, live: true }),
      )
      .build()
  })

  test("its result must fit the task's output (awaited); a promise of it is fine; it does not widen the output", () => {
    const Quotes = defineWorkflow<string>({ name: 'quotes', version: 1 })
      .task('live', { recover: { strategies: { connection: { fallbackWith: async () => ({ price: 1, live: false }) } } } }, async (symbol) => ({ price: symbol.length, live: true }))
      .build()
    expectTypeOf<WorkflowOutputs<typeof Quotes>['live']>().toEqualTypeOf<{ price: number; live: boolean }>()

    defineWorkflow<string>({ name: 'quotes', version: 1 })
      // @ts-expect-error a string is not a Quote
      .task('live', { recover: { strategies: { connection: { fallbackWith: () => 'cached' } } } }, async (symbol): Promise<Quote> => ({ price: symbol.length, live: true }))

    defineWorkflow<string>({ name: 'quotes', version: 1 })
      // @ts-expect-error a promise of a number is not a promise of a Quote
      .task('live', { recover: { strategies: { timeout: { fallbackWith: async () => 0 } } } }, (symbol): Quote => ({ price: symbol.length, live: true }))

    defineWorkflow<string>({ name: 'quotes', version: 1 })
      // @ts-expect-error the fallback declares a parameter the task does not receive (a number, not the input string)
      .task('live', { recover: { strategies: { timeout: { fallbackWith: (_error: unknown, n: number) => ({ price: n, live: false }) } } } }, (symbol): Quote => ({ price: symbol.length, live: true }))
  })

  test("it reads the definition's services from its context", () => {
    defineWorkflow<string>({ name: 'regional', version: 1 })
      .services({ region: Region })
      .task('live', { recover: { strategies: { connection: { fallbackWith: (_error, symbol, ctx) => `${symbol}@${ctx.services.region}` } } } }, (symbol) => symbol)
      .build()
  })

  test("a loop's fallback receives the state and returns the next; a failure handler's receives the TaskFailure", () => {
    defineWorkflow<number>({ name: 'countdown', version: 1 })
      .loop('halve', { while: (n) => n > 1, maxIterations: 10, recover: { strategies: { unknown: { fallbackWith: (_error, n) => n - 1 } } } }, (n) => Math.floor(n / 2))
      .build()
    defineWorkflow<number>({ name: 'countdown', version: 1 })
      // @ts-expect-error the next state is a number
      .loop('halve', { while: (n) => n > 1, maxIterations: 10, recover: { strategies: { unknown: { fallbackWith: () => 'one' } } } }, (n) => Math.floor(n / 2))

    defineWorkflow({ name: 'payment', version: 1 })
      .task('charge', () => 42)
      .onFailure('refund', 'charge', { recover: { strategies: { unknown: { fallbackWith: (_error, failure) => (expectTypeOf(failure).toEqualTypeOf<TaskFailure>(), 0) } } } }, () => 1)
      .build()
  })

  test("a workflow's options for every task take no fallbackWith", () => {
    // @ts-expect-error fallbackWith belongs to one task's arguments and output
    defineWorkflow({ name: 'wide', version: 1, recover: { strategies: { connection: { fallbackWith: () => 1 } } } })
    // A shared RecoverOptions (no fallbackWith) fits every form.
    const shared: RecoverOptions = { strategies: { connection: { fallbackValue: null }, validation: 'fail-fast' } }
    defineWorkflow({ name: 'shared', version: 1, recover: shared }).task('a', { recover: shared }, () => null)
  })
})

describe('decorators: fallbackWith names a method that is not public', () => {
  test('a private or protected method is accepted, in @Recover and in @Task({ recover })', () => {
    @Workflow({ name: 'quotes', version: 1 })
    class Quotes extends WorkflowBase<string> {
      @Task() @Recover({ strategies: { connection: { fallbackWith: 'fromCache' }, timeout: { fallbackWith: 'fromMirror' } } })
      live(symbol: string): Quote { return { price: symbol.length, live: true } }

      @Task({ recover: { strategies: { connection: { fallbackWith: 'fromCache' } } } })
      other(symbol: string): Quote { return { price: symbol.length, live: true } }

      private fromCache(_error: unknown, symbol: string): Quote { return { price: symbol.length, live: false } }
      protected fromMirror(_error: unknown, symbol: string, ctx: FallbackContext<string>): Quote { return { price: symbol.length + ctx.attempts, live: true } }
    }
    // The fallbacks are not tasks by the class's type.
    expectTypeOf<WorkflowOutputs<typeof Quotes>>().toEqualTypeOf<{ readonly live: Quote; readonly other: Quote }>()
  })

  test('a public method (a task by the class type) is refused, in @Recover and in @Task({ recover })', () => {
    @Workflow({ name: 'quotes', version: 1 })
    class Quotes extends WorkflowBase<string> {
      // @ts-expect-error 'fromCache' is public
      @Task() @Recover({ strategies: { connection: { fallbackWith: 'fromCache' } } })
      live(symbol: string): Quote { return { price: symbol.length, live: true } }

      // @ts-expect-error 'fromCache' is public
      @Task({ recover: { strategies: { connection: { fallbackWith: 'fromCache' } } } })
      other(symbol: string): Quote { return { price: symbol.length, live: true } }

      @Task() fromCache(symbol: string): Quote { return { price: symbol.length, live: false } }
    }
    void Quotes
  })

  test('a workflow-wide @Recover takes no fallbackWith', () => {
    // @ts-expect-error fallbackWith belongs to one task
    @Workflow({ name: 'wide', version: 1, recover: { strategies: { connection: { fallbackWith: 'fromCache' } } } })
    class Wide extends WorkflowBase<string> {
      @Task() live(symbol: string) { return symbol }
    }
    void Wide
  })
})
