import { Context, Duration, Effect, Exit, Stream } from 'effect'
import { CircuitBreaker as EffectBreaker } from 'effect/persistence'
import type { Scope } from 'effect'
import { CircuitOpenError, StorageError } from '../core/errors.js'
import type { CircuitBreakerPolicy } from '../graph/workflow-graph.js'
import { stateName, storeGate, tablesGate, type BreakerGate, type CircuitPart } from './breaker-gates.js'
import { memoryTablesOf } from './memory-policy-state.js'

/**
 * A circuit state as Weft reports it.
 *
 * @example
 * ```ts
 * import type { CircuitState } from 'weft-sdk'
 * const canCall = (state: CircuitState): boolean => state !== 'open' // half-open lets one trial call through
 * ```
 */
export type CircuitState = 'closed' | 'open' | 'half-open'

/** Called when a circuit changes state. */
export type BreakerListener = (breaker: string, from: CircuitState, to: CircuitState) => void

type Services = EffectBreaker.CircuitBreakerStore | Scope.Scope

/** How a circuit refuses a call: open (or probing), or its shared state could not be read. */
export type BreakerFailure = CircuitOpenError | StorageError

/** A call guarded by one breaker's circuits. */
type Circuit = (call: Effect.Effect<unknown, unknown>) => Effect.Effect<unknown, unknown>

/**
 * The engine's circuit breakers, one per name, built on Effect's
 * `CircuitBreaker` (which gives exactly one probe when half-open and ignores
 * outcomes of calls admitted before a trip). A policy with both a
 * consecutive-failure and a failure-rate trip guards the call with two
 * circuits, so either trip opens it.
 */
export class CircuitBreakers {
  private readonly breakers = new Map<string, Effect.Effect<Circuit, never, Services>>()
  /** Circuits already built, by name: a call through one skips the cached build (an Effect step per attempt). */
  private readonly built = new Map<string, Circuit>()
  /** What the direct path needs of each breaker's circuits (outermost first). */
  private readonly parts = new Map<string, readonly CircuitPart[]>()

  constructor(private readonly onTransition: BreakerListener) {}

  /** Runs `call` through the named circuit: it fails as `call` does, or with the circuit's refusal. */
  guard<A, E, R>(policy: CircuitBreakerPolicy, call: Effect.Effect<A, E, R>): Effect.Effect<A, E | BreakerFailure, R | Services> {
    // A circuit is shared by tasks of every output type: it is typed for unknown values and errors, and gives back what it was given.
    const untyped = call as Effect.Effect<unknown, unknown>
    const built = this.built.get(policy.name)
    const guarded = built !== undefined ? built(untyped) : Effect.flatMap(this.breakerFor(policy), (circuit) => (this.built.set(policy.name, circuit), circuit(untyped)))
    return guarded as Effect.Effect<A, E | BreakerFailure, R | Services>
  }

  /**
   * The direct path's gate of a breaker (see {@link BreakerGate}): admits
   * calls while its circuits are all closed, without running Effect on
   * Weft's in-memory tables. `undefined` until the breaker's circuits are
   * built (its first call goes through {@link guard}). Only for stores that
   * answer synchronously.
   */
  gateOf(policy: CircuitBreakerPolicy, services: Context.Context<Services>): BreakerGate | undefined {
    const parts = this.parts.get(policy.name)
    if (parts === undefined || !this.built.has(policy.name)) return undefined
    const tables = memoryTablesOf(Context.get(services, EffectBreaker.CircuitBreakerStore))
    return tables !== undefined ? tablesGate(tables, policy, parts) : storeGate(services, policy, parts)
  }

  private breakerFor(policy: CircuitBreakerPolicy) {
    let breaker = this.breakers.get(policy.name)
    if (breaker === undefined) {
      breaker = Effect.cached(this.makeGuard(policy)).pipe(Effect.runSync)
      this.breakers.set(policy.name, breaker)
    }
    return breaker
  }

  private makeGuard(policy: CircuitBreakerPolicy) {
    const trips = tripPoliciesOf(policy)
    const combined = new CombinedState(trips.length, (from, to) => this.onTransition(policy.name, from, to))
    const parts = trips.map((trip, i) => ({ key: circuitKey(policy, trip), trip, changed: (state: CircuitState) => combined.set(i, state) }))
    this.parts.set(policy.name, parts.toReversed())
    return Effect.map(Effect.forEach(parts, (part) => this.makeCircuit(policy, part.trip, part.changed)), (circuits) =>
      circuits.reduce(
        (inner, circuit) => (call: Effect.Effect<unknown, unknown>) => circuit(inner(call)),
        (call: Effect.Effect<unknown, unknown>) => call,
      ),
    )
  }

