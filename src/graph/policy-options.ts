import type { Duration } from '../core/duration.js'

/**
 * An error class, used to list errors that must not be retried.
 *
 * @example
 * ```ts
 * import type { ErrorClass, RetryOptions } from 'weft-sdk'
 * class NotFoundError extends Error {}
 * const permanent: ErrorClass[] = [NotFoundError, TypeError]
 * const retry: RetryOptions = { maxAttempts: 4, nonRetryable: permanent }
 * ```
 */
export type ErrorClass = abstract new (...args: never[]) => Error

/**
 * Options of {@link Retry}: how often and how long to retry a failing task.
 *
 * The delay before retry `n` (1-based) is drawn uniformly from
 * `[0, min(max, initial · factor^(n-1))]` with full jitter, or is exactly
 * `min(max, initial · factor^(n-1))` without jitter.
 *
 * @example
 * ```ts
 * import type { RetryOptions } from 'weft-sdk'
 * const retry: RetryOptions = {
 *   maxAttempts: 5,
 *   backoff: { initial: '200 ms', max: '10 s' },
 *   retryIf: (error) => !(error instanceof TypeError),
 *   deadline: '2 m',
 * }
 * ```
 */
export interface RetryOptions {
  /** Attempts in all, counting the first call. An integer ≥ 1. */
  readonly maxAttempts: number
  /** Backoff between attempts. @defaultValue each field's default */
  readonly backoff?: BackoffOptions
  /**
   * Decides whether an error is retried. Called after the built-in checks
   * (errors listed in `nonRetryable`, and Weft errors marked not retryable).
   * @defaultValue every other error is retried
   */
  readonly retryIf?: (error: unknown, attempt: number) => boolean
  /** Error classes that fail the task at once, without another attempt. @defaultValue `[]` */
  readonly nonRetryable?: readonly ErrorClass[]
  /**
   * Time budget for all attempts and the waits between them. When it passes,
   * the running attempt's signal fires and the task fails with
   * `TaskTimeoutError`. @defaultValue no deadline
   */
  readonly deadline?: Duration
}

/**
 * Exponential backoff between retry attempts.
 *
 * @example
 * ```ts
 * import type { BackoffOptions } from 'weft-sdk'
 * const backoff: BackoffOptions = { initial: '1 s', max: '1 m', factor: 3, jitter: 'full' }
 * // @Retry({ maxAttempts: 6, backoff })
 * ```
 */
export interface BackoffOptions {
  /** Delay bound before the first retry. @defaultValue `'100 ms'` */
  readonly initial?: Duration
  /** Largest delay bound. @defaultValue `'30 s'` */
  readonly max?: Duration
  /** Growth factor per attempt, ≥ 1. @defaultValue `2` */
  readonly factor?: number
  /** `'full'`: uniform in `[0, bound]`; `'none'`: exactly the bound. @defaultValue `'full'` */
  readonly jitter?: 'full' | 'none'
}

/**
 * Options of {@link CircuitBreaker}. Give `consecutiveFailures`, `failureRate`, or both.
 *
 * @example
 * ```ts
 * import type { CircuitBreakerOptions } from 'weft-sdk'
 * const breaker: CircuitBreakerOptions = {
 *   name: 'payments-api',
 *   failureRate: { threshold: 0.5, window: 20, minimumCalls: 10 },
 *   halfOpenAfter: '30 s',
 * }
 * ```
 */
export interface CircuitBreakerOptions {
  /**
   * Circuit name. Tasks that name the same circuit share it, across runs and workflows.
   * @defaultValue `'<workflow>.<task>'`
   */
  readonly name?: string
  /** Open after this many failures in a row (in order of completion). */
  readonly consecutiveFailures?: number
  /** Open when the share of failures among the last `window` calls reaches `threshold`. */
  readonly failureRate?: {
    /** Fraction of failures in `(0, 1]` that opens the circuit. */
    readonly threshold: number
    /** Number of most recent calls considered. */
    readonly window: number
    /** Calls needed before the rate is judged. @defaultValue `window` */
    readonly minimumCalls?: number
  }
  /** How long the circuit stays open before it lets exactly one probe call through. */
  readonly halfOpenAfter: Duration
}

/**
 * Options of {@link RateLimit}.
 *
 * @example
 * ```ts
 * import type { RateLimitOptions } from 'weft-sdk'
 * const openAi: RateLimitOptions = { name: 'openai', limit: 60, window: '1 m', onLimit: 'wait', algorithm: 'token-bucket' }
 * // @RateLimit(openAi) on every task calling the API: they share one limiter
 * ```
 */
export interface RateLimitOptions {
  /** Limiter name; tasks naming the same limiter share it. @defaultValue `'<workflow>.<task>'` */
  readonly name?: string
  /** Calls allowed per window. */
  readonly limit: number
  /** Window length. */
  readonly window: Duration
  /** `'wait'` delays the call until it fits; `'fail'` fails it with `RateLimitedError`. @defaultValue `'wait'` */
  readonly onLimit?: 'wait' | 'fail'
  /** How calls are counted against the limit: per fixed window, or as a token bucket. @defaultValue `'fixed-window'` */
  readonly algorithm?: 'fixed-window' | 'token-bucket'
}

/**
 * Options of {@link Cache}.
 *
 * @example
 * ```ts
 * import type { CacheOptions } from 'weft-sdk'
 * const byCurrency: CacheOptions<[{ currency: string }]> = { ttl: '5 m', key: (input) => input.currency, capacity: 100 }
 * ```
 */
export interface CacheOptions<Args extends readonly unknown[] = readonly unknown[]> {
  /** How long a result stays fresh. */
  readonly ttl: Duration
  /**
   * Cache key computed from the task's arguments (dependency outputs, or the
   * workflow input for a root task).
   * @defaultValue `JSON.stringify` of the arguments
   */
  readonly key?: (...args: Args) => string
  /** Most entries kept. @defaultValue `1000` */
  readonly capacity?: number
}

/**
 * Options of {@link Bulkhead}.
 *
 * @example
 * ```ts
 * import type { BulkheadOptions } from 'weft-sdk'
 * const gpu: BulkheadOptions = { name: 'gpu', maxConcurrent: 2, maxQueue: 10 }
 * // @Bulkhead(gpu): at most two calls at once, ten waiting, the next rejected
 * ```
 */
export interface BulkheadOptions {
  /** Bulkhead name; tasks naming the same bulkhead share its slots. @defaultValue `'<workflow>.<task>'` */
  readonly name?: string
  /** Calls running at once. */
  readonly maxConcurrent: number
  /** Calls waiting for a slot; one more is rejected with `BulkheadRejectedError`. @defaultValue `Infinity` */
  readonly maxQueue?: number
}

/**
 * Options of {@link Loop}.
 *
 * @example
 * ```ts
 * import type { LoopOptions } from 'weft-sdk'
 * const refine: LoopOptions<{ score: number }> = { while: (draft, iteration) => draft.score < 0.9 && iteration < 5, maxIterations: 8 }
 * // @Loop(refine) on a task taking and returning { score: number }
 * ```
 */
export interface LoopOptions<S = never> {
  /** Checked before each iteration with the current state; the loop stops when it returns false. */
  readonly while: (state: S, iteration: number) => boolean
  /** Iterations at most; the result says whether this cap was hit. */
  readonly maxIterations: number
}
