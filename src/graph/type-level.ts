/**
 * Type-level machinery behind Weft's compile-time checks. Decorators use these
 * types to constrain the method they decorate, so a task whose parameters do
 * not match its dependencies fails `tsc` with a message that names the task.
 *
 * @module
 */
import type { LoopContext, LoopResult, TaskContext, TaskFailure } from './task-context.js'

/** @internal Key of the phantom property that carries a workflow's input type. */
export const workflowInputKey: unique symbol = Symbol('weft/workflow-input')

/** @internal Key of the phantom property that carries the type `engine.start` accepts, before decoding. */
export const workflowEncodedInputKey: unique symbol = Symbol('weft/workflow-encoded-input')

/** @internal Key of the property a failed type check requires, whose type is the message. */
export const weftTypeErrorKey: unique symbol = Symbol('weft/type-error')

/**
 * A type that cannot be satisfied; its property's type is the error message
 * tsc prints. Produced by Weft's decorator checks.
 */
export interface WeftTypeError<Message extends string> {
  /** The error message; tsc prints it as the type this property expects. */
  readonly [weftTypeErrorKey]: Message
}

/** `unknown` (no constraint) when a check passed, else a {@link WeftTypeError} with its message. */
export type Verdict<R> = R extends true ? unknown : WeftTypeError<R & string>

/** The input type declared by a workflow instance type (via `WorkflowBase<I>`); `unknown` when undeclared. */
export type InputOf<T> = T extends {
  /** The phantom property `WorkflowBase<I>` declares; its type is the input type `I`. */
  readonly [workflowInputKey]: infer I
}
  ? I
  : unknown

/** The input `engine.start` accepts for a workflow instance type: the input schema's encoded type, else the input type. */
export type EncodedInputOf<T> = T extends {
  /** The phantom property `WorkflowBase<I, E>` declares; its type is the encoded input type `E`. */
  readonly [workflowEncodedInputKey]: infer E
}
  ? E
  : InputOf<T>

/** Names of the members of `T` that are methods (candidate tasks). */
export type TaskName<T> = {
  [K in keyof T & string]: T[K] extends (...args: never) => unknown ? K : never
}[keyof T & string]

/**
 * A parameter list with optional parameters made required, keeping their
 * types: an optional `b?: B` becomes `B | undefined`. (`Required<P>` would
 * strip `undefined`, and turn a `void` parameter into `never`.)
 */
export type Normalize<P extends readonly unknown[]> = number extends P['length']
  ? P
  : P extends readonly []
  ? []
  : P extends readonly [infer A, ...infer R]
    ? [A, ...Normalize<R>]
    : P extends readonly [(infer A)?, ...infer R]
      ? [A | undefined, ...Normalize<R>]
      : P

type LastOf<P extends readonly unknown[]> = P extends readonly [...unknown[], infer L] ? L : never

/** Whether a method's parameter list marks it as a loop body (its last parameter is a `LoopContext`). */
export type IsLoopBody<P extends readonly unknown[]> = [LastOf<Normalize<P>>] extends [never]
  ? false
  : [LastOf<Normalize<P>>] extends [LoopContext<any>]
    ? true
    : false

/** What task `K` of `T` produces: the awaited return type, or a `LoopResult` for a loop body. */
export type TaskOutput<T, K> = K extends keyof T
  ? T[K] extends (...args: infer P) => infer R
    ? IsLoopBody<P> extends true
      ? LoopResult<Awaited<R>>
      : Awaited<R>
    : never
  : never

/** Every task output of `T`, by task name. */
export type TaskOutputs<T> = { readonly [K in TaskName<T>]: TaskOutput<T, K> }

/** A dependency as written in `@DependsOn`: a name or `{ task, optional: true }`. */
export type DependencyRef<Name extends string = string> =
  | Name
  | {
      /** The task depended on. */
      readonly task: Name
      /** When true, the dependency passes `undefined` if that task was skipped or failed. */
      readonly optional?: boolean
    }

/** The task a dependency names. */
export type DependencyName<D> = D extends string
  ? D
  : D extends {
        /** The task a dependency object names. */
        readonly task: infer N
      }
    ? N
    : never
/** Whether a dependency is optional. */
export type IsOptional<D> = D extends {
  /** Set on an optional dependency. */
  readonly optional: true
}
  ? true
  : false

/** The value a dependency passes: the task's output, or that or `undefined` when optional. */
export type DependencyValue<T, D> = IsOptional<D> extends true
  ? TaskOutput<T, DependencyName<D>> | undefined
  : TaskOutput<T, DependencyName<D>>

