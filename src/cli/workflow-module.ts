import { existsSync } from 'node:fs'
import { extname, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { compileWorkflow, type AnyWorkflow, type WorkflowGraph } from '../index.js'
import { CommandFailedError } from './cli-errors.js'
import { messageOf } from './database.js'
import { isWorkerConfig, type WorkerConfig } from './worker-config.js'

/** A module the CLI imported for its workflows. */
export interface WorkflowModule {
  /** The path as the user gave it. */
  readonly path: string
  /** The module's exports. */
  readonly exports: Readonly<Record<string, unknown>>
}

/** A workflow a module exports. */
export interface WorkflowExport {
  /** The export's name (`default` for a default export). */
  readonly exportName: string
  /** The exported @Workflow class or definition. */
  readonly workflow: AnyWorkflow
  /** Its compiled graph. */
  readonly graph: WorkflowGraph
}

const sameCopyHint =
  'if a class has a @Workflow decorator, the module loads another copy of weft than this command does: run the project\'s own `npx weft`'

/**
 * Imports a built JavaScript module, by a path relative to `cwd`.
 * @throws {@link CommandFailedError} when the file does not exist or importing it throws.
 */
export async function importWorkflowModule(path: string, cwd: string): Promise<WorkflowModule> {
  const file = resolve(cwd, path)
  if (!existsSync(file)) throw new CommandFailedError(`module ${path} not found (looked for ${file}); pass the path of a built .js file`)
  try {
    return { path, exports: (await import(pathToFileURL(file).href)) as Record<string, unknown> }
  } catch (error) {
    const hint = ['.ts', '.mts', '.cts'].includes(extname(file)) ? ' (compile it with tsc and pass the built .js file)' : ''
    throw new CommandFailedError(`cannot import ${path}: ${messageOf(error)}${hint}`, { cause: error })
  }
}

/** The workflow an export holds, with its graph, or `undefined` (with the reason) when it holds none. */
export function asWorkflow(value: unknown): { graph: WorkflowGraph } | { reason: string } {
  try {
    return { graph: compileWorkflow(value as AnyWorkflow) }
  } catch (error) {
    return { reason: messageOf(error) }
  }
}

/** Every distinct workflow a module exports, in export order, then those its worker configuration lists (`weft.workflows[0]`). */
export function workflowExports(module: WorkflowModule): WorkflowExport[] {
  const seen = new Set<unknown>()
  const found: WorkflowExport[] = []
  const config = workerConfigExport(module)
  const listed = (config?.config.workflows ?? []).map((value, i) => [`${config!.exportName}.workflows[${i}]`, value] as const)
  for (const [exportName, value] of [...Object.entries(module.exports), ...listed]) {
    if (seen.has(value) || (typeof value !== 'function' && (typeof value !== 'object' || value === null))) continue
    const result = asWorkflow(value)
    if ('graph' in result) found.push({ exportName, workflow: value as AnyWorkflow, graph: result.graph })
    seen.add(value)
  }
  return found
}

/**
 * The workflow exported as `name` (or, failing that, the one exported workflow whose name is `name`).
 * @throws {@link CommandFailedError} naming the module's workflow exports when there is none, or the export is not a workflow.
 */
export function findWorkflowExport(module: WorkflowModule, name: string): WorkflowExport {
  if (Object.hasOwn(module.exports, name)) {
    const result = asWorkflow(module.exports[name])
    if ('graph' in result) return { exportName: name, workflow: module.exports[name] as AnyWorkflow, graph: result.graph }
    const hint = typeof module.exports[name] === 'function' ? ` (${sameCopyHint})` : ''
    throw new CommandFailedError(`export "${name}" of ${module.path} is not a workflow: ${result.reason}${hint}`)
  }
  const workflows = workflowExports(module)
  const byWorkflowName = workflows.filter((w) => w.graph.name === name)
  if (byWorkflowName.length === 1) return byWorkflowName[0]!
  throw new CommandFailedError(`${module.path} has no export named "${name}"; ${listWorkflows(module, workflows)}`)
}

/** `its workflow exports are A (orders@1), B (hello@2)`, or that it has none. */
export function listWorkflows(module: WorkflowModule, workflows: readonly WorkflowExport[]): string {
  if (workflows.length > 0) return `its workflow exports are ${workflows.map((w) => `${w.exportName} (${w.graph.name}@${w.graph.version})`).join(', ')}`
  const exportsClasses = Object.values(module.exports).some((value) => typeof value === 'function')
  return `it exports no workflows${exportsClasses ? ` (${sameCopyHint})` : ''}`
}

/** A worker configuration a module exports, with the name it is exported under. */
export interface WorkerConfigExport {
  /** The module's path, as the user gave it. */
  readonly path: string
  /** `weft` or `default`. */
  readonly exportName: string
  /** The configuration. */
  readonly config: WorkerConfig
}

/** The worker configuration a module exports as `weft`, else as its default export; `undefined` when it exports none. */
export function workerConfigExport(module: WorkflowModule): WorkerConfigExport | undefined {
  for (const exportName of ['weft', 'default']) {
    const value = module.exports[exportName]
    if (Object.hasOwn(module.exports, exportName) && isWorkerConfig(value)) return { path: module.path, exportName, config: value }
  }
  return undefined
}

/**
 * The workflows a worker configuration lists, each with its graph.
 * @throws {@link CommandFailedError} naming an entry that is not a workflow, or a configuration that lists none.
 */
export function configWorkflows({ path, exportName, config }: WorkerConfigExport): WorkflowExport[] {
  if (config.workflows.length === 0) throw new CommandFailedError(`${path} has no workflow to run: its ${exportName} export lists no workflows`)
  return config.workflows.map((workflow, i) => {
    const where = `${exportName}.workflows[${i}]`
    const result = asWorkflow(workflow)
    if ('reason' in result) throw new CommandFailedError(`${where} of ${path} is not a workflow: ${result.reason}${typeof workflow === 'function' ? ` (${sameCopyHint})` : ''}`)
    return { exportName: where, workflow, graph: result.graph }
  })
}
