import { InvalidOptionsError } from '../core/errors.js'
import type { DependsOnCheck, DependencyRef, TaskCheck, Verdict } from '../graph/type-level.js'
import type { DependencySpec, TaskPolicyOptions } from '../graph/workflow-draft.js'
import { markTask, setOnce } from './metadata.js'

/** Options of {@link Task}: a description and, optionally, any policy the policy decorators set. */
export interface TaskOptions extends TaskPolicyOptions {
  /** Free-text description, kept in the compiled graph as `TaskNode.description`. */
  readonly description?: string
}

/**
 * Marks a method as a task of the workflow. A task without `@DependsOn` is a
 * root task: it receives the run input and the {@link TaskContext}. A task
 * with `@DependsOn` receives its dependencies' outputs, then the context.
 *
 * At compile time the decorator checks that the first parameter accepts the
 * workflow input or some task's output (the exact check is `@DependsOn`'s).
 *
 * @example
 * ```ts
 * import { Workflow, WorkflowBase, Task, DependsOn } from 'weft'
 *
 * @Workflow({ name: 'greet', version: 1 })
 * class Greet extends WorkflowBase<{ name: string }> {
 *   @Task({ description: 'build the greeting' })
 *   greeting(input: { name: string }) { return `Hello, ${input.name}` }
 *
 *   @Task() @DependsOn('greeting')
 *   shout(greeting: string) { return greeting.toUpperCase() }
 * }
 * ```
 */
export function Task(options: TaskOptions = {}) {
  return <T extends object, K extends string, M>(
    target: T,
    key: K,
    descriptor: TypedPropertyDescriptor<M> & Verdict<TaskCheck<T, K, M>>,
  ): void => {
    void descriptor
    markTask(target, key, options.description)
    const policies: (keyof TaskPolicyOptions)[] = ['retry', 'timeout', 'circuitBreaker', 'rateLimit', 'cache', 'bulkhead']
    for (const policy of policies) {
      if (options[policy] !== undefined) setOnce(target, key, `${policy} (in @Task options)`, policy, options[policy] as never)
    }
  }
}

/**
 * Declares the tasks a task depends on, in parameter order: the task runs once
 * they all completed and receives their outputs, then the {@link TaskContext}.
 * An optional dependency (`{ task, optional: true }`) passes `undefined` when
 * that task was skipped or failed.
 *
 * The compiler checks the method against the dependencies: a wrong or swapped
 * parameter type, an unknown task name, a parameter that expects more than the
 * dependency promises, or an extra parameter fails `tsc` with a message
 * naming the task.
 *
 * @example
 * ```ts
 * import { Workflow, WorkflowBase, Task, DependsOn, type TaskContext } from 'weft'
 * interface Order { id: string; total: number }
 *
 * @Workflow({ name: 'ship', version: 1 })
 * class Ship extends WorkflowBase<{ id: string }> {
 *   @Task() load(input: { id: string }): Order { return { id: input.id, total: 5 } }
 *   @Task() coupon(input: { id: string }): string { return 'none' }
 *
 *   @Task() @DependsOn('load', { task: 'coupon', optional: true })
 *   ship(order: Order, coupon: string | undefined, ctx: TaskContext<{ id: string }>) {
 *     return `${order.id} ${coupon ?? ''} ${ctx.runId}`
 *   }
 * }
 * ```
 */
export function DependsOn<const D extends readonly [DependencyRef, ...DependencyRef[]]>(...dependencies: D) {
  for (const dependency of dependencies) assertDependencySpec(dependency)
  return <T extends object, K extends string, M>(
    target: T,
    key: K,
    descriptor: TypedPropertyDescriptor<M> & Verdict<DependsOnCheck<T, K, D, M>>,
  ): void => {
    void descriptor
    setOnce(target, key, '@DependsOn', 'dependsOn', dependencies as readonly DependencySpec[])
  }
}

function assertDependencySpec(spec: unknown): void {
  const name = typeof spec === 'string' ? spec : typeof spec === 'object' && spec !== null ? (spec as { task?: unknown }).task : undefined
  if (typeof name !== 'string' || name === '') {
    throw new InvalidOptionsError(`@DependsOn takes task names or { task: 'name', optional: true }, got ${JSON.stringify(spec)}`)
  }
}
