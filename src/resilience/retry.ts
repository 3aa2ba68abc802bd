import { Duration, Effect, Random, Schedule } from 'effect'
import { HttpStatusError, TaskTimeoutError, isWeftError } from '../core/errors.js'
import type { RetryPolicy } from '../graph/workflow-graph.js'
import { thrownValue } from './attempt-failure.js'

/** Called before each retry with the attempt that failed, the chosen delay and the error. */
export type RetryListener = (failedAttempt: number, delayMs: number, error: unknown) => void

/**
 * The upper bound of the delay before retry `retry` (1 for the first retry):
 * `min(maxDelay, initialDelay · factor^(retry-1))`.
 */
export function retryDelayBound(policy: RetryPolicy, retry: number): number {
  return Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.factor ** (retry - 1))
}

/** Whether an error may be retried under a policy (attempt limits aside). */
export function isRetryableError(policy: RetryPolicy, error: unknown, attempt: number): boolean {
  if (policy.nonRetryable.some((errorClass) => error instanceof errorClass)) return false
  if (isWeftError(error) && !error.isRetryable) return false
  return policy.retryIf === undefined ? true : policy.retryIf(error, attempt)
}

/** Whether the failure of attempt `attempt` (1-based) is followed by another attempt: not when the server asks to wait longer (`Retry-After`) than the policy's largest delay. */
export function shouldRetry(policy: RetryPolicy, error: unknown, attempt: number): boolean {
  if ((retryAfterHint(error) ?? 0) > policy.maxDelayMs) return false
  return attempt < policy.maxAttempts && isRetryableError(policy, error, attempt)
}

/** How long the server asked to wait before the next call (an HTTP `Retry-After`), in milliseconds. */
export function retryAfterHint(error: unknown): number | undefined {
  return error instanceof HttpStatusError ? error.retryAfterMs : undefined
}

/**
 * The delays of a policy, on Effect's `Schedule`: exponential growth, capped
 * at `maxDelay`, with full jitter (`Schedule.jittered` only varies ±20%, so
 * the delay is redrawn in `modifyDelay`). Whether to retry at all is decided
 * by {@link withRetry}'s `while`; Effect steps the schedule before asking it,
 * so `onRetry` is only told about retries that will happen.
 */
export function retrySchedule(policy: RetryPolicy, onRetry: RetryListener): Schedule.Schedule<unknown, unknown> {
  const growth = Schedule.exponential(Duration.millis(policy.initialDelayMs), policy.factor)
  const delays = Schedule.modifyDelay(growth, (step: Schedule.Metadata<Duration.Duration, unknown>) =>
    Effect.map(Random.next, (random) => {
      const error = thrownValue(step.input)
      const delayMs = retryDelay(policy, Duration.toMillis(step.duration), error, random)
      if (shouldRetry(policy, error, step.attempt)) onRetry(step.attempt, delayMs, error)
      return Duration.millis(delayMs)
    }),
  )
  return delays as Schedule.Schedule<unknown, unknown>
}

/** The delay before a retry, from the schedule's bound (`retryDelayBound`) and a random draw in [0, 1); a `Retry-After` is a floor (jitter never draws below it). */
export function retryDelay(policy: RetryPolicy, boundMs: number, error: unknown, random: number): number {
  const bound = Math.min(policy.maxDelayMs, boundMs)
  return Math.max(policy.jitter === 'full' ? random * bound : bound, retryAfterHint(error) ?? 0)
}

/**
 * Runs `attempt(n)` (n = 1, 2, …) until it succeeds, the error is not
 * retryable, the attempts are used up or the deadline passes.
 */
export function withRetry<A, E, R>(
  attempt: (n: number) => Effect.Effect<A, E, R>,
  policy: RetryPolicy,
  task: string,
  onRetry: RetryListener,
): Effect.Effect<A, E | TaskTimeoutError, R> {
  return Effect.suspend(() => {
    let n = 0
    const attempts = Effect.suspend(() => attempt(++n))
    const retried = Effect.retry(attempts, {
      schedule: scheduleOf(policy, onRetry) as Schedule.Schedule<unknown, E>,
      while: (failure: E) => shouldRetry(policy, thrownValue(failure), n),
    })
    const { deadlineMs } = policy
    if (deadlineMs === undefined) return retried
    return Effect.timeoutOrElse(retried, {
      duration: Duration.millis(deadlineMs),
      orElse: () => Effect.fail(new TaskTimeoutError(task, deadlineMs)),
    })
  })
}

/** Schedules by policy and listener: an adapter calls with one listener for all its calls, so its schedule is built once, not per call. */
const schedules = new WeakMap<RetryPolicy, WeakMap<RetryListener, Schedule.Schedule<unknown, unknown>>>()

function scheduleOf(policy: RetryPolicy, onRetry: RetryListener): Schedule.Schedule<unknown, unknown> {
  let byListener = schedules.get(policy)
  if (byListener === undefined) {
    byListener = new WeakMap()
    schedules.set(policy, byListener)
  }
  let schedule = byListener.get(onRetry)
  if (schedule === undefined) {
    schedule = retrySchedule(policy, onRetry)
    byListener.set(onRetry, schedule)
  }
  return schedule
}
