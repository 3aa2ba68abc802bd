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
 * dependency is request-scoped, or when Nest cannot resolve one.
 */
export async function resolveConstruction(workflow: WorkflowClass, moduleRef: ModuleRef, moduleName: string): Promise<WorkflowConstruction> {
  assertNoRequestScope(workflow, moduleRef)
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

/**
 * A run outlives the request that started it and may run in another process,
 * so a workflow cannot receive a request-scoped provider (nor one that
 * depends on one): refused at bootstrap rather than given a placeholder.
 */
function assertNoRequestScope(workflow: WorkflowClass, moduleRef: ModuleRef): void {
  for (const [index, token] of constructorTokens(workflow).entries()) {
    if (token === undefined || scopeOf(token, moduleRef) !== Scope.REQUEST) continue
    throw new InvalidWorkflowError(
      `workflow ${workflow.name}: parameter ${index + 1} of its constructor asks for ${tokenName(token)}, which is request-scoped (or depends on a request-scoped provider); ` +
        'a run outlives the request that started it and may run in another process: inject a default-scoped provider and pass what the request knows in the run\'s input',
    )
  }
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

function injectedProperties(workflow: WorkflowClass): { key: string | symbol }[] {
  return (Reflect.getMetadata(injectedPropertiesKey, workflow) as { key: string | symbol }[] | undefined) ?? []
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
