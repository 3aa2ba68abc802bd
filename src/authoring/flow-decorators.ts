import type { Duration } from '../core/duration.js'
import { InvalidOptionsError } from '../core/errors.js'
import type { LoopOptions } from '../graph/policy-options.js'
import type { ArgumentsCheck, DependencyRef, LoopCheck, OnFailureCheck, Verdict } from '../graph/type-level.js'
import type { DependencySpec } from '../graph/workflow-draft.js'
import type { TaskCondition } from '../graph/workflow-graph.js'
import { declareTask, methodFacts, setOnce } from './metadata.js'
import { assertDependencies } from './task-decorators.js'

/**
 * Runs a task only when `condition` holds. The condition receives the task's
 * own arguments (its dependencies' outputs, or the input for a root task). A
 * skipped task's dependents are skipped too, unless they declared it optional.
 *
 * @example
 * ```ts
 * import { Workflow, WorkflowBase, Task, DependsOn, When } from 'weft-sdk'
 * interface Scored { score: number }
 *
 * @Workflow({ name: 'quality', version: 1 })
 * class Quality extends WorkflowBase<Scored> {
 *   @Task() check(input: Scored): Scored { return input }
 *
 *   @DependsOn('check') @When((q: Scored) => q.score > 0.8)
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
 * Options of {@link OnFailure}.
 *
 * @example
 * ```ts
 * import { OnFailure, Task, Workflow, WorkflowBase, type TaskFailure } from 'weft-sdk'
 * @Workflow({ name: 'charge', version: 1 })
 * class Charge extends WorkflowBase<void> {
 *   @Task() async charge(): Promise<number> { throw new Error('card declined') }
 *   @OnFailure('charge', { description: 'tells the customer' }) async apologise(failure: TaskFailure) { return `sorry: ${String(failure.error)}` }
 * }
 * ```
 */
export interface OnFailureOptions {
  /** Free-text description, kept in the compiled graph as `TaskNode.description`. @defaultValue none */
  readonly description?: string
}

/**
 * Declares the method a task that handles the failure of `task`: it runs only
 * if that task failed (after its retries), and receives a `TaskFailure`, then
 * the `TaskContext`. The failure then counts as handled: running siblings are
 * not interrupted and the run can still complete; dependents of the failed
 * task are skipped (or receive `undefined` when optional). Rethrow from the
 * handler to fail the run after compensating.
 *
 * `@OnFailure` alone declares the task (with `@Task()` or `@DependsOn` beside
 * it the workflow is rejected when defined); policy decorators may be added.
 *
 * @example
 * ```ts
 * import { Workflow, WorkflowBase, Task, OnFailure, type TaskFailure } from 'weft-sdk'
 *
 * @Workflow({ name: 'pay', version: 1 })
 * class Pay extends WorkflowBase<{ amount: number }> {
 *   @Task() charge(input: { amount: number }): number { throw new Error('declined') }
 *
 *   @OnFailure('charge', { description: 'compensate a declined charge' })
 *   refund(failure: TaskFailure) { return `compensated: ${failure.message}` }
 * }
 * ```
 * @throws `InvalidOptionsError` when `task` is not a non-empty string.
 */
export function OnFailure<const Target extends string>(task: Target, options: OnFailureOptions = {}) {
  if (typeof task !== 'string' || task === '') throw new InvalidOptionsError(`@OnFailure takes a task name, got ${JSON.stringify(task)}`)
  return <T extends object, K extends string, M>(
    target: T,
    key: K,
    descriptor: TypedPropertyDescriptor<M> & Verdict<OnFailureCheck<T, K, Target, M>>,
  ): void => {
    void descriptor
    const facts = declareTask(target, key, '@OnFailure', { description: options.description })
    facts.kinds.add('on-failure')
    facts.handles = task
  }
}

