/**
 * Type-level machinery behind Weft's compile-time checks. Decorators use these
 * types to constrain the method they decorate, so a task whose parameters do
 * not accept what the engine passes fails `tsc` with a message that names the
 * task and the parameter.
 *
 * Soundness rests on one rule: the decorator that decides what a method
 * receives is the one that declares it a task, and it checks the whole
 * parameter list against exactly what the engine passes.
 *
 * | declared with                                      | the engine passes                          |
 * | -------------------------------------------------- | ------------------------------------------ |
 * | `@Task()`                                          | the workflow input, the `TaskContext`      |
 * | `@DependsOn(...names)`, `@Task({ dependsOn })`     | each dependency's output, the `TaskContext` |
 * | `@OnFailure(task)`                                 | a `TaskFailure`, the `TaskContext`         |
 * | `@Loop({ while, maxIterations, dependsOn? })`      | the state (input or outputs), a `LoopContext` |
 *
 * (Legacy decorators check each decorator against the method type alone, so a
 * plain `@Task()` can never see a separate `@DependsOn`; the compiler rejects
 * the two on one method.)
 *
 * @module
 */
import type { LoopContext, LoopResult, TaskContext, TaskFailure } from './task-context.js'

/** @internal Key of the phantom property that carries a workflow's input type. */
export const workflowInputKey: unique symbol = Symbol('weft/workflow-input')

/** @internal Key of the phantom property that carries the type `engine.start` accepts, before decoding. */
export const workflowEncodedInputKey: unique symbol = Symbol('weft/workflow-encoded-input')

/** @internal Key of the phantom property that carries the events a workflow declares (`WorkflowBase.withEvents`). */
export const workflowEventsKey: unique symbol = Symbol('weft/workflow-events')

/** @internal Key of the property a failed type check requires, whose type is the message. */
export const weftTypeErrorKey: unique symbol = Symbol('weft/type-error')

/**
 * A type that cannot be satisfied; its property's type is the error message
 * tsc prints. Produced by Weft's decorator checks.
 *
 * @example
 * ```ts
 * import type { WeftTypeError } from 'weft-sdk/types'
 * // tsc prints the message of a failed check as this type's argument:
 * type Shown = WeftTypeError<"task 'ship': its 1st parameter does not accept what task 'load' returns">
 * ```
 */
export interface WeftTypeError<Message extends string> {
  /** The error message; tsc prints it as the type this property expects. */
  readonly [weftTypeErrorKey]: Message
}

/**
 * A {@link WeftTypeError} that also shows the two types that do not fit: tsc
 * prints `Types` (for example `{ "task 'load' returns": Order; "the parameter accepts": string }`)
 * after the message.
 *
 * @example
 * ```ts
 * import type { WeftTypeMismatch } from 'weft-sdk/types'
 * type Shown = WeftTypeMismatch<"task 'ship': its 1st parameter does not accept what task 'load' returns", {
 *   "task 'load' returns": { id: string }
 *   'the parameter accepts': string
 * }>
 * ```
 */
export interface WeftTypeMismatch<Message extends string, Types> extends WeftTypeError<Message> {
  /** Phantom: never set; it carries the types tsc prints beside the message. */
  readonly types?: Types
}

/** A failed check that names the two types that do not fit. */
type Mismatch<Message extends string, Types> = readonly [Message, Types]

/**
 * `unknown` (no constraint) when a check passed, else a {@link WeftTypeError}
 * with its message (a {@link WeftTypeMismatch} when the check names types).
 */
export type Verdict<R> = R extends true
  ? unknown
  : R extends readonly [infer Message extends string, infer Types]
    ? WeftTypeMismatch<Message, Types>
    : WeftTypeError<R & string>

/**
 * The input type declared by a workflow instance type (via `WorkflowBase<I>`); `unknown` when undeclared.
 *
 * @example
 * ```ts
 * import { WorkflowBase, type InputOf } from 'weft-sdk'
 * class Greet extends WorkflowBase<{ name: string }> {}
 * const input: InputOf<Greet> = { name: 'ada' }
 * ```
 */
export type InputOf<T> = T extends {
  /** The phantom property `WorkflowBase<I>` declares; its type is the input type `I`. */
  readonly [workflowInputKey]: infer I
}
  ? I
  : unknown

