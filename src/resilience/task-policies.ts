import { Context, Effect, Layer, Scope } from 'effect'
import { CircuitBreaker as EffectBreaker, RateLimiter } from 'effect/persistence'
import type { TaskNode } from '../graph/workflow-graph.js'
import { Bulkheads } from './bulkheads.js'
import { CircuitBreakers, type BreakerListener } from './circuit-breakers.js'
import { withRateLimit } from './rate-limiters.js'
import { withRetry, type RetryListener } from './retry.js'
import { TaskCaches } from './task-caches.js'
import { withTimeout } from './timeout.js'

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

/** What the policy runner reports while it runs a task. */
export interface PolicyHooks {
  /** An attempt begins (n from 1). */
  onAttempt(n: number): void
  /** An attempt failed and another follows after a delay. */
  onRetry: RetryListener
}

/**
 * The shared state behind an engine's task policies (circuits, bulkheads,
 * caches) and the one place that composes them around a task body:
 *
 * `cache( retry( rateLimit( bulkhead( breaker( timeout( attempt ))))))`
 *
 * A cache hit skips everything; each retry attempt takes a rate-limit token
 * and a bulkhead slot, passes the breaker (which sees one outcome per
 * attempt) and has its own timeout.
 */
export class TaskPolicyRunner {
  private readonly breakers: CircuitBreakers
  private readonly bulkheads = new Bulkheads()
  private readonly caches = new TaskCaches()

  constructor(onBreakerTransition: BreakerListener) {
    this.breakers = new CircuitBreakers(onBreakerTransition)
  }

  /**
   * Wraps the attempts of `task` (`attempt(n)`, n from 1) in its policies.
   * `hooks.onAttempt(n)` is told of every attempt, including one a breaker,
   * bulkhead or rate limit rejects before the body runs.
   */
  run<A>(
    task: TaskNode,
    args: readonly unknown[],
    attempt: (n: number) => Effect.Effect<A, unknown>,
    hooks: PolicyHooks,
  ): Effect.Effect<A, unknown, PolicyServices> {
    const { retry, timeoutMs, circuitBreaker, rateLimit, bulkhead, cache } = task.policies
    const guarded = (n: number): Effect.Effect<A, unknown, PolicyServices> => {
      hooks.onAttempt(n)
      let call: Effect.Effect<A, unknown, PolicyServices> = attempt(n)
      if (timeoutMs !== undefined) call = withTimeout(call, timeoutMs, task.name)
      if (circuitBreaker !== undefined) call = this.breakers.guard(circuitBreaker, call)
      if (bulkhead !== undefined) call = this.bulkheads.run(bulkhead, call)
      if (rateLimit !== undefined) call = withRateLimit(rateLimit, call)
      return call
    }
    const attempts = retry === undefined ? Effect.suspend(() => guarded(1)) : withRetry(guarded, retry, task.name, hooks.onRetry)
    if (cache === undefined) return attempts
    return Effect.flatMap(Effect.context<PolicyServices>(), (services) =>
      this.caches.get(cache, args, Effect.provideContext(attempts, services)),
    )
  }

  /** Whether a task has any policy (tasks without one take a faster path). */
  static hasPolicies(task: TaskNode): boolean {
    const p = task.policies
    return p.retry !== undefined || p.timeoutMs !== undefined || p.circuitBreaker !== undefined || p.rateLimit !== undefined || p.bulkhead !== undefined || p.cache !== undefined
  }
}
