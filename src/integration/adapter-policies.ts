import { Effect, Exit, Scope, type Context } from 'effect'
import type { Duration } from '../core/duration.js'
import { InvalidOptionsError, isWeftError } from '../core/errors.js'
import type { BulkheadOptions, CircuitBreakerOptions, RateLimitOptions, RetryOptions } from '../graph/policy-options.js'
import { normalizePolicyOptions } from '../graph/normalize-policies.js'
import type { CircuitBreakerPolicy, TaskPolicies } from '../graph/workflow-graph.js'
import { TaskThrew, thrownValue, type AttemptFailure } from '../resilience/attempt-failure.js'
import type { DirectAttempt, DirectHooks, DirectPolicies } from '../resilience/direct-policies.js'
import { AttemptCut } from '../resilience/attempt-cut.js'
import { readBreakerState, type BreakerListener, type CircuitState } from '../resilience/circuit-breakers.js'
import type { PolicyStateStore } from '../resilience/policy-services.js'
import { notCached } from '../resilience/task-caches.js'
import type { PolicyTarget } from '../resilience/policy-wrappers.js'
import { TaskPolicyRunner, makePolicyServices, type PolicyHooks, type PolicyServices } from '../resilience/task-policies.js'
import type { BreakerStatus, LimiterStatus } from './adapter.js'

/**
 * Resilience of an adapter, or of one of its operations: the same options,
 * validation and policy objects as a task's `@Retry`, `@Timeout`,
 * `@CircuitBreaker`, `@RateLimit` and `@Bulkhead`. A retry honours an HTTP
 * `Retry-After` (waiting at least that long, and giving up when it is longer
 * than `backoff.max`). Each is off when not given.
 *
 * @example
 * ```ts
 * import type { AdapterPolicyOptions } from 'weft-sdk'
 * const charge: AdapterPolicyOptions = {
 *   retry: { maxAttempts: 4, backoff: { initial: '200 ms', max: '5 s' } },
 *   timeout: '3 s',
 *   rateLimit: { limit: 20, window: '1 s' },
 * }
 * ```
 */
export interface AdapterPolicyOptions {
  /** Retries of a failing call (only errors marked retryable are retried: a 4xx is not). */
  readonly retry?: RetryOptions
  /** Time limit of each attempt. */
  readonly timeout?: Duration
  /**
   * A circuit breaker; named `<adapter>` when set on the adapter (shared by
   * its operations), `<adapter>.<operation>` when set on an operation. It
   * counts the dependency's failures: a call refused with an error that is not
   * retryable (a 4xx, a body that does not decode, a constraint violation)
   * got an answer, so it counts as a success for the breaker (and is still a
   * failed call for the counters and the caller).
   */
  readonly circuitBreaker?: CircuitBreakerOptions
  /** A rate limit on attempts; named like the breaker. */
  readonly rateLimit?: RateLimitOptions
  /** A bound on concurrent attempts; named like the breaker. */
  readonly bulkhead?: BulkheadOptions
  /**
   * Keeps successful results for `ttl` (at most `capacity`, 1,000 by default),
   * by the key the adapter gives each call: the HTTP adapter caches `GET` and
   * `HEAD` by operation, method and URL; calls without a key are not cached.
   * Concurrent calls with one key share one request; failures are not kept.
   * A cache per adapter instance (or per operation where set on one), in
   * memory, on Effect's `Cache`, as a task's `@Cache`.
   */
  readonly cache?: AdapterCacheOptions
}

/**
 * A cache of an adapter's results ({@link AdapterPolicyOptions.cache}).
 *
 * @example
 * ```ts
 * import { HttpAdapter, type AdapterCacheOptions } from 'weft-sdk'
 * const rates: AdapterCacheOptions = { ttl: '5 m', capacity: 500 }
 * const fx = new HttpAdapter({ name: 'fx', baseUrl: 'http://127.0.0.1:8083', operations: { GET: { cache: rates } } })
 * ```
 */
export interface AdapterCacheOptions {
  /** How long a result stays fresh. */
  readonly ttl: Duration
  /** Most results kept. @defaultValue `1000` */
  readonly capacity?: number
}

