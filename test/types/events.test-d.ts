/** The engine's event listeners are typed by the event type they listen to. */
import { describe, expectTypeOf, test } from 'vitest'
import type { BreakerTransitioned, Engine, RunFailed, WeftEventOf } from 'weft-sdk'

declare const engine: Engine

describe('engine.on(type, listener)', () => {
  test('types the event of a single-type interface', () => {
    engine.on('run.failed', (event) => expectTypeOf(event).toEqualTypeOf<RunFailed>())
    expectTypeOf<WeftEventOf<'run.failed'>>().toEqualTypeOf<RunFailed>()
  })

  test('types the event of an interface whose type is a union (breakers), instead of never', () => {
    engine.on('breaker.opened', (event) => {
      expectTypeOf(event).toEqualTypeOf<BreakerTransitioned>()
      expectTypeOf(event.breaker).toEqualTypeOf<string>()
    })
    expectTypeOf<WeftEventOf<'breaker.half-open'>>().not.toBeNever()
  })

  test('selects every interface of a union of types', () => {
    expectTypeOf<WeftEventOf<'run.failed' | 'breaker.closed'>>().toEqualTypeOf<RunFailed | BreakerTransitioned>()
  })
})
