// What a store of circuits and buckets kept in rows (Weft's in-memory tables,
// PostgreSQL) answers through Effect's store interfaces, from the answers of
// the pure transitions (policy-transitions.ts): one translation for both.
import { Duration, Effect } from 'effect'
import { CircuitBreaker as EffectBreaker, RateLimiter } from 'effect/persistence'
import { circuitState, type AdmitAnswer, type CircuitRow, type RecordAnswer } from './policy-transitions.js'

/** An admission as `CircuitBreakerStore.admit` answers it: admitted, or refused while open or probing. */
export function admissionOf(key: string, answer: AdmitAnswer): Effect.Effect<EffectBreaker.Admission, EffectBreaker.CircuitBreakerError> {
  if (answer._tag === 'open') return Effect.fail(new EffectBreaker.CircuitBreakerError({ reason: new EffectBreaker.CircuitOpen({ key, retryAfter: Duration.millis(answer.retryAfterMs) }) }))
  if (answer._tag === 'halfopen') return Effect.fail(new EffectBreaker.CircuitBreakerError({ reason: new EffectBreaker.CircuitHalfOpen({ key }) }))
  const transition = answer.movedToHalfOpen ? ({ key, from: 'Open', to: 'HalfOpen' } as const) : undefined
  return Effect.succeed({ generation: answer.generation, probe: answer.probe, consecutiveOpenings: answer.consecutiveOpenings, transition })
}

/** The transition a recorded outcome caused, as `CircuitBreakerStore.record` answers it. */
export function transitionOf(key: string, answer: RecordAnswer, openForMs: number, consecutiveOpenings: number): EffectBreaker.Transition | undefined {
  if (answer === 'closed-open' || answer === 'halfopen-open') {
    return { key, from: answer === 'closed-open' ? 'Closed' : 'HalfOpen', to: 'Open', retryAfter: Duration.millis(openForMs), consecutiveOpenings }
  }
  return answer === 'halfopen-closed' ? { key, from: 'HalfOpen', to: 'Closed' } : undefined
}

/** A circuit's state as `CircuitBreakerStore.state` answers it. */
export function stateOf(key: string, row: CircuitRow | undefined, now: number): EffectBreaker.State {
  const { state, retryAfterMs, openings, probing } = circuitState(row, now)
  if (state === 'Open') return { _tag: 'Open', key, retryAfter: Duration.millis(retryAfterMs), consecutiveOpenings: openings }
  if (state === 'HalfOpen') return { _tag: 'HalfOpen', key, probing, consecutiveOpenings: openings }
  return { _tag: 'Closed', key }
}

/** Weft's limiters do not use Effect's adaptive limits: with no adaptive state a store answers "inactive", as Effect's own stores do. */
export const noAdaptiveLimits: Pick<RateLimiter.RateLimiterStore['Service'], 'adaptiveConsume' | 'adaptiveFeedback'> = {
  adaptiveConsume: () => Effect.succeed({ delay: Duration.zero, epoch: 0, phase: 'inactive' as const }),
  adaptiveFeedback: () => Effect.void,
}
