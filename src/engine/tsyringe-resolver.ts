import 'reflect-metadata'
import { injectable, container as rootContainer, type DependencyContainer, type InjectionToken } from 'tsyringe'
import type { ServiceKey } from '../authoring/service-token.js'
import type { WorkflowClass } from '../authoring/workflow-ref.js'
import { InvalidOptionsError } from '../core/errors.js'
import type { ParameterRequest, ResolverFixes, WorkflowResolver } from './workflow-resolver.js'

/** Where tsyringe's `@inject(token)` records a constructor's tokens (tsyringe's own key). */
const injectionTokensKey = 'injectionTokens'

const tsyringeFixes: ResolverFixes = {
  register: (token) => `engine.container.register(${token}, { useValue })`,
  inject: (token) => `@inject(${token})`,
  injectable: (className) => `mark ${className} @injectable()`,
  registerElsewhere: 'in the container given to createEngine',
}

/**
 * The default {@link WorkflowResolver}: a tsyringe container. `createEngine()`
 * gives each engine one over a child of tsyringe's root container (or of the
 * `container` it is given), so what an engine registers stays its own;
 * pass `createEngine({ resolver: new TsyringeResolver(container) })` to use a
 * container you created as it is. A workflow class is resolved afresh for
 * every run (do not register workflow classes themselves in the container:
 * a singleton registration would share one instance between runs); it is
 * marked `@injectable()` when registered.
 *
 * @example
 * ```ts
 * import { container } from 'tsyringe'
 * import { createEngine, TsyringeResolver } from 'weft-sdk'
 *
 * const scope = container.createChildContainer()
 * scope.register('Payments', { useValue: { charge: (amount: number) => amount } })
 * const engine = createEngine({ resolver: new TsyringeResolver(scope) })
 * engine.container === scope // true: register more here
 * ```
 */
export class TsyringeResolver implements WorkflowResolver {
  readonly fixes = tsyringeFixes

  /** @param container - the container workflows and their services are resolved from, used as given (no child is created). */
  constructor(readonly container: DependencyContainer) {}

  prepare(workflow: WorkflowClass): void {
    injectable()(workflow as never)
  }

  instantiate<T extends object>(workflow: WorkflowClass<T>): T {
    return this.container.resolve(workflow as InjectionToken<T>)
  }

  resolve<T>(token: ServiceKey<T>): T {
    return this.container.resolve(token as InjectionToken<T>)
  }

  registerValue(token: unknown, value: unknown): void {
    this.container.register(token as InjectionToken, { useValue: value })
  }

  isRegistered(token: unknown): boolean {
    // `@inject(delay(() => X))`: tsyringe constructs X when the parameter is first used.
    if (isDelayedConstructor(token)) return true
    return this.container.isRegistered(token as InjectionToken, true)
  }

  parametersOf(type: WorkflowClass): readonly ParameterRequest[] | undefined {
    const emitted = Reflect.getMetadata('design:paramtypes', type) as readonly unknown[] | undefined
    const injected = Reflect.getOwnMetadata(injectionTokensKey, type) as Record<string, unknown> | undefined
    if (emitted === undefined && injected === undefined && type.length > 0) return undefined
    const count = Math.max(type.length, emitted?.length ?? 0)
    return Array.from({ length: count }, (_, i): ParameterRequest => {
      if (injected !== undefined && i in injected) return { kind: 'token', token: tokenOf(injected[i]) }
      return emitted === undefined ? { kind: 'unknown' } : { kind: 'type', type: emitted[i] }
    })
  }
}

/** The token of an `@inject`/`@injectAll`/`@injectWithTransform` record: tsyringe stores `{ token, ... }` for the latter two. */
function tokenOf(descriptor: unknown): unknown {
  return typeof descriptor === 'object' && descriptor !== null && 'token' in descriptor ? (descriptor as { token: unknown }).token : descriptor
}

function isDelayedConstructor(token: unknown): boolean {
  return typeof token === 'object' && token !== null && typeof (token as { createProxy?: unknown }).createProxy === 'function'
}

/**
 * The resolver an engine uses: the one it is given, else a
 * {@link TsyringeResolver} over a child of `container` (tsyringe's root
 * container when none is given), so an engine's registrations stay its own.
 *
 * @throws `InvalidOptionsError` when both `container` and `resolver` are given.
 */
export function engineResolver(config: { readonly container?: DependencyContainer; readonly resolver?: WorkflowResolver }): WorkflowResolver {
  if (config.resolver !== undefined && config.container !== undefined) {
    throw new InvalidOptionsError('createEngine takes a container or a resolver, not both: pass resolver: new TsyringeResolver(container) to use that container as it is')
  }
  return config.resolver ?? new TsyringeResolver((config.container ?? rootContainer).createChildContainer())
}

/**
 * The tsyringe container behind an engine's resolver.
 * @throws `InvalidOptionsError` when the resolver is not a {@link TsyringeResolver}: register services in its own container.
 */
export function containerOf(resolver: WorkflowResolver): DependencyContainer {
  if (resolver instanceof TsyringeResolver) return resolver.container
  // A TsyringeResolver of another copy of Weft (an application's worker module loading its own): known by its shape.
  const container = (resolver as { readonly container?: unknown }).container
  if (isDependencyContainer(container)) return container
  throw new InvalidOptionsError(
    'engine.container is the tsyringe container of the default resolver; this engine was given another resolver (createEngine({ resolver })): register services in that resolver\'s container',
  )
}

function isDependencyContainer(value: unknown): value is DependencyContainer {
  if (typeof value !== 'object' || value === null) return false
  const candidate = value as Record<string, unknown>
  return ['register', 'resolve', 'isRegistered', 'createChildContainer'].every((method) => typeof candidate[method] === 'function')
}
