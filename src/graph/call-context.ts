/**
 * What a task attempt gives the calls it makes through `ctx.use(adapter)`:
 * its `AbortSignal` and idempotency keys numbered per call. Passed
 * explicitly (Weft uses no `AsyncLocalStorage`: on Node 20 it slows every
 * `await` in the process).
 *
 * @example
 * ```ts
 * import type { CallContext } from 'weft-sdk'
 * declare const call: CallContext
 * const key = call.nextIdempotencyKey('payments') // 'run-1:charge:payments:1', then ':2'…
 * await fetch('http://127.0.0.1:9/', { signal: call.signal, headers: { 'Idempotency-Key': key } }).catch(() => undefined)
 * ```
 */
export interface CallContext {
  /** Fires when the attempt is cancelled or times out. */
  readonly signal: AbortSignal
  /**
   * The key of the next call to `adapter` in this attempt:
   * `<ctx.idempotencyKey>:<adapter>:<n>`, n counting that adapter's calls
   * from 1. A retry of the task starts again from 1, so the same calls of a
   * retried attempt carry the same keys and the remote side deduplicates them.
   */
  nextIdempotencyKey(adapter: string): string
}

/**
 * The port through which `ctx.use(adapter)` binds an adapter to a task
 * attempt: anything with `bind(call)` returning a client whose calls carry the
 * attempt's signal and idempotency keys. Weft's adapters implement it; so can
 * yours.
 *
 * @example
 * ```ts
 * import type { Bindable, CallContext } from 'weft-sdk'
 * class Greeter implements Bindable<{ greet(name: string): string }> {
 *   bind(call: CallContext) {
 *     return { greet: (name: string) => `hello ${name} (${call.nextIdempotencyKey('greeter')})` }
 *   }
 * }
 * ```
 */
export interface Bindable<C> {
  /** A client whose calls are bound to `call` (one attempt of one task). */
  bind(call: CallContext): C
}
