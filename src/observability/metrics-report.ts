// One metric model for the live monitor (engine events, one process) and the history (the store, every worker):
// the same report shape, so the JSON and CSV renderings, `weft stats` and the exports built next (a Prometheus
// exposition, alert rules) read one set of names. See guides/observability.md, "Metrics".

import type { PercentileDefinition } from '../core/percentile-rank.js'
import type { RecoveryStatsSnapshot } from '../resilience/recovery/recovery-stats.js'
import type { DurationPercentiles } from '../storage/workflow-store.js'

/**
 * What one workflow's runs did. Rates are over runs that ended by
 * themselves (completed, failed or dead-lettered): a cancellation is an
 * operator's choice and counts in neither rate.
 *
 * @example
 * ```ts
 * import type { WorkflowMetrics } from 'weft-sdk'
 * const line = (w: WorkflowMetrics) => `${w.workflow}: ${w.runs.completed}/${w.runs.total} ok, failure rate ${w.failureRate ?? '-'}, p95 ${w.duration.p95 ?? '-'} ms`
 * ```
 */
export interface WorkflowMetrics {
  /** The workflow's name. */
  readonly workflow: string
  /** Runs by outcome. */
  readonly runs: RunCounts
  /** `completed / (completed + failed + deadLettered)`; `undefined` when none ended so. */
  readonly successRate: number | undefined
  /** `(failed + deadLettered) / (completed + failed + deadLettered)`; `undefined` when none ended so. */
  readonly failureRate: number | undefined
  /** How long the runs that ended took, from their first start to their end (completed, failed and cancelled). */
  readonly duration: DurationPercentiles
  /** How long runs waited between their creation and their first start (live: the `queuedMs` of `run.started`). */
  readonly queueWait: DurationPercentiles
  /** Runs that ended per minute: over the report's window (history), over the sliding window (live). */
  readonly throughputPerMinute: number
}

/**
 * Runs of a workflow by outcome.
 *
 * @example
 * ```ts
 * import type { RunCounts } from 'weft-sdk'
 * const ended = (c: RunCounts) => c.completed + c.failed + c.cancelled + c.deadLettered
 * ```
 */
export interface RunCounts {
  /** Live: runs started in this process (a takeover included, see `recovered`); history: runs created in the window. */
  readonly total: number
  /** Runs that completed. */
  readonly completed: number
  /** Runs that failed. */
  readonly failed: number
  /** Runs cancelled. */
  readonly cancelled: number
  /** Runs dead-lettered (their workers crashed too often): live, the `run.dead-lettered` events of this process's workers; history, the runs in that status. */
  readonly deadLettered: number
  /** Live: runs this process took over from a stopped worker; history: takeovers recorded on the runs (their `recoveries`). */
  readonly recovered: number
}

/**
 * What one task of a workflow did, over its runs. A task's steps are its own
 * records (not its loop iterations, `ctx.map` items or sub-steps); rates are
 * `completed / (completed + failed)` and `failed / (completed + failed)`.
 *
 * @example
 * ```ts
 * import type { TaskMetrics } from 'weft-sdk'
 * const retryHeavy = (t: TaskMetrics) => t.tasks.retries > t.tasks.completed
 * ```
 */
export interface TaskMetrics {
  /** The workflow's name. */
  readonly workflow: string
  /** The task's name. */
  readonly task: string
  /** Steps by outcome, and attempts. */
  readonly tasks: TaskCounts
  /** `completed / (completed + failed)`; `undefined` when none ended so. */
  readonly successRate: number | undefined
  /** `failed / (completed + failed)`; `undefined` when none ended so. */
  readonly failureRate: number | undefined
  /** From the first attempt's start to the end, of the steps that ran (completed or failed; a replayed checkpoint is not counted). */
  readonly duration: DurationPercentiles
  /** Steps that ended per minute (completed or failed): over the report's window (history), the sliding window (live). */
  readonly throughputPerMinute: number
  /** Tokens and cost: history, what the steps' metered calls recorded (`usage`); live, what `task.call` reports carried (`gen_ai.usage.*_tokens`, `weft.llm.cost_usd`). */
  readonly usage: {
    /** Tokens spent. */
    readonly tokens: number
    /** Their cost in US dollars. */
    readonly costUsd: number
  }
}

/**
 * A task's steps by outcome, with their attempts.
 *
 * @example
 * ```ts
 * import type { TaskCounts } from 'weft-sdk'
 * const retriesPerStep = (c: TaskCounts) => c.retries / Math.max(1, c.completed + c.failed)
 * ```
 */
