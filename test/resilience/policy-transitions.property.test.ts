/**
 * The transitions PostgreSQL's shared policy state applies under a row lock
 * (src/resilience/policy-transitions.ts) against the reference:
 * Effect's own in-memory stores, driven through the same random sequences of
 * calls and clock moves. Every answer must agree (generations aside, which
 * each numbers its own way: each side records under the generation it gave).
 */
import { Clock, Context, Duration, Effect, Exit, Layer, Scope } from 'effect'
import { CircuitBreaker, RateLimiter } from 'effect/persistence'
import fc from 'fast-check'
import { circuitSteps } from '../support/circuit-steps.js'
import { describe, expect, it } from 'vitest'
import {
  admitCircuit,
  recordCircuit,
  takeFixedWindow,
  takeTokenBucket,
  type BucketRow,
  type CircuitRow,
  type TripRule,
  type WindowRow,
} from '../../src/resilience/policy-transitions.js'
import { MemoryPolicyTables, memoryLimiterStore } from '../../src/resilience/memory-policy-state.js'
import { RateLimitedError } from '../../src/core/errors.js'
import type { RateLimitPolicy } from '../../src/graph/workflow-graph.js'

/** A clock that reads `now()`. */
function fixedClock(now: () => number): Clock.Clock {
  return {
    currentTimeMillisUnsafe: () => now(),
    currentTimeMillis: Effect.sync(() => now()),
    currentTimeNanosUnsafe: () => BigInt(now()) * 1_000_000n,
    currentTimeNanos: Effect.sync(() => BigInt(now()) * 1_000_000n),
    monotonicTimeNanosUnsafe: () => BigInt(now()) * 1_000_000n,
    monotonicTimeNanos: Effect.sync(() => BigInt(now()) * 1_000_000n),
    sleep: () => Effect.void,
  }
}

/** Effect's in-memory stores on a clock the test moves by hand, from 1,000,000 ms. */
function reference() {
  let now = 1_000_000
  const clock = fixedClock(() => now)
  const scope = Effect.runSync(Scope.make())
  const services = Effect.runSync(Scope.provide(Layer.build(Layer.mergeAll(CircuitBreaker.layerStoreMemory(), RateLimiter.layerStoreMemory)), scope))
  const run = <A, E>(effect: Effect.Effect<A, E, CircuitBreaker.CircuitBreakerStore | RateLimiter.RateLimiterStore | Scope.Scope>) =>
    Effect.runSyncExit(Effect.provideService(Effect.scoped(Effect.provideContext(effect, services)), Clock.Clock, clock))
  return {
    breaker: Context.get(services, CircuitBreaker.CircuitBreakerStore),
    limiter: Context.get(services, RateLimiter.RateLimiterStore),
    run,
    advance: (ms: number) => void (now += ms),
    now: () => now,
  }
}

const trips: fc.Arbitrary<TripRule> = fc.oneof(
  fc.integer({ min: 1, max: 4 }).map((failures) => ({ _tag: 'Consecutive' as const, failures })),
  fc.record({ threshold: fc.constantFrom(0.25, 0.5, 1), minimumCalls: fc.integer({ min: 1, max: 3 }), size: fc.integer({ min: 3, max: 6 }) }).map((rate) => ({ _tag: 'Rate' as const, ...rate })),
)

const circuitSequences = circuitSteps(60)

describe('the circuit transitions of the shared state', () => {
  it("answer every admission and record as Effect's in-memory store does", () => {
    fc.assert(
      fc.property(trips, fc.integer({ min: 1, max: 5_000 }), circuitSequences, (trip, openForMs, steps) => {
        const ref = reference()
        let row: CircuitRow | undefined
        // Permits not yet recorded: each side's generation.
        const permits: { ours: number; theirs: number }[] = []
        for (const step of steps) {
          if (step.kind === 'advance') {
            ref.advance(step.ms)
            continue
          }
          const now = ref.now()
          if (step.kind === 'admit') {
            const theirs = ref.run(ref.breaker.admit('k'))
            const ours = admitCircuit(row, now, 1e12)
            row = ours.row
            if (Exit.isSuccess(theirs)) {
              expect(ours.answer).toMatchObject({ _tag: 'ok', probe: theirs.value.probe, consecutiveOpenings: theirs.value.consecutiveOpenings, movedToHalfOpen: theirs.value.transition !== undefined })
              if (ours.answer._tag === 'ok') permits.push({ ours: ours.answer.generation, theirs: theirs.value.generation })
            } else {
              const reason = (Exit.findErrorOption(theirs) as { value?: CircuitBreaker.CircuitBreakerError }).value?.reason
              expect(ours.answer._tag).toBe(reason?._tag === 'CircuitOpen' ? 'open' : 'halfopen')
              if (reason?._tag === 'CircuitOpen' && ours.answer._tag === 'open') expect(ours.answer.retryAfterMs).toBe(Duration.toMillis(reason.retryAfter))
            }
            continue
          }
          if (permits.length === 0) continue
          const [permit] = permits.splice(step.permit % permits.length, 1)
          const theirs = ref.run(ref.breaker.record({ key: 'k', generation: permit!.theirs, outcome: step.outcome, tripPolicy: trip, openFor: Duration.millis(openForMs) }))
          const ours = recordCircuit(row, now, { generation: permit!.ours, outcome: step.outcome, trip, openForMs })
          row = ours.row
          const transition = Exit.isSuccess(theirs) ? theirs.value : undefined
          const expected = transition === undefined ? 'none' : `${transition.from === 'Closed' ? 'closed' : 'halfopen'}-${transition.to === 'Open' ? 'open' : 'closed'}`
          expect(ours.answer).toBe(expected)
        }
      }),
      { numRuns: 300 },
    )
  })
})