type DependencyValues<T, Ds extends readonly unknown[]> = { -readonly [I in keyof Ds]: DependencyValue<T, Ds[I]> }

type Ordinal<N extends number> = N extends 1 ? '1st' : N extends 2 ? '2nd' : N extends 3 ? '3rd' : `${N}th`
type Next<C extends readonly unknown[]> = [...C, unknown]

type UnknownNames<T, Ds extends readonly unknown[]> = {
  [I in keyof Ds]: DependencyName<Ds[I]> extends TaskName<T> ? never : DependencyName<Ds[I]>
}[number]

type CheckNames<T, K extends string, Ds extends readonly unknown[]> = [UnknownNames<T, Ds>] extends [never]
  ? [K] extends [DependencyName<Ds[number]>]
    ? `task '${K}' depends on itself`
    : true
  : `task '${K}' depends on unknown task '${UnknownNames<T, Ds> & string}'`

type Plural<N extends number, Word extends string> = N extends 1 ? `1 ${Word}` : `${N} ${Word}s`

type ContextMessage<K extends string, Position extends number, Ds extends readonly unknown[], P0> = [Exclude<P0, undefined>] extends [
  TaskContext<any>,
]
  ? `task '${K}': its ${Ordinal<Position>} parameter is a TaskContext of another input type; use the workflow's input type`
  : `task '${K}': its ${Ordinal<Position>} parameter must accept the TaskContext (it follows the ${Plural<Ds['length'], 'dependency output'>})`

type MismatchMessage<K extends string, Ds extends readonly unknown[], C extends readonly unknown[], P0> =
  C['length'] extends Ds['length']
    ? ContextMessage<K, Next<C>['length'], Ds, P0>
    : IsOptional<Ds[C['length']]> extends true
      ? `task '${K}': its ${Ordinal<Next<C>['length']>} parameter must accept what task '${DependencyName<Ds[C['length']]> & string}' returns, or undefined (the dependency is optional)`
      : `task '${K}': its ${Ordinal<Next<C>['length']>} parameter does not accept what task '${DependencyName<Ds[C['length']]> & string}' returns`

/** Compares, position by position, what the engine passes (`Expected`) with what the method accepts (`P`). */
type CheckParameters<
  K extends string,
  Ds extends readonly unknown[],
  Expected extends readonly unknown[],
  P extends readonly unknown[],
  C extends readonly unknown[] = [],
> = P extends readonly [infer P0, ...infer PRest]
  ? Expected extends readonly [infer E0, ...infer ERest]
    ? [E0] extends [P0]
      ? CheckParameters<K, Ds, ERest, PRest, Next<C>>
      : MismatchMessage<K, Ds, C, P0>
    : `task '${K}': its ${Ordinal<Next<C>['length']>} parameter is neither a dependency output nor the TaskContext; remove it`
  : number extends P['length']
    ? [Expected[number]] extends [P[number]]
      ? true
      : `task '${K}': its rest parameter does not accept every dependency output and the TaskContext`
    : true

type ContextFor<T, P extends readonly unknown[]> = IsLoopBody<P> extends true ? LoopContext<InputOf<T>> : TaskContext<InputOf<T>>

/** The check `@DependsOn(...Ds)` applies to method `M`, named `K`, of class instance `T`. */
export type DependsOnCheck<T, K extends string, Ds extends readonly unknown[], M> = M extends (...args: infer P) => unknown
  ? CheckNames<T, K, Ds> extends true
    ? CheckParameters<K, Ds, [...DependencyValues<T, Ds>, ContextFor<T, P>], Normalize<P>>
    : CheckNames<T, K, Ds>
  : `'${K}' is not a method`

/** True when at least one member of the union `U` is assignable to `P`. */
type SomeAssignable<U, P> = true extends (U extends P ? true : false) ? true : false

type OtherOutputs<T, K> = { [N in TaskName<T>]: N extends K ? never : TaskOutput<T, N> }[TaskName<T>]

/** Whether a parameter type accepts something the engine may pass a task before its context. */
type AcceptsArgument<T, K, P0> = [InputOf<T>] extends [P0]
  ? true
  : SomeAssignable<OtherOutputs<T, K>, P0> extends true
    ? true
    : [TaskFailure] extends [P0]
      ? true
      : false

