// Replays durations through a workflow's DAG: list scheduling with a concurrency limit, as the engine's scheduler runs a run.
import { InvalidOptionsError } from '../../core/errors.js'
import type { AnalysisGraph } from './analysis-input.js'

/**
 * When each task started and ended in a replay (milliseconds from the run's start), and the run's length.
 *
 * @example
 * ```ts
 * import type { ReplayedSchedule } from 'weft-sdk'
 * declare const replay: ReplayedSchedule
 * console.log(replay.makespanMs, replay.startMs.get('charge'))
 * ```
 */
export interface ReplayedSchedule {
  /** When the last task ended. */
  readonly makespanMs: number
  /** Each task's start. */
  readonly startMs: ReadonlyMap<string, number>
  /** Each task's end. */
  readonly endMs: ReadonlyMap<string, number>
}

/**
 * Replays one run: list scheduling over the DAG. At each moment every task
 * whose dependencies have all ended is ready; ready tasks start, in graph
 * order, while fewer than `concurrency` run; then time jumps to the next end.
 * Task `t` runs for `durationMs(t)` (≥ 0). This is how Weft's scheduler
 * starts tasks (ready queue in declaration order, a per-run limit), minus
 * its own overhead.
 *
 * @param concurrency - most tasks running at once (≥ 1). @defaultValue `Infinity`
 * @throws `InvalidOptionsError` when `concurrency` is not a number ≥ 1.
 * @example
 * ```ts
 * import { replaySchedule } from 'weft-sdk'
 * const graph = { workflow: 'w', version: 1, tasks: [{ name: 'a', dependsOn: [] }, { name: 'b', dependsOn: [] }] }
 * replaySchedule(graph, () => 10).makespanMs // 10
 * replaySchedule(graph, () => 10, 1).makespanMs // 20
 * ```
 */
export function replaySchedule(graph: AnalysisGraph, durationMs: (task: string) => number, concurrency = Infinity): ReplayedSchedule {
  if (!(concurrency >= 1)) throw new InvalidOptionsError(`a replay's concurrency must be at least 1, got ${String(concurrency)}`)
  const index = new Map(graph.tasks.map((task, i) => [task.name, i]))
  const waiting = graph.tasks.map((task) => task.dependsOn.length)
  const dependents: number[][] = graph.tasks.map(() => [])
  graph.tasks.forEach((task, i) => task.dependsOn.forEach((dep) => dependents[index.get(dep)!]!.push(i)))
  const ready = waiting.flatMap((count, i) => (count === 0 ? [i] : []))
  const running: { task: number; endMs: number }[] = []
  const startMs = new Map<string, number>()
  const endMs = new Map<string, number>()
  let now = 0
  while (ready.length > 0 || running.length > 0) {
    ready.sort((a, b) => a - b)
    while (ready.length > 0 && running.length < concurrency) {
      const task = ready.shift()!
      startMs.set(graph.tasks[task]!.name, now)
      running.push({ task, endMs: now + Math.max(0, durationMs(graph.tasks[task]!.name)) })
    }
    now = Math.min(...running.map((r) => r.endMs))
    for (const done of running.filter((r) => r.endMs === now)) {
      running.splice(running.indexOf(done), 1)
      endMs.set(graph.tasks[done.task]!.name, now)
      for (const dependent of dependents[done.task]!) if (--waiting[dependent]! === 0) ready.push(dependent)
    }
  }
  return { makespanMs: Math.max(0, ...endMs.values()), startMs, endMs }
}
