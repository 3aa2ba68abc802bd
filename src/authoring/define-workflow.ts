import type { Duration } from '../core/duration.js'
import { InvalidOptionsError } from '../core/errors.js'
import { compileGraph } from '../graph/compile-graph.js'
import { pickPolicyOptions } from '../graph/policy-kinds.js'
import type { EventSchemas, LoopContext, LoopResult, TaskContext, TaskFailure } from '../graph/task-context.js'
import type { CacheOptions } from '../graph/policy-options.js'
import type { FallbackContext, FallbackFunction } from '../graph/fallback-options.js'
import type { RecoverOptions } from '../graph/recovery-options.js'
import type { DependencyRef, IsOptional, Verdict, WeftTypeError } from '../graph/type-level.js'
import type { DependencySpec, TaskDraft, TaskPolicyOptions } from '../graph/workflow-draft.js'
import type { TaskCondition, TaskKind } from '../graph/workflow-graph.js'
import { assertServiceMap, type ServiceMap, type ServicesOf } from './service-token.js'
import { definitionTypesKey, type InputSchema, type WorkflowDefinition } from './workflow-ref.js'
import type { ResultDeclaration } from './workflow-result.js'

/**
 * Options of {@link defineWorkflow}.
 *
 * @example
 * ```ts
 * import { Schema } from 'effect'
 * import { defineWorkflow } from 'weft-sdk'
 * const Signup = defineWorkflow({ name: 'signup', version: 2, input: Schema.Struct({ email: Schema.String }), trigger: 'user.created' })
 *   .task('welcome', (input) => `welcome ${input.email}`)
 *   .build()
 * ```
 */
export interface DefineWorkflowOptions<I, E = I> {
  /** Unique name; runs are recorded under it. */
  readonly name: string
  /** Integer ≥ 1. Runs are pinned to the version that started them. */
  readonly version: number
  /** Free-text description, kept in the compiled graph. */
  readonly description?: string
  /**
   * An Effect `Schema` for the input; its decoded type is what tasks receive, its encoded type what `engine.start` accepts.
   * @defaultValue no check: the input is passed as given
   */
  readonly input?: InputSchemaOf<I, E>
  /**
   * Event name that starts a run (see `WorkflowOptions.trigger`).
   * @defaultValue none: runs start only through `engine.start`
   */
  readonly trigger?: string
  /**
   * Permissions a principal must hold to start a run on a secured engine (see `WorkflowOptions.requires`).
   * @defaultValue none
   */
  readonly requires?: readonly string[]
  /**
   * Error classification and recovery strategies for every ordinary and loop task (see `WorkflowOptions.recover`;
   * no `fallbackTo` or `fallbackWith`, which belong to one task).
   * @defaultValue no recovery strategies
   */
  readonly recover?: RecoverOptions
}

/** An input schema whose decoded type is `I` and encoded type `E`. */
export type InputSchemaOf<I, E = I> = InputSchema & {
  /** The decoded type: what tasks receive. */
  readonly Type: I
  /** The encoded type: what `engine.start` accepts. */
  readonly Encoded: E
}

/**
 * The values a builder task receives for its dependencies `D`, given earlier
 * outputs `O`; an optional dependency (any `optional` but `false`) may pass `undefined`.
 */
export type DefinedValues<O, D extends readonly unknown[]> = {
  -readonly [K in keyof D]: D[K] extends keyof O
    ? O[D[K]]
    : D[K] extends {
          /** The task depended on. */
          readonly task: infer N extends keyof O
        }
      ? IsOptional<D[K]> extends true
        ? O[N] | undefined
        : O[N]
      : never
}

/** The arguments a task function of the builder receives. */
export type DefinedTaskArgs<I, O, D extends readonly unknown[]> = D extends readonly [] ? [input: I] : DefinedValues<O, D>

/** `N` if no task of `O` has that name yet, else a type error. */
export type FreshName<N extends string, O> = N extends keyof O ? WeftTypeError<`task '${N}' is already defined`> : N

