import type { Duration } from '../core/duration.js'
import type {
  BulkheadOptions,
  CacheOptions,
  CircuitBreakerOptions,
  RateLimitOptions,
  RetryOptions,
} from '../graph/policy-options.js'
import type { RecoverOptions } from '../graph/recovery-options.js'
import type { ArgumentsCheck, FallbackMethodCheck, Verdict } from '../graph/type-level.js'
import { policyKindTable, type PolicyKind, type PolicyOptionsOf } from '../graph/policy-kinds.js'
import { setOnce } from './metadata.js'

/** The kinds whose decorator needs no type check of the method (all but `@Cache`, whose key function reads the arguments, and `@Recover`, whose fallback methods must not be public). */
type UncheckedPolicy = Exclude<PolicyKind, 'cache' | 'recover'>

/** Records one policy's options on the method; the compiler validates them (see the policy-kind table). */
function policyDecorator<K extends UncheckedPolicy>(policy: K, options: PolicyOptionsOf<K>) {
  return (target: object, key: string, descriptor: PropertyDescriptor): void => {
    void descriptor
    setOnce(target, key, policyKindTable[policy].decorator, policy, options as never)
  }
}

/**
 * Retries a failing task with exponential backoff and full jitter.
 * `maxAttempts` counts the first call. Weft errors marked not retryable and
 * classes in `nonRetryable` fail at once.
 *
 * @example
 * ```ts
 * import { Workflow, WorkflowBase, Task, Retry } from 'weft-sdk'
 *
 * @Workflow({ name: 'flaky', version: 1 })
 * class Flaky extends WorkflowBase {
 *   @Task()
 *   @Retry({ maxAttempts: 5, backoff: { initial: '100 ms', max: '5 s' }, nonRetryable: [TypeError] })
 *   call(input: void) { return fetch('https://example.com').then((r) => r.status) }
 * }
 * ```
 * @throws `InvalidOptionsError` (when the workflow is defined) for `maxAttempts < 1`, NaN or negative delays.
 */
export function Retry(options: RetryOptions) {
  return policyDecorator('retry', options)
}

/**
 * Fails an attempt that runs longer than `timeout` with `TaskTimeoutError`
 * and fires the task's `AbortSignal`. A late result is discarded, never
 * checkpointed. With `@Retry`, each attempt has its own timeout.
 *
 * @example
 * ```ts
 * import { Workflow, WorkflowBase, Task, Timeout, type TaskContext } from 'weft-sdk'
 *
 * @Workflow({ name: 'slow', version: 1 })
 * class Slow extends WorkflowBase<string> {
 *   @Task() @Timeout('10 s')
 *   fetchPage(input: string, ctx: TaskContext<string>) { return fetch(input, { signal: ctx.signal }) }
 * }
 * ```
 */
export function Timeout(timeout: Duration) {
  return policyDecorator('timeout', timeout)
}

/**
 * Guards a task with a circuit breaker shared by every run of the engine: it
 * opens after `consecutiveFailures` failures in a row or when the failure rate
 * over a window reaches a threshold, rejects calls with `CircuitOpenError`
 * while open, and after `halfOpenAfter` lets exactly one probe through.
 *
 * @example
 * ```ts
 * import { Workflow, WorkflowBase, Task, CircuitBreaker } from 'weft-sdk'
 *
 * @Workflow({ name: 'payments', version: 1 })
 * class Payments extends WorkflowBase<{ amount: number }> {
 *   @Task() @CircuitBreaker({ name: 'payments', consecutiveFailures: 5, halfOpenAfter: '30 s' })
 *   charge(input: { amount: number }) { return input.amount }
 * }
 * ```
 */
export function CircuitBreaker(options: CircuitBreakerOptions) {
  return policyDecorator('circuitBreaker', options)
}

/**
 * Limits how often a task runs, across all runs of the engine: `limit` calls
 * per `window`. Calls over the limit wait (default) or fail with `RateLimitedError`.
 *
 * @example
 * ```ts
 * import { Workflow, WorkflowBase, Task, RateLimit } from 'weft-sdk'
 *
 * @Workflow({ name: 'search', version: 1 })
 * class Search extends WorkflowBase<string> {
 *   @Task() @RateLimit({ limit: 10, window: '1 s' })
 *   query(input: string) { return input.length }
 * }
 * ```
 */
export function RateLimit(options: RateLimitOptions) {
  return policyDecorator('rateLimit', options)
}