/**
 * The events a workflow instance type declares (via `WorkflowBase.withEvents`), by name; `{}` when none.
 *
 * @example
 * ```ts
 * import { Schema } from 'effect'
 * import { WorkflowBase } from 'weft-sdk'
 * import type { EventsOf } from 'weft-sdk/types'
 * const Events = { approved: Schema.Struct({ by: Schema.String }) }
 * abstract class Approval extends WorkflowBase.withEvents(Events)<{ amount: number }> {}
 * type Declared = EventsOf<Approval> // typeof Events
 * ```
 */
export type EventsOf<T> = T extends {
  /** The phantom property `WorkflowBase.withEvents(events)` declares; its type is the events' schemas. */
  readonly [workflowEventsKey]: infer Ev
}
  ? Ev
  : {}

/** The input `engine.start` accepts for a workflow instance type: the input schema's encoded type, else the input type. */
export type EncodedInputOf<T> = T extends {
  /** The phantom property `WorkflowBase<I, E>` declares; its type is the encoded input type `E`. */
  readonly [workflowEncodedInputKey]: infer E
}
  ? E
  : InputOf<T>

/**
 * Names of the public members of `T` that are methods: the workflow's tasks.
 * The compiler rejects a workflow class with an undecorated method, so every
 * name here is a task at run time too (helpers are `#private`, `static`, or
 * functions outside the class). A public field holding a function
 * (`helper = () => 1`) is invisible until an instance exists, so it is not
 * rejected: keep such fields `private` (as injected functions usually are),
 * or `result.output('helper')` compiles and throws `TaskOutputMissingError`.
 *
 * @example
 * ```ts
 * import { Task, Workflow, type TaskName } from 'weft-sdk'
 * @Workflow({ name: 'greet', version: 1 })
 * class Greet { @Task() hello() { return 'hi' } }
 * const name: TaskName<Greet> = 'hello'
 * ```
 */
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
type IsAny<X> = 0 extends 1 & X ? true : false

/**
 * Whether a method's parameter list marks it as a loop body: its last
 * parameter is a `LoopContext` (not `any`, which says nothing).
 */
export type IsLoopBody<P extends readonly unknown[]> = [LastOf<Normalize<P>>] extends [never]
  ? false
  : IsAny<LastOf<Normalize<P>>> extends true
    ? false
    : [LastOf<Normalize<P>>] extends [LoopContext<any>]
      ? true
      : false

/**
 * What task `K` of `T` produces: the awaited return type, or for a loop body
 * a `LoopResult` of its state parameter's type (its final state may be the
 * initial state, which that parameter accepts).
 *
 * @example
 * ```ts
 * import { Task, Workflow, type TaskOutput } from 'weft-sdk'
 * @Workflow({ name: 'price', version: 1 })
 * class Price { @Task() async total() { return 42 } }
 * const total: TaskOutput<Price, 'total'> = 42 // awaited: number, not Promise<number>
 * ```
 */
export type TaskOutput<T, K> = K extends keyof T
  ? T[K] extends (...args: infer P) => infer R
    ? IsLoopBody<P> extends true
      ? LoopResult<Normalize<P>[0]>
      : Awaited<R>
    : never
  : never

/**
 * Every task output of `T`, by task name.
 *
 * @example
 * ```ts
 * import { Task, Workflow, type TaskOutputs } from 'weft-sdk'
 * @Workflow({ name: 'price', version: 1 })
 * class Price { @Task() total() { return 42 } @Task() currency() { return 'EUR' } }
 * const outputs: TaskOutputs<Price> = { total: 42, currency: 'EUR' }
 * ```
 */
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

/**
 * Whether a dependency may pass `undefined`: unless its `optional` is
 * `false` or absent (an `optional: boolean` may be true at run time).
 */
export type IsOptional<D> = D extends string
  ? false
  : D extends {
        /** The task depended on. */
        readonly task: unknown
        /** Absent or false on a required dependency. */
        readonly optional?: false | undefined
      }
    ? false
    : true

/** The value a dependency passes: the task's output, or that or `undefined` when optional. */
export type DependencyValue<T, D> = IsOptional<D> extends true
  ? TaskOutput<T, DependencyName<D>> | undefined
  : TaskOutput<T, DependencyName<D>>

// ---------------------------------------------------------------------------
// What the engine passes, position by position ("slots"), and the messages.