/**
 * The recovery options of a builder task whose arguments are `A` and whose
 * output is `R`: a `fallbackWith` is a function of the error, those
 * arguments and a {@link FallbackContext} (with the definition's services),
 * and must return `R` (or a promise of it).
 *
 * @example
 * ```ts
 * import type { DefinedRecoverOptions } from 'weft-sdk'
 * const recover: DefinedRecoverOptions<[symbol: string], number> = {
 *   strategies: { connection: { fallbackWith: (_error, symbol, ctx) => symbol.length + ctx.attempts } },
 * }
 * ```
 */
export type DefinedRecoverOptions<A extends readonly unknown[], R, I = unknown, Svc = {}> = RecoverOptions<FallbackFunction<A, R, WithServices<FallbackContext<I>, Svc>>>

/**
 * Per-task options of the builder: dependencies, a condition, policies.
 *
 * @example
 * ```ts
 * import { defineWorkflow } from 'weft-sdk'
 * defineWorkflow<{ url: string }>({ name: 'crawl', version: 1 })
 *   .task('fetch', { retry: { maxAttempts: 3 }, timeout: '10 s' }, (input) => input.url)
 *   .task('parse', { dependsOn: ['fetch'], when: (page) => page.length > 0 }, (page) => page.length)
 *   .task('summary', { dependsOn: ['parse'], recover: { strategies: { unknown: { fallbackWith: (_error, length) => `${length} characters` } } } }, (length) => `${length} chars`)
 *   .build()
 * ```
 *
 * @typeParam R - the task's output (what its function returns, awaited): a `fallbackWith` must return it.
 * @typeParam Svc - the services the definition declared (a `fallbackWith` reads them as `ctx.services`).
 */
export interface DefineTaskOptions<I, O, D extends readonly DependencyRef<keyof O & string>[], R = unknown, Svc = {}> extends Omit<TaskPolicyOptions, 'cache' | 'recover'> {
  /**
   * Tasks defined earlier whose outputs this task receives, in order.
   * @defaultValue `[]`: a root task, which receives the run input
   */
  readonly dependsOn?: D
  /**
   * Runs the task only when this holds; receives the same arguments as the task.
   * @defaultValue none: the task always runs
   */
  readonly when?: (...args: DefinedTaskArgs<I, O, D>) => boolean | PromiseLike<boolean>
  /** Free-text description, kept in the compiled graph. */
  readonly description?: string
  /** Permissions the run's principal must hold for the task to execute, as `@RequiresPermission` does. @defaultValue none */
  readonly requires?: readonly string[]
  /** Caches the task's results, as `@Cache` does; `key` receives the task's arguments. @defaultValue no cache */
  readonly cache?: CacheOptions<NoInfer<DefinedTaskArgs<I, O, D>>>
  /**
   * Classifies the task's errors and recovers from each class, as `@Recover` does; a `fallbackWith` receives the error,
   * the task's arguments and a `FallbackContext`, and returns the task's output.
   * @defaultValue no recovery strategies
   */
  readonly recover?: DefinedRecoverOptions<DefinedTaskArgs<I, O, D>, R, I, Svc>
}

/**
 * Options of {@link WorkflowBuilder.loop}.
 *
 * @example
 * ```ts
 * import { defineWorkflow } from 'weft-sdk'
 * defineWorkflow<number>({ name: 'countdown', version: 1 })
 *   .loop('halve', { while: (n) => n > 1, maxIterations: 10 }, (n) => Math.floor(n / 2))
 *   .build()
 * ```
 *
 * @typeParam S - the loop's state: a `fallbackWith` receives it (and the other arguments) and returns the next one.
 * @typeParam Svc - the services the definition declared.
 */
