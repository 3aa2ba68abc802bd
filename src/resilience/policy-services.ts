import { Context, Effect, Layer, Scope } from 'effect'
import { CircuitBreaker as EffectBreaker, RateLimiter } from 'effect/persistence'

/** The Effect services task policies need: breaker and rate-limiter stores, and a scope. */
export type PolicyServices = EffectBreaker.CircuitBreakerStore | RateLimiter.RateLimiter | Scope.Scope

/**
 * Builds the services for an engine's policies: in-memory circuit breaker and
 * rate limiter stores living in `scope`.
 */
export function makePolicyServices(scope: Scope.Scope): Context.Context<PolicyServices> {
  const layer = Layer.mergeAll(
    EffectBreaker.layerStoreMemory(),
    RateLimiter.layer.pipe(Layer.provide(RateLimiter.layerStoreMemory)),
  )
  const services = Effect.runSync(Scope.provide(Layer.build(layer), scope))
  return Context.add(services, Scope.Scope, scope)
}