/** The workflow input, passed to a root task and a root loop. */
export interface InputSlot<V> {
  /** Which slot this is. */
  readonly kind: 'input'
  /** The type passed there. */
  readonly value: V
}
/** A dependency's output. */
export interface OutputSlot<Name, V, Optional> {
  /** Which slot this is. */
  readonly kind: 'output'
  /** The task whose output is passed. */
  readonly task: Name
  /** Whether the dependency is optional (then `undefined` may be passed). */
  readonly optional: Optional
  /** The type passed there. */
  readonly value: V
}
/** The failure an `@OnFailure` handler receives. */
export interface FailureSlot {
  /** Which slot this is. */
  readonly kind: 'failure'
  /** The type passed there. */
  readonly value: TaskFailure
}
/** The context, always last: a `TaskContext`, or a `LoopContext` for a loop body. */
export interface ContextSlot<V, Loop extends boolean> {
  /** Which slot this is. */
  readonly kind: 'context'
  /** Whether it is a loop body's `LoopContext`. */
  readonly loop: Loop
  /** The type passed there. */
  readonly value: V
}
type Slot = InputSlot<unknown> | OutputSlot<unknown, unknown, boolean> | FailureSlot | ContextSlot<unknown, boolean>

type OutputSlots<T, Ds extends readonly unknown[]> = {
  -readonly [I in keyof Ds]: OutputSlot<DependencyName<Ds[I]>, DependencyValue<T, Ds[I]>, IsOptional<Ds[I]>>
}
type ContextOf<T, Loop extends boolean> = ContextSlot<
  Loop extends true ? LoopContext<InputOf<T>, EventsOf<T> & {}> : TaskContext<InputOf<T>, EventsOf<T> & {}>,
  Loop
>

/** What the engine passes a task declared with `Ds` as dependencies (none: a root task). */
type BindingSlots<T, Ds extends readonly unknown[], Loop extends boolean> = Ds extends readonly []
  ? [InputSlot<InputOf<T>>, ContextOf<T, Loop>]
  : [...OutputSlots<T, Ds>, ContextOf<T, Loop>]

type Ordinal<N extends number> = N extends 1 ? '1st' : N extends 2 ? '2nd' : N extends 3 ? '3rd' : `${N}th`
type Next<C extends readonly unknown[]> = [...C, unknown]
type Plural<N extends number, Word extends string> = N extends 1 ? `1 ${Word}` : `${N} ${Word}s`

/** How a message names what the engine passes at a slot. */
type What<S> = S extends OutputSlot<infer Name, unknown, boolean>
  ? `what task '${Name & string}' returns`
  : S extends InputSlot<unknown>
    ? 'the workflow input'
    : S extends FailureSlot
      ? 'the TaskFailure'
      : S extends ContextSlot<unknown, true>
        ? 'the LoopContext'
        : 'the TaskContext'

type IsContext<P> = [Exclude<P, undefined>] extends [never] ? false : [Exclude<P, undefined>] extends [TaskContext<any>] ? true : false
type IsLoopContext<P> = [Exclude<P, undefined>] extends [never] ? false : [Exclude<P, undefined>] extends [LoopContext<any>] ? true : false
type IsPromise<P> = [Exclude<P, undefined>] extends [never] ? false : [Exclude<P, undefined>] extends [PromiseLike<unknown>] ? true : false

/** The types a mismatch shows: what the engine passes, what the parameter accepts. */
type Shown<S extends Slot, P0, N extends number> = { [W in What<S>]: S['value'] } & {
  [A in `its ${Ordinal<N>} parameter accepts`]: P0
} extends infer O
  ? { [Key in keyof O]: O[Key] }
  : never

/** Where the context sits in a binding, how messages name what precedes it, and whether it is a `LoopContext`. */
interface Frame {
  readonly contextAt: number
  readonly before: string
  readonly loop: boolean
}

type SlotMismatch<T, K extends string, S extends Slot, P0, N extends number, F extends Frame> =
  S extends ContextSlot<unknown, boolean>
    ? ContextMismatch<K, S, P0, N, F['before']>
    : IsContext<P0> extends true
      ? `task '${K}': its ${Ordinal<N>} parameter receives ${What<S>}, not the ${IsLoopContext<P0> extends true ? 'LoopContext' : 'TaskContext'}; the context is its ${Ordinal<F['contextAt']>} parameter`
      : S extends OutputSlot<infer Name extends string, unknown, infer Optional>
        ? OutputMismatch<K, Name, Optional, S, P0, N>
        : S extends InputSlot<unknown>
          ? InputMismatch<T, K, S, P0, F['loop']>
          : Mismatch<`task '${K}': its ${Ordinal<N>} parameter does not accept ${What<S>}`, Shown<S, P0, N>>

