// Reads a bounded sample of a workflow's history from a store: its newest runs and their steps.
import { InvalidOptionsError } from '../../core/errors.js'
import { finishedRunStatuses, type RunRecord, type RunStore, type StepJournal } from '../../storage/workflow-store.js'
import type { AnalysisGraph, RecordedRun } from './analysis-input.js'

/**
 * Options of {@link loadWorkflowHistory}.
 *
 * @example
 * ```ts
 * import type { HistoryOptions } from 'weft-sdk'
 * const lastHundred: HistoryOptions = { runs: 100 }
 * ```
 */
export interface HistoryOptions {
  /** How many of the workflow's newest runs to read (1 to 10,000). @defaultValue 200 */
  readonly runs?: number
}

/**
 * How many runs {@link loadWorkflowHistory} reads unless told otherwise.
 *
 * @example
 * ```ts
 * import { defaultHistoryRuns } from 'weft-sdk'
 * console.log(`analyzing the last ${defaultHistoryRuns} runs`)
 * ```
 */
export const defaultHistoryRuns = 200

const maxHistoryRuns = 10_000

/**
 * The newest `options.runs` runs of the graph's workflow (all versions:
 * `analyzeWorkflow` keeps the graph's own) with their steps: one
 * `listRuns` query (newest first, by workflow), then `loadSteps` per
 * finished run. A big history is never read whole.
 *
 * @example
 * ```ts
 * import { loadWorkflowHistory, sqliteStore } from 'weft-sdk'
 * const history = await loadWorkflowHistory(sqliteStore({ path: '.weft/weft.sqlite' }), { workflow: 'orders' }, { runs: 50 })
 * console.log(history.length)
 * ```
 * @throws `InvalidOptionsError` when `runs` is not an integer from 1 to 10,000.
 */
export async function loadWorkflowHistory(store: Pick<RunStore, 'listRuns'> & Pick<StepJournal, 'loadSteps'>, graph: Pick<AnalysisGraph, 'workflow'>, options: HistoryOptions = {}): Promise<RecordedRun[]> {
  const limit = options.runs ?? defaultHistoryRuns
  if (!Number.isInteger(limit) || limit < 1 || limit > maxHistoryRuns) throw new InvalidOptionsError(`history runs must be an integer from 1 to ${maxHistoryRuns}, got ${String(limit)}`)
  return loadRunSteps(store, await store.listRuns({ workflow: graph.workflow, limit }))
}

/**
 * The steps of each finished run of `runs` (unfinished ones are left out:
 * their steps are still being written), read one run after another.
 *
 * @example
 * ```ts
 * import { createEngine, loadRunSteps, sqliteStore } from 'weft-sdk'
 * const store = sqliteStore({ path: '.weft/weft.sqlite' })
 * const runs = await createEngine({ store }).listRuns({ workflow: 'orders', limit: 20 })
 * const history = await loadRunSteps(store, runs)
 * ```
 */
export async function loadRunSteps(store: Pick<StepJournal, 'loadSteps'>, runs: readonly RunRecord[]): Promise<RecordedRun[]> {
  const recorded: RecordedRun[] = []
  for (const run of runs) {
    if (!finishedRunStatuses.includes(run.status)) continue
    recorded.push({ run, steps: await store.loadSteps(run.id) })
  }
  return recorded
}