export interface DefineLoopOptions<I, O, D extends readonly DependencyRef<keyof O & string>[], S, Svc = {}> extends Omit<TaskPolicyOptions, 'cache' | 'recover'> {
  /**
   * Tasks defined earlier whose outputs the loop receives, in order; the first output is the initial state.
   * @defaultValue `[]`: the run input is the initial state
   */
  readonly dependsOn?: D
  /** Checked before each iteration with the current state and the iteration number (0 first); the loop stops when it returns false. */
  readonly while: (state: S, iteration: number) => boolean
  /** Iterations at most, an integer ≥ 1; the result says whether this cap was hit. */
  readonly maxIterations: number
  /** Free-text description, kept in the compiled graph. */
  readonly description?: string
  /** Permissions the run's principal must hold for the loop to execute, as `@RequiresPermission` does. @defaultValue none */
  readonly requires?: readonly string[]
  /** Caches each iteration's result, as `@Cache` does; `key` receives the state and the other arguments. @defaultValue no cache */
  readonly cache?: CacheOptions<NoInfer<[S, ...Rest<DefinedTaskArgs<I, O, D>>]>>
  /**
   * Classifies each iteration's errors and recovers from each class, as `@Recover` does; a `fallbackWith` receives the
   * error, the state and the other arguments and a `FallbackContext`, and returns the next state.
   * @defaultValue no recovery strategies
   */
  readonly recover?: DefinedRecoverOptions<[NoInfer<S>, ...Rest<DefinedTaskArgs<I, O, D>>], NoInfer<S>, I, Svc>
}

/**
 * Options of {@link WorkflowBuilder.onFailure}: a description and policies.
 *
 * @example
 * ```ts
 * import { defineWorkflow } from 'weft-sdk'
 * defineWorkflow({ name: 'payment', version: 1 })
 *   .task('charge', () => 42)
 *   .onFailure('refund', 'charge', { description: 'refund on failure', retry: { maxAttempts: 2 } }, (failure) => failure.error)
 *   .build()
 * ```
 *
 * @typeParam R - the handler's output: a `fallbackWith` must return it.
 * @typeParam I - the workflow's input.
 * @typeParam Svc - the services the definition declared.
 */
export interface DefineFailureHandlerOptions<R = unknown, I = unknown, Svc = {}> extends Omit<TaskPolicyOptions, 'cache' | 'recover'> {
  /** Free-text description, kept in the compiled graph. @defaultValue none */
  readonly description?: string
  /** Permissions the run's principal must hold for the handler to execute, as `@RequiresPermission` does. @defaultValue none */
  readonly requires?: readonly string[]
  /**
   * Classifies the handler's errors and recovers from each class, as `@Recover` does; a `fallbackWith` receives the
   * error, the `TaskFailure` and a `FallbackContext`, and returns the handler's output.
   * @defaultValue no recovery strategies
   */
  readonly recover?: DefinedRecoverOptions<[failure: TaskFailure], R, I, Svc>
}

/**
 * Options of {@link WorkflowBuilder.always}.
 *
 * @example
 * ```ts
 * import { defineWorkflow } from 'weft-sdk'
 * defineWorkflow<{ dir: string }>({ name: 'build', version: 1 })
 *   .task('compile', (input) => input.dir)
 *   .always('cleanup', { timeout: '30 s', description: 'removes the scratch dir' }, (input) => input.dir)
 *   .build()
 * ```
 */
export interface DefineAlwaysOptions {
  /**
   * How long the cleanup may run before it fails with `TaskTimeoutError`; a
   * first cancel lets it run under this limit, a second cancel aborts it.
   * @defaultValue `'1 m'` (`defaultCleanupTimeout`)
   */
  readonly timeout?: Duration
  /** Free-text description, kept in the compiled graph. */
  readonly description?: string
}

/** The state of a builder loop: its first argument. */
export type LoopState<I, O, D extends readonly unknown[]> = DefinedTaskArgs<I, O, D>[0]
/** A tuple without its first element. */
export type Rest<T extends readonly unknown[]> = T extends readonly [unknown, ...infer R] ? R : []
/** Dependencies a builder task may name: tasks defined before it. */
export type KnownDependencies<O> = readonly DependencyRef<keyof O & string>[]