type ContextMismatch<K extends string, S extends ContextSlot<unknown, boolean>, P0, N extends number, Before extends string> =
  S extends ContextSlot<unknown, false>
    ? IsLoopContext<P0> extends true
      ? `task '${K}': its ${Ordinal<N>} parameter is a LoopContext, which only a loop body receives; declare the loop with @Loop({ while, maxIterations })`
      : IsContext<P0> extends true
        ? `task '${K}': its ${Ordinal<N>} parameter is a TaskContext of ${ContextDifference<S['value'], P0>}`
        : `task '${K}': its ${Ordinal<N>} parameter must accept the TaskContext (it follows ${Before})`
    : IsLoopContext<P0> extends true
      ? `task '${K}': its ${Ordinal<N>} parameter is a LoopContext of ${ContextDifference<S['value'], P0>}`
      : `task '${K}': its ${Ordinal<N>} parameter must accept the LoopContext (it follows ${Before})`

/** The events a context type carries (`never` for a type that is not a context). */
type ContextEvents<C> = [Exclude<C, undefined>] extends [TaskContext<any, infer Ev>] ? Ev : never

/**
 * Whether a context parameter accepts the context but forgets the workflow's
 * declared events (`TaskContext<I>` in a workflow whose base has
 * `withEvents`): its `waitForEvent` would take any name and any payload type.
 * A parameter typed `any` or `unknown` is left alone.
 */
type DropsEvents<S extends Slot, P0> = 0 extends 1 & P0
  ? false
  : S extends ContextSlot<infer V, boolean>
    ? [keyof ContextEvents<V>] extends [never]
      ? false
      : IsContext<P0> extends true
        ? [keyof ContextEvents<P0>] extends [never]
          ? true
          : false
        : false
    : false

/** How a context parameter differs from the one the engine passes: its input type, or its events. */
type ContextDifference<Passed, P0> = Passed extends TaskContext<infer I, any>
  ? [Exclude<P0, undefined>] extends [TaskContext<infer PI, any>]
    ? [I] extends [PI]
      ? "other events than the workflow declares; type it TaskContext<Input, typeof Events> with the events of WorkflowBase.withEvents(Events), or TaskContext<Input> if it waits for none"
      : "another input type; use the workflow's input type"
    : "another input type; use the workflow's input type"
  : "another input type; use the workflow's input type"

type OutputMismatch<K extends string, Name extends string, Optional, S extends Slot, P0, N extends number> =
  IsPromise<P0> extends true
    ? `task '${K}': its ${Ordinal<N>} parameter is a Promise, but tasks receive resolved values: declare it as what task '${Name}' returns`
    : Optional extends true
      ? Mismatch<`task '${K}': its ${Ordinal<N>} parameter must accept what task '${Name}' returns, or undefined (the dependency is optional)`, Shown<S, P0, N>>
      : Mismatch<`task '${K}': its ${Ordinal<N>} parameter does not accept what task '${Name}' returns`, Shown<S, P0, N>>

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never
/** One member of a union (the compiler's last), to name in a hint. */
type OneOf<U> = UnionToIntersection<U extends unknown ? () => U : never> extends () => infer R ? R : never

/** Tasks other than `K` whose output a parameter of type `P0` accepts. */
type TasksAccepted<T, K, P0> = { [N in TaskName<T>]: N extends K ? never : [TaskOutput<T, N>] extends [P0] ? N : never }[TaskName<T>]

/** How a message tells to declare dependency `N`, in the form of the decorator that checked. */
type DeclareDependency<N extends string, Loop extends boolean> = Loop extends true
  ? `@Loop({ dependsOn: ['${N}'], while, maxIterations })`
  : `@DependsOn('${N}')`

type InputMismatch<T, K extends string, S extends Slot, P0, Loop extends boolean> = [TasksAccepted<T, K, P0>] extends [never]
  ? [TaskFailure] extends [P0]
    ? `task '${K}': its 1st parameter does not accept the workflow input; if this task handles a failure, declare it with @OnFailure('<task>')`
    : unknown extends InputOf<T>
      ? `task '${K}': its 1st parameter does not accept the workflow input; declare the input with 'extends WorkflowBase<Input>'`
      : Mismatch<`task '${K}': its 1st parameter does not accept the workflow input`, Shown<S, P0, 1>>
  : `task '${K}': its 1st parameter does not accept the workflow input; if this task depends on '${OneOf<TasksAccepted<T, K, P0>> & string}', declare it with ${DeclareDependency<OneOf<TasksAccepted<T, K, P0>> & string, Loop>}`

