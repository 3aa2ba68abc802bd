// Historical metrics of the memory store: the same aggregates the SQL stores compute, over the records in memory
// (what the conformance suite compares the SQL stores with).

import { percentileOfSorted, reportedFractions, type PercentileDefinition } from '../core/percentile-rank.js'
import type { RunId } from '../core/ids.js'
import { type DurationPercentiles, type HistoryQuery, type HistoryStore, type TaskHistoryRow, type WorkflowHistoryRow } from './history-store.js'
import type { RecoveryStepRow } from './step-recovery.js'
import type { RunRecord, StepRecord } from './workflow-store.js'

/** The summary of `values` (any order; sorted here), exact under `definition`. */
export function summarizeDurations(values: readonly number[], definition: PercentileDefinition): DurationPercentiles {
  if (values.length === 0) return { count: 0, mean: undefined, p50: undefined, p95: undefined, p99: undefined, max: undefined }
  const sorted = Float64Array.from(values).sort()
  const [p50, p95, p99] = reportedFractions.map((fraction) => percentileOfSorted(sorted, fraction, definition))
  return { count: sorted.length, mean: sorted.reduce((sum, v) => sum + v, 0) / sorted.length, p50, p95, p99, max: sorted[sorted.length - 1] }
}

/** Whether a run belongs to the query's window and workflow. */
export function inHistory(run: RunRecord, query: HistoryQuery): boolean {
  return (query.workflow === undefined || run.workflow === query.workflow) && (query.from === undefined || run.createdAt >= query.from) && (query.to === undefined || run.createdAt < query.to)
}

/** Groups `items` by a key, keeping the groups in key order. */
function groupBy<T>(items: Iterable<T>, key: (item: T) => string): [string, T[]][] {
  const groups = new Map<string, T[]>()
  for (const item of items) {
    const k = key(item)
    const group = groups.get(k)
    if (group === undefined) groups.set(k, [item])
    else group.push(item)
  }
  return [...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
}

const countOf = (runs: readonly RunRecord[], status: RunRecord['status']) => runs.filter((run) => run.status === status).length
const ended = new Set(['completed', 'failed', 'cancelled'])

function workflowRow(workflow: string, runs: readonly RunRecord[], definition: PercentileDefinition): WorkflowHistoryRow {
  const started = runs.filter((run) => run.startedAt !== undefined)
  const durations = started.filter((run) => ended.has(run.status) && run.finishedAt !== undefined).map((run) => run.finishedAt! - run.startedAt!)
  return {
    workflow,
    total: runs.length,
    completed: countOf(runs, 'completed'),
    failed: countOf(runs, 'failed'),
    cancelled: countOf(runs, 'cancelled'),
    deadLettered: countOf(runs, 'dead-lettered'),
    recovered: runs.reduce((sum, run) => sum + run.recoveries, 0),
    duration: summarizeDurations(durations, definition),
    queueWait: summarizeDurations(started.map((run) => run.startedAt! - run.createdAt), definition),
    firstCreatedAt: runs.reduce((first, run) => Math.min(first, run.createdAt), Infinity),
  }
}

function taskRow(workflow: string, task: string, steps: readonly StepRecord[], definition: PercentileDefinition): TaskHistoryRow {
  const ran = steps.filter((step) => step.status !== 'skipped')
  const timed = ran.filter((step) => step.startedAt !== undefined)
  return {
    workflow,
    task,
    completed: steps.filter((step) => step.status === 'completed').length,
    failed: steps.filter((step) => step.status === 'failed').length,
    skipped: steps.filter((step) => step.status === 'skipped').length,
    retries: ran.reduce((sum, step) => sum + Math.max(0, step.attempts - 1), 0),
    duration: summarizeDurations(timed.map((step) => step.finishedAt - step.startedAt!), definition),
    tokens: steps.reduce((sum, step) => sum + (step.usage?.tokens ?? 0), 0),
    costUsd: steps.reduce((sum, step) => sum + (step.usage?.costUsd ?? 0), 0),
  }
}

/** The memory store's history, over its maps of runs and steps. */
export class MemoryHistory implements HistoryStore {
  constructor(
    private readonly runs: () => Iterable<RunRecord>,
    private readonly stepsOf: (runId: RunId) => Iterable<StepRecord>,
  ) {}

  async workflows(query: HistoryQuery): Promise<WorkflowHistoryRow[]> {
    const definition = query.definition ?? 'nearest-rank'
    return groupBy(this.selected(query), (run) => run.workflow).map(([workflow, runs]) => workflowRow(workflow, runs, definition))
  }

  async tasks(query: HistoryQuery): Promise<TaskHistoryRow[]> {
    const definition = query.definition ?? 'nearest-rank'
    const steps = this.selected(query).flatMap((run) => [...this.stepsOf(run.id)].filter((step) => step.key === step.task).map((step) => ({ workflow: run.workflow, step })))
    return groupBy(steps, ({ workflow, step }) => `${workflow}\u0000${step.task}`).map(([, group]) => taskRow(group[0]!.workflow, group[0]!.step.task, group.map((g) => g.step), definition))
  }

  async recoveries(query: HistoryQuery): Promise<RecoveryStepRow[]> {
    return this.selected(query).flatMap((run) =>
      [...this.stepsOf(run.id)].flatMap((step) => {
        const recovery = step.key === step.task ? step.history?.recovery : undefined
        return recovery === undefined ? [] : [{ workflow: run.workflow, task: step.task, status: step.status, finishedAt: step.finishedAt, recovery }]
      }),
    )
  }

  private selected(query: HistoryQuery): RunRecord[] {
    return [...this.runs()].filter((run) => inHistory(run, query))
  }
}
