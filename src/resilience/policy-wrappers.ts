import { Effect } from 'effect'
import type { PolicyKind, PolicyOf } from '../graph/policy-kinds.js'
import type { Dependency, TaskPolicies } from '../graph/workflow-graph.js'
import type { AttemptFailure } from './attempt-failure.js'
import type { Bulkheads } from './bulkheads.js'
import type { CircuitBreakers } from './circuit-breakers.js'
import type { PolicyServices } from './policy-services.js'
import { withRateLimit } from './rate-limiters.js'
import type { RecoveryListener, RecoveryStats } from './recovery/recovery-stats.js'
import { withRecovery, type FallbackRunner } from './recovery/with-recovery.js'
import { withRetry, type RetryListener } from './retry.js'
import type { TaskCaches } from './task-caches.js'
import { withTimeout } from './timeout.js'

/** One attempt of a task (n from 1), or, once wrapped in a task-wide policy, all of them; it fails only with an {@link AttemptFailure}. */
export type Attempt<A> = (n: number) => Effect.Effect<A, AttemptFailure, PolicyServices>

/** The engine-wide state policies share across runs: circuits, bulkheads, caches. */
export interface PolicyState {
  readonly breakers: CircuitBreakers
  readonly bulkheads: Bulkheads
  readonly caches: TaskCaches
  /** The counters of `@Recover` (the `recovery` section of `engine.stats()`). */
  readonly recovery: RecoveryStats
}

/** What policies guard: a task (a `TaskNode`), or an adapter's operation; its name is the one errors print. */
export interface PolicyTarget {
  readonly name: string
  readonly policies: TaskPolicies
  /** A task's dependencies (a `TaskNode` has them): a `@Recover` fallback to a dependency reads its output from the argument in that position. */
  readonly dependsOn?: readonly Dependency[]
}

/** What a wrapper may use besides its policy: the task, its arguments, the shared state. */
export interface WrapContext {
  readonly task: PolicyTarget
  readonly args: readonly unknown[]
  readonly state: PolicyState
  readonly onRetry: RetryListener
  /** Told of each failed attempt `@Recover` classifies (the runtime reports it as `task.error-classified`). */
  readonly onRecovery?: RecoveryListener | undefined
  /** Runs a `@Recover` `fallbackWith` fallback (the runtime's: it holds the workflow instance). */
  readonly runFallback?: FallbackRunner | undefined
}

/** How the runtime applies one policy kind around a task's attempts. */
export interface PolicyWrapper<K extends PolicyKind> {
  /** Wraps `inner` (an attempt, or attempts already wrapped by the kinds inside this one). */
  wrap<A>(policy: PolicyOf<K>, inner: Attempt<A>, context: WrapContext): Attempt<A>
}

/**
 * The runtime wrapper of every policy kind, keyed by the graph's kinds: a kind
 * without a wrapper fails to compile here.
 */
export const policyWrappers: { readonly [K in PolicyKind]: PolicyWrapper<K> } = {
  timeout: { wrap: (ms, inner, { task }) => (n) => withTimeout(inner(n), ms, task.name) },
  circuitBreaker: { wrap: (policy, inner, { state }) => (n) => state.breakers.guard(policy, inner(n)) },
  bulkhead: { wrap: (policy, inner, { state }) => (n) => state.bulkheads.run(policy, inner(n)) },
  rateLimit: { wrap: (policy, inner) => (n) => withRateLimit(policy, inner(n)) },
  // Under `@Recover`, retries are its own (per error class; `@Retry` is the default schedule): see `withRecovery`.
  retry: { wrap: (policy, inner, { task, onRetry }) => (task.policies.recover === undefined ? () => withRetry(inner, policy, task.name, onRetry) : inner) },
  recover: {
    wrap: (policy, inner, { task, args, state, onRetry, onRecovery, runFallback }) =>
      withRecovery(inner, policy, { task, args, breakers: state.breakers, stats: state.recovery, onRetry, onRecovery, runFallback }),
  },
  cache: {
    wrap: (policy, inner, { args, state }) => (n) =>
      Effect.flatMap(Effect.context<PolicyServices>(), (services) => state.caches.get(policy, args, Effect.provideContext(inner(n), services))),
  },
}

/**
 * The order policies are composed in, innermost first, in two stages:
 * `recover( cache( retry( rateLimit( bulkhead( breaker( timeout( attempt )))))))`.
 *
 * - `perAttempt` wrap every attempt: each retry takes a rate-limit token and a
 *   bulkhead slot, passes the breaker (which sees one outcome per attempt) and
 *   has its own timeout. The runner reports each attempt just outside them, so
 *   one they reject before the body runs is still an attempt.
 * - `perTask` wrap all attempts together: a cache hit skips everything
 *   else; `recover` classifies each failed attempt and decides its retry
 *   (with `@Recover`, `retry` steps aside and `@Retry` is recovery's default
 *   schedule). It sits outside the cache so that a fallback, a degraded
 *   answer, is never cached as the task's result.
 */
export const compositionOrder = {
  perAttempt: ['timeout', 'circuitBreaker', 'bulkhead', 'rateLimit'],
  perTask: ['retry', 'cache', 'recover'],
} as const satisfies { readonly perAttempt: readonly PolicyKind[]; readonly perTask: readonly PolicyKind[] }

/** A kind left out of {@link compositionOrder} fails to compile here, naming it. */
type Unordered = Exclude<PolicyKind, (typeof compositionOrder)['perAttempt' | 'perTask'][number]>
const everyKindIsComposed: [Unordered] extends [never] ? true : Unordered = true
void everyKindIsComposed