/**
 * Builds a workflow without decorators, one task at a time. Each task's
 * parameters are typed from the tasks it depends on, so a wrong dependency
 * fails `tsc` as with decorators. Produces the same graph as a decorated class.
 *
 * @example
 * ```ts
 * import { defineWorkflow } from 'weft-sdk'
 * const Quote = defineWorkflow<{ items: number[] }>({ name: 'quote', version: 1 })
 *   .task('total', (input) => input.items.reduce((a, b) => a + b, 0))
 *   .task('tax', { dependsOn: ['total'] }, (total) => total * 0.2)
 *   .build({ result: 'tax' })
 * ```
 */
export interface WorkflowBuilder<I, O, E = I, Svc = {}, Ev extends EventSchemas = {}> {
  /** Adds a root task: it receives the run input. */
  task<const N extends string, R>(name: FreshName<N, O>, run: (input: I, ctx: WithServices<TaskContext<I, Ev>, Svc>) => R): WorkflowBuilder<I, O & { readonly [K in N]: Awaited<R> }, E, Svc, Ev>
  /** Adds a task with options: dependencies (whose outputs it receives), a condition, policies. */
  task<const N extends string, const D extends KnownDependencies<O> = [], R = unknown>(
    name: FreshName<N, O>,
    options: DefineTaskOptions<I, O, D, NoInfer<Awaited<R>>, Svc>,
    run: (...args: [...DefinedTaskArgs<I, O, D>, WithServices<TaskContext<I, Ev>, Svc>]) => R,
  ): WorkflowBuilder<I, O & { readonly [K in N]: Awaited<R> }, E, Svc, Ev>
  /** Adds a loop task; its output is a `LoopResult` of its state. */
  loop<const N extends string, const D extends KnownDependencies<O> = [], S = LoopState<I, O, D>>(
    name: FreshName<N, O>,
    // The state type must accept the initial state (the input or the first output), which the body and `while` receive first.
    options: DefineLoopOptions<I, O, D, S, Svc> &
      Verdict<[LoopState<I, O, D>] extends [S] ? true : "the loop state type does not accept the initial state (the input, or the first dependency's output)">,
    body: (state: S, ...rest: [...Rest<DefinedTaskArgs<I, O, D>>, WithServices<LoopContext<I, Ev>, Svc>]) => S | PromiseLike<S>,
  ): WorkflowBuilder<I, O & { readonly [K in N]: LoopResult<S> }, E, Svc, Ev>
  /** Adds a handler that runs only when `task` failed, and handles the failure. */
  onFailure<const N extends string, R>(
    name: FreshName<N, O>,
    task: keyof O & string,
    handler: (failure: TaskFailure, ctx: WithServices<TaskContext<I, Ev>, Svc>) => R,
  ): WorkflowBuilder<I, O & { readonly [K in N]: Awaited<R> }, E, Svc, Ev>
  /** Adds a failure handler with options: a description, policies (as `@OnFailure(task, { description })` with policy decorators). */
  onFailure<const N extends string, R>(
    name: FreshName<N, O>,
    task: keyof O & string,
    options: DefineFailureHandlerOptions<NoInfer<Awaited<R>>, I, Svc>,
    handler: (failure: TaskFailure, ctx: WithServices<TaskContext<I, Ev>, Svc>) => R,
  ): WorkflowBuilder<I, O & { readonly [K in N]: Awaited<R> }, E, Svc, Ev>
  /** Adds a cleanup task that runs whatever happens; it receives the input. It runs under a time limit of one minute. */
  always<const N extends string, R>(name: FreshName<N, O>, run: (input: I, ctx: WithServices<TaskContext<I, Ev>, Svc>) => R): WorkflowBuilder<I, O & { readonly [K in N]: Awaited<R> }, E, Svc, Ev>
  /** Adds a cleanup task with options: its time limit (`timeout`), a description. */
  always<const N extends string, R>(
    name: FreshName<N, O>,
    options: DefineAlwaysOptions,
    run: (input: I, ctx: WithServices<TaskContext<I, Ev>, Svc>) => R,
  ): WorkflowBuilder<I, O & { readonly [K in N]: Awaited<R> }, E, Svc, Ev>
  /**
   * Validates the workflow and returns its definition.
   * @throws the same definition errors as `compileWorkflow`.
   */
  build(): WorkflowDefinition<I, O, E, Ev>
  /**
   * Validates the workflow and returns its definition, declaring its result:
   * a task's name, `{ task, optional: true }` for a task that may end without
   * output, or a record of them. `await run.result()` and `engine.run` then
   * resolve to it (`run.details()` keeps every task's output).
   *
   * @example
   * ```ts
   * import { defineWorkflow } from 'weft-sdk'
   * const Ship = defineWorkflow<{ orderId: string }>({ name: 'ship', version: 1 })
   *   .task('charge', (input) => ({ amount: input.orderId.length }))
   *   .task('ship', { dependsOn: ['charge'] }, (receipt) => `shipped ${receipt.amount}`)
   *   .build({ result: 'ship' })
   * // const label: string = await engine.run(Ship, { orderId: 'o-1' })
   * ```
   * @throws `ResultDeclarationError` for an unknown task, or a task that may
   * end without output (it has `when`, it is a failure handler, a handler may
   * take its failure, or it depends on such a task) not declared optional;
   * and the same definition errors as `compileWorkflow`.
   */
  build<const D extends ResultDeclaration<keyof O & string>>(options: BuildOptions<D>): WorkflowDefinition<I, O, E, Ev, D>
}