/**
 * Limits how many calls of a task run at once across the engine; further
 * calls queue up to `maxQueue`, beyond which they fail with `BulkheadRejectedError`.
 *
 * @example
 * ```ts
 * import { Workflow, WorkflowBase, Task, Bulkhead } from 'weft-sdk'
 *
 * @Workflow({ name: 'render', version: 1 })
 * class Render extends WorkflowBase<string> {
 *   @Task() @Bulkhead({ maxConcurrent: 2, maxQueue: 10 })
 *   render(input: string) { return input }
 * }
 * ```
 */
export function Bulkhead(options: BulkheadOptions) {
  return policyDecorator('bulkhead', options)
}

/**
 * Classifies the task's errors (the rules given, then the built-in ones:
 * `connection`, `timeout`, `rate-limited`, `validation`, `authorization`,
 * `database`, else `unknown`) and meets each class with its strategy: retry
 * on a schedule of its own, fall back to a value, a dependency's output or
 * other work (`fallbackWith`: a private or protected method of the class,
 * called on the run's workflow instance with the error, the task's
 * arguments and a `FallbackContext`; what it returns is the task's output,
 * journaled like any), break a circuit of its own, compensate (fail so the
 * task's `@OnFailure` handler runs), escalate, or fail fast. With `@Retry`: a
 * `fail-fast` class is never retried, a class's own `retry` replaces
 * `@Retry`'s schedule, and every other strategy acts once `@Retry` has given
 * up. Counted in `engine.stats().recovery`. `@Workflow({ recover })` sets it
 * for every task (without `fallbackTo` or `fallbackWith`, which belong to one
 * task).
 *
 * @example
 * ```ts
 * import { Workflow, WorkflowBase, Task, DependsOn, Retry, Recover, type FallbackContext } from 'weft-sdk'
 *
 * interface Quote { price: number; live: boolean }
 *
 * @Workflow({ name: 'quotes', version: 1 })
 * class Quotes extends WorkflowBase<string> {
 *   @Task()
 *   cached(input: string): Quote { return { price: 10, live: false } }
 *
 *   @DependsOn('cached')
 *   @Retry({ maxAttempts: 3 })
 *   @Recover({
 *     rules: [{ message: /invalid symbol/i, as: 'validation' }],
 *     strategies: {
 *       validation: 'fail-fast',
 *       connection: { fallbackTo: 'cached' },
 *       timeout: { fallbackWith: 'quoteFromMirror' },
 *       'rate-limited': { retry: { maxAttempts: 6, backoff: { initial: '1 s' } } },
 *     },
 *   })
 *   live(cached: Quote): Promise<Quote> { return fetch('https://quotes.example').then(() => ({ price: 11, live: true })) }
 *
 *   // Not a task: private, and named by a fallbackWith.
 *   private async quoteFromMirror(error: unknown, cached: Quote, ctx: FallbackContext): Promise<Quote> {
 *     const response = await fetch('https://mirror.quotes.example', { signal: ctx.signal })
 *     return response.ok ? { price: 11, live: true } : cached
 *   }
 * }
 * ```
 * @throws `InvalidOptionsError` (when the workflow is defined) for a rule without a matcher, an unknown strategy, a
 * `fallbackTo` that is not a dependency, a `fallbackWith` that names no method of the class or names a task, or
 * `compensate` without an `@OnFailure` handler. `tsc` refuses a `fallbackWith` naming a public method (see `FallbackMethodCheck`).
 */
export function Recover<const F extends string = never>(options: RecoverOptions<F>) {
  return <T extends object, K extends string, M>(target: T, key: K, descriptor: TypedPropertyDescriptor<M> & Verdict<FallbackMethodCheck<T, F>>): void => {
    void descriptor
    setOnce(target, key, policyKindTable.recover.decorator, 'recover', options)
  }
}

/**
 * Caches a task's result for `ttl`, keyed by its arguments, across runs of the
 * engine: a second run with the same key gets the cached output without
 * calling the task. Failures are not cached.
 *
 * @example
 * ```ts
 * import { Workflow, WorkflowBase, Task, Cache } from 'weft-sdk'
 *
 * @Workflow({ name: 'rates', version: 1 })
 * class Rates extends WorkflowBase<{ currency: string }> {
 *   @Task() @Cache({ ttl: '5 m', key: (input: { currency: string }) => input.currency })
 *   rate(input: { currency: string }) { return 1.1 }
 * }
 * ```
 */
export function Cache<const A extends readonly unknown[] = readonly unknown[]>(options: CacheOptions<A>) {
  return <T extends object, K extends string, M>(
    target: T,
    key: K,
    descriptor: TypedPropertyDescriptor<M> & Verdict<ArgumentsCheck<'@Cache key', K, A, M>>,
  ): void => {
    void descriptor
    setOnce(target, key, policyKindTable.cache.decorator, 'cache', options as CacheOptions<never>)
  }
}
