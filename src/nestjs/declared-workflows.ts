import { ModuleRef, type ModulesContainer } from '@nestjs/core'
import { InvalidWorkflowError, type AnyWorkflow, type WorkflowClass } from '../index.js'

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
 * that builds each, and every workflow, classes and definitions, once. A
 * definition may be declared in several modules (Nest builds none of it); a
 * class only in one, since the module decides which providers its
 * constructor gets.
 *
 * @throws `InvalidWorkflowError` naming the class and both modules when a
 * workflow class is declared in two modules (or in a `forFeature` module two
 * modules import).
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
      if (typeof workflow !== 'function') continue
      for (const builder of builders) addHome(homes, workflow as WorkflowClass, builder)
    }
  }
  return { homes: [...homes.values()], all: [...all] }
}

/** Records that `builder` builds `workflow`, refusing a second module. */
function addHome(homes: Map<WorkflowClass, WorkflowHome>, workflow: WorkflowClass, builder: NestModuleNode): void {
  const home = homes.get(workflow)
  if (home === undefined) {
    homes.set(workflow, { workflow, moduleRef: moduleRefOf(builder), moduleName: builder.name })
    return
  }
  if (home.moduleRef === moduleRefOf(builder)) return
  throw new InvalidWorkflowError(
    `workflow ${workflow.name} is declared in two modules, ${home.moduleName} and ${builder.name} (WeftModule.forFeature, or forRoot's workflows): ` +
      'each would build it with its own providers; declare it in one module only, and import that module (or export what it needs) where the other uses it',
  )
}
function moduleRefOf(node: NestModuleNode): ModuleRef {
  return node.providers.get(ModuleRef)!.instance as ModuleRef
}
