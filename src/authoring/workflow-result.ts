/**
 * How a workflow declares its result, and the types callers get from it.
 *
 * A decorated class declares it as a static property, where the compiler sees
 * it (a class decorator cannot change the type of the class it decorates):
 * `static readonly result = 'ship'`, or a record
 * `static readonly result = { receipt: 'charge', note: 'ship' } as const`.
 * A `defineWorkflow` definition declares it in `.build({ result })`.
 *
 * @module
 */
import type { IsOptional, TaskName } from '../graph/type-level.js'

/**
 * One task a result reads: its name, or `{ task, optional: true }` for a task
 * that may end without output (it has `@When`, it is a failure handler, its
 * failure may be handled, or it depends on such a task); its value is then
 * `undefined` when it has none. A task that may end without output must be
 * declared optional: the definition is refused otherwise.
 *
 * @example
 * ```ts
 * import type { ResultRef } from 'weft-sdk'
 * const required: ResultRef<'ship' | 'notify'> = 'ship'
 * const optional: ResultRef<'ship' | 'notify'> = { task: 'notify', optional: true }
 * ```
 */
export type ResultRef<Name extends string = string> =
  | Name
  | {
      /** The task whose output it is. */
      readonly task: Name
      /** True for a task that may end without output. */
      readonly optional?: boolean
    }

/**
 * A workflow's declared result: one task ({@link ResultRef}), or a record of
 * them by key. (An object whose only keys are `task` and `optional` is one task.)
 *
 * @example
 * ```ts
 * import type { ResultDeclaration } from 'weft-sdk'
 * const one: ResultDeclaration = 'ship'
 * const record: ResultDeclaration = { receipt: 'charge', note: { task: 'notify', optional: true } }
 * ```
 */
export type ResultDeclaration<Name extends string = string> = ResultRef<Name> | { readonly [key: string]: ResultRef<Name> }

/**
 * Marks a workflow that declares no result: `run.result()` then gives every task's output (`RunResult`).
 *
 * @example
 * ```ts
 * import { defineWorkflow, type NoDeclaredResult, type WorkflowResultValue } from 'weft-sdk'
 * const Plain = defineWorkflow({ name: 'plain', version: 1 }).task('one', () => 1).build()
 * const none: WorkflowResultValue<typeof Plain> extends NoDeclaredResult ? true : false = true
 * ```
 */
export interface NoDeclaredResult {
  /** Phantom brand: never set. */
  readonly 'weft/no-declared-result': true
}

/** Whether `D` is one task reference rather than a record (an object whose keys are only `task` and `optional`). */
type IsRef<D> = D extends string ? true : D extends { readonly task: string } ? (Exclude<keyof D, 'task' | 'optional'> extends never ? true : false) : false

/** The value one result reference reads from outputs `O`. */
type RefValue<O, R> = R extends string
  ? O[R & keyof O]
  : R extends { readonly task: infer N }
    ? IsOptional<R> extends true
      ? O[N & keyof O] | undefined
      : O[N & keyof O]
    : never

/**
 * What `run.result()` resolves to for a result declared as `D`, given each task's output `O`.
 *
 * @example
 * ```ts
 * import type { DeclaredResultValue } from 'weft-sdk/types'
 * type Outputs = { charge: number; notify: string }
 * type One = DeclaredResultValue<Outputs, 'charge'> // number
 * type Record = DeclaredResultValue<Outputs, { paid: 'charge'; note: { task: 'notify'; optional: true } }> // { paid: number; note: string | undefined }
 * ```
 */
export type DeclaredResultValue<O, D> = IsRef<D> extends true ? RefValue<O, D> : { -readonly [K in keyof D]: RefValue<O, D[K]> }

/** The task names a result declaration reads. */
type ResultNames<D> = IsRef<D> extends true ? RefName<D> : { [K in keyof D]: RefName<D[K]> }[keyof D]
type RefName<R> = R extends string ? R : R extends { readonly task: infer N } ? N : never

/**
 * The check `@Workflow` applies to a class's `static result`: every name is a
 * task of the class, given as a literal (not widened to `string`).
 *
 * @example
 * ```ts
 * import { Task, WorkflowBase } from 'weft-sdk'
 * import type { ResultCheck } from 'weft-sdk/types'
 * class Shipping extends WorkflowBase {
 *   static readonly result = 'shipp'
 *   @Task() async ship() { return 'shipped' }
 * }
 * const verdict: ResultCheck<typeof Shipping> = "static result names unknown task 'shipp'" // what @Workflow reports
 * ```
 */
export type ResultCheck<C> = C extends {
  /** The class's declared result. */
  readonly result: infer D
}
  ? C extends abstract new (...args: never) => infer T
    ? [ResultNames<D>] extends [never]
      ? 'static result names no task: declare it as a task name, { task, optional: true }, or a record of them'
      : string extends ResultNames<D>
        ? "static result must name its tasks as literals: declare it 'readonly' (static readonly result = 'ship'), and add 'as const' to a record"
        : [Exclude<ResultNames<D>, TaskName<T>>] extends [never]
          ? true
          : `static result names unknown task '${Exclude<ResultNames<D>, TaskName<T>> & string}'`
    : true
  : true

/**
 * The result a workflow class declares (its `static result`), else {@link NoDeclaredResult}.
 *
 * @example
 * ```ts
 * import { Task, WorkflowBase } from 'weft-sdk'
 * import type { ClassResult } from 'weft-sdk/types'
 * class Shipping extends WorkflowBase {
 *   static readonly result = { label: 'ship' } as const
 *   @Task() async ship() { return 'L-1' }
 * }
 * type Declared = ClassResult<typeof Shipping> // { readonly label: 'ship' }
 * ```
 */
export type ClassResult<W> = W extends {
  /** The class's declared result. */
  readonly result: infer D
}
  ? D
  : NoDeclaredResult
