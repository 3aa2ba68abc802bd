// The analysis of a workflow's recorded history: statistics, critical path, bottlenecks, cache candidates, suggestions.
import { InvalidOptionsError } from '../../core/errors.js'
import { finishedRunStatuses } from '../../storage/workflow-store.js'
import type { AnalysisGraph, RecordedRun } from './analysis-input.js'
import { defaultAnalysisThresholds, findBottlenecks, type AnalysisThresholds, type Bottleneck } from './bottlenecks.js'
import { findCacheCandidates, type CacheCandidate } from './cache-candidates.js'
import { criticalPath, type CriticalPath } from './critical-path.js'
import { observedConcurrency, replayableRuns } from './replay-runs.js'
import { suggestChanges, type Suggestion } from './suggestions.js'
import { observeTasks } from './task-observations.js'
import { profileTask, type TaskProfile } from './task-profile.js'

/**
 * Options of {@link analyzeWorkflow}.
 *
 * @example
 * ```ts
 * import type { AnalysisOptions } from 'weft-sdk'
 * const options: AnalysisOptions = { thresholds: { slowShare: 0.5 } }
 * ```
 */
export interface AnalysisOptions {
  /** Thresholds to change; the others keep {@link defaultAnalysisThresholds}. */
  readonly thresholds?: Partial<AnalysisThresholds>
}

/**
 * How many runs an analysis read and used.
 *
 * @example
 * ```ts
 * import type { AnalysisSample } from 'weft-sdk'
 * declare const sample: AnalysisSample
 * console.log(`${sample.analyzed} runs analyzed, ${sample.replayed} replayed`)
 * ```
 */
export interface AnalysisSample {
  /** Runs given. */
  readonly given: number
  /** Finished runs of the graph's workflow and version: the ones analyzed. */
  readonly analyzed: number
  /** Runs left out: unfinished, or of another workflow or version. */
  readonly ignored: number
  /** Analyzed runs that completed. */
  readonly completed: number
  /** Analyzed runs that failed, were cancelled or dead-lettered. */
  readonly notCompleted: number
  /** Analyzed runs with a step for every task: the ones the savings are replayed on. */
  readonly replayed: number
  /** When the oldest analyzed run was created (epoch ms); `undefined` without runs. */
  readonly fromCreatedAt: number | undefined
  /** When the newest analyzed run was created (epoch ms); `undefined` without runs. */
  readonly toCreatedAt: number | undefined
}

/**
 * What {@link analyzeWorkflow} found.
 *
 * @example
 * ```ts
 * import type { WorkflowAnalysis } from 'weft-sdk'
 * declare const analysis: WorkflowAnalysis
 * for (const s of analysis.suggestions) console.log(s.action, Math.round(s.estimatedSavingMs), 'ms per run')
 * ```
 */
export interface WorkflowAnalysis {
  /** The workflow. */
  readonly workflow: string
  /** Its version. */
  readonly version: number
  /** The runs read and used. */
  readonly sample: AnalysisSample
  /** Per task, in graph order. */
  readonly tasks: readonly TaskProfile[]
  /** The longest path through the graph weighted by median durations. */
  readonly criticalPath: CriticalPath
  /** The most tasks of one run seen running at once (the concurrency the replays use as recorded). */
  readonly observedConcurrency: number
  /** Tasks meeting a bottleneck criterion. */
  readonly bottlenecks: readonly Bottleneck[]
  /** Tasks whose arguments repeat with the same output. */
  readonly cacheCandidates: readonly CacheCandidate[]
  /** Changes with their replayed savings, largest first. */
  readonly suggestions: readonly Suggestion[]
  /** The thresholds used. */
  readonly thresholds: AnalysisThresholds
}

/**
 * Analyzes a workflow's recorded runs (a pure function of its arguments):
 * per-task duration statistics, failure, retry and blocking rates; the
 * critical path by median durations and each task's share of it;
 * bottlenecks by the criteria of {@link AnalysisThresholds}; cache
 * candidates; and suggestions whose savings are estimated by replaying the
 * recorded durations through the graph with the change applied (see
 * `replaySchedule`). Runs that are unfinished or of another workflow or
 * version are ignored. `loadWorkflowHistory` reads the runs from a store.
 *
 * @example
 * ```ts
 * import { analyzeWorkflow, compileWorkflow, loadWorkflowHistory, sqliteStore, toAnalysisGraph, type AnyWorkflow } from 'weft-sdk'
 * declare const Orders: AnyWorkflow
 * const graph = toAnalysisGraph(compileWorkflow(Orders))
 * const store = sqliteStore({ path: '.weft/weft.sqlite' })
 * const analysis = analyzeWorkflow(graph, await loadWorkflowHistory(store, graph, { runs: 200 }))
 * for (const b of analysis.bottlenecks) console.log(b.task, b.kind, b.evidence)
 * ```
 * @throws `InvalidOptionsError` when a threshold is not a finite number ≥ 0.
 */
export function analyzeWorkflow(graph: AnalysisGraph, runs: readonly RecordedRun[], options: AnalysisOptions = {}): WorkflowAnalysis {
  const thresholds = checkThresholds({ ...defaultAnalysisThresholds, ...options.thresholds })
  const analyzed = runs.filter((r) => r.run.workflow === graph.workflow && r.run.version === graph.version && finishedRunStatuses.includes(r.run.status))
  const byTask = observeTasks(graph, analyzed)
  const tasks = graph.tasks.map((task) => profileTask(task.name, byTask.get(task.name)!))
  const medians = new Map(tasks.map((t) => [t.task, t.duration.medianMs]))
  const path = criticalPath(graph, (task) => medians.get(task)!)
  const replayRuns = replayableRuns(graph, byTask)
  const bottlenecks = findBottlenecks(tasks, path, thresholds)
  const cacheCandidates = findCacheCandidates(byTask, { minCalls: thresholds.minSteps })
  const suggestions = suggestChanges({ graph, runs: replayRuns, stats: tasks, bottlenecks, cacheCandidates, thresholds })
  return {
    workflow: graph.workflow,
    version: graph.version,
    sample: sampleOf(runs, analyzed, replayRuns.length),
    tasks,
    criticalPath: path,
    observedConcurrency: observedConcurrency(replayRuns),
    bottlenecks,
    cacheCandidates,
    suggestions,
    thresholds,
  }
}

function sampleOf(given: readonly RecordedRun[], analyzed: readonly RecordedRun[], replayed: number): AnalysisSample {
  const created = analyzed.map((r) => r.run.createdAt)
  const completed = analyzed.filter((r) => r.run.status === 'completed').length
  return {
    given: given.length,
    analyzed: analyzed.length,
    ignored: given.length - analyzed.length,
    completed,
    notCompleted: analyzed.length - completed,
    replayed,
    // Folded, not spread: a spread of hundreds of thousands of values overflows the call stack.
    fromCreatedAt: created.length === 0 ? undefined : created.reduce((first, at) => Math.min(first, at)),
    toCreatedAt: created.length === 0 ? undefined : created.reduce((last, at) => Math.max(last, at)),
  }
}

function checkThresholds(thresholds: AnalysisThresholds): AnalysisThresholds {
  for (const [name, value] of Object.entries(thresholds)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new InvalidOptionsError(`analysis threshold "${name}" must be a finite number ≥ 0, got ${String(value)}`)
  }
  return Object.freeze(thresholds)
}
