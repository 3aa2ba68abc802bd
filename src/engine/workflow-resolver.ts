import type { ServiceKey } from '../authoring/service-token.js'
import type { WorkflowClass } from '../authoring/workflow-ref.js'

/**
 * What a container asks for one constructor parameter: an explicit token
 * (`@inject(token)`), the type TypeScript emitted for it
 * (`emitDecoratorMetadata`), or nothing it can see.
 *
 * @example
 * ```ts
 * import type { ParameterRequest } from 'weft-sdk'
 * function describeRequest(request: ParameterRequest): string {
 *   if (request.kind === 'token') return `the token ${String(request.token)}`
 *   return request.kind === 'type' ? `the type ${String(request.type)}` : 'nothing the container can see'
 * }
 * ```
 */
export type ParameterRequest =
  | {
      /** Marked with a token (`@inject('Payments')`, `@Inject(PAYMENTS)`). */
      readonly kind: 'token'
      /** The token: a class, a string, a symbol, or what the container uses for a deferred class. */
      readonly token: unknown
    }
  | {
      /** Typed, and TypeScript emitted the type (`design:paramtypes`). */
      readonly kind: 'type'
      /** The emitted type: a class, or `Object`, `String`… for types that are not classes. */
      readonly type: unknown
    }
  | {
      /** Neither marked nor emitted (no `emitDecoratorMetadata`, or a toolchain that emits none). */
      readonly kind: 'unknown'
    }

/**
 * How a registration error tells the user to fix it in this container's
 * terms. Each receives the token as code (`'Payments'`, `Ledger`) and
 * returns code or a short instruction.
 *
 * @example
 * ```ts
 * import type { ResolverFixes } from 'weft-sdk'
 * const fixes: ResolverFixes = {
 *   register: (token) => `container.bind(${token}).toConstantValue(value)`,
 *   inject: (token) => `@inject(${token})`,
 *   injectable: (className) => `mark ${className} @injectable()`,
 * }
 * ```
 */
export interface ResolverFixes {
  /** How to register a value under a token, e.g. `engine.container.register('Payments', { useValue })`. */
  register(token: string): string
  /** How to mark a constructor parameter with a token, e.g. `@inject('Payments')`. */
  inject(token: string): string
  /** How to let the container construct a class itself, e.g. `mark Ledger @injectable()`. */
  injectable(className: string): string
  /**
   * Where else a missing token can be registered, added to the `register`
   * fix as `, or <this>` (tsyringe: `in the container given to createEngine`).
   * @defaultValue none
   */
  readonly registerElsewhere?: string
}

/**
 * The port through which an engine creates workflow instances and resolves
 * their dependencies. Weft's default is {@link TsyringeResolver} over a
 * child container per engine; an embedding passes its own (NestJS's module
 * supplies Nest's container) with `createEngine({ resolver })`.
 *
 * The engine calls {@link WorkflowResolver.prepare} and checks a workflow's
 * dependencies through {@link WorkflowResolver.isRegistered} and
 * {@link WorkflowResolver.parametersOf} when the workflow is registered, so a
 * missing registration fails then, naming the workflow, the parameter and the
 * fix; it calls {@link WorkflowResolver.instantiate} and
 * {@link WorkflowResolver.resolve} once per run.
 *
 * @example
 * ```ts
 * import { createEngine, type WorkflowResolver } from 'weft-sdk'
 *
 * // A container of values by key, for classes without constructor parameters.
 * const values = new Map<unknown, unknown>([['Payments', { charge: (n: number) => n }]])
 * const resolver: WorkflowResolver = {
 *   prepare: () => undefined,
 *   instantiate: (workflow) => new (workflow as unknown as new () => object)() as never,
 *   resolve: (token) => values.get(token) as never,
 *   isRegistered: (token) => values.has(token),
 *   parametersOf: (type) => (type.length === 0 ? [] : undefined),
 *   fixes: {
 *     register: (token) => `values.set(${token}, value)`,
 *     inject: () => 'a constructor without parameters',
 *     injectable: (name) => `give ${name} a constructor without parameters`,
 *   },
 * }
 * const engine = createEngine({ resolver })
 * ```
 */
export interface WorkflowResolver {
  /** Called once when a workflow class is registered, before it is checked: make it constructible (tsyringe marks it `@injectable()`). */
  prepare(workflow: WorkflowClass): void
  /**
   * A new instance of a workflow class, its constructor parameters supplied.
   * Called once per run; must not return an instance used by another run.
   */
  instantiate<T extends object>(workflow: WorkflowClass<T>): T
  /** The service registered under `token` (a `defineWorkflow` definition's `services`); called once per run. */
  resolve<T>(token: ServiceKey<T>): T
  /** Whether something is registered under `token` (here or in a parent container). */
  isRegistered(token: unknown): boolean
  /**
   * What the container asks for each constructor parameter of `type` when it
   * constructs the class itself; `undefined` when it cannot construct it
   * (nothing is registered under it and it is not marked constructible).
   */
  parametersOf(type: WorkflowClass): readonly ParameterRequest[] | undefined
  /** How registration errors name the fix in this container's terms. */
  readonly fixes: ResolverFixes
  /**
   * Registers `value` under `token`, one instance for every resolution
   * (`engine.adapters.register` calls it). Optional: without it, register
   * adapters in your container yourself.
   */
  registerValue?(token: unknown, value: unknown): void
}
