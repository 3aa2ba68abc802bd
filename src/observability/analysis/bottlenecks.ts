// Which tasks hold a workflow back, by criteria with stated thresholds (guides/observability.md, "Analysis").
import type { CriticalPath } from './critical-path.js'
import type { TaskProfile } from './task-profile.js'

/**
 * The thresholds of the bottleneck criteria. Every criterion also needs at
 * least `minSteps` steps of the task that ran.
 *
 * @example
 * ```ts
 * import { defaultAnalysisThresholds, type AnalysisThresholds } from 'weft-sdk'
 * const stricter: AnalysisThresholds = { ...defaultAnalysisThresholds, slowShare: 0.5 }
 * ```
 */
export interface AnalysisThresholds {
  /** Fewest steps that ran for a task to be judged at all. @defaultValue 5 */
  readonly minSteps: number
  /** `slow`: the task is on the critical path and its median is at least this share of the path. @defaultValue 0.4 */
  readonly slowShare: number
  /** `high-variance`: the coefficient of variation is at least this, and... @defaultValue 0.4 */
  readonly varianceCv: number
  /** ...p95 − median is at least this share of the critical path (the spread matters to the run). @defaultValue 0.05 */
  readonly varianceShare: number
  /** `unreliable`: the share of the task's attempts that failed is at least this, and... @defaultValue 0.05 */
  readonly failureFloor: number
  /** ...at least this many times the pooled failure rate of the workflow's other tasks, and... @defaultValue 2 */
  readonly failureFactor: number
  /** ...the excess is significant: a one-sided two-proportion z-test against the other tasks gives at least this z (1.645: 95%). @defaultValue 1.645 */
  readonly failureZ: number
  /** `retry-heavy`: at least this share of its steps needed more than one attempt. @defaultValue 0.2 */
  readonly retryRate: number
  /** `blocked`: at least this share of its steps had an attempt refused by a rate limit, breaker or bulkhead. @defaultValue 0.1 */
  readonly blockedRate: number
  /** Suggestions whose estimated saving is below this share of the replayed run time are left out. @defaultValue 0.01 */
  readonly minSavingShare: number
}

/**
 * The thresholds {@link analyzeWorkflow} uses unless told otherwise.
 *
 * @example
 * ```ts
 * import { defaultAnalysisThresholds } from 'weft-sdk'
 * defaultAnalysisThresholds.varianceCv // 0.4
 * ```
 */
export const defaultAnalysisThresholds: AnalysisThresholds = Object.freeze({
  minSteps: 5,
  slowShare: 0.4,
  varianceCv: 0.4,
  varianceShare: 0.05,
  failureFloor: 0.05,
  failureFactor: 2,
  failureZ: 1.645,
  retryRate: 0.2,
  blockedRate: 0.1,
  minSavingShare: 0.01,
})

/**
 * What a bottleneck is: `slow` (a large share of the critical path),
 * `high-variance`, `unreliable` (fails more than the workflow's other tasks),
 * `retry-heavy`, `blocked` (rate limit, breaker or bulkhead refusals).
 *
 * @example
 * ```ts
 * import type { BottleneckKind } from 'weft-sdk'
 * const kinds: BottleneckKind[] = ['slow', 'high-variance', 'unreliable', 'retry-heavy', 'blocked']
 * ```
 */
export type BottleneckKind = 'slow' | 'high-variance' | 'unreliable' | 'retry-heavy' | 'blocked'

/**
 * A task that met a bottleneck criterion, with the numbers that met it.
 *
 * @example
 * ```ts
 * import type { Bottleneck } from 'weft-sdk'
 * declare const found: Bottleneck
 * console.log(`${found.task} is ${found.kind}: ${found.evidence}`)
 * ```
 */
export interface Bottleneck {
  /** The task. */
  readonly task: string
  /** Which criterion. */
  readonly kind: BottleneckKind
  /** The numbers, as a sentence. */
  readonly evidence: string
}

type Criterion = (stats: TaskProfile, context: CriterionContext) => string | undefined

interface CriterionContext {
  readonly path: CriticalPath
  readonly others: (task: string) => { readonly attempts: number; readonly failedAttempts: number }
  readonly thresholds: AnalysisThresholds
}

