import type { Verdict, WeftTypeError, workflowEncodedInputKey, workflowInputKey } from '../graph/type-level.js'
import { InvalidWorkflowError } from '../core/errors.js'
import type { RecoverOptions } from '../graph/recovery-options.js'
import { compileWorkflow } from './compile-workflow.js'
import { inheritedEventSchemas, inheritedInputSchema } from './workflow-base.js'
import type { ResultCheck } from './workflow-result.js'
import { recordWorkflow } from './metadata.js'
import type { InputSchema } from './workflow-ref.js'

/**
 * Options of {@link Workflow}.
 *
 * @example
 * ```ts
 * import { Task, Workflow, WorkflowBase, type WorkflowOptions } from 'weft-sdk'
 * const options: WorkflowOptions = { name: 'welcome', version: 2, description: 'greets a new user', trigger: 'user.signed-up' }
 * @Workflow(options)
 * class Welcome extends WorkflowBase<{ email: string }> {
 *   @Task() async greet(input: { email: string }) { return `welcome ${input.email}` }
 * }
 * ```
 */
export interface WorkflowOptions<S extends InputSchema | undefined = undefined> {
  /** Unique name; runs are recorded under it. */
  readonly name: string
  /** Integer ≥ 1. Runs are pinned to the version that started them. */
  readonly version: number
  /** Free-text description, kept in the compiled graph. */
  readonly description?: string
  /**
   * An Effect `Schema` the run input must satisfy; checked before a run is
   * created. Its type must match the class's `WorkflowBase<Input>`.
   * @defaultValue no check: the input is passed as given
   */
  readonly input?: S
  /**
   * Event name: `engine.emit(trigger, payload)` starts a run with the payload as input.
   * @defaultValue none: runs start only through `engine.start`
   */
  readonly trigger?: string
  /**
   * Permissions (`action:resource`, see `parsePermission`) a principal must
   * hold to start a run of this workflow on a secured engine, besides
   * `start:<name>` and the permissions its tasks require.
   * @defaultValue none
   */
  readonly requires?: readonly string[]
  /**
   * Error classification and recovery strategies for every ordinary and
   * loop task (not `@OnFailure` handlers or `@Always` cleanups), as
   * `@Recover` sets on one task; a task's own `@Recover` comes first (its
   * rules before these, its strategy of a class instead of this one). No
   * `fallbackTo` or `fallbackWith` here: they belong to one task's arguments.
   * @defaultValue no recovery strategies
   */
  readonly recover?: RecoverOptions
  /**
   * Not here: a class decorator cannot change its class's type, so callers
   * would not see it. Declare the result on the class, `static readonly result = 'ship'`.
   */
  readonly result?: WeftTypeError<"declare the result on the class, where callers' types see it: static readonly result = 'ship'">
  /**
   * Not here: declare the events with the base class, `extends WorkflowBase.withEvents({ approved: Schema })`,
   * so that tasks and `run.signal` see their types.
   */
  readonly events?: WeftTypeError<'declare the events with the base class, where tasks and callers see them: extends WorkflowBase.withEvents({ approved: Schema })'>
}

/** The input type a workflow class declares through `WorkflowBase<I>`, `never` if none. */
export type DeclaredInput<C> = C extends abstract new (...args: never) => {
  /** The phantom property `WorkflowBase<I>` declares; its type is `I`. */
  readonly [workflowInputKey]: infer I
}
  ? I
  : never

/** What a workflow class declares `engine.start` accepts (`WorkflowBase<I, E>`'s `E`), `never` if none. */
export type DeclaredEncodedInput<C> = C extends abstract new (...args: never) => {
  /** The phantom property `WorkflowBase<I, E>` declares; its type is `E`. */
  readonly [workflowEncodedInputKey]: infer E
}
  ? E
  : never

/** `true` when `Schema` and `Declared` are the same type, else a message saying how they differ. */
type Compare<Schema, Declared, What extends string, Where extends string> = [Schema] extends [Declared]
  ? [Declared] extends [Schema]
    ? true
    : `the input schema's ${What} is narrower than ${Where}`
  : [Declared] extends [Schema]
    ? `the input schema's ${What} is wider than ${Where}`
    : `the input schema's ${What} does not match ${Where}`

/**
 * The check `@Workflow({ input })` applies: the schema's decoded type equals
 * the class's `WorkflowBase<I>`, and its encoded type equals `E` (what
 * `engine.start` accepts, `I` unless given).
 */
