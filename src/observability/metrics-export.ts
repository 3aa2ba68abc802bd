// JSON and CSV renderings of a MetricsReport. The CSV has one row per workflow and per task, with a fixed list of
// columns (metricsCsvColumns): a column is only ever added at the end, never renamed or moved. The recovery
// statistics are a table of their own (recoveryToCsv, recoveryCsvColumns): one row per error class and strategy.

import type { RecoveryCounts } from '../resilience/recovery/recovery-stats.js'
import type { DurationPercentiles } from '../storage/workflow-store.js'
import type { MetricsReport, TaskMetrics, WorkflowMetrics } from './metrics-report.js'

/**
 * The columns of {@link metricsToCsv}, in order. `scope` is `workflow` or
 * `task`; durations are milliseconds; rates are fractions (0 to 1); an
 * empty cell means no value (no run ended, no duration). A column is only
 * ever added at the end.
 *
 * @example
 * ```ts
 * import { metricsCsvColumns } from 'weft-sdk'
 * console.log(metricsCsvColumns.join(',')) // source,scope,workflow,task,total,completed,...
 * ```
 */
export const metricsCsvColumns = [
  'source', 'scope', 'workflow', 'task',
  'total', 'completed', 'failed', 'cancelled', 'dead_lettered', 'skipped', 'retries', 'recovered',
  'success_rate', 'failure_rate', 'throughput_per_minute',
  'duration_count', 'duration_mean_ms', 'duration_p50_ms', 'duration_p95_ms', 'duration_p99_ms', 'duration_max_ms',
  'queue_wait_count', 'queue_wait_mean_ms', 'queue_wait_p50_ms', 'queue_wait_p95_ms', 'queue_wait_p99_ms', 'queue_wait_max_ms',
  'tokens', 'cost_usd',
] as const

type Cell = string | number | undefined

const durationCells = (d: DurationPercentiles | undefined): Cell[] => (d === undefined ? [undefined, undefined, undefined, undefined, undefined, undefined] : [d.count, d.mean, d.p50, d.p95, d.p99, d.max])

function workflowCells(source: string, w: WorkflowMetrics): Cell[] {
  const r = w.runs
  return [source, 'workflow', w.workflow, undefined, r.total, r.completed, r.failed, r.cancelled, r.deadLettered, undefined, undefined, r.recovered,
    w.successRate, w.failureRate, w.throughputPerMinute, ...durationCells(w.duration), ...durationCells(w.queueWait), undefined, undefined]
}

function taskCells(source: string, t: TaskMetrics): Cell[] {
  const c = t.tasks
  return [source, 'task', t.workflow, t.task, c.completed + c.failed + c.skipped, c.completed, c.failed, undefined, undefined, c.skipped, c.retries, undefined,
    t.successRate, t.failureRate, t.throughputPerMinute, ...durationCells(t.duration), ...durationCells(undefined), t.usage.tokens, t.usage.costUsd]
}

