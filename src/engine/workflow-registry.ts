import { injectable, type DependencyContainer } from 'tsyringe'
import { compileWorkflow } from '../authoring/compile-workflow.js'
import { isWorkflowDefinition, type AnyWorkflow } from '../authoring/workflow-ref.js'
import { InvalidWorkflowError, WorkflowNotRegisteredError } from '../core/errors.js'
import type { WorkflowGraph } from '../graph/workflow-graph.js'
import type { WorkflowVersion } from '../storage/workflow-store.js'

/**
 * The workflows an engine knows, by name and version. Registering compiles
 * the workflow (rejecting a bad one before any run) and makes a class
 * resolvable from the container.
 */
export class WorkflowRegistry {
  private readonly bySource = new Map<object, WorkflowGraph>()
  private readonly byName = new Map<string, Map<number, WorkflowGraph>>()

  constructor(private readonly container: DependencyContainer) {}

  /** Registers a workflow; registering the same one twice is a no-op. */
  register(workflow: AnyWorkflow): WorkflowGraph {
    const known = this.bySource.get(workflow)
    if (known !== undefined) return known
    const graph = compileWorkflow(workflow)
    const versions = this.byName.get(graph.name) ?? new Map<number, WorkflowGraph>()
    const clash = versions.get(graph.version)
    if (clash !== undefined && clash.source !== graph.source) {
      throw new InvalidWorkflowError(
        `workflow "${graph.name}" version ${graph.version} is already registered by another definition; give it a new version`,
      )
    }
    if (typeof workflow === 'function') injectable()(workflow as never)
    versions.set(graph.version, graph)
    this.byName.set(graph.name, versions)
    this.bySource.set(workflow, graph)
    return graph
  }

  /** The graph of a registered workflow (the latest version when none is given). */
  find(name: string, version?: number): WorkflowGraph {
    const versions = this.byName.get(name)
    const graph = version === undefined ? latest(versions) : versions?.get(version)
    if (graph === undefined) throw new WorkflowNotRegisteredError(name, version)
    return graph
  }

  /** The graph of a registered workflow version, or `undefined`. */
  findOptional(name: string, version: number): WorkflowGraph | undefined {
    return this.byName.get(name)?.get(version)
  }

  /** Every registered workflow version. */
  versions(): WorkflowVersion[] {
    return [...this.bySource.values()].map((graph) => ({ name: graph.name, version: graph.version }))
  }

  /** Workflows started by an event. */
  triggeredBy(event: string): WorkflowGraph[] {
    return [...this.bySource.values()].filter((graph) => graph.trigger === event)
  }

  /** Number of registered name-version pairs. */
  get size(): number {
    return this.bySource.size
  }

  /** Creates the object whose methods are the tasks: a fresh class instance from the container, or a definition's functions. */
  instantiate(graph: WorkflowGraph): object {
    const source = graph.source
    if (isWorkflowDefinition(source)) return source.functions
    return this.container.resolve(source as never) as object
  }
}

function latest(versions: Map<number, WorkflowGraph> | undefined): WorkflowGraph | undefined {
  if (versions === undefined) return undefined
  return versions.get(Math.max(...versions.keys()))
}