export type SchemaMatches<S, C> = S extends InputSchema
  ? [DeclaredInput<C>] extends [never]
    ? 'this workflow has an input schema: extend WorkflowBase<typeof Schema.Type> to declare its input type'
    : Compare<S['Type'], DeclaredInput<C>, 'type', 'the WorkflowBase<Input> type parameter'> extends infer R
      ? R extends true
        ? Compare<S['Encoded'], DeclaredEncodedInput<C>, 'encoded type', "WorkflowBase's second type parameter (what engine.start accepts: WorkflowBase<typeof S.Type, typeof S.Encoded>)">
        : R
      : never
  : true

/** Refuses `result` and `events` given to `@Workflow` by code the type check did not see (JavaScript, a cast), naming where they go. */
function assertNoMisplacedDeclarations(options: WorkflowOptions<InputSchema | undefined>): void {
  if ((options as { result?: unknown }).result !== undefined) {
    throw new InvalidWorkflowError(`workflow "${options.name}": @Workflow takes no result; declare it on the class, where callers' types see it: static readonly result = 'ship'`)
  }
  if ((options as { events?: unknown }).events !== undefined) {
    throw new InvalidWorkflowError(`workflow "${options.name}": @Workflow takes no events; declare them with the base class: extends WorkflowBase.withEvents({ approved: Schema })`)
  }
}

/** `true` when both checks passed, else the first failure. */
type Both<A, B> = A extends true ? B : A

/** The schema `@Workflow({ input })` names, else the one the class inherits from `WorkflowBase.withInput`; both must not differ. */
function inputSchemaOf(options: WorkflowOptions<InputSchema | undefined>, target: object): InputSchema | undefined {
  const inherited = inheritedInputSchema(target)
  if (options.input !== undefined && inherited !== undefined && options.input !== inherited) {
    throw new InvalidWorkflowError(
      `workflow "${options.name}": its class extends WorkflowBase.withInput(schema) and @Workflow({ input }) names another schema; keep one of them`,
    )
  }
  return options.input ?? inherited
}

/**
 * Declares a class as a workflow and compiles it at once: a cycle, an unknown
 * dependency, a duplicate task or a bad policy option throws when the class is
 * defined, before any run.
 *
 * What callers' types must see is declared in the class, since a class
 * decorator cannot change its class's type: the input by `WorkflowBase<I>` or
 * `WorkflowBase.withInput(schema)`, the events by `WorkflowBase.withEvents({...})`,
 * and the result by a static property, `static readonly result = 'ship'` (or
 * a record, `{ receipt: 'charge', note: 'ship' } as const`): then
 * `await run.result()` is that task's output (`run.details()` keeps every
 * task's). A name that is not a task fails `tsc`, and at definition time
 * `ResultDeclarationError`, which also refuses a result task that may end
 * without output unless declared `{ task, optional: true }`.
 *
 * @example
 * ```ts
 * import { Schema } from 'effect'
 * import { Workflow, WorkflowBase, Task } from 'weft-sdk'
 *
 * const OrderInput = Schema.Struct({ orderId: Schema.String })
 *
 * @Workflow({ name: 'orders', version: 1, input: OrderInput })
 * class Orders extends WorkflowBase<typeof OrderInput.Type> {
 *   @Task() load(input: typeof OrderInput.Type) { return input.orderId }
 * }
 * ```
 * @throws `CycleError`, `UnknownDependencyError`, `DuplicateTaskError`,
 * `EmptyWorkflowError`, `InvalidOptionsError`, `InvalidWorkflowError`, `ResultDeclarationError`.
 */
export function Workflow<const S extends InputSchema | undefined = undefined>(options: WorkflowOptions<S>) {
  return <C extends abstract new (...args: never[]) => object>(target: C & Verdict<Both<SchemaMatches<S, C>, ResultCheck<C>>>): void => {
    assertNoMisplacedDeclarations(options)
    recordWorkflow(target, {
      name: options.name,
      version: options.version,
      description: options.description,
      input: inputSchemaOf(options, target),
      trigger: options.trigger,
      result: (target as { readonly result?: unknown }).result,
      events: inheritedEventSchemas(target),
      requires: options.requires,
      recover: options.recover,
    })
    compileWorkflow(target)
  }
}
