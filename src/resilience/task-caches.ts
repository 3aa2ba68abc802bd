import { Cache, Duration, Effect, Equal, Exit, Hash } from 'effect'
import type { CachePolicy } from '../graph/workflow-graph.js'

/** A cache key: equal by its string; carries the computation to run on a miss. */
class CacheKey implements Equal.Equal {
  constructor(
    readonly key: string,
    /** Dropped once the lookup took it, so the cached key does not keep the first run alive. */
    public compute: Effect.Effect<unknown, unknown> | undefined,
  ) {}

  /** The computation, taken once. */
  take(): Effect.Effect<unknown, unknown> {
    const compute = this.compute ?? Effect.die(new Error(`cache key "${this.key}" was looked up twice`))
    this.compute = undefined
    return compute
  }

  [Equal.symbol](that: Equal.Equal): boolean {
    return that instanceof CacheKey && that.key === this.key
  }

  [Hash.symbol](): number {
    return Hash.string(this.key)
  }
}

type TaskCache = Cache.Cache<CacheKey, unknown, unknown>

/** Marks a successful value that must not be kept (an adapter's refused request, carried past its breaker as a value). */
export const notCached = Symbol.for('weft/not-cached')

function isNotCached(value: unknown): boolean {
  return typeof value === 'object' && value !== null && notCached in value
}

/**
 * The engine's task result caches, one per cached task, on Effect's `Cache`:
 * concurrent callers with the same key share one computation, successes live
 * for the policy's TTL (on the `Clock`) and failures are not kept.
 */
export class TaskCaches {
  private readonly caches = new Map<string, Effect.Effect<TaskCache>>()

  /** Returns the cached result for `args`, or computes and caches it; fails as `compute` does. */
  get<A, E>(policy: CachePolicy, args: readonly unknown[], compute: Effect.Effect<A, E>): Effect.Effect<A, E> {
    return Effect.suspend(() => {
      const key = new CacheKey(policy.key(...args), compute)
      // One cache holds one task's results: what goes in as A and E comes out as A and E.
      return Effect.flatMap(this.cacheFor(policy), (cache) => Cache.get(cache, key)) as Effect.Effect<A, E>
    })
  }

  private cacheFor(policy: CachePolicy): Effect.Effect<TaskCache> {
    let cache = this.caches.get(policy.name)
    if (cache === undefined) {
      const ttl = Duration.millis(policy.ttlMs)
      const make = Cache.makeWith((key: CacheKey) => key.take(), {
        capacity: policy.capacity,
        timeToLive: (exit) => (Exit.isSuccess(exit) && !isNotCached(exit.value) ? ttl : Duration.zero),
      })
      cache = Effect.runSync(Effect.cached(make))
      this.caches.set(policy.name, cache)
    }
    return cache
  }
}
