// The store role of historical metrics: aggregates over every worker's recorded runs and steps, computed by the
// database (counts, sums and exact percentiles in SQL, never every row loaded). Re-exported by workflow-store.ts,
// the port the cross-cutting layers see; observability/ turns its rows into a MetricsReport.

import type { PercentileDefinition } from '../core/percentile-rank.js'
import type { RecoveryStepRow } from './step-recovery.js'

/**
 * Percentiles of a set of durations, in milliseconds; each `undefined` when
 * there were none (`count` 0). Live reports take them from a DDSketch
 * (nearest rank within the report's `relativeAccuracy`); the history's are
 * exact, under the report's definition.
 *
 * @example
 * ```ts
 * import type { DurationPercentiles } from 'weft-sdk'
 * const describe = (d: DurationPercentiles) => (d.count === 0 ? 'no data' : `p50 ${d.p50} ms, p95 ${d.p95} ms, p99 ${d.p99} ms, max ${d.max} ms (${d.count})`)
 * ```
 */
export interface DurationPercentiles {
  /** How many durations. */
  readonly count: number
  /** Their mean, in milliseconds. */
  readonly mean: number | undefined
  /** The median. */
  readonly p50: number | undefined
  /** The 95th percentile. */
  readonly p95: number | undefined
  /** The 99th percentile. */
  readonly p99: number | undefined
  /** The longest (exact in both sources). */
  readonly max: number | undefined
}

/**
 * What {@link HistoryStore} aggregates: runs created in `[from, to)`
 * (epoch milliseconds), of one workflow or all.
 *
 * @example
 * ```ts
 * import type { HistoryQuery } from 'weft-sdk/store'
 * const lastHour: HistoryQuery = { workflow: 'order-fulfilment', from: Date.now() - 3_600_000 }
 * ```
 */
export interface HistoryQuery {
  /** Only runs of this workflow. */
  readonly workflow?: string | undefined
  /**
   * Only runs created at or after this time. Without it every run since the
   * first is read, which on a big history takes seconds (the task rows read
   * every step of the window); `weft stats` defaults to the last 24 h.
   * @defaultValue no lower bound
   */
  readonly from?: number | undefined
  /** Only runs created before this time. @defaultValue no upper bound (the report's window ends at `now`) */
  readonly to?: number | undefined
  /** How percentiles are computed. @defaultValue 'nearest-rank' */
  readonly definition?: PercentileDefinition | undefined
}

/**
 * One workflow's runs, aggregated by the store.
 *
 * @example
 * ```ts
 * import type { WorkflowHistoryRow } from 'weft-sdk/store'
 * const failed = (row: WorkflowHistoryRow) => row.failed + row.deadLettered
 * ```
 */
export interface WorkflowHistoryRow {
  /** The workflow's name. */
  readonly workflow: string
  /** Runs created in the window. */
  readonly total: number
  /** Of them, completed. */
  readonly completed: number
  /** Failed. */
  readonly failed: number
  /** Cancelled. */
  readonly cancelled: number
  /** Dead-lettered. */
  readonly deadLettered: number
  /** Takeovers recorded on them (the sum of their `recoveries`). */
  readonly recovered: number
  /** `finished_at − started_at` of the runs that ended (completed, failed, cancelled) after a start. */
  readonly duration: DurationPercentiles
  /** `started_at − created_at` of the runs that started. */
  readonly queueWait: DurationPercentiles
  /** The oldest run's creation (epoch milliseconds). */
  readonly firstCreatedAt: number
}

/**
 * One task's own steps (key equal to the task's name: no loop iteration,
 * `ctx.map` item or sub-step), over the runs of the window.
 *
 * @example
 * ```ts
 * import type { TaskHistoryRow } from 'weft-sdk/store'
 * const retriesPerStep = (row: TaskHistoryRow) => row.retries / Math.max(1, row.completed + row.failed)
 * ```
 */
export interface TaskHistoryRow {
  /** The workflow's name. */
  readonly workflow: string
  /** The task's name. */
  readonly task: string
  /** Steps completed. */
  readonly completed: number
  /** Steps failed. */
  readonly failed: number
  /** Steps skipped. */
  readonly skipped: number
  /** Attempts beyond the first: the sum of `attempts − 1` over the steps that ran. */
  readonly retries: number
  /** `finished_at − started_at` of the completed and failed steps that have a start. */
  readonly duration: DurationPercentiles
  /** Tokens the steps recorded (their `usage`). */
  readonly tokens: number
  /** Their cost in US dollars. */
  readonly costUsd: number
}

/**
 * Historical metrics over every worker's records (memory, SQLite and
 * PostgreSQL have it, as `store.history`): counts, sums and exact
 * percentiles computed by the database, by workflow and by task. A
 * workflow's runs in a window are one range of the runs' history index
 * `weft_runs_history (workflow, created_at, …)`; its task rows are ranges of
 * the steps' history index on PostgreSQL (`weft_steps_history`), and on
 * SQLite those runs joined to their own steps by primary key and folded by
 * task in one pass (guides/observability.md gives the measured cost on
 * 1,000,000 runs).
 *
 * @example
 * ```ts
 * import { sqliteStore } from 'weft-sdk'
 * const store = sqliteStore({ path: 'runs.sqlite' })
 * await store.init()
 * const [orders] = await store.history.workflows({ workflow: 'order-fulfilment' })
 * console.log(orders?.completed, orders?.duration.p95)
 * ```
 */
export interface HistoryStore {
  /** Per workflow, by name. */
  workflows(query: HistoryQuery): Promise<WorkflowHistoryRow[]>
  /** Per workflow and task, by workflow then task. */
  tasks(query: HistoryQuery): Promise<TaskHistoryRow[]>
  /**
   * The tasks' own steps in the window whose attempt history records a
   * recovery (`StepRecovery`), unordered: the one query that reads rows
   * rather than aggregates, because the history may be encrypted. Only
   * steps that kept a history are read (retried or classified ones).
   */
  recoveries(query: HistoryQuery): Promise<RecoveryStepRow[]>
}