/**
 * Compares, position by position, what the engine passes (`S`) with what the
 * method accepts (`P`); `C` counts the positions checked.
 */
type CheckSlots<
  T,
  K extends string,
  S extends readonly Slot[],
  P extends readonly unknown[],
  F extends Frame,
  C extends readonly unknown[] = [],
> = P extends readonly [infer P0, ...infer PRest]
  ? S extends readonly [infer S0 extends Slot, ...infer SRest extends readonly Slot[]]
    ? [S0['value']] extends [P0]
      ? DropsEvents<S0, P0> extends true
        ? `task '${K}': its ${Ordinal<Next<C>['length']>} parameter is a ${S0 extends ContextSlot<unknown, true> ? 'LoopContext' : 'TaskContext'} without the events the workflow declares; type it ${S0 extends ContextSlot<unknown, true> ? 'LoopContext' : 'TaskContext'}<Input, typeof Events> with the events of withEvents(Events), so waitForEvent checks their names and payloads`
        : CheckSlots<T, K, SRest, PRest, F, Next<C>>
      : SlotMismatch<T, K, S0, P0, Next<C>['length'], F>
    : `task '${K}': its ${Ordinal<Next<C>['length']>} parameter receives nothing: the context, its ${Ordinal<F['contextAt']>}, is always last; remove it`
  : number extends P['length']
    ? [S[number]['value']] extends [P[number]]
      ? true
      : `task '${K}': its rest parameter does not accept every argument and the context the engine passes`
    : true

/** How a message names the arguments before the context (the context is the last slot). */
type BeforeContext<S extends readonly Slot[]> = S extends readonly [infer S0, ...infer Rest]
  ? S0 extends OutputSlot<unknown, unknown, boolean>
    ? `the ${Plural<Rest['length'], 'dependency output'>}`
    : What<S0>
  : never

/** The {@link Frame} of a binding's slots. */
interface FrameOf<S extends readonly Slot[]> {
  readonly contextAt: S['length']
  readonly before: BeforeContext<S>
  readonly loop: [Extract<S[number], ContextSlot<unknown, true>>] extends [never] ? false : true
}

/** Checks method `M` of `T`, named `K`, against the slots `S` the engine fills. */
type CheckBinding<T, K extends string, S extends readonly Slot[], M> = M extends (...args: infer P) => unknown
  ? CheckSlots<T, K, S, Normalize<P>, FrameOf<S>>
  : `'${K}' is not a method`

// ---------------------------------------------------------------------------
// The checks each decorator applies.

type UnknownNames<T, Ds extends readonly unknown[]> = {
  [I in keyof Ds]: DependencyName<Ds[I]> extends TaskName<T> ? never : DependencyName<Ds[I]>
}[number]

type CheckNames<T, K extends string, Ds extends readonly unknown[]> = [UnknownNames<T, Ds>] extends [never]
  ? [K] extends [DependencyName<Ds[number]>]
    ? `task '${K}' depends on itself`
    : true
  : `task '${K}' depends on unknown task '${UnknownNames<T, Ds> & string}'`

/**
 * The check of a task declared with dependencies `Ds` (`@DependsOn(...Ds)` or
 * `@Task({ dependsOn: Ds })`), on method `M`, named `K`, of class instance `T`:
 * the names are tasks of `T`, and each parameter accepts what the engine
 * passes there (the outputs in order, then the `TaskContext`).
 */
export type DependsOnCheck<T, K extends string, Ds extends readonly unknown[], M> =
  CheckNames<T, K, Ds> extends true ? CheckBinding<T, K, BindingSlots<T, Ds, false>, M> : CheckNames<T, K, Ds>

/**
 * The check `@Task(options)` applies. Without `dependsOn` it is strict: the
 * method is a root task, whose parameters accept the workflow input and then
 * the `TaskContext`; when its first parameter matches some task's output,
 * the message says to declare the dependency. With `dependsOn` it is
 * {@link DependsOnCheck}.
 */
export type TaskCheck<T, K extends string, M, Ds extends readonly unknown[] = []> = Ds extends readonly []
  ? CheckBinding<T, K, BindingSlots<T, [], false>, M>
  : DependsOnCheck<T, K, Ds, M>

/**
 * The check a decorator applies when it takes a function of the task's own
 * arguments (`@When`'s condition, `@Cache`'s key): that function must accept them.
 */
