import type { CircuitState } from '../resilience/circuit-breakers.js'
import type { PolicyStateStore } from '../resilience/policy-services.js'
import type { AdapterEvent } from '../runtime/run-events.js'
import type { LatencyPercentiles } from './latency-window.js'

/**
 * An adapter's state: `up` answers, `degraded` answers but a breaker is open
 * or probing, `down` does not answer.
 *
 * @example
 * ```ts
 * import type { AdapterState } from 'weft-sdk'
 * const exitCode = (state: AdapterState): number => (state === 'down' ? 2 : state === 'degraded' ? 1 : 0)
 * ```
 */
export type AdapterState = 'up' | 'degraded' | 'down'

/**
 * A breaker of an adapter and its state, as {@link AdapterHealth} lists it.
 *
 * @example
 * ```ts
 * import type { AdapterHealth, BreakerStatus } from 'weft-sdk'
 * declare const health: AdapterHealth
 * const open: BreakerStatus[] = health.breakers.filter((breaker) => breaker.state === 'open')
 * ```
 */
export interface BreakerStatus {
  /** The circuit's name (`<adapter>` for one shared by every operation, `<adapter>.<operation>` for one of its own). */
  readonly name: string
  /** Its state now. */
  readonly state: CircuitState
}

/**
 * A rate limiter of an adapter and how many calls it would admit now, as
 * {@link AdapterHealth} lists it.
 *
 * @example
 * ```ts
 * import type { AdapterHealth, LimiterStatus } from 'weft-sdk'
 * declare const health: AdapterHealth
 * const exhausted: LimiterStatus[] = health.limiters.filter((limiter) => limiter.remaining === 0)
 * ```
 */
export interface LimiterStatus {
  /** The limiter's name. */
  readonly name: string
  /** Calls allowed per window. */
  readonly limit: number
  /** The window, in milliseconds. */
  readonly windowMs: number
  /** Calls this process could still start in the current (sliding) window: `limit` minus the attempts admitted in the last `windowMs`. */
  readonly remaining: number
}

/**
 * What {@link Adapter.health} found: a real round trip to the adapter's
 * server, with the state of its breakers and rate limiters.
 *
 * @example
 * ```ts
 * import { HttpAdapter, type AdapterHealth } from 'weft-sdk'
 * const search = new HttpAdapter({ name: 'search', baseUrl: 'http://127.0.0.1:8081', healthPath: '/health' })
 * const health: AdapterHealth = await search.health()
 * console.log(`${health.state} in ${health.latencyMs.toFixed(0)} ms`, health.detail ?? '')
 * ```
 */
export interface AdapterHealth {
  /** `up`, `degraded` (answered, but a breaker is not closed) or `down` (no answer, or a wrong one). */
  readonly state: AdapterState
  /** The round trip's latency, in milliseconds. */
  readonly latencyMs: number
  /** Why it is degraded or down, secrets redacted. */
  readonly detail?: string
  /** The adapter's breakers. */
  readonly breakers: readonly BreakerStatus[]
  /** The adapter's rate limiters. */
  readonly limiters: readonly LimiterStatus[]
}

/**
 * Counters of one operation of an adapter since it was created, in
 * {@link AdapterStats}.
 *
 * @example
 * ```ts
 * import type { OperationStats } from 'weft-sdk'
 * const line = (op: OperationStats) => `${op.operation}: ${op.calls} calls, ${op.failures} failed, p95 ${op.latency?.p95 ?? '-'} ms`
 * ```
 */
export interface OperationStats {
  /** The operation's name. */
  readonly operation: string
  /** Calls made (a call retried by the adapter counts once). */
  readonly calls: number
  /** Calls that failed for good. */
  readonly failures: number
  /** Latency of the last call, in milliseconds; `undefined` before the first. */
  readonly lastLatencyMs: number | undefined
  /** Nearest-rank percentiles over the last 1,024 calls (exact over that window); `undefined` before the first. */
  readonly latency: LatencyPercentiles | undefined
}

/**
 * Counters of an adapter, per operation (`adapter.stats()`).
 *
 * @example
 * ```ts
 * import { HttpAdapter, type AdapterStats } from 'weft-sdk'
 * const search = new HttpAdapter({ name: 'search', baseUrl: 'http://127.0.0.1:8081' })
 * const stats: AdapterStats = search.stats()
 * const failures = stats.operations.reduce((sum, op) => sum + op.failures, 0)
 * ```
 */
export interface AdapterStats {
  /** The adapter's name. */
  readonly adapter: string
  /** Its kind. */
  readonly kind: string
  /** One entry per operation called so far, in the order first called. */
  readonly operations: readonly OperationStats[]
}

/**
 * The port every adapter implements: a name, a kind, a health check that
 * makes a real round trip, counters per operation, and `close()`. Register
 * adapters with `createEngine({ adapters })` or `engine.adapters.register`:
 * the engine puts them in its container, reports their health
 * (`engine.health()`, `weft status`), forwards their events and closes them
 * on `engine.close()`. Extend `AdapterBase` to get counters, resilience and
 * events for free.
 *
 * @example
 * ```ts
 * import type { Adapter, AdapterHealth, AdapterStats } from 'weft-sdk'
 * class Clock implements Adapter {
 *   readonly name = 'clock'
 *   readonly kind = 'clock'
 *   async health(): Promise<AdapterHealth> {
 *     return { state: 'up', latencyMs: 0, breakers: [], limiters: [] }
 *   }
 *   stats(): AdapterStats {
 *     return { adapter: this.name, kind: this.kind, operations: [] }
 *   }
 *   async close(): Promise<void> {}
 * }
 * ```
 */
export interface Adapter {
  /** Unique among an engine's adapters; names its breakers, limiters, events and idempotency keys. */
  readonly name: string
  /** What it talks to, e.g. `'http'`, `'sql'`. */
  readonly kind: string
  /** Makes a real round trip to the server and reports its latency; resolves (never rejects) with `down` when it fails. */
  health(): Promise<AdapterHealth>
  /** Counters per operation. */
  stats(): AdapterStats
  /** Releases connections, timers and tokens; later calls fail with `AdapterClosedError`. */
  close(): Promise<void>
  /** Subscribes to the adapter's events (failed calls, breaker transitions); the engine forwards them to `engine.on`. */
  observe?(listener: (event: AdapterEvent) => void): () => void
  /** Takes the engine's limiter and breaker state (`createEngine({ policyState })`) when registered; an adapter given state of its own keeps it. */
  usePolicyState?(state: PolicyStateStore): void
}

/**
 * Whether a value implements {@link Adapter}.
 *
 * @example
 * ```ts
 * import { isAdapter } from 'weft-sdk'
 * isAdapter({}) // false
 * ```
 */
export function isAdapter(value: unknown): value is Adapter {
  if (typeof value !== 'object' || value === null) return false
  const candidate = value as Record<string, unknown>
  return typeof candidate['name'] === 'string' && typeof candidate['kind'] === 'string' && ['health', 'stats', 'close'].every((method) => typeof candidate[method] === 'function')
}
