import type { Duration } from '../core/duration.js'
import { InvalidOptionsError } from '../core/errors.js'
import type { LoopOptions } from '../graph/policy-options.js'
import type { ArgumentsCheck, LoopCheck, OnFailureCheck, Verdict } from '../graph/type-level.js'
import type { TaskCondition } from '../graph/workflow-graph.js'
import { methodFacts, setOnce } from './metadata.js'

/**
 * Runs a task only when `condition` holds. The condition receives the task's
 * own arguments (its dependencies' outputs, or the input for a root task). A
 * skipped task's dependents are skipped too, unless they declared it optional.
 *
 * @example
 * ```ts
 * import { Workflow, WorkflowBase, Task, DependsOn, When } from 'weft'
 * interface Scored { score: number }
 *
 * @Workflow({ name: 'quality', version: 1 })
 * class Quality extends WorkflowBase<Scored> {
 *   @Task() check(input: Scored): Scored { return input }
 *
 *   @Task() @DependsOn('check') @When((q: Scored) => q.score > 0.8)
 *   premium(q: Scored) { return 'premium' }
 * }
 * ```
 */
export function When<const A extends readonly unknown[]>(condition: (...args: A) => boolean | PromiseLike<boolean>) {
  if (typeof condition !== 'function') throw new InvalidOptionsError(`@When takes a function, got ${typeof condition}`)
  return <T extends object, K extends string, M>(
    target: T,
    key: K,
    descriptor: TypedPropertyDescriptor<M> & Verdict<ArgumentsCheck<'@When', K, A, M>>,
  ): void => {
    void descriptor
    setOnce(target, key, '@When', 'when', condition as unknown as TaskCondition)
  }
}

/**
 * Makes the method a failure handler of `task`: it runs only if that task
 * failed (after its retries), and receives a `TaskFailure`. The failure then
 * counts as handled: running siblings are not interrupted and the run can
 * still complete; dependents of the failed task are skipped (or receive
 * `undefined` when optional). Rethrow from the handler to fail the run after
 * compensating.
 *
 * @example
 * ```ts
 * import { Workflow, WorkflowBase, Task, OnFailure, type TaskFailure } from 'weft'
 *
 * @Workflow({ name: 'pay', version: 1 })
 * class Pay extends WorkflowBase<{ amount: number }> {
 *   @Task() charge(input: { amount: number }): number { throw new Error('declined') }
 *
 *   @Task() @OnFailure('charge')
 *   refund(failure: TaskFailure) { return `compensated: ${failure.message}` }
 * }
 * ```
 */
export function OnFailure<const Target extends string>(task: Target) {
  if (typeof task !== 'string' || task === '') throw new InvalidOptionsError(`@OnFailure takes a task name, got ${JSON.stringify(task)}`)
  return <T extends object, K extends string, M>(
    target: T,
    key: K,
    descriptor: TypedPropertyDescriptor<M> & Verdict<OnFailureCheck<T, K, Target, M>>,
  ): void => {
    void descriptor
    const facts = methodFacts(target, key, '@OnFailure')
    facts.kinds.add('on-failure')
    facts.handles = task
  }
}

/** Options of {@link Always}. */
export interface AlwaysOptions {
  /**
   * How long the cleanup may run before it fails with `TaskTimeoutError` (its
   * signal fires). A cleanup cannot keep a run from ending: a first cancel
   * lets it run under this limit, a second cancel aborts it.
   * @defaultValue `'1 m'` (`defaultCleanupTimeout`)
   */
  readonly timeout?: Duration
}

/**
 * Marks a cleanup task that runs whatever happens to the run: after success,
 * after a failure, and after cancellation. Without dependencies it runs once
 * every other task is finished and receives the input; its dependencies, if
 * any, must be optional since they may have failed. It runs under a time
 * limit (`timeout`, one minute unless given), so a cleanup that never
 * settles cannot keep its run from ending.
 *
 * @example
 * ```ts
 * import { Workflow, WorkflowBase, Task, Always } from 'weft'
 *
 * @Workflow({ name: 'tmp', version: 1 })
 * class Tmp extends WorkflowBase<{ dir: string }> {
 *   @Task() work(input: { dir: string }) { return 1 }
 *   @Task() @Always({ timeout: '10 s' }) cleanUp(input: { dir: string }) { return `removed ${input.dir}` }
 * }
 * ```
 */
export function Always(options: AlwaysOptions = {}) {
  return (target: object, key: string, descriptor: PropertyDescriptor): void => {
    void descriptor
    methodFacts(target, key, '@Always').kinds.add('always')
    if (options.timeout !== undefined) setOnce(target, key, '@Always', 'cleanupTimeout', options.timeout)
  }
}

/**
 * Repeats a task while `while(state, iteration)` holds, at most
 * `maxIterations` times. The method is the loop body: it receives the state
 * (first the dependency's output, or the input for a root task, then what the
 * previous iteration returned) and a `LoopContext`, and returns the next
 * state. Each iteration is checkpointed. The task's output is a `LoopResult`:
 * iteration results, final state, and whether the cap was hit.
 *
 * @example
 * ```ts
 * import { Workflow, WorkflowBase, Task, Loop, type LoopContext } from 'weft'
 * interface Batch { remaining: number; done: number }
 *
 * @Workflow({ name: 'batches', version: 1 })
 * class Batches extends WorkflowBase<Batch> {
 *   @Task() @Loop({ while: (s: Batch) => s.remaining > 0, maxIterations: 50 })
 *   process(state: Batch, ctx: LoopContext<Batch>): Batch {
 *     return { remaining: state.remaining - 100, done: state.done + 100 }
 *   }
 * }
 * ```
 */
export function Loop<S = never>(options: LoopOptions<S>) {
  return <T extends object, K extends string, M>(
    target: T,
    key: K,
    descriptor: TypedPropertyDescriptor<M> & Verdict<LoopCheck<K, S, M>>,
  ): void => {
    void descriptor
    setOnce(target, key, '@Loop', 'loop', options as unknown as LoopOptions<never>)
    methodFacts(target, key, '@Loop').kinds.add('loop')
  }
}
