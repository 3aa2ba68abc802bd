import { describe, expectTypeOf, it } from 'vitest'
import type { ErrorRecord, MapItemContext, MapItemError, MapItemResult, MapOptions, TaskContext } from 'weft-sdk'

declare const ctx: TaskContext
declare const questions: readonly string[]

describe('ctx.map types', () => {
  it('returns the values in the default mode', () => {
    expectTypeOf(ctx.map(questions, (q) => q.length)).toEqualTypeOf<Promise<number[]>>()
    expectTypeOf(ctx.map(questions, async (q) => q, { retry: { maxAttempts: 3 }, timeout: '5 s', failFast: true, mode: 'all' })).toEqualTypeOf<Promise<string[]>>()
  })

  it("returns a result per item in mode 'settled', narrowed by ok", async () => {
    const results = await ctx.map(questions, (q) => q.length, { mode: 'settled', retry: { maxAttempts: 2 } })
    expectTypeOf(results).toEqualTypeOf<MapItemResult<number>[]>()
    const first = results[0]!
    if (first.ok) expectTypeOf(first.value).toEqualTypeOf<number>()
    else {
      expectTypeOf(first.error).toEqualTypeOf<MapItemError>()
      expectTypeOf(first.attempts).toEqualTypeOf<number>()
    }
  })

  it('gives the function the item, its index, its signal and its context', () => {
    void ctx.map(questions, (q, index, signal, item) => {
      expectTypeOf(q).toEqualTypeOf<string>()
      expectTypeOf(index).toEqualTypeOf<number>()
      expectTypeOf(signal).toEqualTypeOf<AbortSignal>()
      expectTypeOf(item).toEqualTypeOf<MapItemContext>()
      expectTypeOf(item.idempotencyKey).toEqualTypeOf<string>()
      return item.attempt
    })
  })

  it('infers the mode with policy options built elsewhere (a backoff from a variable)', () => {
    const noDelay = { initial: 0, max: 0 }
    expectTypeOf(ctx.map(questions, (q) => q.length, { retry: { maxAttempts: 2, backoff: noDelay } })).toEqualTypeOf<Promise<number[]>>()
    expectTypeOf(ctx.map(questions, (q) => q.length, { mode: 'settled', retry: { maxAttempts: 2, backoff: noDelay } })).toEqualTypeOf<Promise<MapItemResult<number>[]>>()
  })

  it('gives either shape for options whose mode is not known statically', () => {
    const options: MapOptions = {}
    expectTypeOf(ctx.map(questions, (q) => q, options)).toEqualTypeOf<Promise<string[] | MapItemResult<string>[]>>()
  })

  it('keeps the stored error record assignable to what a settled failure declares', () => {
    expectTypeOf<ErrorRecord>().toExtend<MapItemError>()
  })

  it('refuses failFast in settled mode, and options that are not policies', () => {
    // @ts-expect-error failFast cannot be true in settled mode (it waits for every item)
    void ctx.map(questions, (q) => q, { mode: 'settled', failFast: true })
    // @ts-expect-error the retry policy needs maxAttempts
    void ctx.map(questions, (q) => q, { retry: { backoff: { initial: '1 s' } } })
    // @ts-expect-error a timeout is a Duration
    void ctx.map(questions, (q) => q, { timeout: '5 seconds' })
    // @ts-expect-error mode is 'all' or 'settled'
    void ctx.map(questions, (q) => q, { mode: 'allSettled' })
  })
})