type LooseParameters<T, K extends string, Ctx, P extends readonly unknown[], C extends readonly unknown[] = []> = P extends readonly [
  infer P0,
  ...infer PRest,
]
  ? [Exclude<P0, undefined>] extends [TaskContext<any>]
    ? [Ctx] extends [P0]
      ? PRest extends readonly []
        ? true
        : `task '${K}': its ${Ordinal<Next<Next<C>>['length']>} parameter follows the TaskContext; the context is always last`
      : `task '${K}': its ${Ordinal<Next<C>['length']>} parameter is a TaskContext of another input type; use the workflow's input type`
    : C extends readonly []
      ? AcceptsArgument<T, K, P0> extends true
        ? LooseParameters<T, K, Ctx, PRest, Next<C>>
        : [OtherOutputs<T, K>] extends [never]
          ? `task '${K}': its 1st parameter does not accept the workflow input; declare the input with 'extends WorkflowBase<Input>'`
          : `task '${K}': its 1st parameter accepts neither the workflow input (declare it with 'extends WorkflowBase<Input>') nor any task's output (add @DependsOn)`
      : LooseParameters<T, K, Ctx, PRest, Next<C>>
  : true

/**
 * The check `@Task()` applies. It cannot see `@DependsOn` (decorators do not
 * share types), so it checks what it can: the first parameter must accept the
 * workflow input (a root task), some task's output (checked exactly by
 * `@DependsOn`) or a `TaskFailure` (an `@OnFailure` handler), and a
 * `TaskContext` parameter must be of the workflow's input type and come last.
 */
export type TaskCheck<T, K extends string, M> = M extends (...args: infer P) => unknown
  ? LooseParameters<T, K, ContextFor<T, P>, Normalize<P>>
  : `'${K}' is not a method`

/**
 * The check a decorator applies when it takes a function of the task's own
 * arguments (`@When`'s condition, `@Cache`'s key): that function must accept them.
 */
export type ArgumentsCheck<Label extends string, K extends string, A extends readonly unknown[], M> = M extends (
  ...args: infer P
) => unknown
  ? CheckPrefix<Label, K, A, Normalize<P>>
  : `'${K}' is not a method`

type CheckPrefix<
  Label extends string,
  K extends string,
  A extends readonly unknown[],
  P extends readonly unknown[],
  C extends readonly unknown[] = [],
> = A extends readonly [infer A0, ...infer ARest]
  ? P extends readonly [infer P0, ...infer PRest]
    ? [Exclude<P0, undefined>] extends [TaskContext<any>]
      ? `${Label} on task '${K}': it receives the task's arguments only, not the TaskContext`
      : [P0] extends [A0]
      ? CheckPrefix<Label, K, ARest, PRest, Next<C>>
      : `${Label} on task '${K}': its ${Ordinal<Next<C>['length']>} parameter does not accept the task's ${Ordinal<Next<C>['length']>} argument`
    : `${Label} on task '${K}': it takes more parameters than the task`
  : true

/** The check `@Loop` applies: the body returns its next state and ends with a `LoopContext`. */
export type LoopCheck<K extends string, S, M> = M extends (...args: infer P) => infer R
  ? IsLoopBody<P> extends true
    ? Normalize<P> extends readonly [infer P0, ...unknown[]]
      ? [Awaited<R>] extends [P0]
        ? [S] extends [never]
          ? true
          : [P0] extends [S]
            ? true
            : `@Loop on task '${K}': the 'while' condition does not accept the loop state`
        : `@Loop on task '${K}': the body must return the next state, a value its 1st parameter accepts`
      : `@Loop on task '${K}': the body's 1st parameter is the loop state`
    : `@Loop on task '${K}': declare the last parameter as LoopContext (it carries the iteration number)`
  : `'${K}' is not a method`

/** The check `@OnFailure(task)` applies: the handled task exists, the handler takes a `TaskFailure`, then the context. */
export type OnFailureCheck<T, K extends string, Target extends string, M> = M extends (...args: infer P) => unknown
  ? Target extends TaskName<T>
    ? Normalize<P> extends readonly [infer P0, ...infer Rest]
      ? [TaskFailure] extends [P0]
        ? Rest extends readonly []
          ? true
          : Rest extends readonly [infer P1]
            ? [TaskContext<InputOf<T>>] extends [P1]
              ? true
              : `@OnFailure on task '${K}': its 2nd parameter must accept the TaskContext`
            : `@OnFailure on task '${K}': a handler takes a TaskFailure and the TaskContext; remove its other parameters`
        : `@OnFailure on task '${K}': its 1st parameter must accept a TaskFailure`
      : true
    : `@OnFailure on task '${K}': unknown task '${Target}'`
  : `'${K}' is not a method`
