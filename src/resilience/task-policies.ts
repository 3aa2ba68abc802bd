import { Effect } from 'effect'
import { hasAnyPolicy, policyOf, type PolicyKind } from '../graph/policy-kinds.js'
import type { TaskNode } from '../graph/workflow-graph.js'
import type { AttemptFailure } from './attempt-failure.js'
import { Bulkheads } from './bulkheads.js'
import { CircuitBreakers, type BreakerListener } from './circuit-breakers.js'
import { compositionOrder, policyWrappers, type Attempt, type PolicyState, type PolicyWrapper, type WrapContext } from './policy-wrappers.js'
import type { PolicyServices } from './policy-services.js'
import type { RetryListener } from './retry.js'
import { TaskCaches } from './task-caches.js'

export { makePolicyServices, type PolicyServices } from './policy-services.js'

/** What the policy runner reports while it runs a task. */
export interface PolicyHooks {
  /** An attempt begins (n from 1). */
  onAttempt(n: number): void
  /** An attempt failed and another follows after a delay. */
  onRetry: RetryListener
}

/**
 * The shared state behind an engine's task policies (circuits, bulkheads,
 * caches) and the one place that composes them around a task body, in the
 * order `compositionOrder` gives:
 *
 * `cache( retry( rateLimit( bulkhead( breaker( timeout( attempt ))))))`
 *
 * A cache hit skips everything; each retry attempt takes a rate-limit token
 * and a bulkhead slot, passes the breaker (which sees one outcome per
 * attempt) and has its own timeout.
 */
export class TaskPolicyRunner {
  private readonly state: PolicyState

  constructor(onBreakerTransition: BreakerListener) {
    this.state = { breakers: new CircuitBreakers(onBreakerTransition), bulkheads: new Bulkheads(), caches: new TaskCaches() }
  }

  /**
   * Wraps the attempts of `task` (`attempt(n)`, n from 1) in its policies.
   * `hooks.onAttempt(n)` is told of every attempt, including one a breaker,
   * bulkhead or rate limit rejects before the body runs.
   */
  run<A>(
    task: TaskNode,
    args: readonly unknown[],
    attempt: (n: number) => Effect.Effect<A, AttemptFailure>,
    hooks: PolicyHooks,
  ): Effect.Effect<A, AttemptFailure, PolicyServices> {
    const context: WrapContext = { task, args, state: this.state, onRetry: hooks.onRetry }
    const guarded = wrapAll(compositionOrder.perAttempt, attempt, context)
    const reported: Attempt<A> = (n) => {
      hooks.onAttempt(n)
      return guarded(n)
    }
    const whole = wrapAll(compositionOrder.perTask, reported, context)
    return Effect.suspend(() => whole(1))
  }

  /** Whether a task has any policy (tasks without one take a faster path). */
  static hasPolicies(task: TaskNode): boolean {
    return hasAnyPolicy(task.policies)
  }
}

/** Wraps `inner` in each of `kinds` the task has, the first innermost. */
function wrapAll<A>(kinds: readonly PolicyKind[], inner: Attempt<A>, context: WrapContext): Attempt<A> {
  let wrapped = inner
  for (const kind of kinds) wrapped = wrapKind(kind, wrapped, context)
  return wrapped
}

function wrapKind<K extends PolicyKind, A>(kind: K, inner: Attempt<A>, context: WrapContext): Attempt<A> {
  const policy = policyOf(context.task.policies, kind)
  if (policy === undefined) return inner
  const wrapper: PolicyWrapper<K> = policyWrappers[kind]
  return wrapper.wrap(policy, inner, context)
}
