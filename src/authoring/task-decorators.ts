import { InvalidOptionsError } from '../core/errors.js'
import type { CacheOptions } from '../graph/policy-options.js'
import type { RecoverOptions } from '../graph/recovery-options.js'
import type { ArgumentsCheck, DependsOnCheck, DependencyRef, FallbackMethodCheck, TaskCheck, Verdict } from '../graph/type-level.js'
import { policyKinds } from '../graph/policy-kinds.js'
import type { DependencySpec, TaskPolicyOptions } from '../graph/workflow-draft.js'
import { declareTask, setOnce } from './metadata.js'

/**
 * Options of {@link Task}: the tasks it depends on, a description, and any
 * policy the policy decorators set.
 *
 * @example
 * ```ts
 * import { Task, Workflow, WorkflowBase } from 'weft-sdk'
 * @Workflow({ name: 'quote', version: 1 })
 * class Quote extends WorkflowBase<void> {
 *   @Task() async price() { return 42 }
 *   @Task({ dependsOn: ['price'], description: 'adds VAT' }) async total(price: number) { return price * 1.2 }
 * }
 * ```
 *
 * @typeParam D - the dependencies, as written in `dependsOn`.
 * @typeParam A - the parameters of `cache.key`, checked against the task's.
 * @typeParam F - the methods `recover`'s `fallbackWith` strategies name, checked to be private or protected.
 */
export interface TaskOptions<D extends readonly DependencyRef[] = readonly DependencyRef[], A extends readonly unknown[] = readonly unknown[], F extends string = string>
  extends Omit<TaskPolicyOptions, 'cache' | 'recover'> {
  /**
   * Tasks whose outputs this task receives, in parameter order, then the
   * `TaskContext`; the same as `@DependsOn(...dependsOn)`, checked the same way.
   * @defaultValue `[]`: a root task, which receives the workflow input, then the `TaskContext`
   */
  readonly dependsOn?: D
  /** Free-text description, kept in the compiled graph as `TaskNode.description`. */
  readonly description?: string
  /** Caches the task's results, as {@link Cache} does; `key` receives the task's arguments. @defaultValue no cache */
  readonly cache?: CacheOptions<A>
  /** Classifies the task's errors and recovers from each class, as {@link Recover} does (`fallbackWith` names a private or protected method). @defaultValue no recovery strategies */
  readonly recover?: RecoverOptions<F>
}

/**
 * Declares a method as a task of the workflow. Without `dependsOn` it is a
 * root task: its parameters accept the workflow input, then the
 * {@link TaskContext}, and nothing else. With `dependsOn` it receives those
 * tasks' outputs in order, then the context, exactly as with {@link DependsOn}.
 *
 * At compile time the decorator checks every parameter against what the
 * engine passes. (It cannot see a separate `@DependsOn` on the same method, so
 * the two together are rejected when the workflow is defined: write
 * `@DependsOn('load')` alone, or `@Task({ dependsOn: ['load'] })`.)
 *
 * @example
 * ```ts
 * import { Workflow, WorkflowBase, Task, type TaskContext } from 'weft-sdk'
 *
 * @Workflow({ name: 'greet', version: 1 })
 * class Greet extends WorkflowBase<{ name: string }> {
 *   @Task({ description: 'build the greeting' })
 *   greeting(input: { name: string }, ctx: TaskContext<{ name: string }>) { return `Hello, ${input.name} (${ctx.runId})` }
 *
 *   @Task({ dependsOn: ['greeting'], description: 'shout it' })
 *   shout(greeting: string) { return greeting.toUpperCase() }
 * }
 * ```
 * @throws `InvalidOptionsError` for a `dependsOn` entry that is not a task name or `{ task, optional }`.
 */
