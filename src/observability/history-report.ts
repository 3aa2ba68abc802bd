// The history's rows (HistoryStore) as a MetricsReport: rates and throughputs computed from the store's counts over
// the query's window.

import type { RecoveryStatsSnapshot } from '../resilience/recovery/recovery-stats.js'
import type { HistoryQuery, HistoryStore, TaskHistoryRow, WorkflowHistoryRow } from '../storage/workflow-store.js'
import { taskRates, workflowRates, type MetricsReport, type TaskMetrics, type WorkflowMetrics } from './metrics-report.js'
import { recoveryOfSteps } from './recovery-history.js'

/** Per minute over a window of `windowMs` (0 for an empty window). */
function perMinute(count: number, windowMs: number): number {
  return windowMs <= 0 ? 0 : (count * 60_000) / windowMs
}

function workflowMetrics(row: WorkflowHistoryRow, windowMs: number): WorkflowMetrics {
  const { workflow, total, completed, failed, cancelled, deadLettered, recovered } = row
  const runs = { total, completed, failed, cancelled, deadLettered, recovered }
  return { workflow, runs, ...workflowRates(runs), duration: row.duration, queueWait: row.queueWait, throughputPerMinute: perMinute(completed + failed + cancelled + deadLettered, windowMs) }
}

function taskMetrics(row: TaskHistoryRow, windowMs: number): TaskMetrics {
  const tasks = { completed: row.completed, failed: row.failed, skipped: row.skipped, retries: row.retries }
  return { workflow: row.workflow, task: row.task, tasks, ...taskRates(tasks), duration: row.duration, throughputPerMinute: perMinute(row.completed + row.failed, windowMs), usage: { tokens: row.tokens, costUsd: row.costUsd } }
}

/**
 * A history report from a store's rows: the window runs from `query.from`
 * (else the oldest run selected) to `query.to` (else `now`); throughputs are
 * the runs and steps that ended, per minute of that window.
 */
export function historyReport(workflows: readonly WorkflowHistoryRow[], tasks: readonly TaskHistoryRow[], recovery: RecoveryStatsSnapshot, query: HistoryQuery, now: number): MetricsReport {
  const to = query.to ?? now
  const from = query.from ?? Math.min(to, ...workflows.map((row) => row.firstCreatedAt))
  const windowMs = to - from
  return {
    source: 'history',
    at: now,
    window: { from, to },
    percentiles: query.definition ?? 'nearest-rank',
    relativeAccuracy: undefined,
    workflows: workflows.map((row) => workflowMetrics(row, windowMs)),
    tasks: tasks.map((row) => taskMetrics(row, windowMs)),
    breakers: [],
    outbox: { delivered: 0, failed: 0, dead: 0 },
    adapterFailures: 0,
    recovery,
  }
}

/**
 * Reads a store's history into a report: the two aggregate queries and the
 * steps' recorded recoveries, at once. The window is `query`'s: without
 * `from`, every run since the first (seconds on a history of millions of
 * steps; pass a window as the example does).
 *
 * @example
 * ```ts
 * import { readHistory, sqliteStore } from 'weft-sdk'
 * const store = sqliteStore({ path: 'runs.sqlite' })
 * await store.init()
 * const report = await readHistory(store.history, { workflow: 'order-fulfilment', from: Date.now() - 86_400_000 })
 * console.log(report.workflows[0]?.duration.p95)
 * ```
 */
export async function readHistory(history: HistoryStore, query: HistoryQuery = {}, now: number = Date.now()): Promise<MetricsReport> {
  const [workflows, tasks, recoveries] = await Promise.all([history.workflows(query), history.tasks(query), history.recoveries(query)])
  return historyReport(workflows, tasks, recoveryOfSteps(recoveries), query, now)
}
