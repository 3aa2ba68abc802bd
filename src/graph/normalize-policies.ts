import { toMillis } from '../core/duration.js'
import { InvalidOptionsError } from '../core/errors.js'
import type { TaskPolicyOptions } from './workflow-draft.js'
import type {
  BulkheadPolicy,
  CachePolicy,
  CircuitBreakerPolicy,
  RateLimitPolicy,
  RetryPolicy,
  TaskPolicies,
} from './workflow-graph.js'
import type {
  BulkheadOptions,
  CacheOptions,
  CircuitBreakerOptions,
  RateLimitOptions,
  RetryOptions,
} from './policy-options.js'

/** Checks option values and throws {@link InvalidOptionsError} with a message naming the task and option. */
class OptionCheck {
  constructor(private readonly where: string) {}

  fail(option: string, expected: string, actual: unknown): never {
    throw new InvalidOptionsError(`${this.where}: ${option} must be ${expected}, got ${show(actual)}`)
  }

  integer(option: string, value: unknown, min: number): number {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min) this.fail(option, `an integer ≥ ${min}`, value)
    return value
  }

  count(option: string, value: unknown, min: number): number {
    if (value === Infinity) return value
    return this.integer(option, value, min)
  }

  number(option: string, value: unknown, min: number, max = Infinity, minExclusive = false): number {
    const low = minExclusive ? `> ${min}` : `≥ ${min}`
    const range = max === Infinity ? `a finite number ${low}` : `a number ${low} and ≤ ${max}`
    if (typeof value !== 'number' || !Number.isFinite(value)) this.fail(option, range, value)
    if (value < min || value > max || (minExclusive && value === min)) this.fail(option, range, value)
    return value
  }

  duration(option: string, value: unknown): number {
    try {
      return toMillis(value as never, option)
    } catch (error) {
      this.fail(option, "a duration (milliseconds ≥ 0, or '250 ms', '5 s', '2 m', '1 h')", value)
    }
  }

  oneOf<T extends string>(option: string, value: unknown, allowed: readonly T[]): T {
    if (!allowed.includes(value as T)) this.fail(option, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`, value)
    return value as T
  }

  name(option: string, value: unknown): string {
    if (typeof value !== 'string' || value.trim() === '') this.fail(option, 'a non-empty string', value)
    return value
  }

  fn<F>(option: string, value: unknown): F {
    if (typeof value !== 'function') this.fail(option, 'a function', value)
    return value as F
  }
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'function') return 'a function'
  // JSON would print NaN and ±Infinity as null.
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value)
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}

function normalizeRetry(check: OptionCheck, options: RetryOptions): RetryPolicy {
  const backoff = options.backoff ?? {}
  const initialDelayMs = check.duration('@Retry backoff.initial', backoff.initial ?? 100)
  const maxDelayMs = check.duration('@Retry backoff.max', backoff.max ?? 30_000)
  if (maxDelayMs < initialDelayMs) check.fail('@Retry backoff.max', `≥ backoff.initial (${initialDelayMs} ms)`, maxDelayMs)
  const nonRetryable = options.nonRetryable ?? []
  if (!Array.isArray(nonRetryable) || nonRetryable.some((c) => typeof c !== 'function')) {
    check.fail('@Retry nonRetryable', 'an array of error classes', nonRetryable)
  }
  return Object.freeze({
    maxAttempts: check.integer('@Retry maxAttempts', options.maxAttempts, 1),
    initialDelayMs,
    maxDelayMs,
    factor: check.number('@Retry backoff.factor', backoff.factor ?? 2, 1),
    jitter: check.oneOf('@Retry backoff.jitter', backoff.jitter ?? 'full', ['full', 'none'] as const),
    retryIf: options.retryIf === undefined ? undefined : check.fn<RetryPolicy['retryIf']>('@Retry retryIf', options.retryIf),
    nonRetryable: Object.freeze([...nonRetryable]),
    deadlineMs: options.deadline === undefined ? undefined : check.duration('@Retry deadline', options.deadline),
  })
}

function normalizeBreaker(check: OptionCheck, options: CircuitBreakerOptions, defaultName: string): CircuitBreakerPolicy {
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

function normalizeRateLimit(check: OptionCheck, options: RateLimitOptions, defaultName: string): RateLimitPolicy {
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

function normalizeCache(check: OptionCheck, options: CacheOptions<never>, defaultName: string): CachePolicy {
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

function normalizeBulkhead(check: OptionCheck, options: BulkheadOptions, defaultName: string): BulkheadPolicy {
  return Object.freeze({
    name: check.name('@Bulkhead name', options.name ?? defaultName),
    maxConcurrent: check.integer('@Bulkhead maxConcurrent', options.maxConcurrent, 1),
    maxQueue: check.count('@Bulkhead maxQueue', options.maxQueue ?? Infinity, 0),
  })
}

/**
 * Validates a task's policy options and fills in defaults.
 *
 * @throws {@link InvalidOptionsError} naming the workflow, task and option, e.g.
 * `workflow "orders" task "charge": @Retry maxAttempts must be an integer ≥ 1, got 0`.
 */
export function normalizePolicies(workflow: string, task: string, options: TaskPolicyOptions, version = 1): TaskPolicies {
  const check = new OptionCheck(`workflow "${workflow}" task "${task}"`)
  const defaultName = `${workflow}.${task}`
  // Cached results belong to one version: a new version may compute them differently.
  const cacheName = `${workflow}@${version}.${task}`
  return Object.freeze({
    retry: options.retry === undefined ? undefined : normalizeRetry(check, options.retry),
    timeoutMs: options.timeout === undefined ? undefined : positiveTimeout(check, options.timeout),
    circuitBreaker: options.circuitBreaker === undefined ? undefined : normalizeBreaker(check, options.circuitBreaker, defaultName),
    rateLimit: options.rateLimit === undefined ? undefined : normalizeRateLimit(check, options.rateLimit, defaultName),
    cache: options.cache === undefined ? undefined : normalizeCache(check, options.cache, cacheName),
    bulkhead: options.bulkhead === undefined ? undefined : normalizeBulkhead(check, options.bulkhead, defaultName),
  })
}

function positiveTimeout(check: OptionCheck, timeout: unknown): number {
  const ms = check.duration('@Timeout', timeout)
  if (ms === 0) check.fail('@Timeout', 'longer than 0 ms', timeout)
  return ms
}

/** Validates a loop's cap. */
export function checkLoopOptions(workflow: string, task: string, options: { while: unknown; maxIterations: unknown }): void {
  const check = new OptionCheck(`workflow "${workflow}" task "${task}"`)
  check.fn('@Loop while', options.while)
  check.integer('@Loop maxIterations', options.maxIterations, 1)
}

export { OptionCheck }
