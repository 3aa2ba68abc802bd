import { workflowEncodedInputKey, workflowInputKey } from '../graph/type-level.js'
import type { InputSchema } from './workflow-ref.js'

/** @internal Key of the static property a base made by {@link WorkflowBase.withInput} carries its schema under. */
export const inputSchemaKey: unique symbol = Symbol('weft/input-schema')

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
 * import { Workflow, Task, WorkflowBase } from 'weft-sdk'
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

  /**
   * A base class whose input is an Effect `Schema`'s: the input type is
   * declared once, by the schema. The run input is decoded by it before a run
   * is created (as `@Workflow({ input })` does), tasks receive its decoded
   * type and `engine.start` accepts its encoded type.
   *
   * @example
   * ```ts
   * import { Schema } from 'effect'
   * import { Workflow, WorkflowBase, Task } from 'weft-sdk'
   *
   * const OrderInput = Schema.Struct({ orderId: Schema.NonEmptyString })
   *
   * @Workflow({ name: 'orders-by-schema', version: 1 })
   * class Orders extends WorkflowBase.withInput(OrderInput) {
   *   @Task() load(input: typeof OrderInput.Type) { return input.orderId }
   * }
   * ```
   */
  static withInput<S extends InputSchema>(schema: S): WorkflowBaseWithInput<S> {
    abstract class WithInput extends WorkflowBase<S['Type'], S['Encoded']> {
      static readonly [inputSchemaKey] = schema
    }
    return WithInput
  }
}

/** The base class {@link WorkflowBase.withInput} returns: a `WorkflowBase` typed by the schema, carrying it. */
export type WorkflowBaseWithInput<S extends InputSchema> = (abstract new () => WorkflowBase<S['Type'], S['Encoded']>) & {
  /** @internal The input schema. */
  readonly [inputSchemaKey]: S
}

/** The input schema a workflow class inherits from {@link WorkflowBase.withInput}, if any. */
export function inheritedInputSchema(constructor: object): InputSchema | undefined {
  return (constructor as { readonly [inputSchemaKey]?: InputSchema })[inputSchemaKey]
}
