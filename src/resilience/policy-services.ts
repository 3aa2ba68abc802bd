import { Context, Effect, Layer, References, Scope } from 'effect'
import { CircuitBreaker as EffectBreaker, RateLimiter } from 'effect/persistence'
import { MemoryPolicyTables, memoryBreakerStore, memoryLimiterStore } from './memory-policy-state.js'

/** The Effect services task policies need: breaker and rate-limiter stores, the rate limiter, and a scope. */
export type PolicyServices = EffectBreaker.CircuitBreakerStore | RateLimiter.RateLimiterStore | RateLimiter.RateLimiter | Scope.Scope

/**
 * Where rate limits and circuit breakers keep their state: the port behind
 * `createEngine({ policyState })` and an adapter's `policyState` option. Its
 * `layer` provides Effect's own stores (`CircuitBreakerStore`,
 * `RateLimiterStore` of `effect/persistence`), so every limiter and breaker
 * of Weft — tasks', adapters', and the security layer's per-principal limits
 * — runs the same Effect code on whichever state it is given. Weft ships
 * four: in memory (one process; the default), a SQLite file
 * (`sqlitePolicyState`, shared by the processes of one machine), Redis
 * (`redisPolicyState` from `weft-sdk/redis`) and PostgreSQL
 * (`postgresPolicyState` from `weft-sdk/postgres`), the last two shared by
 * every process that uses the same server. Implement it to keep the state
 * elsewhere.
 *
 * @example
 * ```ts
 * import { createEngine, memoryPolicyState, type PolicyStateStore } from 'weft-sdk'
 * const state: PolicyStateStore = memoryPolicyState()
 * const engine = createEngine({ policyState: state }) // the default: each process counts for itself
 * ```
 */
export interface PolicyStateStore {
  /** What keeps the state (`'memory'`, `'sqlite'`, `'redis'`, `'postgres'`), for reports. */
  readonly kind: string
  /**
   * Whether other processes share it. A shared store answers asynchronously,
   * so calls through it always take the Effect composition of the policies
   * (no direct path), and breaker states are read from it for reports.
   */
  readonly shared: boolean
  /**
   * Whether its stores answer without waiting (in memory, a SQLite file): a
   * limiter may then take a token in a synchronous Effect run instead of a
   * Promise (the per-principal limits do).
   * @defaultValue `false`
   */
  readonly synchronous?: boolean
  /** Effect's breaker and rate-limiter stores on this state; built once per engine or adapter, in its scope. */
  readonly layer: Layer.Layer<EffectBreaker.CircuitBreakerStore | RateLimiter.RateLimiterStore>
  /** Releases connections; the engine calls it on `engine.close()` for the state it was given. */
  close(): Promise<void>
  /**
   * Deletes the rows of limiters and circuits untouched for `idleForMs`, so
   * keys that come and go (per-principal limits: one bucket per principal)
   * do not pile up; resolves how many. Give it more than the longest window
   * or refill time and the longest open time of a breaker: a bucket or window
   * idle that long is full again, a circuit due for its half-open probe comes
   * back closed. Only states that keep rows have it (PostgreSQL, SQLite; Redis
   * keys expire by themselves).
   */
  pruneIdle?(idleForMs: number): Promise<number>
}

/**
 * The default {@link PolicyStateStore}: Effect's in-memory stores, private to
 * the engine or adapter that builds them (each builds its own), so a limit of
 * 10 per second is 10 per second per process.
 *
 * @example
 * ```ts
 * import { HttpAdapter, memoryPolicyState } from 'weft-sdk'
 * const search = new HttpAdapter({ name: 'search', baseUrl: 'http://127.0.0.1:8081', rateLimit: { limit: 10, window: '1 s' }, policyState: memoryPolicyState() })
 * ```
 */
export function memoryPolicyState(): PolicyStateStore {
  // One set of tables per build, behind both of Effect's store interfaces and read directly by the direct path.
  const layer = Layer.syncContext(() => {
    const tables = new MemoryPolicyTables()
    return Context.make(EffectBreaker.CircuitBreakerStore, memoryBreakerStore(tables)).pipe(Context.add(RateLimiter.RateLimiterStore, memoryLimiterStore(tables)))
  })
  return { kind: 'memory', shared: false, synchronous: true, layer, close: async () => undefined }
}

/**
 * Builds the services for an engine's or adapter's policies on `state` (in
 * memory when not given), living in `scope`.
 *
 * Effect's breaker reports a store it cannot reach (it then lets the call
 * through unrecorded) by logging at `UnhandledLogLevel`, which its default
 * logger prints with a stack trace on stdout for every call: outside Weft's
 * events and redaction. The services turn that report off; the limiter's
 * failures reach the caller as a `StorageError` instead.
 */
export function makePolicyServices(scope: Scope.Scope, state: PolicyStateStore = memoryPolicyState()): Context.Context<PolicyServices> {
  const layer = Layer.mergeAll(state.layer, RateLimiter.layer.pipe(Layer.provide(state.layer)))
  const services = Effect.runSync(Scope.provide(Layer.build(layer), scope))
  return Context.add(Context.add(services, Scope.Scope, scope), References.UnhandledLogLevel, undefined)
}
