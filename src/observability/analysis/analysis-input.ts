// What the analyzer reads: a workflow's graph reduced to names and edges, and the runs it recorded with their steps.
import type { WorkflowGraph } from '../../graph/workflow-graph.js'
import type { RunRecord, StepRecord } from '../../storage/workflow-store.js'

/**
 * One task of an {@link AnalysisGraph}: its name and the tasks it depends on.
 *
 * @example
 * ```ts
 * import type { AnalysisTask } from 'weft-sdk'
 * const charge: AnalysisTask = { name: 'charge', dependsOn: ['load'] }
 * ```
 */
export interface AnalysisTask {
  /** The task's name (its steps' `task`). */
  readonly name: string
  /** The tasks it depends on, in parameter order (their outputs are its arguments). */
  readonly dependsOn: readonly string[]
}

/**
 * A workflow's graph as the analyzer sees it: plain data, tasks in a
 * topological order (dependencies first). {@link toAnalysisGraph} builds it
 * from a compiled `WorkflowGraph`; tests and tools can write one by hand.
 *
 * @example
 * ```ts
 * import type { AnalysisGraph } from 'weft-sdk'
 * const graph: AnalysisGraph = {
 *   workflow: 'orders',
 *   version: 1,
 *   tasks: [{ name: 'load', dependsOn: [] }, { name: 'charge', dependsOn: ['load'] }],
 * }
 * ```
 */
export interface AnalysisGraph {
  /** The workflow's name. */
  readonly workflow: string
  /** The workflow's version. */
  readonly version: number
  /** Every task, dependencies first. */
  readonly tasks: readonly AnalysisTask[]
}

/**
 * A recorded run and its steps, as `RunStore.getRun` and `StepJournal.loadSteps` return them.
 *
 * @example
 * ```ts
 * import type { RecordedRun } from 'weft-sdk'
 * declare const recorded: RecordedRun
 * console.log(recorded.run.id, recorded.steps.length)
 * ```
 */
export interface RecordedRun {
  /** The run. */
  readonly run: RunRecord
  /** Every step it recorded (task steps, and sub-steps the analyzer ignores). */
  readonly steps: readonly StepRecord[]
}

/**
 * The analyzer's view of a compiled workflow graph.
 *
 * @example
 * ```ts
 * import { compileWorkflow, defineWorkflow, toAnalysisGraph } from 'weft-sdk'
 * const Orders = defineWorkflow<{ id: string }>({ name: 'orders', version: 1 })
 *   .task('load', (input) => input.id)
 *   .task('charge', { dependsOn: ['load'] }, (id: string) => id.length)
 *   .build()
 * toAnalysisGraph(compileWorkflow(Orders)).tasks // [{ name: 'load', dependsOn: [] }, { name: 'charge', dependsOn: ['load'] }]
 * ```
 */
export function toAnalysisGraph(graph: WorkflowGraph): AnalysisGraph {
  const tasks = graph.tasks.map((task) => ({ name: task.name, dependsOn: task.dependencyIds.map((id) => graph.tasks[id]!.name) }))
  return { workflow: graph.name, version: graph.version, tasks }
}