export function Task<const D extends readonly DependencyRef[] = [], const A extends readonly unknown[] = readonly unknown[], const F extends string = never>(
  options: TaskOptions<D, A, F> = {},
) {
  if (options.dependsOn !== undefined) assertDependencies('@Task({ dependsOn })', options.dependsOn)
  return <T extends object, K extends string, M>(
    target: T,
    key: K,
    descriptor: TypedPropertyDescriptor<M> & Verdict<TaskCheck<T, K, M, D>> & Verdict<ArgumentsCheck<'@Cache key', K, A, M>> & Verdict<FallbackMethodCheck<T, F>>,
  ): void => {
    void descriptor
    declareTask(target, key, '@Task', { description: options.description, dependsOn: options.dependsOn as readonly DependencySpec[] | undefined })
    recordTaskPolicies(target, key, options as TaskPolicyOptions)
  }
}

function recordTaskPolicies(target: object, key: string, options: TaskPolicyOptions): void {
  for (const policy of policyKinds) {
    if (options[policy] !== undefined) setOnce(target, key, `${policy} (in @Task options)`, policy, options[policy] as never)
  }
}

/**
 * Declares a task that depends on other tasks, in parameter order: the task
 * runs once they all completed and receives their outputs, then the
 * {@link TaskContext}. An optional dependency (`{ task, optional: true }`)
 * passes `undefined` when that task was skipped or failed. `@DependsOn` alone
 * declares the method a task; give it a description with
 * `@Task({ dependsOn, description })` instead, and policies with their
 * decorators (`@Retry`, `@Timeout`, ...).
 *
 * The compiler checks the method against the dependencies: a wrong or swapped
 * parameter type, an unknown task name, a parameter that expects more than the
 * dependency promises, a `Promise` parameter, the context out of place, or an
 * extra parameter fails `tsc` with a message naming the task and the parameter.
 *
 * @example
 * ```ts
 * import { Workflow, WorkflowBase, Task, DependsOn, type TaskContext } from 'weft-sdk'
 * interface Order { id: string; total: number }
 *
 * @Workflow({ name: 'ship', version: 1 })
 * class Ship extends WorkflowBase<{ id: string }> {
 *   @Task() load(input: { id: string }): Order { return { id: input.id, total: 5 } }
 *   @Task() coupon(input: { id: string }): string { return 'none' }
 *
 *   @DependsOn('load', { task: 'coupon', optional: true })
 *   ship(order: Order, coupon: string | undefined, ctx: TaskContext<{ id: string }>) {
 *     return `${order.id} ${coupon ?? ''} ${ctx.runId}`
 *   }
 * }
 * ```
 * @throws `InvalidOptionsError` for an argument that is not a task name or `{ task, optional }`.
 */
export function DependsOn<const D extends readonly [DependencyRef, ...DependencyRef[]]>(...dependencies: D) {
  if (dependencies.length === 0) throw new InvalidOptionsError('@DependsOn takes at least one task name; a task without dependencies is declared with @Task()')
  assertDependencies('@DependsOn', dependencies)
  return <T extends object, K extends string, M>(
    target: T,
    key: K,
    descriptor: TypedPropertyDescriptor<M> & Verdict<DependsOnCheck<T, K, D, M>>,
  ): void => {
    void descriptor
    declareTask(target, key, '@DependsOn', { dependsOn: dependencies as readonly DependencySpec[] })
  }
}

/** Rejects a dependency list that is not an array of names or `{ task, optional }` (an empty one declares no dependency). */
export function assertDependencies(decorator: string, dependencies: unknown): void {
  if (!Array.isArray(dependencies)) {
    throw new InvalidOptionsError(`${decorator} takes an array of task names, got ${JSON.stringify(dependencies)}`)
  }
  for (const spec of dependencies) {
    const name = typeof spec === 'string' ? spec : typeof spec === 'object' && spec !== null ? (spec as { task?: unknown }).task : undefined
    if (typeof name !== 'string' || name === '') {
      throw new InvalidOptionsError(`${decorator} takes task names or { task: 'name', optional: true }, got ${JSON.stringify(spec)}`)
    }
  }
}