const criteria: Readonly<Record<BottleneckKind, Criterion>> = {
  slow: ({ task, duration }, { path, thresholds }) => {
    const share = path.steps.find((step) => step.task === task)?.share ?? 0
    if (share < thresholds.slowShare || path.steps.length === 0) return undefined
    return `median ${ms(duration.medianMs)} is ${percent(share)} of the critical path (${ms(path.lengthMs)}; threshold ${percent(thresholds.slowShare)})`
  },
  'high-variance': ({ duration }, { path, thresholds }) => {
    const spread = duration.p95Ms - duration.medianMs
    if (duration.cv < thresholds.varianceCv || spread < thresholds.varianceShare * path.lengthMs) return undefined
    return `coefficient of variation ${duration.cv.toFixed(2)} (threshold ${thresholds.varianceCv}); p95 ${ms(duration.p95Ms)} is ${ms(spread)} above the median ${ms(duration.medianMs)}, ${percent(path.lengthMs === 0 ? 0 : spread / path.lengthMs)} of the critical path (threshold ${percent(thresholds.varianceShare)})`
  },
  unreliable: (stats, { others, thresholds }) => {
    const rest = others(stats.task)
    const pooled = rest.attempts === 0 ? 0 : rest.failedAttempts / rest.attempts
    const bar = Math.max(thresholds.failureFloor, thresholds.failureFactor * pooled)
    const z = failureExcessZ(stats, rest)
    if (stats.failureRate < bar || z < thresholds.failureZ) return undefined
    return `${stats.failedAttempts} of ${stats.attempts} attempts failed (${percent(stats.failureRate)}) against ${percent(pooled)} for the other tasks (${rest.failedAttempts} of ${rest.attempts}); threshold ${percent(bar)}, z = ${z.toFixed(2)} ≥ ${thresholds.failureZ}`
  },
  'retry-heavy': ({ retryRate, retryMs, duration }, { thresholds }) => {
    if (retryRate < thresholds.retryRate) return undefined
    return `${percent(retryRate)} of its steps needed more than one attempt (threshold ${percent(thresholds.retryRate)}); failed attempts and backoff took ${ms(retryMs)} over ${duration.count} steps`
  },
  blocked: ({ blockedSteps, blockedMs, duration }, { thresholds }) => {
    const rate = duration.count === 0 ? 0 : blockedSteps / duration.count
    if (rate < thresholds.blockedRate) return undefined
    return `${blockedSteps} of ${duration.count} steps had an attempt refused by a rate limit, breaker or bulkhead (${percent(rate)}; threshold ${percent(thresholds.blockedRate)}), waiting ${ms(blockedMs)} in all`
  },
}

/**
 * Every bottleneck among `tasks` by the criteria of {@link AnalysisThresholds},
 * in task order, then criterion order.
 *
 * @example
 * ```ts
 * import { criticalPath, defaultAnalysisThresholds, findBottlenecks, type AnalysisGraph, type TaskProfile } from 'weft-sdk'
 * declare const graph: AnalysisGraph
 * declare const stats: TaskProfile[]
 * const path = criticalPath(graph, (task) => stats.find((s) => s.task === task)?.duration.medianMs ?? 0)
 * for (const b of findBottlenecks(stats, path, defaultAnalysisThresholds)) console.log(b.task, b.kind, b.evidence)
 * ```
 */
export function findBottlenecks(tasks: readonly TaskProfile[], path: CriticalPath, thresholds: AnalysisThresholds): Bottleneck[] {
  const totalAttempts = tasks.reduce((sum, t) => sum + t.attempts, 0)
  const totalFailed = tasks.reduce((sum, t) => sum + t.failedAttempts, 0)
  const byTask = new Map(tasks.map((t) => [t.task, t]))
  const others = (task: string) => ({ attempts: totalAttempts - byTask.get(task)!.attempts, failedAttempts: totalFailed - byTask.get(task)!.failedAttempts })
  const context: CriterionContext = { path, others, thresholds }
  return tasks
    .filter((stats) => stats.duration.count >= thresholds.minSteps)
    .flatMap((stats) => Object.entries(criteria).flatMap(([kind, criterion]) => {
      const evidence = criterion(stats, context)
      return evidence === undefined ? [] : [{ task: stats.task, kind: kind as BottleneckKind, evidence }]
    }))
}

/**
 * The z statistic of a one-sided two-proportion test that the task's
 * attempts fail more often than the other tasks' attempts (pooled
 * variance); 0 when either side has no attempts or nothing ever failed.
 * Keeps a few unlucky failures in a small sample from flagging a task.
 */
export function failureExcessZ(task: { readonly attempts: number; readonly failedAttempts: number }, rest: { readonly attempts: number; readonly failedAttempts: number }): number {
  if (task.attempts === 0 || rest.attempts === 0) return 0
  const pooled = (task.failedAttempts + rest.failedAttempts) / (task.attempts + rest.attempts)
  const spread = Math.sqrt(pooled * (1 - pooled) * (1 / task.attempts + 1 / rest.attempts))
  return spread === 0 ? 0 : (task.failedAttempts / task.attempts - rest.failedAttempts / rest.attempts) / spread
}

/** `12.3 ms`, `1.20 s`. */
export function ms(value: number): string {
  return value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value.toFixed(1)} ms`
}

/** `12.3%`. */
export function percent(share: number): string {
  return `${(share * 100).toFixed(1)}%`
}