type AnyFunction = (...args: never[]) => unknown

/**
 * Options of {@link WorkflowBuilder.build}.
 *
 * @example
 * ```ts
 * import { defineWorkflow } from 'weft-sdk'
 * defineWorkflow({ name: 'receipt', version: 1 })
 *   .task('charge', () => 42)
 *   .task('mail', { dependsOn: ['charge'], when: (amount) => amount > 10 }, (amount) => `sent ${amount}`)
 *   .build({ result: { amount: 'charge', mail: { task: 'mail', optional: true } } })
 * ```
 */
export interface BuildOptions<D> {
  /** The workflow's result: a task, `{ task, optional: true }`, or a record of them. */
  readonly result: D
}

/**
 * A task context with the services a definition declared (`ctx.services`), or the plain context when it declared none.
 *
 * @example
 * ```ts
 * import type { TaskContext, WithServices } from 'weft-sdk'
 * declare const ctx: WithServices<TaskContext<{ email: string }>, { region: string }>
 * console.log(ctx.services.region, ctx.input.email)
 * ```
 */
export type WithServices<C, S> = [keyof S] extends [never] ? C : C & {
  /** The services the definition declared with `.services({...})`, resolved for this run. */
  readonly services: S
}

/**
 * The builder `defineWorkflow` returns: before its first task it can
 * declare the services its tasks receive.
 *
 * @example
 * ```ts
 * import { defineWorkflow, token } from 'weft-sdk'
 * const Region = token<string>('Region')
 * const Greet = defineWorkflow<{ name: string }>({ name: 'greet', version: 1 })
 *   .services({ region: Region }) // only before the first task
 *   .task('hello', (input, ctx) => `hello ${input.name} from ${ctx.services.region}`)
 *   .build({ result: 'hello' })
 * ```
 */