/**
 * Options of {@link Always}.
 *
 * @example
 * ```ts
 * import { Always, Task, Workflow, WorkflowBase } from 'weft-sdk'
 * @Workflow({ name: 'report', version: 1 })
 * class Report extends WorkflowBase<void> {
 *   @Task() async render() { return 'report.pdf' }
 *   @Always({ timeout: '30 s' }) async cleanUp() { return 'temporary files removed' }
 * }
 * ```
 */
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
 * Makes a task a cleanup that runs whatever happens to the run: after success,
 * after a failure, and after cancellation. Without dependencies it runs once
 * every other task is finished and receives the input; its dependencies, if
 * any, must be optional since they may have failed. It runs under a time
 * limit (`timeout`, one minute unless given), so a cleanup that never
 * settles cannot keep its run from ending. It does not declare the task:
 * pair it with `@Task()` or `@DependsOn(...)`.
 *
 * @example
 * ```ts
 * import { Workflow, WorkflowBase, Task, Always } from 'weft-sdk'
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
 * Options of {@link Loop}: the loop's condition and cap, and what it depends on.
 *
 * @example
 * ```ts
 * import { Loop, Workflow, WorkflowBase, type LoopContext } from 'weft-sdk'
 * @Workflow({ name: 'countdown', version: 1 })
 * class Countdown extends WorkflowBase<number> {
 *   @Loop({ while: (n: number) => n > 0, maxIterations: 100, description: 'counts down' })
 *   async tick(n: number, _ctx: LoopContext) { return n - 1 }
 * }
 * ```
 *
 * @typeParam S - the state the `while` condition takes.
 * @typeParam D - the dependencies, as written in `dependsOn`.
 */
export interface LoopDecoratorOptions<S, D extends readonly DependencyRef[]> extends LoopOptions<S> {
  /**
   * Tasks whose outputs the loop body receives, in parameter order (the first
   * is the initial state), then the `LoopContext`.
   * @defaultValue `[]`: the workflow input is the initial state
   */
  readonly dependsOn?: D
  /** Free-text description, kept in the compiled graph as `TaskNode.description`. @defaultValue none */
  readonly description?: string
}

/**
 * Declares the method a loop task, repeated while `while(state, iteration)`
 * holds, at most `maxIterations` times. The method is the loop body: it
 * receives the state (first the workflow input, or the first output of
 * `dependsOn`, then what the previous iteration returned), the other
 * dependencies' outputs, and a `LoopContext` last, and returns the next
 * state. Each iteration is checkpointed. The task's output is a
 * `LoopResult`: iteration results, final state, and whether the cap was hit.
 *
 * `@Loop` alone declares the task, and checks every parameter (a `LoopContext`
 * reaches only a loop body, so `@Task()` and `@DependsOn` reject one); with
 * `@Task()` or `@DependsOn` beside it the workflow is rejected when defined.
 *
 * @example
 * ```ts
 * import { Workflow, WorkflowBase, Task, Loop, type LoopContext } from 'weft-sdk'
 * interface Batch { remaining: number; done: number }
 *
 * @Workflow({ name: 'batches', version: 1 })
 * class Batches extends WorkflowBase<Batch> {
 *   @Loop({ while: (s: Batch) => s.remaining > 0, maxIterations: 50 })
 *   process(state: Batch, ctx: LoopContext<Batch>): Batch {
 *     return { remaining: state.remaining - 100, done: state.done + 100 }
 *   }
 *
 *   @Task() seed(input: Batch): number { return input.remaining }
 *
 *   @Loop({ dependsOn: ['seed'], while: (n: number) => n > 0, maxIterations: 10, description: 'count down' })
 *   countdown(n: number, ctx: LoopContext<Batch>): number { return n - 1 }
 * }
 * ```
 * @throws `InvalidOptionsError` for a `dependsOn` entry that is not a task name or `{ task, optional }`.
 */
export function Loop<S = never, const D extends readonly DependencyRef[] = []>(options: LoopDecoratorOptions<S, D>) {
  if (options.dependsOn !== undefined) assertDependencies('@Loop({ dependsOn })', options.dependsOn)
  return <T extends object, K extends string, M>(
    target: T,
    key: K,
    descriptor: TypedPropertyDescriptor<M> & Verdict<LoopCheck<T, K, D, S, M>>,
  ): void => {
    void descriptor
    const facts = declareTask(target, key, '@Loop', { description: options.description, dependsOn: options.dependsOn as readonly DependencySpec[] | undefined })
    setOnce(target, key, '@Loop', 'loop', { while: options.while, maxIterations: options.maxIterations } as LoopOptions<never>)
    facts.kinds.add('loop')
  }
}