type BucketStep = { readonly kind: 'advance'; readonly ms: number } | { readonly kind: 'take'; readonly tokens: number }

describe('the limiter transitions of the shared state', () => {
  const steps: fc.Arbitrary<BucketStep[]> = fc.array(
    fc.oneof(fc.integer({ min: 0, max: 700 }).map((ms) => ({ kind: 'advance' as const, ms })), fc.integer({ min: 1, max: 3 }).map((tokens) => ({ kind: 'take' as const, tokens }))),
    { maxLength: 60 },
  )
  const limits = fc.record({ limit: fc.integer({ min: 1, max: 6 }), refillRateMs: fc.integer({ min: 1, max: 500 }), capped: fc.boolean() })

  it("take from a fixed window as Effect's in-memory store does", () => {
    fc.assert(
      fc.property(limits, steps, ({ limit, refillRateMs, capped }, sequence) => {
        const ref = reference()
        let row: WindowRow | undefined
        for (const step of sequence) {
          if (step.kind === 'advance') {
            ref.advance(step.ms)
            continue
          }
          const call = { key: 'k', tokens: step.tokens, refillRate: Duration.millis(refillRateMs), limit: capped ? limit : undefined }
          const theirs = ref.run(ref.limiter.fixedWindow(call))
          const ours = takeFixedWindow(row, ref.now(), { tokens: step.tokens, refillRateMs, limit: call.limit })
          row = ours.row
          expect(Exit.isSuccess(theirs) && theirs.value).toEqual(ours.answer)
        }
      }),
      { numRuns: 300 },
    )
  })

  it("take from a token bucket as Effect's in-memory store does", () => {
    fc.assert(
      fc.property(limits, steps, ({ limit, refillRateMs, capped }, sequence) => {
        const ref = reference()
        let row: BucketRow | undefined
        for (const step of sequence) {
          if (step.kind === 'advance') {
            ref.advance(step.ms)
            continue
          }
          const call = { key: 'k', tokens: step.tokens, limit, refillRate: Duration.millis(refillRateMs), allowOverflow: !capped }
          const theirs = ref.run(ref.limiter.tokenBucket(call))
          const ours = takeTokenBucket(row, ref.now(), { tokens: step.tokens, limit, refillRateMs, allowOverflow: !capped })
          row = ours.row
          expect(Exit.isSuccess(theirs) && theirs.value).toEqual(ours.answer)
        }
      }),
      { numRuns: 300 },
    )
  })
})

describe("the in-memory tables' own rate limiter (the direct path's)", () => {
  const policies = fc.record({
    limit: fc.integer({ min: 1, max: 6 }),
    windowMs: fc.integer({ min: 1, max: 2_000 }),
    algorithm: fc.constantFrom('fixed-window' as const, 'token-bucket' as const),
    onLimit: fc.constantFrom('wait' as const, 'fail' as const),
  })
  const steps = fc.array(fc.oneof(fc.integer({ min: 0, max: 900 }).map((ms) => ({ kind: 'advance' as const, ms })), fc.constant({ kind: 'take' as const })), { maxLength: 60 })

  it("answers every take as Effect's RateLimiter does on the same tables: the same delay, or the same refusal", () => {
    fc.assert(
      fc.property(policies, steps, (options, sequence) => {
        const policy: RateLimitPolicy = { name: 'partner', ...options }
        let now = 1_000_000
        const clock = fixedClock(() => now)
        const effectTables = new MemoryPolicyTables()
        const limiter = Effect.runSync(Effect.provideService(RateLimiter.make, RateLimiter.RateLimiterStore, memoryLimiterStore(effectTables)))
        const direct = new MemoryPolicyTables()
        for (const step of sequence) {
          if (step.kind === 'advance') {
            now += step.ms
            continue
          }
          const consume = limiter.consume({ key: policy.name, limit: policy.limit, window: Duration.millis(policy.windowMs), algorithm: policy.algorithm, onExceeded: policy.onLimit === 'wait' ? 'delay' : 'fail' })
          const theirs = Effect.runSyncExit(Effect.provideService(consume, Clock.Clock, clock))
          let ours: { delayMs: number } | { retryAfterMs: number }
          try {
            ours = { delayMs: direct.consume(policy, now) }
          } catch (error) {
            expect(error).toBeInstanceOf(RateLimitedError)
            ours = { retryAfterMs: (error as RateLimitedError).retryAfterMs }
          }
          if (Exit.isSuccess(theirs)) expect(ours).toEqual({ delayMs: Duration.toMillis(theirs.value.delay) })
          else {
            const reason = (Exit.findErrorOption(theirs) as { value?: RateLimiter.RateLimiterError }).value?.reason
            expect(reason?._tag).toBe('RateLimitExceeded')
            if (reason?._tag === 'RateLimitExceeded') expect(ours).toEqual({ retryAfterMs: Duration.toMillis(reason.retryAfter) })
          }
        }
      }),
      { numRuns: 300 },
    )
  })
})
