import { Effect, type Context } from 'effect'
import { hasAnyPolicy, policyOf, type PolicyKind, type PolicyOf } from '../graph/policy-kinds.js'
import type { TaskPolicies } from '../graph/workflow-graph.js'
import type { AttemptFailure } from './attempt-failure.js'
import { Bulkheads } from './bulkheads.js'
import { CircuitBreakers, type BreakerListener } from './circuit-breakers.js'
import { DirectPolicies } from './direct-policies.js'
import { compositionOrder, policyWrappers, type Attempt, type PolicyState, type PolicyTarget, type PolicyWrapper, type WrapContext } from './policy-wrappers.js'
import type { PolicyServices } from './policy-services.js'
import { RecoveryStats, type RecoveryListener } from './recovery/recovery-stats.js'
import type { FallbackRunner } from './recovery/with-recovery.js'
import type { RetryListener } from './retry.js'
import { TaskCaches } from './task-caches.js'

export { makePolicyServices, type PolicyServices } from './policy-services.js'

/** What the policy runner reports while it runs a task. */
export interface PolicyHooks {
  /** An attempt begins (n from 1). */
  onAttempt(n: number): void
  /** An attempt failed and another follows after a delay. */
  onRetry: RetryListener
  /** Under `@Recover`: a failed attempt was classified and met by its strategy (told only on failures). */
  onRecovery?: RecoveryListener
  /** Under `@Recover`: runs a `fallbackWith` fallback (asked only when a class's strategy falls back to one). */
  runFallback?: FallbackRunner
}

/**
 * The shared state behind an engine's task policies (circuits, bulkheads,
 * caches) and the one place that composes them around a task body, in the
 * order `compositionOrder` gives:
 *
 * `recover( cache( retry( rateLimit( bulkhead( breaker( timeout( attempt )))))))`
 *
 * A cache hit skips everything but `@Recover` (which only acts on failures); each retry attempt takes a rate-limit token
 * and a bulkhead slot, passes the breaker (which sees one outcome per
 * attempt) and has its own timeout.
 */
export class TaskPolicyRunner {
  private readonly state: PolicyState

  /** `recovery` counts what `@Recover` meets (one per engine: `engine.stats().recovery`). */
  constructor(onBreakerTransition: BreakerListener, recovery: RecoveryStats = new RecoveryStats()) {
    this.state = { breakers: new CircuitBreakers(onBreakerTransition), bulkheads: new Bulkheads(), caches: new TaskCaches(), recovery }
  }

  /**
   * Wraps the attempts of `task` (`attempt(n)`, n from 1) in its policies.
   * `hooks.onAttempt(n)` is told of every attempt, including one a breaker,
   * bulkhead or rate limit rejects before the body runs.
   */
  run<A>(
    task: PolicyTarget,
    args: readonly unknown[],
    attempt: (n: number) => Effect.Effect<A, AttemptFailure>,
    hooks: PolicyHooks,
  ): Effect.Effect<A, AttemptFailure, PolicyServices> {
    const context: WrapContext = { task, args, state: this.state, onRetry: hooks.onRetry, onRecovery: hooks.onRecovery, runFallback: hooks.runFallback }
    const plan = planOf(task.policies)
    const guarded = wrapAll(plan.perAttempt, attempt, context)
    const reported: Attempt<A> = (n) => {
      hooks.onAttempt(n)
      return guarded(n)
    }
    // A task-wide wrapper builds its attempts lazily; without one, suspend so the attempt is reported when run.
    if (plan.perTask.length === 0) return Effect.suspend(() => reported(1))
    return wrapAll(plan.perTask, reported, context)(1)
  }

  /**
   * Attempt `n` of `task` under its per-attempt policies except the rate
   * limit (bulkhead, breaker, timeout): what {@link DirectPolicies} runs
   * through Effect when one of them has to act.
   */
  attemptWithoutRateLimit<A>(task: PolicyTarget, attempt: (n: number) => Effect.Effect<A, AttemptFailure>, n: number): Effect.Effect<A, AttemptFailure, PolicyServices> {
    const context: WrapContext = { task, args: [], state: this.state, onRetry: () => undefined }
    return Effect.suspend(() => wrapAll(planOf(task.policies).perAttemptUnlimited, attempt, context)(n))
  }

  /** The direct (Effect-free while no policy acts) runner of `task`'s policies, or `undefined` when they need Effect; see {@link DirectPolicies}. */
  direct(task: PolicyTarget, services: Context.Context<PolicyServices>): DirectPolicies | undefined {
    return DirectPolicies.of(task, this.state, services)
  }

  /** Whether a task has any policy (tasks without one take a faster path). */
  static hasPolicies(task: PolicyTarget): boolean {
    return hasAnyPolicy(task.policies)
  }
}

/** One policy of a task, ready to wrap attempts. */
type Step = <A>(inner: Attempt<A>, context: WrapContext) => Attempt<A>

/** The steps of a task's policies, innermost first, per stage of {@link compositionOrder}. */
interface Plan {
  readonly perAttempt: readonly Step[]
  /** `perAttempt` without the rate limit. */
  readonly perAttemptUnlimited: readonly Step[]
  readonly perTask: readonly Step[]
}

/** Plans by compiled policies (frozen with their task node): worked out once per task, not per call. */
const plans = new WeakMap<TaskPolicies, Plan>()

function planOf(policies: TaskPolicies): Plan {
  let plan = plans.get(policies)
  if (plan === undefined) {
    plan = {
      perAttempt: stepsOf(compositionOrder.perAttempt, policies),
      perAttemptUnlimited: stepsOf(
        compositionOrder.perAttempt.filter((kind) => kind !== 'rateLimit'),
        policies,
      ),
      perTask: stepsOf(compositionOrder.perTask, policies),
    }
    plans.set(policies, plan)
  }
  return plan
}

function stepsOf(kinds: readonly PolicyKind[], policies: TaskPolicies): Step[] {
  return kinds.flatMap((kind) => {
    const policy = policyOf(policies, kind)
    return policy === undefined ? [] : [stepFor(kind, policy)]
  })
}

function stepFor<K extends PolicyKind>(kind: K, policy: PolicyOf<K>): Step {
  const wrapper: PolicyWrapper<K> = policyWrappers[kind]
  return (inner, context) => wrapper.wrap(policy, inner, context)
}

/** Wraps `inner` in each step, the first innermost. */
function wrapAll<A>(steps: readonly Step[], inner: Attempt<A>, context: WrapContext): Attempt<A> {
  let wrapped = inner
  for (const step of steps) wrapped = step(wrapped, context)
  return wrapped
}