/**
 * Where an adapter's rate limits and breakers keep their state.
 *
 * @example
 * ```ts
 * import { HttpAdapter, memoryPolicyState } from 'weft-sdk'
 * const crm = new HttpAdapter({ name: 'crm', baseUrl: 'http://127.0.0.1:8080', rateLimit: { limit: 5, window: '1 s' }, policyState: memoryPolicyState() })
 * ```
 */
export interface AdapterPolicyStateOptions {
  /**
   * The state of the adapter's limiters and breakers. Give a shared one
   * (`redisPolicyState`, `postgresPolicyState`) for limits and breakers that
   * hold across processes. Without it, the adapter takes the engine's
   * (`createEngine({ policyState })`) when registered, else keeps its own in
   * memory. The adapter does not close it.
   */
  readonly policyState?: PolicyStateStore
}

/**
 * Policy options of an adapter: for every operation, and per operation (an
 * operation's options replace the adapter's, kind by kind; kinds it does not
 * give are the adapter's).
 *
 * @example
 * ```ts
 * import type { AdapterResilienceOptions } from 'weft-sdk'
 * const resilience: AdapterResilienceOptions = {
 *   timeout: '5 s',
 *   circuitBreaker: { consecutiveFailures: 5, halfOpenAfter: '30 s' },
 *   operations: { search: { timeout: '500 ms', retry: { maxAttempts: 2 } } }, // search: its own timeout and retry, the adapter's breaker
 * }
 * ```
 */
export interface AdapterResilienceOptions extends AdapterPolicyOptions, AdapterPolicyStateOptions {
  /** Options of single operations, by operation name. */
  readonly operations?: Readonly<Record<string, AdapterPolicyOptions>>
}

/**
 * One attempt of a call made with `AdapterBase.call`: `signal` fires when the
 * attempt is cut (timeout, cancellation); `attempt` counts from 1. It runs
 * once per attempt, so it must be safe to repeat.
 *
 * @example
 * ```ts
 * import type { CallBody } from 'weft-sdk'
 * const fetchStock: CallBody<number> = async (signal, attempt) => {
 *   const response = await fetch('http://127.0.0.1:8082/stock/sku-1', { signal, headers: { 'x-attempt': String(attempt) } })
 *   return Number(await response.text())
 * }
 * ```
 */
export type CallBody<A> = (signal: AbortSignal | undefined, attempt: number) => Promise<A>

/**
 * One attempt, given what cuts it as an {@link AttemptCut} (`undefined` when
 * nothing can): an attempt that can abort its work without an `AbortSignal`
 * (the HTTP adapter) asks for none. Internal to Weft's adapters.
 */
export type CutBody<A> = (cut: AttemptCut | undefined, attempt: number) => Promise<A>

/**
 * Whether a call's error says the dependency answered and refused the request
 * (a Weft error that is not retryable: a 4xx, a body that does not decode, a
 * constraint violation, a missing object): the request is wrong, the
 * dependency is up. A breaker guards against a dependency that is down, so
 * such a call counts for it as an answer, not as a failure; the caller still
 * gets the error, and the adapter's counters count it as failed.
 */
function refusedRequest(error: unknown): boolean {
  return isWeftError(error) && !error.isRetryable
}

/** An error the dependency answered with, carried past the breaker (and never cached) to be thrown after the policies. */
class Answered {
  readonly [notCached] = true
  constructor(readonly error: unknown) {}
}

/** The attempt of the Effect composition: the attempt's signal as its cut; with a breaker, a refused request passes it as an `Answered` value. */
function effectAttempt<A>(body: CutBody<A>, breaker: boolean): (n: number) => Effect.Effect<A, TaskThrew> {
  return (n) =>
    Effect.tryPromise({
      try: (signal) => {
        const running = body(AttemptCut.of(signal), n)
        // The dependency answered, refusing the request: past the breaker as an answer, thrown again after the policies.
        return breaker ? running.catch((error: unknown) => (refusedRequest(error) ? (new Answered(error) as A) : Promise.reject(error))) : running
      },
      catch: (error) => new TaskThrew(error),
    })
}

