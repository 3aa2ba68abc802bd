/**
 * The SQLite policy state against the reference, Effect's own in-memory
 * stores: random sequences of takes, admissions, records and clock moves go
 * through both, and every answer must agree. Each sequence alternates between
 * two states opened on the same file (two connections, as two processes
 * have), so agreeing also proves they share one row per limiter and circuit.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Clock, Context, Duration, Effect, Exit, Layer, Scope } from 'effect'
import { CircuitBreaker, RateLimiter } from 'effect/persistence'
import fc from 'fast-check'
import { circuitSteps } from '../support/circuit-steps.js'
import { afterAll, describe, expect, it } from 'vitest'
import { sqlitePolicyState } from '../../src/integration/shared-state/sqlite-policy-state.js'
import type { PolicyStateStore } from '../../src/resilience/policy-services.js'

const folder = mkdtempSync(join(tmpdir(), 'weft-sqlite-policy-prop-'))
const path = join(folder, 'limits.db')
// A probe lease longer than any sequence: Effect's in-memory store holds a probe until its outcome is recorded.
const states = [sqlitePolicyState({ path, probeLease: 1e12 }), sqlitePolicyState({ path, probeLease: 1e12 })]
afterAll(async () => {
  await Promise.all(states.map((state) => state.close()))
  rmSync(folder, { recursive: true, force: true })
})

/** A clock that reads `now()`. */
function fixedClock(now: () => number): Clock.Clock {
  const nanos = () => BigInt(now()) * 1_000_000n
  return {
    currentTimeMillisUnsafe: () => now(),
    currentTimeMillis: Effect.sync(() => now()),
    currentTimeNanosUnsafe: nanos,
    currentTimeNanos: Effect.sync(nanos),
    monotonicTimeNanosUnsafe: nanos,
    monotonicTimeNanos: Effect.sync(nanos),
    sleep: () => Effect.void,
  }
}

type Stores = CircuitBreaker.CircuitBreakerStore | RateLimiter.RateLimiterStore

/** The stores of `layer`, with a runner on `clock`. */
function storesOf(layer: Layer.Layer<Stores>, clock: Clock.Clock) {
  const scope = Effect.runSync(Scope.make())
  const services = Effect.runSync(Scope.provide(Layer.build(layer), scope))
  return {
    breaker: Context.get(services, CircuitBreaker.CircuitBreakerStore),
    limiter: Context.get(services, RateLimiter.RateLimiterStore),
    run: <A, E>(effect: Effect.Effect<A, E, Scope.Scope>) => Effect.runSyncExit(Effect.provideService(Effect.scoped(effect), Clock.Clock, clock)),
  }
}

let sequences = 0

/** Effect's in-memory stores and the two SQLite states, on one clock the test moves, and a key no other sequence used. */
function sides() {
  let now = 1_000_000
  const clock = fixedClock(() => now)
  const ours = states.map((state: PolicyStateStore) => storesOf(state.layer, clock))
  return {
    theirs: storesOf(Layer.mergeAll(CircuitBreaker.layerStoreMemory(), RateLimiter.layerStoreMemory), clock),
    /** The SQLite side of the i-th call: the two states take turns. */
    ours: (i: number) => ours[i % 2]!,
    key: `k${(sequences += 1)}`,
    advance: (ms: number) => void (now += ms),
  }
}

/** A success's value, or the failure's reason tag (and retry-after where it has one). */
function answerOf<A>(exit: Exit.Exit<A, unknown>): unknown {
  if (Exit.isSuccess(exit)) return exit.value
  const error = (Exit.findErrorOption(exit) as { value?: { reason?: { _tag: string; retryAfter?: Duration.Duration } } }).value
  return { failed: error?.reason?._tag, retryAfterMs: error?.reason?.retryAfter === undefined ? undefined : Duration.toMillis(error.reason.retryAfter) }
}

