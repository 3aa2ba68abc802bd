/**
 * Limiter and breaker state shared across worker processes through Redis
 * (`ioredis`). A separate entry point so that applications that do not use it
 * never load `ioredis`.
 *
 * @example
 * ```ts
 * import { createEngine } from 'weft-sdk'
 * import { redisPolicyState } from 'weft-sdk/redis'
 * const engine = createEngine({ policyState: redisPolicyState({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' }) })
 * ```
 *
 * @packageDocumentation
 */
export { redisPolicyState, type RedisPolicyStateOptions } from './integration/shared-state/redis-policy-state.js'