export interface WorkflowStart<I, E = I, Ev extends EventSchemas = {}> extends WorkflowBuilder<I, {}, E, {}, Ev> {
  /**
   * Declares the workflow's events, each with the Effect `Schema` of its
   * payload (before the first task, before or after `services`): `run.signal` is typed by
   * them and refuses a payload the schema refuses before storing it
   * (`EventPayloadError`); `ctx.waitForEvent(name)` in the tasks is typed and
   * returns the payload decoded by the schema; a payload that reached the
   * run another way (the CLI, a broadcast) and that the schema refuses is
   * never delivered.
   *
   * @example
   * ```ts
   * import { Schema } from 'effect'
   * import { defineWorkflow } from 'weft-sdk'
   * const Expense = defineWorkflow<{ amount: number }>({ name: 'expense', version: 1 })
   *   .events({ approved: Schema.Struct({ by: Schema.String }) })
   *   .task('approve', async (input, ctx) => `${input.amount} approved by ${(await ctx.waitForEvent('approved')).by}`)
   *   .build({ result: 'approve' })
   * // const run = await engine.start(Expense, { amount: 12 }); await run.signal('approved', { by: 'ada' })
   * ```
   * @throws `InvalidOptionsError` when a value is not an Effect Schema, or events were declared already.
   */
  events<const V extends EventSchemas>(events: V): WorkflowStart<I, E, V>
  /**
   * Declares the services the tasks receive as `ctx.services.<name>`, typed
   * by their tokens: a class gives its instances, `token<T>(key)` gives `T`.
   * They are resolved from the engine's container once per run; a token
   * nothing registered is refused when the workflow is registered, naming
   * the workflow and the token, as for a class's constructor.
   *
   * @example
   * ```ts
   * import { defineWorkflow, token } from 'weft-sdk'
   * class PriceList { price(sku: string): number { return sku.length } }
   * interface Mailer { send(to: string, text: string): Promise<void> }
   * const MailerToken = token<Mailer>('Mailer')
   *
   * const Quote = defineWorkflow<{ sku: string; email: string }>({ name: 'quote', version: 1 })
   *   .services({ prices: PriceList, mailer: MailerToken })
   *   .task('price', (input, ctx) => ctx.services.prices.price(input.sku))
   *   .task('send', { dependsOn: ['price'] }, (price, ctx) => ctx.services.mailer.send(ctx.input.email, `${price} EUR`))
   *   .build()
   * ```
   * @throws `InvalidOptionsError` when a value is not a class, a string or a symbol.
   */
  services<const M extends ServiceMap>(services: M): WorkflowWithServices<I, E, ServicesOf<M>, Ev>
}

/**
 * The builder after `.services(...)`: tasks next, or the events first when
 * none were declared before the services (either order works).
 *
 * @example
 * ```ts
 * import { Schema } from 'effect'
 * import { defineWorkflow, token } from 'weft-sdk'
 * const Mailer = token<{ send(to: string): Promise<void> }>('Mailer')
 * const Invite = defineWorkflow<{ email: string }>({ name: 'invite', version: 1 })
 *   .services({ mailer: Mailer })
 *   .events({ accepted: Schema.Struct({ at: Schema.String }) })
 *   .task('send', async (input, ctx) => {
 *     await ctx.services.mailer.send(input.email)
 *     return (await ctx.waitForEvent('accepted')).at
 *   })
 *   .build({ result: 'send' })
 * ```
 */
export type WorkflowWithServices<I, E, Svc, Ev extends EventSchemas> = WorkflowBuilder<I, {}, E, Svc, Ev> &
  ({} extends Ev
    ? {
        /** Declares the workflow's events after its services (see {@link WorkflowStart.events}). */
        events<const V extends EventSchemas>(events: V): WorkflowBuilder<I, {}, E, Svc, V>
      }
    : {})

/** One builder step; steps link back to the previous one so adding a task costs O(1). */
class Builder {
  constructor(
    private readonly options: DefineWorkflowOptions<unknown> & { readonly services?: ServiceMap; readonly events?: EventSchemas },
    private readonly previous: Builder | undefined,
    private readonly draft: TaskDraft | undefined,
    private readonly run: AnyFunction | undefined,
  ) {}

  private add(draft: Omit<TaskDraft, 'method'>, run: unknown): Builder {
    if (typeof run !== 'function') {
      throw new InvalidOptionsError(`workflow "${this.options.name}": task "${draft.name}" needs a function, got ${typeof run}`)
    }
    return new Builder(this.options, this, { ...draft, method: draft.name }, run as AnyFunction)
  }

  services(services: unknown): Builder {
    if (this.draft !== undefined || this.options.services !== undefined) {
      throw new InvalidOptionsError(`workflow "${this.options.name}": declare its services once, before its first task`)
    }
    return new Builder({ ...this.options, services: assertServiceMap(this.options.name, services) }, undefined, undefined, undefined)
  }

