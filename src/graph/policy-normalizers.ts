import type { OptionCheck } from './option-check.js'
import type {
  BulkheadOptions,
  CacheOptions,
  CircuitBreakerOptions,
  RateLimitOptions,
  RetryOptions,
} from './policy-options.js'
import type {
  BulkheadPolicy,
  CachePolicy,
  CircuitBreakerPolicy,
  RateLimitPolicy,
  RetryPolicy,
} from './workflow-graph.js'

// One normalizer per policy kind: validates what the author wrote (naming the
// decorator and option in the message) and fills in every default. The table
// in policy-kinds.ts says which normalizer serves which kind.

/**
 * `@Retry`: attempts, backoff bounds and factor, jitter, the retry checks and
 * the deadline. `label` names the options in messages (`retry` for the
 * options of a `ctx.map` call).
 */
export function normalizeRetry(check: OptionCheck, options: RetryOptions, label = '@Retry'): RetryPolicy {
  const backoff = options.backoff ?? {}
  const initialDelayMs = check.duration(`${label} backoff.initial`, backoff.initial ?? 100)
  const maxDelayMs = check.duration(`${label} backoff.max`, backoff.max ?? 30_000)
  if (maxDelayMs < initialDelayMs) check.fail(`${label} backoff.max`, `≥ backoff.initial (${initialDelayMs} ms)`, maxDelayMs)
  const nonRetryable = options.nonRetryable ?? []
  if (!Array.isArray(nonRetryable) || nonRetryable.some((c) => typeof c !== 'function')) {
    check.fail(`${label} nonRetryable`, 'an array of error classes', nonRetryable)
  }
  return Object.freeze({
    maxAttempts: check.integer(`${label} maxAttempts`, options.maxAttempts, 1),
    initialDelayMs,
    maxDelayMs,
    factor: check.number(`${label} backoff.factor`, backoff.factor ?? 2, 1),
    jitter: check.oneOf(`${label} backoff.jitter`, backoff.jitter ?? 'full', ['full', 'none'] as const),
    retryIf: options.retryIf === undefined ? undefined : check.fn<RetryPolicy['retryIf']>(`${label} retryIf`, options.retryIf),
    nonRetryable: Object.freeze([...nonRetryable]),
    deadlineMs: options.deadline === undefined ? undefined : check.duration(`${label} deadline`, options.deadline),
  })
}

/** `@CircuitBreaker`: at least one trip rule (consecutive failures, failure rate), named `defaultName` unless named. */
export function normalizeBreaker(check: OptionCheck, options: CircuitBreakerOptions, defaultName: string): CircuitBreakerPolicy {
  const { consecutiveFailures, failureRate } = options
  if (consecutiveFailures === undefined && failureRate === undefined) {
    check.fail('@CircuitBreaker', 'given consecutiveFailures or failureRate (or both)', options)
  }
  const window = failureRate === undefined ? 0 : check.integer('@CircuitBreaker failureRate.window', failureRate.window, 1)
  return Object.freeze({
    name: check.name('@CircuitBreaker name', options.name ?? defaultName),
    consecutiveFailures:
      consecutiveFailures === undefined ? undefined : check.integer('@CircuitBreaker consecutiveFailures', consecutiveFailures, 1),
    failureRate:
      failureRate === undefined
        ? undefined
        : Object.freeze({
            threshold: check.number('@CircuitBreaker failureRate.threshold', failureRate.threshold, 0, 1, true),
            window,
            minimumCalls: minimumCalls(check, failureRate.minimumCalls ?? window, window),
          }),
    halfOpenAfterMs: check.duration('@CircuitBreaker halfOpenAfter', options.halfOpenAfter),
  })
}

function minimumCalls(check: OptionCheck, value: number, window: number): number {
  const calls = check.integer('@CircuitBreaker failureRate.minimumCalls', value, 1)
  if (calls > window) check.fail('@CircuitBreaker failureRate.minimumCalls', `≤ failureRate.window (${window})`, calls)
  return calls
}

/** `@RateLimit`: calls per window (longer than 0 ms), what happens over the limit, the counting algorithm. */
export function normalizeRateLimit(check: OptionCheck, options: RateLimitOptions, defaultName: string): RateLimitPolicy {
  const windowMs = check.duration('@RateLimit window', options.window)
  if (windowMs === 0) check.fail('@RateLimit window', 'longer than 0 ms', options.window)
  return Object.freeze({
    name: check.name('@RateLimit name', options.name ?? defaultName),
    limit: check.integer('@RateLimit limit', options.limit, 1),
    windowMs,
    onLimit: check.oneOf('@RateLimit onLimit', options.onLimit ?? 'wait', ['wait', 'fail'] as const),
    algorithm: check.oneOf('@RateLimit algorithm', options.algorithm ?? 'fixed-window', ['fixed-window', 'token-bucket'] as const),
  })
}

/** `@Cache`: time to live, capacity and key function; always named `defaultName` (one cache per task and version). */
export function normalizeCache(check: OptionCheck, options: CacheOptions<never>, defaultName: string): CachePolicy {
  const key = options.key === undefined ? defaultCacheKey : check.fn<CachePolicy['key']>('@Cache key', options.key)
  return Object.freeze({
    name: defaultName,
    ttlMs: check.duration('@Cache ttl', options.ttl),
    capacity: check.integer('@Cache capacity', options.capacity ?? 1_000, 1),
    key,
  })
}

function defaultCacheKey(...args: readonly unknown[]): string {
  return JSON.stringify(args)
}

/** `@Bulkhead`: calls at once and calls queued (`Infinity` unless given). */
export function normalizeBulkhead(check: OptionCheck, options: BulkheadOptions, defaultName: string): BulkheadPolicy {
  return Object.freeze({
    name: check.name('@Bulkhead name', options.name ?? defaultName),
    maxConcurrent: check.integer('@Bulkhead maxConcurrent', options.maxConcurrent, 1),
    maxQueue: check.count('@Bulkhead maxQueue', options.maxQueue ?? Infinity, 0),
  })
}

/** `@Timeout`: a duration longer than 0 ms, in milliseconds (`label` names it in messages). */
export function positiveTimeout(check: OptionCheck, timeout: unknown, label = '@Timeout'): number {
  const ms = check.duration(label, timeout)
  if (ms === 0) check.fail(label, 'longer than 0 ms', timeout)
  return ms
}