export interface TaskCounts {
  /** Steps that completed. */
  readonly completed: number
  /** Steps that failed for good. */
  readonly failed: number
  /** Steps skipped (a false `@When`, a dependency that did not complete). */
  readonly skipped: number
  /** Attempts beyond the first, over the steps. */
  readonly retries: number
}

/**
 * A circuit breaker as the live monitor saw it.
 *
 * @example
 * ```ts
 * import type { BreakerMetrics } from 'weft-sdk'
 * const flapping = (b: BreakerMetrics) => b.opened > 3
 * ```
 */
export interface BreakerMetrics {
  /** The circuit's name. */
  readonly breaker: string
  /** The adapter whose circuit it is; `undefined` for a task's circuit. */
  readonly adapter: string | undefined
  /** How many times it opened (trips). */
  readonly opened: number
  /** The state it was last seen moving to. */
  readonly state: 'open' | 'half-open' | 'closed'
}

/**
 * A metrics report: the live monitor's (`engine.metrics()`) or the
 * history's (`engine.history()`), in one shape; render it with
 * `metricsToJson` or `metricsToCsv`.
 *
 * @example
 * ```ts
 * import { createEngine, type MetricsReport } from 'weft-sdk'
 * const engine = createEngine({ metrics: true })
 * const report: MetricsReport = engine.metrics()
 * for (const w of report.workflows) console.log(w.workflow, w.runs.completed, w.duration.p95)
 * ```
 */
export interface MetricsReport {
  /** `'live'`: this process's engine events since the monitor started; `'history'`: the store's records. */
  readonly source: 'live' | 'history'
  /** When the report was made (epoch milliseconds). */
  readonly at: number
  /** The time the report covers (epoch milliseconds): history, runs created in [from, to); live, the monitor's start to now. */
  readonly window: {
    /** Start (inclusive). */
    readonly from: number
    /** End (exclusive). */
    readonly to: number
  }
  /** How percentiles are computed: `'sketch'` (live: DDSketch) or the exact definition (history). */
  readonly percentiles: PercentileDefinition | 'sketch'
  /** The sketch's relative error bound (live only): each percentile is within this fraction of the exact nearest-rank value. */
  readonly relativeAccuracy: number | undefined
  /** Per workflow, by name. */
  readonly workflows: readonly WorkflowMetrics[]
  /** Per task, by workflow then task name. */
  readonly tasks: readonly TaskMetrics[]
  /** Circuit breakers seen (live only). */
  readonly breakers: readonly BreakerMetrics[]
  /** Outbox deliveries seen (live only): delivered, failed attempts, and entries given up (dead letters). */
  readonly outbox: {
    /** Entries delivered. */
    readonly delivered: number
    /** Failed delivery attempts. */
    readonly failed: number
    /** Entries given up (status `dead`). */
    readonly dead: number
  }
  /** Adapter calls that failed for good (live only). */
  readonly adapterFailures: number
  /**
   * What `@Recover` met, by error class then strategy, in the shape of
   * `engine.stats().recovery`. Live: the engine's counters (the monitor of
   * `createEngine({ metrics })` follows them; a monitor of your own reports
   * them once told to, see `LiveMetrics.followRecovery`). History: summed
   * from the recoveries recorded with the steps of the window's runs (see
   * `StepRecovery`).
   */
  readonly recovery: RecoveryStatsSnapshot
}

/** A rate `part / whole`, `undefined` when `whole` is 0. */
export function rate(part: number, whole: number): number | undefined {
  return whole === 0 ? undefined : part / whole
}

/** The workflow's success and failure rates from its counts (see {@link WorkflowMetrics}). */
export function workflowRates(runs: RunCounts): Pick<WorkflowMetrics, 'successRate' | 'failureRate'> {
  const ended = runs.completed + runs.failed + runs.deadLettered
  return { successRate: rate(runs.completed, ended), failureRate: rate(runs.failed + runs.deadLettered, ended) }
}

/** The task's success and failure rates from its counts (see {@link TaskMetrics}). */
export function taskRates(tasks: TaskCounts): Pick<TaskMetrics, 'successRate' | 'failureRate'> {
  const ended = tasks.completed + tasks.failed
  return { successRate: rate(tasks.completed, ended), failureRate: rate(tasks.failed, ended) }
}
