import { Cause, Context, Duration, Effect, Exit } from 'effect'
import { RateLimiter } from 'effect/persistence'
import { RateLimitedError, StorageError } from '../core/errors.js'
import type { RateLimitPolicy } from '../graph/workflow-graph.js'
import { memoryTablesOf } from './memory-policy-state.js'

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
  const consume = consumeOptionsOf(policy)
  // No generator: this runs before every attempt of every limited task and adapter call (bench section 3b).
  return Effect.flatMap(Effect.service(RateLimiter.RateLimiter), (limiter) =>
    Effect.flatMap(Effect.mapError(limiter.consume(consume), (error) => toWeftError(policy.name, error)), (result) => {
      const delayMs = Duration.toMillis(result.delay)
      return delayMs > 0 ? Effect.andThen(Effect.sleep(Duration.millis(delayMs)), call) : call
    }),
  )
}

/**
 * Takes a rate-limit token synchronously (stores that answer synchronously
 * only, like the in-memory one): the delay to wait before the call, in
 * milliseconds; throws {@link RateLimitedError} over a failing limit.
 */
export function consumeNow(policy: RateLimitPolicy, services: Context.Context<RateLimiter.RateLimiter | RateLimiter.RateLimiterStore>): number {
  // Weft's in-memory tables answer without an Effect run (the same arithmetic as RateLimiter.consume).
  const tables = memoryTablesOf(Context.get(services, RateLimiter.RateLimiterStore))
  if (tables !== undefined) return tables.consume(policy, Date.now())
  const limiter = Context.get(services, RateLimiter.RateLimiter)
  const exit = Effect.runSyncExit(Effect.mapError(limiter.consume(consumeOptionsOf(policy)), (error) => toWeftError(policy.name, error)))
  if (Exit.isSuccess(exit)) return Duration.toMillis(exit.value.delay)
  throw Cause.squash(exit.cause)
}

/**
 * {@link consumeNow} for one policy, resolved once (the direct path holds
 * one per rate limit): on Weft's in-memory tables, their taker of the
 * policy, called with the time of the attempt (epoch milliseconds); on any
 * other synchronous store, a `consumeNow` per take (the time is the store's).
 */
export function tokenTaker(policy: RateLimitPolicy, services: Context.Context<RateLimiter.RateLimiter | RateLimiter.RateLimiterStore>): (now: number) => number {
  const tables = memoryTablesOf(Context.get(services, RateLimiter.RateLimiterStore))
  return tables !== undefined ? tables.takerOf(policy) : () => consumeNow(policy, services)
}

type ConsumeOptions = Parameters<RateLimiter.RateLimiter['consume']>[0]

/** The limiter's options of a policy, built once per (frozen) policy rather than per attempt. */
const consumeOptions = new WeakMap<RateLimitPolicy, ConsumeOptions>()

function consumeOptionsOf(policy: RateLimitPolicy): ConsumeOptions {
  let options = consumeOptions.get(policy)
  if (options === undefined) {
    options = {
      key: policy.name,
      limit: policy.limit,
      window: Duration.millis(policy.windowMs),
      algorithm: policy.algorithm,
      onExceeded: policy.onLimit === 'wait' ? 'delay' : 'fail',
    }
    consumeOptions.set(policy, options)
  }
  return options
}

function toWeftError(name: string, error: RateLimiter.RateLimiterError): RateLimitedError | StorageError {
  const { reason } = error
  if (reason._tag === 'RateLimitExceeded') return new RateLimitedError(name, Duration.toMillis(reason.retryAfter))
  // Only a store of another server (Redis, PostgreSQL) fails: most often it could not be reached, which a retry may get past.
  return new StorageError('connection-lost', `rate limit "${name}": its state could not be read or written (is the policy state's server reachable?); the call was not made`, { cause: error })
}
