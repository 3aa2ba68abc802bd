import type { ModuleRef } from '@nestjs/core'
import type { ParameterRequest, ResolverFixes, ServiceKey, WorkflowClass, WorkflowResolver } from '../index.js'

const nestFixes: ResolverFixes = {
  register: (token) => `add a provider of ${token} to a module (providers: [{ provide: ${token}, useValue }]) and export it, or register it in WeftModule's adapters`,
  inject: (token) => `@Inject(${token})`,
  injectable: (className) => `declare ${className} with WeftModule.forFeature([${className}]) (or forRoot's workflows) in the module that provides what it needs`,
}

/**
 * How one workflow class is built for a run: the constructor arguments (and
 * property-injected values) Nest resolved for it once, at bootstrap, in the
 * module that declared it.
 *
 * @example
 * ```ts
 * import type { WorkflowConstruction } from 'weft-sdk/nestjs'
 * const construction: WorkflowConstruction = { args: [{ find: (id: string) => id }], properties: {} }
 * ```
 */
export interface WorkflowConstruction {
  /** The constructor's arguments, in order. */
  readonly args: readonly unknown[]
  /** Values Nest injects into properties (`@Inject()` on a property), by property name. */
  readonly properties: Readonly<Record<string | symbol, unknown>>
}

/**
 * Weft's {@link WorkflowResolver} over Nest's container, the one `WeftModule`
 * gives its engine. A workflow class declared with `WeftModule.forFeature`
 * (or forRoot's `workflows`) has its dependencies resolved by Nest at
 * bootstrap, in the module that declares it; every run then gets a fresh
 * instance built with them (`new Workflow(...dependencies)`). Adapters the
 * module registers are kept here and are Nest providers too; other tokens a
 * `defineWorkflow` definition's `services` name are looked up in Nest's
 * container (any module).
 *
 * @example
 * ```ts
 * import { Injectable } from '@nestjs/common'
 * import { NestWorkflowResolver } from 'weft-sdk/nestjs'
 *
 * @Injectable()
 * class WhoBuildsWorkflows {
 *   constructor(private readonly resolver: NestWorkflowResolver) {}
 *   knows(token: unknown): boolean {
 *     return this.resolver.isRegistered(token)
 *   }
 * }
 * ```
 */
export class NestWorkflowResolver implements WorkflowResolver {
  readonly fixes = nestFixes
  private readonly constructions = new Map<WorkflowClass, WorkflowConstruction>()
  private readonly values = new Map<unknown, unknown>()

  /** @param moduleRef - the root module's reference, through which tokens of any module are looked up. */
  constructor(private readonly moduleRef: Pick<ModuleRef, 'get'>) {}

  /** Records how a workflow class is built (called by `WeftModule` at bootstrap, once per declared class). */
  addWorkflow(workflow: WorkflowClass, construction: WorkflowConstruction): void {
    this.constructions.set(workflow, construction)
  }

  /** Whether `workflow` was declared with `WeftModule` and its dependencies resolved. */
  declares(workflow: WorkflowClass): boolean {
    return this.constructions.has(workflow)
  }

  prepare(): void {
    // Nothing to mark: Nest needs no decorator on a class it is asked to construct through WeftModule.
  }

  instantiate<T extends object>(workflow: WorkflowClass<T>): T {
    const construction = this.constructions.get(workflow)
    const Constructor = workflow as unknown as new (...args: unknown[]) => T
    if (construction === undefined) return new Constructor()
    const instance = new Constructor(...construction.args)
    for (const key of Reflect.ownKeys(construction.properties)) (instance as Record<string | symbol, unknown>)[key] = construction.properties[key]
    return instance
  }

  /** Whether a value (an adapter) was registered here under `token`. */
  hasValue(token: unknown): boolean {
    return this.values.has(token)
  }

  resolve<T>(token: ServiceKey<T>): T {
    if (this.values.has(token)) return this.values.get(token) as T
    return this.moduleRef.get(token as never, { strict: false }) as T
  }

  isRegistered(token: unknown): boolean {
    if (this.values.has(token)) return true
    try {
      this.moduleRef.get(token as never, { strict: false })
      return true
    } catch {
      return false
    }
  }

  /** A declared workflow asks for nothing more (Nest resolved it); an undeclared class can only be built without parameters. */
  parametersOf(type: WorkflowClass): readonly ParameterRequest[] | undefined {
    return this.constructions.has(type) || type.length === 0 ? [] : undefined
  }

  registerValue(token: unknown, value: unknown): void {
    this.values.set(token, value)
  }
}