/** A value of the Effect composition: an `Answered` refusal is thrown again. */
function unanswered<A>(value: A): A {
  if (value instanceof Answered) throw value.error
  return value
}

/** An adapter's calls report attempts and retries through their counters and events, not through hooks; one object for all, so the retry schedule is built once per policy. */
const quietHooks: PolicyHooks = { onAttempt: () => undefined, onRetry: () => undefined }

/**
 * Counts the attempts a rate limit admitted in its last window, for its
 * headroom: their times in a queue (a head index, compacted now and then),
 * the ones out of the window or past `limit` dropped as attempts come, so it
 * holds at most `limit` times and an admission is O(1) amortized (a
 * `shift()` per admission of a large array copies it).
 */
class LimiterGauge {
  private admitted: number[] = []
  private head = 0

  constructor(
    readonly name: string,
    readonly limit: number,
    readonly windowMs: number,
  ) {}

  admit(now: number): void {
    this.admitted.push(now)
    this.drop(now)
  }

  status(now: number): LimiterStatus {
    this.drop(now)
    return { name: this.name, limit: this.limit, windowMs: this.windowMs, remaining: Math.max(0, this.limit - (this.admitted.length - this.head)) }
  }

  private drop(now: number): void {
    const admitted = this.admitted
    while (this.head < admitted.length && (admitted.length - this.head > this.limit || admitted[this.head]! <= now - this.windowMs)) this.head += 1
    if (this.head === admitted.length) {
      admitted.length = 0
      this.head = 0
    } else if (this.head > 1024 && this.head * 2 > admitted.length) {
      this.admitted = admitted.slice(this.head)
      this.head = 0
    }
  }
}

/** An operation's compiled policies, and the gauges of its rate limit. */
interface Operation {
  readonly target: PolicyTarget
  /** `target` without its cache, for calls that give no cache key (`target` itself when it has no cache). */
  readonly uncached: PolicyTarget
  readonly guarded: boolean
  readonly gauge: LimiterGauge | undefined
  /** The policies run without Effect while none of them acts, and what its calls give them (`undefined` when they need Effect); worked out at the first call, once the state is known. */
  direct?: { readonly policies: DirectPolicies; readonly hooks: DirectHooks } | undefined
}

/** `body`, counting each attempt it runs in `gauge` (the attempts a rate limit admitted). */
function counting<A>(body: CutBody<A>, gauge: LimiterGauge | undefined): CutBody<A> {
  return gauge === undefined ? body : (cut, n) => (gauge.admit(Date.now()), body(cut, n))
}

/** The policies' services on the adapter's state, built at the first call that needs them. */
interface Built {
  readonly services: Context.Context<PolicyServices>
  readonly shared: boolean
}

/**
 * Runs an adapter's calls under its policies, with the resilience layer's
 * `TaskPolicyRunner` (the one composition tasks use:
 * `retry( rateLimit( bulkhead( breaker( timeout( attempt )))))`) and policy
 * state of its own (circuits, limiters, bulkheads in a scope closed with the
 * adapter), shared by every task and run that uses the adapter. A call
 * without policies takes no Effect at all, and a call whose policies do not
 * act (a slot free, circuits closed, a token at hand) runs them directly on
 * the same state (`DirectPolicies`, bench section 3b), falling back to the
 * Effect composition for the attempt in which one does.
 */
export class AdapterPolicies {
  private readonly scope = Effect.runSync(Scope.make())
  private readonly runner: TaskPolicyRunner
  private readonly operations = new Map<string, Operation>()
  private readonly gauges = new Map<string, LimiterGauge>()
  private readonly breakers = new Map<string, CircuitState>()
  private readonly breakerPolicies = new Map<string, CircuitBreakerPolicy>()
  private state: PolicyStateStore | undefined
  private built: Built | undefined

  constructor(
    private readonly adapter: string,
    private readonly options: AdapterResilienceOptions,
    onTransition: BreakerListener,
  ) {
    this.state = options.policyState
    this.runner = new TaskPolicyRunner((breaker, from, to) => {
      this.breakers.set(breaker, to)
      onTransition(breaker, from, to)
    })
    // Refuse bad options now, not at the first call.
    this.operationOf('*')
    for (const operation of Object.keys(options.operations ?? {})) this.operationOf(operation)
  }

