import { Duration, Effect } from 'effect'
import { CircuitBreaker as EffectBreaker, RateLimiter } from 'effect/persistence'
import { RateLimitedError } from '../core/errors.js'
import { admissionOf, noAdaptiveLimits, stateOf, transitionOf } from './store-answers.js'
import type { RateLimitPolicy } from '../graph/workflow-graph.js'
import {
  admitCircuit,
  recordCircuit,
  takeFixedWindow,
  takeTokenBucket,
  type AdmitAnswer,
  type BucketRow,
  type CircuitRow,
  type RecordAnswer,
  type TripRule,
  type WindowRow,
} from './policy-transitions.js'

/**
 * The in-memory limiter and breaker state of one engine or adapter: plain
 * tables changed by the pure transitions of policy-transitions.ts, with two
 * faces on the same rows.
 *
 * - Effect's store interfaces (`CircuitBreakerStore`, `RateLimiterStore`),
 *   which the Effect composition of the policies uses, on the Effect `Clock`
 *   (so a `TestClock` drives them);
 * - a synchronous face for the direct path (`DirectPolicies`), which takes a
 *   token, admits and records a call with no Effect run at all (bench section
 *   3b: five synchronous Effect runs per call were most of what the policies
 *   cost over a raw local HTTP call).
 *
 * Why not Effect's own in-memory stores: their state is private to them, so
 * reading it synchronously meant an Effect run per operation. The transitions
 * are checked against Effect's stores on random sequences
 * (test/resilience/policy-transitions.property.test.ts), and the limiter's
 * delays against Effect's `RateLimiter` over these tables.
 */
export class MemoryPolicyTables {
  private readonly circuits = new Map<string, CircuitRow>()
  private readonly windows = new Map<string, WindowRow>()
  private readonly buckets = new Map<string, BucketRow>()
  /** The takers {@link consume} made, by (frozen) policy. */
  private readonly takers = new WeakMap<RateLimitPolicy, (now: number) => number>()

  /** Admits a call through a circuit; a half-open circuit holds its probe until the probe's outcome is recorded (no lease: one process). */
  admit(key: string, now: number): AdmitAnswer {
    const { row, answer } = admitCircuit(this.circuits.get(key), now, Number.POSITIVE_INFINITY)
    this.circuits.set(key, row)
    return answer
  }

  /** Records the outcome of a call admitted under `generation`: the transition it caused. */
  record(key: string, now: number, call: { readonly generation: number; readonly outcome: 'Success' | 'Failure' | 'Ignored'; readonly trip: TripRule; readonly openForMs: number }): { answer: RecordAnswer; consecutiveOpenings: number } {
    const { row, answer, consecutiveOpenings } = recordCircuit(this.circuits.get(key), now, call)
    if (row !== undefined) this.circuits.set(key, row)
    return { answer, consecutiveOpenings }
  }

  /**
   * The direct path's admission: the circuit's generation when it is closed
   * (admitting changes nothing then, so nothing is written or allocated), or
   * `undefined` when it is not (the caller takes the Effect path). The same
   * answer as {@link admit} for a closed circuit.
   */
  admitIfClosed(key: string, now: number): number | undefined {
    const row = this.circuits.get(key)
    if (row === undefined || row.state !== 'Closed' || (row.openings > 0 && now >= row.resetAt)) {
      if (row !== undefined && row.state !== 'Closed') return undefined
      const answer = this.admit(key, now)
      return answer._tag === 'ok' ? answer.generation : undefined
    }
    return row.generation
  }

  /**
   * {@link record} for the direct path, at the system clock: only the
   * transition; a success of a closed circuit with no failure counted
   * changes nothing, so it reads no clock and allocates nothing.
   */
  recordOutcome(key: string, generation: number, outcome: 'Success' | 'Failure' | 'Ignored', trip: TripRule, openForMs: number): RecordAnswer {
    const row = this.circuits.get(key)
    if (row !== undefined && row.generation === generation && row.state === 'Closed' && outcome === 'Success' && trip._tag === 'Consecutive' && row.streak === 0) return 'none'
    return this.record(key, Date.now(), { generation, outcome, trip, openForMs }).answer
  }

  /** A circuit's row as stored (for reading its state). */
  row(key: string): CircuitRow | undefined {
    return this.circuits.get(key)
  }

  /** Effect's `fixedWindow`: the count after taking and the milliseconds until the window empties. */
  fixedWindow(key: string, now: number, call: { readonly tokens: number; readonly refillRateMs: number; readonly limit: number | undefined }): readonly [number, number] {
    const { row, answer } = takeFixedWindow(this.windows.get(key), now, call)
    this.windows.set(key, row)
    return answer
  }

  /** Effect's `tokenBucket`: tokens left after taking and the milliseconds since the refill interval started. */
  tokenBucket(key: string, now: number, call: { readonly tokens: number; readonly limit: number; readonly refillRateMs: number; readonly allowOverflow: boolean }): readonly [number, number] {
    const { row, answer } = takeTokenBucket(this.buckets.get(key), now, call)
    this.buckets.set(key, row)
    return answer
  }

  /**
   * Takes one token of `policy` at `now`, as Effect's `RateLimiter.consume`
   * does on these tables: the delay to wait before the call, in
   * milliseconds; throws {@link RateLimitedError} over a failing limit.
   */
  consume(policy: RateLimitPolicy, now: number): number {
    let take = this.takers.get(policy)
    if (take === undefined) {
      take = this.takerOf(policy)
      this.takers.set(policy, take)
    }
    return take(now)
  }