  events(events: EventSchemas): Builder {
    if (this.draft !== undefined || this.options.events !== undefined) {
      throw new InvalidOptionsError(`workflow "${this.options.name}": declare its events once, before its first task`)
    }
    return new Builder({ ...this.options, events }, undefined, undefined, undefined)
  }

  task(name: string, optionsOrRun: unknown, run?: unknown): Builder {
    const options = (run === undefined ? {} : optionsOrRun) as DefineTaskOptions<unknown, unknown, []>
    return this.add(taskDraft(name, 'task', options, options.when as TaskCondition | undefined), run ?? optionsOrRun)
  }

  loop(name: string, options: DefineLoopOptions<unknown, unknown, [], never>, body: unknown): Builder {
    return this.add({ ...taskDraft(name, 'loop', options, undefined), loop: options }, body)
  }

  onFailure(name: string, task: string, optionsOrHandler: unknown, handler?: unknown): Builder {
    const options = (handler === undefined ? {} : optionsOrHandler) as DefineFailureHandlerOptions
    return this.add({ ...taskDraft(name, 'on-failure', options, undefined), handles: task }, handler ?? optionsOrHandler)
  }

  always(name: string, optionsOrRun: unknown, run?: unknown): Builder {
    const options = (run === undefined ? {} : optionsOrRun) as DefineAlwaysOptions
    return this.add(taskDraft(name, 'always', { timeout: options.timeout, description: options.description }, undefined), run ?? optionsOrRun)
  }

  build(options?: BuildOptions<unknown>): WorkflowDefinition<unknown, unknown> {
    const { name, version, description, input, trigger, services, events, requires, recover } = this.options
    const drafts: TaskDraft[] = []
    const functions: Record<string, AnyFunction> = Object.create(null)
    for (let step: Builder | undefined = this; step?.draft !== undefined; step = step.previous) {
      drafts.push(step.draft)
      // A duplicate name keeps the first function; compileGraph rejects the duplicate.
      functions[step.draft.name] = step.run!
    }
    drafts.reverse()
    const definition = { functions: Object.freeze(functions), services, [definitionTypesKey]: undefined } as { graph?: unknown; functions: typeof functions }
    definition.graph = compileGraph({ name, version, description, input, trigger, events, requires, recover, result: options?.result, tasks: drafts, source: definition, authoredWith: 'defineWorkflow' })
    return Object.freeze(definition) as WorkflowDefinition<unknown, unknown>
  }
}

function taskDraft(
  name: string,
  kind: TaskKind,
  options: TaskPolicyOptions & { dependsOn?: readonly DependencySpec[]; description?: string; requires?: readonly string[] },
  when: TaskCondition | undefined,
): Omit<TaskDraft, 'method'> {
  return {
    name,
    kind,
    description: options.description,
    requires: options.requires,
    dependsOn: options.dependsOn ?? [],
    when,
    ...pickPolicyOptions(options),
  }
}

/**
 * Starts a workflow definition without decorators: the twin of `@Workflow`
 * for toolchains that strip decorators. Chain `.task(...)` calls, then `.build()`.
 *
 * @example
 * ```ts
 * import { defineWorkflow } from 'weft-sdk'
 *
 * const Pipeline = defineWorkflow<{ records: number[] }>({ name: 'pipeline', version: 1 })
 *   .task('validate', (input) => input.records.filter((r) => r >= 0))
 *   .task('transform', { dependsOn: ['validate'] }, (valid) => valid.map((r) => r * 2))
 *   .task('store', { dependsOn: ['transform'], retry: { maxAttempts: 3 } }, (rows) => rows.length)
 *   .build()
 * // const run = await engine.start(Pipeline, { records: [1, 2, -1] })
 * // (await run.result()).output('store') // 2
 * ```
 */
export function defineWorkflow<I = void, E = I>(options: DefineWorkflowOptions<I, E>): WorkflowStart<I, E> {
  return new Builder(options as DefineWorkflowOptions<unknown>, undefined, undefined, undefined) as unknown as WorkflowStart<I, E>
}