  private makeCircuit(policy: CircuitBreakerPolicy, tripPolicy: EffectBreaker.TripPolicy, changed: (state: CircuitState) => void) {
    const key = `${policy.name}:${tripPolicy._tag}`
    return Effect.gen(function* () {
      const breaker = yield* EffectBreaker.make({ tripPolicy, openDuration: Duration.millis(policy.halfOpenAfterMs) })
      const report = Stream.runForEach(breaker.transitions, (t) => Effect.sync(() => changed(stateName[t.to])))
      // Subscribe before the first call can trip the circuit.
      yield* Effect.forkScoped(report, { startImmediately: true })
      yield* Effect.yieldNow
      return (call: Effect.Effect<unknown, unknown>) =>
        breaker.execute(call, { key, classify: classifyOutcome }).pipe(Effect.mapError((error) => toWeftError(policy.name, error)))
    })
  }
}

/** The trip rules of a breaker: one circuit each. */
function tripPoliciesOf(policy: CircuitBreakerPolicy): EffectBreaker.TripPolicy[] {
  const trips: EffectBreaker.TripPolicy[] = []
  if (policy.consecutiveFailures !== undefined) trips.push(EffectBreaker.consecutive(policy.consecutiveFailures))
  if (policy.failureRate !== undefined) trips.push(EffectBreaker.rate({ ...policy.failureRate, size: policy.failureRate.window }))
  return trips
}

/** The store key of one circuit of a breaker. */
function circuitKey(policy: CircuitBreakerPolicy, trip: EffectBreaker.TripPolicy): string {
  return `${policy.name}:${trip._tag}`
}

/**
 * A breaker's state as its store holds it now: open if a circuit is open,
 * half-open if one is, else closed. For stores shared by several processes,
 * where another process may have tripped the breaker; a store that cannot be
 * read reports the breaker closed (calls would go through).
 */
export function readBreakerState(policy: CircuitBreakerPolicy): Effect.Effect<CircuitState, never, EffectBreaker.CircuitBreakerStore> {
  return Effect.flatMap(Effect.service(EffectBreaker.CircuitBreakerStore), (store) =>
    Effect.map(
      Effect.forEach(tripPoliciesOf(policy), (trip) => Effect.orElseSucceed(Effect.map(store.state(circuitKey(policy, trip)), (state) => stateName[state._tag]), () => 'closed' as const)),
      (states) => (states.includes('open') ? 'open' : states.includes('half-open') ? 'half-open' : 'closed'),
    ),
  )
}

/**
 * A success counts for the dependency, a failure against it. An interrupted
 * call says nothing, and neither does a call an inner circuit rejected (when a
 * breaker has two trip rules, the outer circuit must not count the inner one's
 * rejections as failures of the dependency).
 */
function classifyOutcome(exit: Exit.Exit<unknown, unknown>): EffectBreaker.Outcome {
  if (Exit.isSuccess(exit)) return EffectBreaker.success
  if (Exit.hasInterrupts(exit) && !Exit.hasFails(exit)) return EffectBreaker.ignored
  const rejected = exit.cause.reasons.some((r) => r._tag === 'Fail' && r.error instanceof CircuitOpenError)
  return rejected ? EffectBreaker.ignored : EffectBreaker.failure()
}

/**
 * The state of a breaker made of several circuits (one per trip rule), as one
 * state: open if any circuit is open, half-open if any probes, else closed.
 * Reports only changes of that combined state, so listeners see one sequence.
 */
class CombinedState {
  private readonly states: CircuitState[]
  private current: CircuitState = 'closed'

  constructor(
    circuits: number,
    private readonly onChange: (from: CircuitState, to: CircuitState) => void,
  ) {
    this.states = Array.from({ length: circuits }, () => 'closed' as const)
  }

  set(circuit: number, state: CircuitState): void {
    this.states[circuit] = state
    const next = this.states.includes('open') ? 'open' : this.states.includes('half-open') ? 'half-open' : 'closed'
    if (next === this.current) return
    const from = this.current
    this.current = next
    this.onChange(from, next)
  }
}

function toWeftError(name: string, error: unknown): unknown {
  if (!(error instanceof EffectBreaker.CircuitBreakerError)) return error
  const { reason } = error
  if (reason._tag === 'CircuitOpen') return new CircuitOpenError(name, 'open', Duration.toMillis(reason.retryAfter))
  if (reason._tag === 'CircuitHalfOpen') return new CircuitOpenError(name, 'half-open', undefined)
  return new StorageError('connection-lost', `circuit breaker "${name}": its state could not be read or written (is the policy state's server reachable?)`, { cause: error })
}
