import { workflowInputKey } from '../graph/type-level.js'

/**
 * Base class of a workflow: its type parameter is the run input, which makes
 * the input visible to the compiler. Root tasks (tasks without `@DependsOn`)
 * receive the input as their first parameter; every task can read it as
 * `ctx.input`.
 *
 * @typeParam I - the run input; `void` for a workflow without input.
 * @example
 * ```ts
 * import { Workflow, Task, WorkflowBase } from 'weft'
 * interface OrderInput { orderId: string }
 *
 * @Workflow({ name: 'orders', version: 1 })
 * class Orders extends WorkflowBase<OrderInput> {
 *   @Task() load(input: OrderInput) { return { id: input.orderId } }
 * }
 * ```
 */
export abstract class WorkflowBase<I = void> {
  /** @internal Phantom: never set at run time, it only carries the input type. */
  declare readonly [workflowInputKey]: I
}