/** A CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break. */
function csvField(cell: Cell): string {
  if (cell === undefined) return ''
  const text = typeof cell === 'number' ? String(Number.isInteger(cell) ? cell : Number(cell.toFixed(6))) : cell
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

/**
 * The report as CSV (RFC 4180, `\n` line ends): a header of
 * {@link metricsCsvColumns}, then one row per workflow and one per task.
 *
 * @example
 * ```ts
 * import { createEngine, metricsToCsv } from 'weft-sdk'
 * const engine = createEngine({ metrics: true })
 * process.stdout.write(metricsToCsv(engine.metrics()))
 * ```
 */
export function metricsToCsv(report: MetricsReport): string {
  const rows = [...report.workflows.map((w) => workflowCells(report.source, w)), ...report.tasks.map((t) => taskCells(report.source, t))]
  return [metricsCsvColumns.join(','), ...rows.map((cells) => cells.map(csvField).join(','))].join('\n') + '\n'
}

/**
 * The columns of {@link recoveryToCsv}, in order: a row per error class and
 * strategy that `@Recover` met. `occurrences` counts failed attempts,
 * `recovered` and `not_recovered` task executions; the time to recover is
 * in milliseconds, from an execution's first failure to its recovery, over
 * the recovered ones (mean and max empty when none recovered). A column is
 * only ever added at the end.
 *
 * @example
 * ```ts
 * import { recoveryCsvColumns } from 'weft-sdk'
 * console.log(recoveryCsvColumns.join(',')) // source,error_class,strategy,occurrences,...
 * ```
 */
export const recoveryCsvColumns = [
  'source', 'error_class', 'strategy', 'occurrences', 'recovered', 'not_recovered',
  'time_to_recover_total_ms', 'time_to_recover_mean_ms', 'time_to_recover_max_ms',
] as const

function recoveryCells(source: string, errorClass: string, strategy: string, c: RecoveryCounts): Cell[] {
  const t = c.timeToRecoverMs
  return [source, errorClass, strategy, c.occurrences, c.recovered, c.notRecovered, t.total, c.recovered === 0 ? undefined : t.mean, c.recovered === 0 ? undefined : t.max]
}

/**
 * The report's recovery statistics as CSV (RFC 4180, `\n` line ends): a
 * header of {@link recoveryCsvColumns}, then one row per error class and
 * strategy, by class then strategy. A table of its own beside
 * {@link metricsToCsv}'s (its rows have other keys); `weft stats --format
 * csv --table recovery` prints it.
 *
 * @example
 * ```ts
 * import { createEngine, recoveryToCsv } from 'weft-sdk'
 * const engine = createEngine({ metrics: true })
 * process.stdout.write(recoveryToCsv(engine.metrics()))
 * ```
 */
export function recoveryToCsv(report: MetricsReport): string {
  const rows = recoveryRows(report).map(([errorClass, strategy, counts]) => recoveryCells(report.source, errorClass, strategy, counts))
  return [recoveryCsvColumns.join(','), ...rows.map((cells) => cells.map(csvField).join(','))].join('\n') + '\n'
}

/**
 * The report's recovery counts as rows `[errorClass, strategy, counts]`, by
 * class then strategy (what the CSV, the text table and the Prometheus
 * exposition list).
 *
 * @example
 * ```ts
 * import { createEngine, recoveryRows } from 'weft-sdk'
 * const engine = createEngine({ metrics: true })
 * for (const [errorClass, strategy, counts] of recoveryRows(engine.metrics())) console.log(errorClass, strategy, counts.recovered)
 * ```
 */
export function recoveryRows(report: Pick<MetricsReport, 'recovery'>): [errorClass: string, strategy: string, counts: RecoveryCounts][] {
  const byName = <T>(entries: [string, T][]) => entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return byName(Object.entries(report.recovery.byClass)).flatMap(([errorClass, strategies]) =>
    byName(Object.entries(strategies) as [string, RecoveryCounts][]).map(([strategy, counts]): [string, string, RecoveryCounts] => [errorClass, strategy, counts]),
  )
}

/**
 * The report as a JSON-ready value: the report itself, times as ISO 8601
 * strings beside their epoch milliseconds, and every missing value `null`
 * (so each key is always present). `JSON.stringify` it.
 *
 * @example
 * ```ts
 * import { createEngine, metricsToJson } from 'weft-sdk'
 * const engine = createEngine({ metrics: true })
 * console.log(JSON.stringify(metricsToJson(engine.metrics()), null, 2))
 * ```
 */
export function metricsToJson(report: MetricsReport): unknown {
  const withNulls = JSON.parse(JSON.stringify(report, (_key, value: unknown) => (value === undefined ? null : value))) as Record<string, unknown>
  const iso = (ms: number) => new Date(ms).toISOString()
  return { ...withNulls, atIso: iso(report.at), window: { ...report.window, fromIso: iso(report.window.from), toIso: iso(report.window.to) } }
}
