import { policyKindTable, policyKinds, policyOf, type PolicyKind, type PolicyKindSpec } from './policy-kinds.js'
import type { TaskNode, TaskPolicies, WorkflowGraph } from './workflow-graph.js'

/**
 * Renders a workflow graph as a Mermaid flowchart, for docs and tools.
 * Solid arrows are required dependencies, dotted ones optional dependencies,
 * and `on failure` arrows lead to failure handlers.
 *
 * @example
 * ```ts
 * import { defineWorkflow, toMermaid } from 'weft-sdk'
 * const Orders = defineWorkflow<{ orderId: string }>({ name: 'orders', version: 1 })
 *   .task('load', (input) => ({ id: input.orderId }))
 *   .task('charge', { dependsOn: ['load'], retry: { maxAttempts: 5 }, timeout: '10 s' }, (order) => order.id)
 *   .build()
 * console.log(toMermaid(Orders.graph))
 * // flowchart TD
 * //   t_load["load"]
 * //   t_charge["charge<br/>retry ×5 · timeout 10000 ms"]
 * //   t_load --> t_charge
 * ```
 */
export function toMermaid(graph: WorkflowGraph): string {
  const lines = ['flowchart TD']
  for (const task of graph.tasks) lines.push(`  ${nodeId(task.name)}${shape(task)}`)
  for (const task of graph.tasks) {
    for (const dependency of task.dependsOn) {
      const arrow = dependency.optional ? '-.->' : '-->'
      lines.push(`  ${nodeId(dependency.task)} ${arrow} ${nodeId(task.name)}`)
    }
    if (task.handles !== undefined) lines.push(`  ${nodeId(task.handles)} -. on failure .-> ${nodeId(task.name)}`)
  }
  return lines.join('\n')
}

function nodeId(name: string): string {
  return `t_${name.replace(/[^A-Za-z0-9_]/g, '_')}`
}

function shape(task: TaskNode): string {
  const label = [task.name, ...annotations(task)].join('<br/>').replace(/"/g, '#quot;')
  if (task.kind === 'on-failure' || task.kind === 'always') return `[/"${label}"/]`
  if (task.when !== undefined) return `{"${label}"}`
  if (task.kind === 'loop') return `(["${label}"])`
  return `["${label}"]`
}

/** The diagram label of a task's policy of kind `kind`, or none. */
function policyLabel<K extends PolicyKind>(policies: TaskPolicies, kind: K): string[] {
  const policy = policyOf(policies, kind)
  if (policy === undefined) return []
  const spec: PolicyKindSpec<K> = policyKindTable[kind]
  return [spec.label(policy)]
}

function annotations(task: TaskNode): string[] {
  const { policies } = task
  const notes: string[] = []
  if (task.kind === 'loop') notes.push(`loop ≤ ${task.loop!.maxIterations}`)
  if (task.kind === 'always') notes.push('always')
  if (task.when !== undefined) notes.push('when …')
  const policyNotes = policyKinds.flatMap((kind) => policyLabel(policies, kind))
  if (policyNotes.length > 0) notes.push(policyNotes.join(' · '))
  return notes
}
