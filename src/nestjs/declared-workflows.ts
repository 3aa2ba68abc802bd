import { ModuleRef, type ModulesContainer } from '@nestjs/core'
import type { AnyWorkflow, WorkflowClass } from '../index.js'

/**
 * The workflows one `forRoot` or `forFeature` declares: a provider of the
 * dynamic module, found at bootstrap in Nest's module graph. `forFeature`'s
 * are built in the context of the modules that import it; `forRoot`'s in the
 * Weft module's own.
 */
export class DeclaredWorkflows {
  private static declarations = 0
  /**
   * Tells this declaration from any other: Nest identifies a dynamic module by
   * a hash of its metadata, in which a class is only its name, so two
   * declarations of same-named classes would otherwise be one module.
   */
  readonly declaration = ++DeclaredWorkflows.declarations

  constructor(
    readonly workflows: readonly AnyWorkflow[],
    readonly builtIn: 'importer' | 'self',
  ) {}
}

/** The part of a Nest module (`@nestjs/core`'s `Module`, not exported by name) this file reads. */
interface NestModuleNode {
  readonly name: string
  readonly imports: ReadonlySet<NestModuleNode>
  readonly providers: ReadonlyMap<unknown, { readonly instance: unknown }>
}

/** A workflow class with the module whose injector builds it. */
export interface WorkflowHome {
  readonly workflow: WorkflowClass
  readonly moduleRef: ModuleRef
  readonly moduleName: string
}

/**
 * Every workflow declared in the application: the classes with the module
 * that builds each (the first, when several declare the same class), and
 * every workflow, classes and definitions, once.
 */
export function declaredWorkflows(modules: ModulesContainer): { readonly homes: WorkflowHome[]; readonly all: AnyWorkflow[] } {
  const nodes = [...modules.values()] as unknown as NestModuleNode[]
  const homes = new Map<WorkflowClass, WorkflowHome>()
  const all = new Set<AnyWorkflow>()
  for (const node of nodes) {
    const declared = node.providers.get(DeclaredWorkflows)?.instance
    if (!(declared instanceof DeclaredWorkflows)) continue
    const builders = declared.builtIn === 'self' ? [node] : nodes.filter((other) => other.imports.has(node))
    for (const workflow of declared.workflows) {
      all.add(workflow)
      const builder = builders[0]
      if (typeof workflow !== 'function' || homes.has(workflow as WorkflowClass) || builder === undefined) continue
      homes.set(workflow as WorkflowClass, { workflow: workflow as WorkflowClass, moduleRef: moduleRefOf(builder), moduleName: builder.name })
    }
  }
  return { homes: [...homes.values()], all: [...all] }
}

function moduleRefOf(node: NestModuleNode): ModuleRef {
  return node.providers.get(ModuleRef)!.instance as ModuleRef
}
