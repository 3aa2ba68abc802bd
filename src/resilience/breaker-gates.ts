import { Context, Duration, Effect, Exit, type Scope } from 'effect'
import { CircuitBreaker as EffectBreaker } from 'effect/persistence'
import type { CircuitBreakerPolicy } from '../graph/workflow-graph.js'
import type { MemoryPolicyTables } from './memory-policy-state.js'
import type { TripRule } from './policy-transitions.js'

/** A circuit state as Weft reports it. */
type State = 'closed' | 'open' | 'half-open'

/** Weft's name of each of Effect's circuit states. */
export const stateName = { Closed: 'closed', Open: 'open', HalfOpen: 'half-open' } as const

/** One circuit of a breaker, for the direct path: its store key, trip rule and state listener. */
export interface CircuitPart {
  readonly key: string
  readonly trip: EffectBreaker.TripPolicy
  readonly changed: (state: State) => void
}

/** What a call admitted through closed circuits holds until its outcome is recorded: the generation of its circuit (of each, outermost first, for a breaker of two). */
export type ClosedAdmission = number | readonly number[]

/** How a call admitted through closed circuits ended, for the breaker (as `execute` classifies it). */
export type ClosedOutcome = 'Success' | 'Failure' | 'Ignored'

/**
 * A breaker as the direct path uses it, resolved once per breaker: admits a
 * call while its circuits are all closed (`undefined` when one is not: the
 * call then goes through the Effect circuit) and records the call's outcome
 * with the store operations `execute` makes (admit, then record with the same
 * open duration), a trip reported to the listener at once.
 */
export interface BreakerGate {
  /** Admits a call at `now` (epoch milliseconds; a store with a clock of its own reads that). */
  admit(now: number): ClosedAdmission | undefined
  /** Records the outcome of a call `admit` admitted. */
  settle(admission: ClosedAdmission, outcome: ClosedOutcome): void
}

/** The open duration a recorded outcome carries: 0 where it cannot open the circuit. */
function openForMs(policy: CircuitBreakerPolicy, part: CircuitPart, outcome: ClosedOutcome): number {
  return outcome === 'Ignored' || (outcome === 'Success' && part.trip._tag === 'Consecutive') ? 0 : policy.halfOpenAfterMs
}

/**
 * The gate of a breaker on Weft's in-memory tables: synchronous operations,
 * no Effect run; a breaker of one circuit admits a call without allocating.
 */
export function tablesGate(tables: MemoryPolicyTables, policy: CircuitBreakerPolicy, parts: readonly CircuitPart[]): BreakerGate {
  const [outer, inner] = parts
  return {
    admit: (now) => {
      const first = tables.admitIfClosed(outer!.key, now)
      if (first === undefined || inner === undefined) return first
      const second = tables.admitIfClosed(inner.key, now)
      // The outer circuit's admission of a closed circuit changed nothing: leaving it unrecorded is harmless.
      return second === undefined ? undefined : [first, second]
    },
    settle: (admission, outcome) => {
      for (let i = parts.length - 1; i >= 0; i--) {
        const part = parts[i]!
        const generation = typeof admission === 'number' ? admission : admission[i]!
        const answer = tables.recordOutcome(part.key, generation, outcome, part.trip as TripRule, openForMs(policy, part, outcome))
        if (answer !== 'none') part.changed(answer.endsWith('-open') ? 'open' : 'closed')
      }
    },
  }
}

/**
 * The gate of a breaker on another store that answers synchronously: one
 * Effect run per circuit and operation, each run costing a fiber (admitting
 * only when closed: a closed circuit admits without a transition or a probe).
 */
export function storeGate(services: Context.Context<EffectBreaker.CircuitBreakerStore | Scope.Scope>, policy: CircuitBreakerPolicy, parts: readonly CircuitPart[]): BreakerGate {
  const store = Context.get(services, EffectBreaker.CircuitBreakerStore)
  const run = Effect.runSyncExitWith(services)
  const admitIfClosed = (key: string) =>
    Effect.flatMap(store.state(key), (state) => (state._tag === 'Closed' ? Effect.map(store.admit(key), (admission) => admission.generation) : Effect.succeed(undefined)))
  return {
    admit: () => {
      const generations: number[] = []
      for (const part of parts) {
        const admitted = run(admitIfClosed(part.key))
        // An outer circuit already admitted (two trip rules, the inner one not closed): its admission is left unrecorded, as `execute` leaves one on a store error.
        if (!Exit.isSuccess(admitted) || admitted.value === undefined) return undefined
        generations.push(admitted.value)
      }
      return generations
    },
    settle: (admission, outcome) => {
      for (let i = parts.length - 1; i >= 0; i--) {
        const part = parts[i]!
        const generation = typeof admission === 'number' ? admission : admission[i]!
        const recorded = run(store.record({ key: part.key, generation, outcome, tripPolicy: part.trip, openFor: Duration.millis(openForMs(policy, part, outcome)) }))
        if (Exit.isSuccess(recorded) && recorded.value !== undefined) part.changed(stateName[recorded.value.to])
      }
    },
  }
}
