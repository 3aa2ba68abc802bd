import { Scope } from '@nestjs/common'
import type { ModuleRef } from '@nestjs/core'
import { describeCause, InvalidWorkflowError, type WorkflowClass } from '../index.js'
import type { WorkflowConstruction } from './nest-workflow-resolver.js'

// Nest's own metadata keys (`@nestjs/common/constants`): the emitted parameter types, the `@Inject(token)` overrides,
// and the properties injected with `@Inject()`.
const paramTypesKey = 'design:paramtypes'
const injectedParamsKey = 'self:paramtypes'
const injectedPropertiesKey = 'self:properties_metadata'

/**
 * Resolves what a workflow class needs, once, through Nest's injector in the
 * module that declares it (`moduleRef.create` of a stand-in class carrying
 * the workflow's constructor metadata, so the workflow's own constructor does
 * not run at bootstrap). A run then builds a fresh instance from it.
 *
 * @throws `InvalidWorkflowError` naming the workflow and the token when a
 * dependency is request-scoped or transient, or when Nest cannot resolve one.
 */
export async function resolveConstruction(workflow: WorkflowClass, moduleRef: ModuleRef, moduleName: string): Promise<WorkflowConstruction> {
  assertDefaultScopes(workflow, moduleRef)
  const standIn = standInFor(workflow)
  let made: { readonly args: readonly unknown[] }
  try {
    made = await moduleRef.create(standIn)
  } catch (error) {
    throw new InvalidWorkflowError(`workflow ${workflow.name} (declared in ${moduleName}) cannot be built by Nest: ${describeCause(error)}`, { cause: error })
  }
  const properties: Record<string | symbol, unknown> = {}
  for (const { key } of injectedProperties(workflow)) properties[key] = (made as unknown as Record<string | symbol, unknown>)[key]
  return { args: made.args, properties }
}

/** Why a run cannot be given a provider of each scope but the default one. */
const scopeRefusals: Partial<Record<Scope, string>> = {
  [Scope.REQUEST]:
    'which is request-scoped (or depends on a request-scoped provider); a run outlives the request that started it and may run in another process: ' +
    "inject a default-scoped provider and pass what the request knows in the run's input",
  [Scope.TRANSIENT]:
    'which is transient; Weft resolves a workflow\'s dependencies once, at bootstrap, so every run would share one instance of it: ' +
    'make it default-scoped, or inject a default-scoped factory that makes a fresh one when a task asks',
}

/**
 * A workflow's dependencies are resolved once, at bootstrap: a request-scoped
 * one (a run outlives its request and may run in another process) and a
 * transient one (every run would share it) are refused then, naming the
 * constructor parameter or the property and the token.
 */
function assertDefaultScopes(workflow: WorkflowClass, moduleRef: ModuleRef): void {
  const requests = [
    ...constructorTokens(workflow).map((token, index) => ({ token, asker: `parameter ${index + 1} of its constructor` })),
    ...injectedProperties(workflow).map(({ key, type }) => ({ token: type, asker: `its property ${String(key)} (@Inject)` })),
  ]
  for (const { token, asker } of requests) {
    const refusal = token === undefined ? undefined : scopeRefusals[scopeOf(token, moduleRef) ?? Scope.DEFAULT]
    if (refusal !== undefined) throw new InvalidWorkflowError(`workflow ${workflow.name}: ${asker} asks for ${tokenName(token)}, ${refusal}`)
  }
}

/**
 * The refusal of a provider a `defineWorkflow` definition's `services` name
 * (resolved from Nest's container for every run) when it is not
 * default-scoped; `undefined` when it is, or when nothing provides it.
 */
export function scopedServiceProblem(token: unknown, moduleRef: ModuleRef): string | undefined {
  const scope = scopeOf(token, moduleRef)
  return scope === undefined ? undefined : scopeRefusals[scope]
}

function scopeOf(token: unknown, moduleRef: ModuleRef): Scope | undefined {
  try {
    return moduleRef.introspect(token as never).scope
  } catch {
    // Provided nowhere: moduleRef.create reports it, naming the module it looked in.
    return undefined
  }
}

/** The token Nest resolves for each constructor parameter: `@Inject(token)`, else the emitted type. */
function constructorTokens(workflow: WorkflowClass): unknown[] {
  const tokens: unknown[] = [...((Reflect.getMetadata(paramTypesKey, workflow) as unknown[] | undefined) ?? [])]
  const injected = (Reflect.getMetadata(injectedParamsKey, workflow) as { index: number; param: unknown }[] | undefined) ?? []
  for (const { index, param } of injected) tokens[index] = param
  return tokens
}

function injectedProperties(workflow: WorkflowClass): { key: string | symbol; type: unknown }[] {
  return (Reflect.getMetadata(injectedPropertiesKey, workflow) as { key: string | symbol; type: unknown }[] | undefined) ?? []
}

/** A class Nest builds as it would build `workflow` (same name, same injection metadata), keeping its arguments. */
function standInFor(workflow: WorkflowClass): new (...args: unknown[]) => { readonly args: readonly unknown[] } {
  const standIn = class {
    readonly args: readonly unknown[]
    constructor(...args: unknown[]) {
      this.args = args
    }
  }
  Object.defineProperty(standIn, 'name', { value: workflow.name })
  for (const key of Reflect.getMetadataKeys(workflow) as unknown[]) Reflect.defineMetadata(key, Reflect.getMetadata(key, workflow), standIn)
  return standIn
}

/** A token as code: a class or function by name, a string quoted, a symbol as written. */
export function tokenName(token: unknown): string {
  if (typeof token === 'function') return token.name
  if (typeof token === 'string') return JSON.stringify(token)
  return String(token)
}
