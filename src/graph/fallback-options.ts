import type { RunId } from '../core/ids.js'
import type { Bindable } from './call-context.js'
import type { ErrorClassName } from './recovery-options.js'

/**
 * What a `fallbackWith` fallback receives last, after the error and the
 * task's arguments: where it runs, what it answers, and a signal to stop.
 *
 * The signal fires when the fallback runs out of the task's `@Timeout` (the
 * fallback gets a time limit of its own, as long as one attempt's), when
 * `@Retry`'s `deadline` for the whole task passes, when the run is
 * cancelled, and once the fallback has returned (so work it started and did
 * not await stops), like a task's `ctx.signal`.
 *
 * @typeParam I - the workflow's input type.
 * @example
 * ```ts
 * import type { FallbackContext } from 'weft-sdk'
 * declare function readCache(symbol: string, signal: AbortSignal): Promise<number>
 * async function quoteFromCache(error: unknown, symbol: string, ctx: FallbackContext) {
 *   console.warn(`${ctx.task} fell back after ${ctx.attempts} attempts (${ctx.errorClass})`)
 *   return { price: await readCache(symbol, ctx.signal), live: false }
 * }
 * ```
 */
export interface FallbackContext<I = unknown> {
  /** The run the task belongs to. */
  readonly runId: RunId
  /** The workflow's name. */
  readonly workflow: string
  /** The task that fell back. */
  readonly task: string
  /** The run's (validated) input. */
  readonly input: I
  /** The class of the failure the fallback answers (`connection`, `timeout`, a class of your own, ...). */
  readonly errorClass: ErrorClassName
  /** How many attempts the task made before it fell back (all of them failed). */
  readonly attempts: number
  /**
   * A key unique to this fallback in this run (the task's `ctx.idempotencyKey`
   * followed by `:fallback`): the same when a resumed run falls back again
   * after a crash, so an external system can apply a repeated call once.
   */
  readonly idempotencyKey: string
  /** Fires when the fallback must stop: see {@link FallbackContext}. */
  readonly signal: AbortSignal
  /**
   * An adapter bound to this fallback, as `ctx.use` binds one to a task's
   * attempt (the same adapters: a service of the definition, an adapter
   * injected in the workflow class): its calls carry this fallback's
   * `signal` and idempotency keys `<idempotencyKey>:<adapter>:<n>`, n
   * counting the fallback's calls to that adapter from 1 (the same after a
   * crash). What they meter — an LLM call's tokens and cost — is added to
   * the task's step usage (`StepRecord.usage`) with its attempts', their
   * reports (`task.call`: live metrics, spans under the fallback's span)
   * name the task and the attempt the fallback answers, and their outbox
   * entries are written with the task's step when the fallback's result is.
   * Refused with `ContextClosedError` once the fallback has returned.
   *
   * @example
   * ```ts
   * import type { FallbackContext } from 'weft-sdk'
   * import { LlmAdapter } from 'weft-sdk/llm'
   * const cheap = new LlmAdapter({ name: 'cheap', baseUrl: 'http://127.0.0.1:11434/v1/', model: 'llama3.2' })
   * async function summarizeCheaply(_error: unknown, text: string, ctx: FallbackContext): Promise<string> {
   *   const answer = await ctx.use(cheap).chat({ messages: [{ role: 'user', content: `Summarize: ${text}` }] })
   *   return answer.text // its tokens and cost are the task's step usage
   * }
   * ```
   */
  use<C>(adapter: Bindable<C>): C
}

/**
 * A `fallbackWith` fallback as a function (`defineWorkflow`): called with
 * the error the task failed with, then the task's own arguments (its input,
 * or its dependencies' outputs; a loop's state and the rest), then a
 * {@link FallbackContext}. What it returns (or resolves to) becomes the
 * task's output: the compiler holds it to the task's output type.
 *
 * @typeParam A - the task's arguments.
 * @typeParam R - the task's output type.
 * @typeParam C - the context it receives last.
 * @example
 * ```ts
 * import type { FallbackFunction } from 'weft-sdk'
 * const fromCache: FallbackFunction<[symbol: string], { price: number; live: boolean }> = (_error, symbol, ctx) =>
 *   ({ price: symbol.length, live: ctx.attempts === 0 })
 * ```
 */
export type FallbackFunction<A extends readonly unknown[] = unknown[], R = unknown, C = FallbackContext> = (error: unknown, ...args: [...A, C]) => R | PromiseLike<R>

/**
 * What `fallbackWith` may be before the compiler has looked at it: the name
 * of a method of the workflow class (`@Recover`, `@Task({ recover })`), or a
 * function (`defineWorkflow`).
 */
export type FallbackWithOption = string | ((...args: never) => unknown)
