import { Duration, Effect } from 'effect'
import { RateLimiter } from 'effect/persistence'
import { RateLimitedError, StorageError } from '../core/errors.js'
import type { RateLimitPolicy } from '../graph/workflow-graph.js'

/**
 * Applies a rate limit with Effect's `RateLimiter` (fixed window or token
 * bucket, state in its store). Over the limit, a call either sleeps until its
 * slot (on the `Clock`, so tests can use virtual time) or fails with
 * {@link RateLimitedError}.
 */
export function withRateLimit<A, E, R>(
  policy: RateLimitPolicy,
  call: Effect.Effect<A, E, R>,
): Effect.Effect<A, E | RateLimitedError | StorageError, R | RateLimiter.RateLimiter> {
  return Effect.gen(function* () {
    const limiter = yield* RateLimiter.RateLimiter
    const result = yield* limiter
      .consume({
        key: policy.name,
        limit: policy.limit,
        window: Duration.millis(policy.windowMs),
        algorithm: policy.algorithm,
        onExceeded: policy.onLimit === 'wait' ? 'delay' : 'fail',
      })
      .pipe(Effect.mapError((error) => toWeftError(policy.name, error)))
    const delayMs = Duration.toMillis(result.delay)
    if (delayMs > 0) yield* Effect.sleep(Duration.millis(delayMs))
    return yield* call
  })
}

function toWeftError(name: string, error: RateLimiter.RateLimiterError): RateLimitedError | StorageError {
  const { reason } = error
  if (reason._tag === 'RateLimitExceeded') return new RateLimitedError(name, Duration.toMillis(reason.retryAfter))
  return new StorageError('unknown', `rate limit "${name}": its state could not be read or written`, { cause: error })
}