  /**
   * Takes the engine's policy state, unless the adapter was given its own.
   * @throws `InvalidOptionsError` when the adapter already made calls on state of its own in memory (register it before using it).
   */
  adopt(state: PolicyStateStore): void {
    if (this.options.policyState !== undefined || this.state === state) return
    if (this.built !== undefined) {
      throw new InvalidOptionsError(`adapter "${this.adapter}" already made calls with its limiters and breakers in memory: register it with the engine before using it, or give it policyState yourself`)
    }
    this.state = state
  }

  /**
   * Runs `body` under the policies of `operation`; `signal` (the task's)
   * cancels it. An operation with a cache answers from it by `keyOf()` (not
   * cached without one).
   * Rejects with what the last attempt threw, or the policy's error.
   */
  run<A>(operation: string, signal: AbortSignal | undefined, body: CutBody<A>, keyOf?: () => string): Promise<A> {
    try {
      const compiled = this.operationOf(operation)
      const { uncached, guarded, gauge } = compiled
      if (!guarded) return body(AttemptCut.of(signal), 1)
      // The key is worked out only for an operation with a cache.
      const cacheKey = compiled.target === uncached ? undefined : keyOf?.()
      const target = cacheKey === undefined ? uncached : compiled.target
      if (!('direct' in compiled)) compiled.direct = this.directOf(uncached, gauge)
      const direct = compiled.direct
      if (direct !== undefined && target === uncached) return direct.policies.run(signal, body, direct.hooks)
      // Each attempt admitted past the rate limit counts for its gauge.
      const attempt = effectAttempt(counting(body, gauge), target.policies.circuitBreaker !== undefined)
      return this.runEffect(this.runner.run(target, cacheKey === undefined ? [] : [cacheKey], attempt, quietHooks), signal).then(unanswered)
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /**
   * The direct path of `target` (an operation without its cache) and what
   * its calls give it, made once: `undefined` on shared state (its stores do
   * not answer synchronously) or when its policies need Effect.
   */
  private directOf(target: PolicyTarget, gauge: LimiterGauge | undefined): Operation['direct'] {
    const built = this.build()
    const policies = built.shared ? undefined : this.runner.direct(target, built.services)
    if (policies === undefined) return undefined
    const breaker = target.policies.circuitBreaker !== undefined
    const hooks: DirectHooks = {
      viaEffect: <A>(attempt: DirectAttempt<A>, n: number, signal: AbortSignal | undefined) =>
        this.runEffect(this.runner.attemptWithoutRateLimit(target, effectAttempt(counting(attempt, gauge), breaker), n), signal).then(unanswered),
      // The direct path records a refused request as the breaker's success itself (no Answered value, no promise of its own per attempt).
      answered: breaker ? refusedRequest : undefined,
      admitted: gauge === undefined ? undefined : (now) => gauge.admit(now),
    }
    return { policies, hooks }
  }

  /** Runs a policy program; rejects with what the last attempt threw, or the policy's error, or the signal's reason when it cut the call. */
  private async runEffect<A>(program: Effect.Effect<A, AttemptFailure, PolicyServices>, signal: AbortSignal | undefined): Promise<A> {
    const exit = await Effect.runPromiseExitWith(this.build().services)(program, { signal })
    if (Exit.isSuccess(exit)) return exit.value
    const reason = exit.cause.reasons.find((r) => r._tag === 'Fail') ?? exit.cause.reasons.find((r) => r._tag === 'Die')
    if (reason === undefined) throw signal?.reason ?? new Error(`adapter "${this.adapter}": the call was interrupted`)
    throw reason._tag === 'Fail' ? thrownValue(reason.error) : reason.defect
  }

  /** The state of every breaker of the adapter: as this process saw it last, or, on shared state, as the store holds it now (another process may have tripped it). */
  async breakerStatus(): Promise<BreakerStatus[]> {
    // On shared state even an adapter that made no call yet (weft status) reports what the other processes did.
    const built = this.state?.shared === true ? this.build() : this.built
    if (built === undefined || !built.shared) return [...this.breakers].map(([name, state]) => ({ name, state }))
    const read = Effect.forEach([...this.breakerPolicies.values()], (policy) => Effect.map(readBreakerState(policy), (state) => ({ name: policy.name, state })))
    return Effect.runPromiseWith(built.services)(read)
  }

  /** The headroom of every rate limit of the adapter. */
  limiterStatus(now: number): LimiterStatus[] {
    return [...this.gauges.values()].map((gauge) => gauge.status(now))
  }

  /** The policies' services, built on the adapter's state at the first call. */
  private build(): Built {
    if (this.built === undefined) {
      const state = this.state
      this.built = { services: makePolicyServices(this.scope, state), shared: state?.shared ?? false }
    }
    return this.built
  }

  /** Releases the policies' state. */
  async close(): Promise<void> {
    await Effect.runPromise(Scope.close(this.scope, Exit.void))
  }

  private operationOf(operation: string): Operation {
    let compiled = this.operations.get(operation)
    if (compiled === undefined) {
      compiled = this.compile(operation)
      this.operations.set(operation, compiled)
    }
    return compiled
  }

  /** The adapter's options with the operation's laid over them, kind by kind; shared policies named after where they were set. */
  private compile(operation: string): Operation {
    const own = this.options.operations?.[operation] ?? {}
    const pick = <K extends keyof AdapterPolicyOptions>(kind: K) => own[kind] ?? this.options[kind]
    const named = <O extends { readonly name?: string }>(kind: 'circuitBreaker' | 'rateLimit' | 'bulkhead'): O | undefined => {
      const options = pick(kind) as O | undefined
      if (options === undefined || options.name !== undefined) return options
      return { ...options, name: own[kind] === undefined ? this.adapter : `${this.adapter}.${operation}` }
    }
    const where = operation === '*' ? `adapter "${this.adapter}"` : `adapter "${this.adapter}" operation "${operation}"`
    const cache = pick('cache')
    // A cache is the adapter's, or the operation's where set on it (a task's cache is always its own: named by the normalizer).
    const cacheName = own.cache === undefined ? `${this.adapter}.*` : `${this.adapter}.${operation}`
    const policies = normalizePolicyOptions(where, { shared: `${this.adapter}.${operation}`, versioned: cacheName }, {
      retry: pick('retry'),
      timeout: pick('timeout'),
      circuitBreaker: named<CircuitBreakerOptions>('circuitBreaker'),
      rateLimit: named<RateLimitOptions>('rateLimit'),
      bulkhead: named<BulkheadOptions>('bulkhead'),
      cache: cache === undefined ? undefined : { ttl: cache.ttl, capacity: cache.capacity, key: (key: unknown) => String(key) },
    })
    this.track(policies)
    const target = { name: `${this.adapter}.${operation}`, policies }
    const uncached = policies.cache === undefined ? target : { name: target.name, policies: Object.freeze({ ...policies, cache: undefined }) }
    const gauge = policies.rateLimit === undefined ? undefined : this.gauges.get(policies.rateLimit.name)
    return { target, uncached, guarded: TaskPolicyRunner.hasPolicies(target), gauge }
  }

  private track(policies: TaskPolicies): void {
    const { circuitBreaker, rateLimit } = policies
    if (circuitBreaker !== undefined && !this.breakers.has(circuitBreaker.name)) {
      this.breakers.set(circuitBreaker.name, 'closed')
      this.breakerPolicies.set(circuitBreaker.name, circuitBreaker)
    }
    if (rateLimit !== undefined && !this.gauges.has(rateLimit.name)) this.gauges.set(rateLimit.name, new LimiterGauge(rateLimit.name, rateLimit.limit, rateLimit.windowMs))
    if (rateLimit !== undefined && this.gauges.get(rateLimit.name)!.limit !== rateLimit.limit) {
      throw new InvalidOptionsError(`adapter "${this.adapter}": rate limit "${rateLimit.name}" is given two limits; give each operation's limit a name of its own`)
    }
  }
}