  /**
   * {@link consume} for one policy, its arithmetic worked out once: what the
   * direct path holds per rate limit. A fixed window's row is changed in
   * place (a new row, a tuple and two objects per take were most of what a
   * take cost; a limit well under the call rate expires the window at nearly
   * every call).
   */
  takerOf(policy: RateLimitPolicy): (now: number) => number {
    const windowMs = Math.max(policy.windowMs, 1)
    const refillRateMs = refillRateOf(policy, windowMs)
    const { name, limit } = policy
    const fail = policy.onLimit !== 'wait'
    if (fail && 1 > limit) {
      return () => {
        throw new RateLimitedError(name, windowMs)
      }
    }
    if (policy.algorithm === 'token-bucket') {
      return (now) => {
        const [remaining, elapsedMs] = this.tokenBucket(name, now, { tokens: 1, limit, refillRateMs, allowOverflow: !fail })
        const delay = asDuration(Math.max(0, Math.ceil(-remaining) * refillRateMs - elapsedMs))
        if (fail && remaining < 0) throw new RateLimitedError(name, delay)
        return delay
      }
    }
    const windows = this.windows as Map<string, { count: number; expiresAt: number }>
    return (now) => {
      // Effect's fixedWindow for one token (takeFixedWindow), in place: an expired window starts empty at `now`.
      let row = windows.get(name)
      if (row === undefined) {
        row = { count: 0, expiresAt: now }
        windows.set(name, row)
      } else if (row.expiresAt <= now) {
        row.count = 0
        row.expiresAt = now
      }
      if (fail) {
        if (row.count + 1 > limit) throw new RateLimitedError(name, asDuration(row.expiresAt - now))
        row.count += 1
        row.expiresAt += refillRateMs
        return 0
      }
      row.count += 1
      row.expiresAt += refillRateMs
      const elapsed = row.count * refillRateMs - (row.expiresAt - now)
      const remaining = Math.floor((row.count - 1) / limit) * windowMs - elapsed
      return remaining <= 0 ? 0 : asDuration(remaining)
    }
  }
}

/** `ms` as an Effect `Duration` keeps it: whole milliseconds as they are, else rounded to the nanosecond (ties away from zero). */
function asDuration(ms: number): number {
  if (Number.isInteger(ms)) return ms
  return (Math.sign(ms) * Math.round(Math.abs(ms) * 1_000_000)) / 1_000_000
}

/** Refill rates by (frozen) policy: Effect's `window / limit` as a `Duration` (nanosecond precision), so the delays agree with `RateLimiter.consume` to the last bit. */
const refillRates = new WeakMap<RateLimitPolicy, number>()

function refillRateOf(policy: RateLimitPolicy, windowMs: number): number {
  let rate = refillRates.get(policy)
  if (rate === undefined) {
    rate = Duration.toMillis(Duration.divideUnsafe(Duration.millis(windowMs), policy.limit))
    refillRates.set(policy, rate)
  }
  return rate
}

/** Where a store of Weft's in-memory state keeps its tables, for the direct path. */
const tablesKey = Symbol.for('weft/memory-policy-tables')

/** The synchronous tables behind an Effect store of Weft's in-memory state; `undefined` for any other store. */
export function memoryTablesOf(store: object): MemoryPolicyTables | undefined {
  return (store as { [tablesKey]?: MemoryPolicyTables })[tablesKey]
}

/** Effect's `CircuitBreakerStore` on `tables`. */
export function memoryBreakerStore(tables: MemoryPolicyTables): EffectBreaker.CircuitBreakerStore['Service'] {
  const store: EffectBreaker.CircuitBreakerStore['Service'] = {
    admit: (key) => Effect.clockWith((clock) => admissionOf(key, tables.admit(key, clock.currentTimeMillisUnsafe()))),
    record: ({ key, generation, outcome, tripPolicy, openFor }) =>
      Effect.clockWith((clock) =>
        Effect.sync(() => {
          const openForMs = Duration.toMillis(Duration.fromInputUnsafe(openFor))
          const { answer, consecutiveOpenings } = tables.record(key, clock.currentTimeMillisUnsafe(), { generation, outcome, trip: tripPolicy as TripRule, openForMs })
          return transitionOf(key, answer, openForMs, consecutiveOpenings)
        }),
      ),
    state: (key) => Effect.clockWith((clock) => Effect.sync(() => stateOf(key, tables.row(key), clock.currentTimeMillisUnsafe()))),
  }
  return Object.assign(store, { [tablesKey]: tables })
}

/** Effect's `RateLimiterStore` on `tables` (no adaptive limits: Weft's limiters do not use them). */
export function memoryLimiterStore(tables: MemoryPolicyTables): RateLimiter.RateLimiterStore['Service'] {
  const store: RateLimiter.RateLimiterStore['Service'] = {
    fixedWindow: ({ key, tokens, refillRate, limit }) => Effect.clockWith((clock) => Effect.succeed(tables.fixedWindow(key, clock.currentTimeMillisUnsafe(), { tokens, refillRateMs: Duration.toMillis(refillRate), limit }))),
    tokenBucket: ({ key, tokens, limit, refillRate, allowOverflow }) =>
      Effect.clockWith((clock) => Effect.succeed(tables.tokenBucket(key, clock.currentTimeMillisUnsafe(), { tokens, limit, refillRateMs: Duration.toMillis(refillRate), allowOverflow }))),
    ...noAdaptiveLimits,
  }
  return Object.assign(store, { [tablesKey]: tables })
}
