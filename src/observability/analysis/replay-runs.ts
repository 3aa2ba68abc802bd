// The sampled runs a suggestion's saving is replayed on, and the replay of a change over all of them.
import type { AnalysisGraph } from './analysis-input.js'
import { replaySchedule } from './schedule-replay.js'
import type { TaskObservation } from './task-observations.js'

/** A run every task of the graph recorded a step in: its observations by task. */
export type ReplayRun = ReadonlyMap<string, TaskObservation>

/** The runs in which every task of `graph` has a step (completed, failed or skipped): the ones a replay can use. */
export function replayableRuns(graph: AnalysisGraph, byTask: ReadonlyMap<string, readonly TaskObservation[]>): ReplayRun[] {
  const runs = new Map<string, Map<string, TaskObservation>>()
  for (const [task, observations] of byTask) {
    for (const observation of observations) {
      const run = runs.get(observation.runId) ?? new Map<string, TaskObservation>()
      run.set(task, observation)
      runs.set(observation.runId, run)
    }
  }
  return [...runs.values()].filter((run) => run.size === graph.tasks.length)
}

/** A change replayed: each task's new duration in a run (given its observation), and optionally another concurrency limit. */
export interface ReplayChange {
  /** The task's duration in the changed run. */
  readonly durationMs: (task: string, observation: TaskObservation) => number
  /** The concurrency limit of the changed runs. @defaultValue the baseline's */
  readonly concurrency?: number
}

/** What a change saves over the replayed runs. */
export interface ReplaySaving {
  /** The mean saving per run, milliseconds (negative when the change is slower). */
  readonly savingMs: number
  /** The total saving divided by the total replayed time of the runs as recorded. */
  readonly savingShare: number
  /** How many runs were replayed. */
  readonly runs: number
}

/**
 * Replays every run twice, as recorded (each task's recorded duration, the
 * baseline concurrency) and with the change, and compares the makespans.
 */
export function replaySaving(graph: AnalysisGraph, runs: readonly ReplayRun[], concurrency: number, change: ReplayChange): ReplaySaving {
  let baseline = 0
  let changed = 0
  for (const run of runs) {
    baseline += replaySchedule(graph, (task) => run.get(task)!.durationMs, concurrency).makespanMs
    changed += replaySchedule(graph, (task) => change.durationMs(task, run.get(task)!), change.concurrency ?? concurrency).makespanMs
  }
  const saved = baseline - changed
  return { savingMs: runs.length === 0 ? 0 : saved / runs.length, savingShare: baseline === 0 ? 0 : saved / baseline, runs: runs.length }
}

/** The most tasks of one run whose recorded steps overlapped in time, over the runs (at least 1). */
export function observedConcurrency(runs: readonly ReplayRun[]): number {
  let most = 1
  for (const run of runs) {
    const edges = [...run.values()]
      .filter((o) => o.startedAt !== undefined)
      .flatMap((o) => [[o.startedAt!, 1] as const, [o.finishedAt, -1] as const])
      .sort((a, b) => a[0] - b[0] || a[1] - b[1])
    let running = 0
    for (const [, delta] of edges) most = Math.max(most, (running += delta))
  }
  return most
}
