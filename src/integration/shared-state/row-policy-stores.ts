// Effect's breaker and rate-limiter stores over a table of rows, one row per
// circuit or bucket, each changed in one transaction by the pure transitions of
// resilience/policy-transitions.ts: one implementation for every database that
// keeps the shared policy state (PostgreSQL, SQLite), which differ only in how
// they lock a row and whose clock they read.
import { Data, Duration, Effect, Layer } from 'effect'
import { CircuitBreaker as EffectBreaker, RateLimiter } from 'effect/persistence'
import { admissionOf, noAdaptiveLimits, stateOf, transitionOf } from '../../resilience/store-answers.js'
import type { PolicyStateStore } from '../../resilience/policy-services.js'
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
} from '../../resilience/policy-transitions.js'

/** A change of one row: from what it holds (`undefined` for a new row) and the time, to what it holds next and the answer. */
export type RowChange<S, A> = (state: S | undefined, now: number) => { state: S | undefined; answer: A }

/** A row could not be read or written (the cause is the driver's error). */
export class PolicyRowsError extends Data.TaggedError('PolicyRowsError')<{ readonly cause: unknown }> {}

/** A table of policy rows: what a database must do for {@link rowBreakerStore} and {@link rowLimiterStore}. */
export interface PolicyRows {
  /** The database, for error messages (`'PostgreSQL'`, `'SQLite'`). */
  readonly where: string
  /** Applies `change` to the row of `key` with no other change of that row in between, at the table's time in milliseconds. */
  update<S, A>(key: string, change: RowChange<S, A>): Effect.Effect<A, PolicyRowsError>
  /** The row of `key` and the table's time, without changing it. */
  read<S>(key: string): Effect.Effect<{ state: S | undefined; now: number }, PolicyRowsError>
}

function breakerCall<A>(rows: PolicyRows, what: string, call: Effect.Effect<A, PolicyRowsError>): Effect.Effect<A, EffectBreaker.CircuitBreakerError> {
  return Effect.mapError(call, ({ cause }) => new EffectBreaker.CircuitBreakerError({ reason: new EffectBreaker.CircuitBreakerStoreError({ message: `${what} in ${rows.where}`, cause }) }))
}

function limiterCall<A>(rows: PolicyRows, what: string, call: Effect.Effect<A, PolicyRowsError>): Effect.Effect<A, RateLimiter.RateLimiterError> {
  return Effect.mapError(call, ({ cause }) => new RateLimiter.RateLimiterError({ reason: new RateLimiter.RateLimitStoreError({ message: `${what} in ${rows.where}`, cause }) }))
}

const circuitKey = (key: string) => `circuit:${key}`

/** Effect's `CircuitBreakerStore` on `rows`; a half-open circuit's probe holds it for `leaseMs`. */
export function rowBreakerStore(rows: PolicyRows, leaseMs: number): EffectBreaker.CircuitBreakerStore['Service'] {
  return {
    admit: (key) =>
      Effect.flatMap(
        breakerCall(
          rows,
          'failed to admit a call through the circuit',
          rows.update<CircuitRow, AdmitAnswer>(circuitKey(key), (row, now) => {
            const { row: next, answer } = admitCircuit(row, now, leaseMs)
            return { state: next, answer }
          }),
        ),
        (answer) => admissionOf(key, answer),
      ),
    record: ({ key, generation, outcome, tripPolicy, openFor }) => {
      const openForMs = Math.max(0, Math.ceil(Duration.toMillis(openFor)))
      return Effect.map(
        breakerCall(
          rows,
          'failed to record an outcome',
          rows.update<CircuitRow, { moved: RecordAnswer; openings: number }>(circuitKey(key), (row, now) => {
            const recorded = recordCircuit(row, now, { generation, outcome, trip: tripPolicy as TripRule, openForMs })
            return { state: recorded.row, answer: { moved: recorded.answer, openings: recorded.consecutiveOpenings } }
          }),
        ),
        ({ moved, openings }) => transitionOf(key, moved, openForMs, openings),
      )
    },
    state: (key) => Effect.map(breakerCall(rows, 'failed to read the circuit state', rows.read<CircuitRow>(circuitKey(key))), ({ state: row, now }) => stateOf(key, row, now)),
  }
}

/** Effect's `RateLimiterStore` on `rows` (no adaptive limits: Weft's limiters do not use them). */
export function rowLimiterStore(rows: PolicyRows): RateLimiter.RateLimiterStore['Service'] {
  return {
    fixedWindow: ({ key, tokens, refillRate, limit }) =>
      limiterCall(
        rows,
        'failed to take from a fixed window',
        rows.update<WindowRow, readonly [number, number]>(`window:${key}`, (row, now) => {
          const { row: next, answer } = takeFixedWindow(row, now, { tokens, refillRateMs: Duration.toMillis(refillRate), limit })
          return { state: next, answer }
        }),
      ),
    tokenBucket: ({ key, tokens, limit, refillRate, allowOverflow }) =>
      limiterCall(
        rows,
        'failed to take from a token bucket',
        rows.update<BucketRow, readonly [number, number]>(`bucket:${key}`, (row, now) => {
          const { row: next, answer } = takeTokenBucket(row, now, { tokens, limit, refillRateMs: Duration.toMillis(refillRate), allowOverflow })
          return { state: next, answer }
        }),
      ),
    ...noAdaptiveLimits,
  }
}

/**
 * The policy state port over a table of rows: Effect's breaker and limiter
 * stores on `rows`, closed with the table. What `postgresPolicyState` and
 * `sqlitePolicyState` return; they differ only in their rows.
 */
export function rowPolicyState(state: {
  readonly kind: string
  readonly rows: PolicyRows
  readonly leaseMs: number
  readonly synchronous?: boolean
  close(): Promise<void>
  pruneIdle(idleForMs: number): Promise<number>
}): PolicyStateStore {
  const { kind, rows, leaseMs, synchronous } = state
  return {
    kind,
    shared: true,
    ...(synchronous === true ? { synchronous } : {}),
    layer: Layer.mergeAll(Layer.succeed(EffectBreaker.CircuitBreakerStore, rowBreakerStore(rows, leaseMs)), Layer.succeed(RateLimiter.RateLimiterStore, rowLimiterStore(rows))),
    close: () => state.close(),
    pruneIdle: async (idleForMs) => state.pruneIdle(checkedIdle(idleForMs)),
  }
}

/** The shortest idle time a prune accepts: shorter would reset limits and circuits still in use. */
const minimumIdleMs = 60_000

function checkedIdle(idleForMs: number): number {
  if (!Number.isFinite(idleForMs) || idleForMs < minimumIdleMs) throw new RangeError(`pruneIdle(idleForMs): give at least ${minimumIdleMs} ms (one minute), and more than the longest limit window and breaker open time; got ${idleForMs}`)
  return idleForMs
}
