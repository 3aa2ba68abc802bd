import type { StepUsage } from '../core/step-usage.js'

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
   * The W3C trace context (`traceparent`) of the attempt's span, for a call
   * that crosses a process boundary to carry (the AMQP adapter puts it in a
   * message's headers); `undefined` when the run is not traced (no tracing,
   * no SDK, or not sampled) or the attempt is over. Asking starts the
   * attempt's span if it had not started yet.
   */
  traceparent(): string | undefined
  /**
   * The key of the next call to `adapter` in this attempt:
   * `<ctx.idempotencyKey>:<adapter>:<n>`, n counting that adapter's calls
   * from 1. A retry of the task starts again from 1, so the same calls of a
   * retried attempt carry the same keys and the remote side deduplicates them.
   */
  nextIdempotencyKey(adapter: string): string
  /**
   * Publishes the progress of a call as a `task.progress` event of the run
   * (to `engine.on` and `run.events()`), e.g. each delta of a streamed LLM
   * answer. `source` names who reports (the adapter's name); `data` is the
   * reporter's own, documented by it. Dropped once the attempt has ended.
   */
  progress(source: string, data: unknown): void
  /**
   * Adds what a call spent to the attempt's step: it is stored with the
   * step's record when the step ends (completed or failed), summed over the
   * step's attempts in this process. Spend of an attempt cut short by a crash
   * is not stored (the resumed run makes its calls again and meters them).
   */
  meter(usage: StepUsage): void
  /**
   * What the run has spent so far: the usage stored with its steps (by this
   * process or an earlier one, loaded when the run was resumed) plus what the
   * calls of its unfinished steps metered here. Adapters enforce budgets with it.
   */
  spent(): StepUsage
  /**
   * Records a message in the durable outbox, to be delivered by the
   * registered adapter named `adapter` once the attempt's step is recorded:
   * nothing is sent now. The entry is written with the step's record, in the
   * same store transaction (an attempt that fails records none), and a
   * worker delivers it at least once, with the returned id as its message id:
   * `<ctx.idempotencyKey>:<adapter>:outbox:<n>`, n counting the attempt's
   * entries for that adapter from 1 — the same ids when the step runs again
   * after a crash, so the store keeps one entry each and consumers
   * deduplicate by it. `payload` is the adapter's own (it must be storable).
   * @throws `ContextClosedError` once the attempt has ended.
   */
  outbox(adapter: string, payload: unknown): string
  /**
   * Reports a call the adapter made for the attempt, once it ended, as a
   * `task.call` event (to `engine.on` listeners; not kept in the run's log):
   * a tracer makes it a span under the attempt's span. The LLM adapter
   * reports each completion with OpenTelemetry's GenAI attributes. Dropped
   * once the attempt has ended.
   */
  report(call: CallReport): void
}

/**
 * A call an adapter made for a task attempt, as it reports it
 * (`CallContext.report`).
 *
 * @example
 * ```ts
 * import type { CallReport } from 'weft-sdk'
 * const call: CallReport = {
 *   adapter: 'llm',
 *   operation: 'chat gpt-4o-mini',
 *   durationMs: 840,
 *   attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.usage.input_tokens': 120 },
 * }
 * ```
 */
export interface CallReport {
  /** The reporting adapter's name. */
  readonly adapter: string
  /** What the call did, as a span would be named (`chat gpt-4o-mini`). */
  readonly operation: string
  /** How long the call took, in milliseconds; it ended as it is reported. */
  readonly durationMs: number
  /** What the call was, in OpenTelemetry's conventions for its kind (`gen_ai.*` for an LLM call). */
  readonly attributes: Readonly<Record<string, string | number | boolean | readonly string[]>>
  /** Why it failed; absent when it succeeded. */
  readonly error?: {
    /** The error's class name. */
    readonly name: string
    /** Its message (secrets redacted by the adapter). */
    readonly message: string
    /** Its Weft code, when it has one. */
    readonly code?: string | undefined
  } | undefined
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