type BucketStep = { readonly kind: 'advance'; readonly ms: number } | { readonly kind: 'take'; readonly tokens: number }
const bucketSteps: fc.Arbitrary<BucketStep[]> = fc.array(
  fc.oneof(fc.integer({ min: 0, max: 700 }).map((ms) => ({ kind: 'advance' as const, ms })), fc.integer({ min: 1, max: 3 }).map((tokens) => ({ kind: 'take' as const, tokens }))),
  { maxLength: 40 },
)
const limits = fc.record({ limit: fc.integer({ min: 1, max: 6 }), refillRateMs: fc.integer({ min: 1, max: 500 }), capped: fc.boolean() })

describe('the SQLite policy state, against Effect\'s in-memory stores', () => {
  it('takes from a token bucket with the same answers', () => {
    fc.assert(
      fc.property(limits, bucketSteps, ({ limit, refillRateMs, capped }, steps) => {
        const side = sides()
        steps.forEach((step, i) => {
          if (step.kind === 'advance') return side.advance(step.ms)
          const call = { key: side.key, tokens: step.tokens, limit, refillRate: Duration.millis(refillRateMs), allowOverflow: !capped }
          const ours = side.ours(i)
          expect(answerOf(ours.run(ours.limiter.tokenBucket(call)))).toEqual(answerOf(side.theirs.run(side.theirs.limiter.tokenBucket(call))))
        })
      }),
      { numRuns: 150 },
    )
  })

  it('takes from a fixed window with the same answers', () => {
    fc.assert(
      fc.property(limits, bucketSteps, ({ limit, refillRateMs, capped }, steps) => {
        const side = sides()
        steps.forEach((step, i) => {
          if (step.kind === 'advance') return side.advance(step.ms)
          const call = { key: side.key, tokens: step.tokens, refillRate: Duration.millis(refillRateMs), limit: capped ? limit : undefined }
          const ours = side.ours(i)
          expect(answerOf(ours.run(ours.limiter.fixedWindow(call)))).toEqual(answerOf(side.theirs.run(side.theirs.limiter.fixedWindow(call))))
        })
      }),
      { numRuns: 150 },
    )
  })

  const circuitSequences = circuitSteps(40)
  const trips = fc.oneof(
    fc.integer({ min: 1, max: 4 }).map((failures) => CircuitBreaker.consecutive(failures)),
    fc.record({ threshold: fc.constantFrom(0.25, 0.5, 1), minimumCalls: fc.integer({ min: 1, max: 3 }), size: fc.integer({ min: 3, max: 6 }) }).map((rate) => CircuitBreaker.rate(rate)),
  )

  it('admits and records through a circuit with the same answers and transitions, and reports the same state', () => {
    fc.assert(
      fc.property(trips, fc.integer({ min: 1, max: 5_000 }), circuitSequences, (tripPolicy, openForMs, steps) => {
        const side = sides()
        const permits: { ours: number; theirs: number }[] = []
        steps.forEach((step, i) => {
          if (step.kind === 'advance') return side.advance(step.ms)
          const ours = side.ours(i)
          if (step.kind === 'admit') {
            const [mine, reference] = [ours.run(ours.breaker.admit(side.key)), side.theirs.run(side.theirs.breaker.admit(side.key))]
            const strip = (answer: unknown) => (typeof answer === 'object' && answer !== null && 'generation' in answer ? { ...answer, generation: 0 } : answer)
            expect(strip(answerOf(mine))).toEqual(strip(answerOf(reference)))
            if (Exit.isSuccess(mine) && Exit.isSuccess(reference)) permits.push({ ours: mine.value.generation, theirs: reference.value.generation })
          } else if (permits.length > 0) {
            const [permit] = permits.splice(step.permit % permits.length, 1)
            const call = { key: side.key, outcome: step.outcome, tripPolicy, openFor: Duration.millis(openForMs) }
            const mine = ours.run(ours.breaker.record({ ...call, generation: permit!.ours }))
            expect(answerOf(mine)).toEqual(answerOf(side.theirs.run(side.theirs.breaker.record({ ...call, generation: permit!.theirs }))))
          }
          expect(answerOf(ours.run(ours.breaker.state(side.key)))).toEqual(answerOf(side.theirs.run(side.theirs.breaker.state(side.key))))
        })
      }),
      { numRuns: 150 },
    )
  })
})
