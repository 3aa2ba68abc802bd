import { workflowEncodedInputKey, workflowEventsKey, workflowInputKey, type InputOf } from '../graph/type-level.js'
import { InvalidWorkflowError } from '../core/errors.js'
import type { EventSchemas } from '../graph/task-context.js'
import type { InputSchema } from './workflow-ref.js'

/** @internal Key of the static property a base made by {@link WorkflowBase.withInput} carries its schema under. */
export const inputSchemaKey: unique symbol = Symbol('weft/input-schema')

/** @internal Key of the static property a base made by {@link WorkflowBase.withEvents} carries its event schemas under. */
export const eventSchemasKey: unique symbol = Symbol('weft/event-schemas')

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

  /**
   * A base class that declares the workflow's events, each with the Effect
   * `Schema` of its payload; call it on `WorkflowBase` (the input then goes in
   * as a type argument: `extends WorkflowBase.withEvents(Events)<Order>`), on a
   * `WorkflowBase.withInput(...)` base, or on an abstract base of your own
   * that declares a typed input. Then `run.signal(name, payload)` is
   * typed by them and refuses a payload the schema refuses before anything is
   * stored (`EventPayloadError`); `ctx.waitForEvent(name)` in the workflow's
   * tasks (typed `TaskContext<Input, typeof events>`) returns the decoded
   * payload; and every payload is decoded again on receipt, whoever sent it
   * (a refused one is never delivered: the task keeps waiting).
   *
   * @example
   * ```ts
   * import { Schema } from 'effect'
   * import { Workflow, WorkflowBase, Task, type TaskContext } from 'weft-sdk'
   *
   * const Events = { approved: Schema.Struct({ by: Schema.String }) }
   *
   * @Workflow({ name: 'expense', version: 1 })
   * class Expense extends WorkflowBase.withEvents(Events) {
   *   @Task() async approve(input: void, ctx: TaskContext<void, typeof Events>) {
   *     const { by } = await ctx.waitForEvent('approved') // { by: string }
   *     return by
   *   }
   * }
   * // const run = await engine.start(Expense); await run.signal('approved', { by: 'ada' })
   * ```
   * @throws `InvalidWorkflowError` when the base declares its events already.
   */
  static withEvents<This extends abstract new (...args: any[]) => WorkflowBase<any, any>, const Ev extends EventSchemas>(
    this: This,
    events: Ev,
  ): WorkflowBaseWithEvents<This, Ev> {
    if (inheritedEventSchemas(this) !== undefined) {
      throw new InvalidWorkflowError(`${this.name} already declares its events (withEvents); declare them all in one withEvents({ ... })`)
    }
    // The derived class passes its constructor's arguments on (injected parameters of a base such as `constructor(llm: Llm)`).
    const Base = this as unknown as abstract new (...args: unknown[]) => WorkflowBase<unknown>
    abstract class WithEvents extends Base {
      static readonly [eventSchemasKey] = events
    }
    return WithEvents as unknown as WorkflowBaseWithEvents<This, Ev>
  }
}

/** The phantom by which a workflow's instance type carries its declared events. */
interface DeclaresEvents<Ev extends EventSchemas> {
  /** @internal Phantom: the declared events' schemas. */
  readonly [workflowEventsKey]: Ev
}

/**
 * The base class {@link WorkflowBase.withEvents} returns: `This`'s instances,
 * declaring the events `Ev`, carrying their schemas. Called on `WorkflowBase`
 * itself (whose input is not declared yet), the base takes the input as a type
 * argument: `extends WorkflowBase.withEvents(Events)<Order>` (none: `void`).
 *
 * @example
 * ```ts
 * import { Schema } from 'effect'
 * import { Task, Workflow, WorkflowBase } from 'weft-sdk'
 * const Events = { approved: Schema.Struct({ by: Schema.String }) }
 * @Workflow({ name: 'expense', version: 1 })
 * class Expense extends WorkflowBase.withEvents(Events)<{ amount: number }> {
 *   @Task() async approve(input: { amount: number }) { return input.amount }
 * }
 * ```
 */
export type WorkflowBaseWithEvents<This extends abstract new (...args: any[]) => object, Ev extends EventSchemas> = (unknown extends InputOf<InstanceType<This>>
  ? abstract new <I = void, E = I>(...args: ConstructorParameters<This>) => WorkflowBase<I, E> & DeclaresEvents<Ev>
  : abstract new (...args: ConstructorParameters<This>) => InstanceType<This> & DeclaresEvents<Ev>) & {
  /** @internal The declared events. */
  readonly [eventSchemasKey]: Ev
}

/**
 * The base class {@link WorkflowBase.withInput} returns: a `WorkflowBase` typed by the schema, carrying it.
 *
 * @example
 * ```ts
 * import { Schema } from 'effect'
 * import { Task, Workflow, WorkflowBase } from 'weft-sdk'
 * @Workflow({ name: 'orders', version: 1 })
 * class Orders extends WorkflowBase.withInput(Schema.Struct({ orderId: Schema.String })) {
 *   @Task() async load(input: { readonly orderId: string }) { return input.orderId }
 * }
 * ```
 */
export type WorkflowBaseWithInput<S extends InputSchema> = (abstract new () => WorkflowBase<S['Type'], S['Encoded']>) & {
  /** @internal The input schema. */
  readonly [inputSchemaKey]: S
  /** Declares the workflow's events on top of this input: see {@link WorkflowBase.withEvents}. */
  readonly withEvents: (typeof WorkflowBase)['withEvents']
}

/** The input schema a workflow class inherits from {@link WorkflowBase.withInput}, if any. */
export function inheritedInputSchema(constructor: object): InputSchema | undefined {
  return (constructor as { readonly [inputSchemaKey]?: InputSchema })[inputSchemaKey]
}

/** The events a workflow class inherits from {@link WorkflowBase.withEvents}, if any. */
export function inheritedEventSchemas(constructor: object): EventSchemas | undefined {
  return (constructor as { readonly [eventSchemasKey]?: EventSchemas })[eventSchemasKey]
}
