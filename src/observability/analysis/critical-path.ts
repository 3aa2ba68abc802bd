// The longest path through a workflow's DAG, weighted by a duration per task.
import type { AnalysisGraph } from './analysis-input.js'

/**
 * One task on a {@link CriticalPath}.
 *
 * @example
 * ```ts
 * import type { CriticalPathStep } from 'weft-sdk'
 * const step: CriticalPathStep = { task: 'charge', weightMs: 120, share: 0.6 }
 * ```
 */
export interface CriticalPathStep {
  /** The task. */
  readonly task: string
  /** Its weight (the analysis uses its median duration). */
  readonly weightMs: number
  /** `weightMs` divided by the path's length (0 for a path of length 0). */
  readonly share: number
}

/**
 * The heaviest chain of dependencies through the graph: no run can end
 * sooner than its length, however much concurrency it has.
 *
 * @example
 * ```ts
 * import type { CriticalPath } from 'weft-sdk'
 * declare const path: CriticalPath
 * console.log(path.steps.map((s) => s.task).join(' → '), path.lengthMs)
 * ```
 */
export interface CriticalPath {
  /** The path's tasks, first to last (each depends on the one before). */
  readonly steps: readonly CriticalPathStep[]
  /** The sum of their weights. */
  readonly lengthMs: number
}

/**
 * The longest path through `graph`'s DAG where each task weighs
 * `weightMs(task)` (≥ 0): dynamic programming over the topological order,
 * O(tasks + dependencies). Among paths of equal length the one whose last
 * task comes first in graph order, and for each task the first heaviest
 * dependency, are chosen, so the result is deterministic.
 *
 * @example
 * ```ts
 * import { criticalPath } from 'weft-sdk'
 * const graph = { workflow: 'w', version: 1, tasks: [
 *   { name: 'a', dependsOn: [] }, { name: 'b', dependsOn: ['a'] }, { name: 'c', dependsOn: ['a'] },
 * ] }
 * const weights: Record<string, number> = { a: 10, b: 50, c: 20 }
 * criticalPath(graph, (task) => weights[task]!).lengthMs // 60 (a → b)
 * ```
 */
export function criticalPath(graph: AnalysisGraph, weightMs: (task: string) => number): CriticalPath {
  const finish = new Map<string, number>()
  const previous = new Map<string, string | undefined>()
  for (const task of graph.tasks) {
    let best: string | undefined
    for (const dependency of task.dependsOn) if (best === undefined || finish.get(dependency)! > finish.get(best)!) best = dependency
    finish.set(task.name, (best === undefined ? 0 : finish.get(best)!) + weightMs(task.name))
    previous.set(task.name, best)
  }
  let last: string | undefined
  for (const task of graph.tasks) if (last === undefined || finish.get(task.name)! > finish.get(last)!) last = task.name
  const names: string[] = []
  for (let at = last; at !== undefined; at = previous.get(at)) names.unshift(at)
  const lengthMs = last === undefined ? 0 : finish.get(last)!
  return { steps: names.map((task) => pathStep(task, weightMs(task), lengthMs)), lengthMs }
}

function pathStep(task: string, weightMs: number, lengthMs: number): CriticalPathStep {
  return { task, weightMs, share: lengthMs === 0 ? 0 : weightMs / lengthMs }
}