export type ArgumentsCheck<Label extends string, K extends string, A extends readonly unknown[], M> = M extends (
  ...args: infer P
) => unknown
  ? CheckPrefix<Label, K, A, Normalize<P>>
  : `'${K}' is not a method`

/**
 * The check `@Recover` (and `@Task({ recover })`) applies to the methods its
 * `fallbackWith` strategies name (`F`, a union of names): none may be a
 * public member of the class. Every public method of a workflow class is a
 * task by the class's type ({@link TaskName}), so a public fallback would let
 * `result.output('<fallback>')` compile; a private or protected one is
 * invisible to it. (Its parameters and return type cannot be checked here:
 * TypeScript shows no generic code a private member's type. The compiler
 * checks that the method exists and is not a task when the workflow is
 * defined.) Names known only as `string` are not checked.
 *
 * @example
 * ```ts
 * import type { FallbackMethodCheck } from 'weft-sdk/types'
 * class Quotes { live() { return 1 } private fromCache() { return 0 } }
 * const ok: FallbackMethodCheck<Quotes, 'fromCache'> = true
 * type Refused = FallbackMethodCheck<Quotes, 'live'> // "@Recover fallbackWith 'live' names a public method: ..."
 * ```
 */
export type FallbackMethodCheck<T, F> = string extends F
  ? true
  : [Extract<F, keyof T>] extends [never]
    ? true
    : PublicFallback<Extract<F, keyof T> & string>

type PublicFallback<N extends string> = N extends string
  ? `@Recover fallbackWith '${N}' names a public method: the class's type counts every public method as a task (result.output('${N}') would compile); make '${N}' private or protected`
  : never

type CheckPrefix<
  Label extends string,
  K extends string,
  A extends readonly unknown[],
  P extends readonly unknown[],
  C extends readonly unknown[] = [],
> = A extends readonly [infer A0, ...infer ARest]
  ? P extends readonly [infer P0, ...infer PRest]
    ? IsContext<P0> extends true
      ? `${Label} on task '${K}': it receives the task's arguments only, not the TaskContext`
      : [P0] extends [A0]
      ? CheckPrefix<Label, K, ARest, PRest, Next<C>>
      : `${Label} on task '${K}': its ${Ordinal<Next<C>['length']>} parameter does not accept the task's ${Ordinal<Next<C>['length']>} argument`
    : `${Label} on task '${K}': it takes more parameters than the task`
  : true

type LoopState<P extends readonly unknown[]> = Normalize<P> extends readonly [infer P0, ...unknown[]] ? P0 : never

/** The state checks of a loop body whose parameters `P` passed the binding check. */
type CheckLoopState<K extends string, S, P extends readonly unknown[], R> = Normalize<P> extends readonly [unknown, unknown, ...unknown[]]
  ? [Awaited<R>] extends [LoopState<P>]
    ? [S] extends [never]
      ? true
      : [LoopState<P>] extends [S]
        ? true
        : `@Loop on task '${K}': the 'while' condition does not accept the loop state`
    : Mismatch<`@Loop on task '${K}': the body must return the next state, a value its 1st parameter accepts`, {
        'the body returns': Awaited<R>
        'its 1st parameter accepts': LoopState<P>
      }>
  : `@Loop on task '${K}': the body's 1st parameter is the loop state, its last the LoopContext`

/**
 * The check `@Loop({ while, maxIterations, dependsOn? })` applies: the body
 * ends with a `LoopContext`; its parameters accept the input (or the
 * dependencies' outputs) and the context; it returns its next state, which its
 * 1st parameter and the `while` condition accept.
 */
export type LoopCheck<T, K extends string, Ds extends readonly unknown[], S, M> = M extends (...args: infer P) => infer R
  ? IsLoopBody<P> extends true
    ? CheckNames<T, K, Ds> extends true
      ? CheckBinding<T, K, BindingSlots<T, Ds, true>, M> extends infer Bound
        ? Bound extends true
          ? CheckLoopState<K, S, P, R>
          : Bound
        : never
      : CheckNames<T, K, Ds>
    : `@Loop on task '${K}': declare the last parameter as LoopContext (it carries the iteration number)`
  : `'${K}' is not a method`

/**
 * The check `@OnFailure(task)` applies: the handled task exists, and the
 * handler's parameters accept a `TaskFailure`, then the `TaskContext`.
 */
export type OnFailureCheck<T, K extends string, Target extends string, M> = Target extends TaskName<T>
  ? CheckBinding<T, K, [FailureSlot, ContextOf<T, false>], M>
  : `@OnFailure on task '${K}': unknown task '${Target}'`
