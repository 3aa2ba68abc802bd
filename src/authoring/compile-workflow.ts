import { InvalidWorkflowError } from '../core/errors.js'
import { compileGraph } from '../graph/compile-graph.js'
import type { WorkflowGraph } from '../graph/workflow-graph.js'
import { cacheGraph, cachedGraph, draftOf } from './metadata.js'
import { isWorkflowDefinition, type AnyWorkflow } from './workflow-ref.js'

/**
 * Validates a workflow (a decorated class or a definition) and returns its
 * frozen graph. Decorated classes are compiled once, when `@Workflow` runs;
 * later calls return the same graph.
 *
 * @example
 * ```ts
 * import { compileWorkflow, Workflow, WorkflowBase, Task, DependsOn } from 'weft-sdk'
 *
 * @Workflow({ name: 'orders', version: 1 })
 * class Orders extends WorkflowBase<{ orderId: string }> {
 *   @Task() load(input: { orderId: string }) { return input.orderId }
 *   @DependsOn('load') ship(id: string) { return `shipped ${id}` }
 * }
 * const graph = compileWorkflow(Orders)
 * graph.tasks.map((t) => t.name) // ['load', 'ship']
 * ```
 * @throws `CycleError`, `UnknownDependencyError`, `DuplicateTaskError`,
 * `EmptyWorkflowError`, `InvalidOptionsError`, `InvalidWorkflowError`.
 */
export function compileWorkflow(workflow: AnyWorkflow): WorkflowGraph {
  if (typeof workflow !== 'function') {
    if (isWorkflowDefinition(workflow)) return workflow.graph
    throw new InvalidWorkflowError(`expected a @Workflow class or a defineWorkflow(...).build() result, got ${describe(workflow)}`)
  }
  const cached = cachedGraph(workflow)
  if (cached !== undefined) return cached
  const graph = compileGraph(draftOf(workflow))
  cacheGraph(workflow, graph)
  return graph
}

function describe(value: unknown): string {
  return value === null ? 'null' : typeof value === 'object' ? 'an object without a graph' : typeof value
}
