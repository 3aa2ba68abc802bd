import { workflowEncodedInputKey, workflowInputKey } from '../graph/type-level.js'

/**
 * Base class of a workflow: its type parameter is the run input, which makes
 * the input visible to the compiler. Root tasks (tasks without `@DependsOn`)
 * receive the input as their first parameter; every task can read it as
 * `ctx.input`.
 *
 * @typeParam I - the run input as tasks see it; `void` for a workflow without input.
 * @typeParam E - what `engine.start` accepts, when an input schema decodes it
 * into `I` (for example a date string into a `Date`). @defaultValue `I`
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
export abstract class WorkflowBase<I = void, E = I> {
  /** @internal Phantom: never set at run time, it only carries the input type. */
  declare readonly [workflowInputKey]: I
  /** @internal Phantom: the type the run input has before decoding. */
  declare readonly [workflowEncodedInputKey]: E
}
