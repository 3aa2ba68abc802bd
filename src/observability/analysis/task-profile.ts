// Per-task statistics over the sampled runs: durations (median, p95, mean, coefficient of variation), failures, retries, blocking.
import { percentiles } from '../percentiles.js'
import type { TaskObservation } from './task-observations.js'

/**
 * Summary statistics of a set of durations (milliseconds). Percentiles are
 * exact, by linear interpolation (`percentile(values, p, { definition: 'linear' })`):
 * the median of an even count is the mean of its middle two.
 *
 * @example
 * ```ts
 * import { summarizeDurations } from 'weft-sdk'
 * summarizeDurations([10, 20, 30, 40]) // { count: 4, medianMs: 25, p95Ms: 38.5, meanMs: 25, maxMs: 40, cv: 0.447… }
 * ```
 */
export interface DurationSummary {
  /** How many durations. */
  readonly count: number
  /** The median. */
  readonly medianMs: number
  /** The 95th percentile. */
  readonly p95Ms: number
  /** The arithmetic mean. */
  readonly meanMs: number
  /** The largest. */
  readonly maxMs: number
  /** Coefficient of variation: the population standard deviation divided by the mean (0 when the mean is 0). */
  readonly cv: number
}

/**
 * {@link DurationSummary} of `durationsMs`; all zero for none.
 *
 * @example
 * ```ts
 * import { summarizeDurations } from 'weft-sdk'
 * summarizeDurations([5, 5, 5]).cv // 0
 * ```
 */
export function summarizeDurations(durationsMs: readonly number[]): DurationSummary {
  const count = durationsMs.length
  if (count === 0) return { count: 0, medianMs: 0, p95Ms: 0, meanMs: 0, maxMs: 0, cv: 0 }
  const [medianMs, p95Ms, maxMs] = percentiles(durationsMs, [50, 95, 100], { definition: 'linear' }) as [number, number, number]
  const meanMs = durationsMs.reduce((sum, d) => sum + d, 0) / count
  const variance = durationsMs.reduce((sum, d) => sum + (d - meanMs) ** 2, 0) / count
  return { count, medianMs, p95Ms, meanMs, maxMs, cv: meanMs === 0 ? 0 : Math.sqrt(variance) / meanMs }
}

/**
 * What one task did over the sampled runs.
 *
 * @example
 * ```ts
 * import type { TaskProfile } from 'weft-sdk'
 * declare const stats: TaskProfile
 * console.log(`${stats.task}: median ${stats.duration.medianMs} ms, ${(stats.failureRate * 100).toFixed(1)}% of attempts failed`)
 * ```
 */
export interface TaskProfile {
  /** The task. */
  readonly task: string
  /** Steps recorded (runs that reached the task). */
  readonly steps: number
  /** Steps that were skipped (a condition, a skipped dependency). */
  readonly skipped: number
  /** Durations of the steps that ran, first attempt's start to end (retries and backoff included). */
  readonly duration: DurationSummary
  /** Attempts made by the steps that ran. */
  readonly attempts: number
  /** Attempts that failed. */
  readonly failedAttempts: number
  /** `failedAttempts / attempts` (0 without attempts). */
  readonly failureRate: number
  /** Steps that failed for good. */
  readonly failedSteps: number
  /** Share of the steps that ran which needed more than one attempt. */
  readonly retryRate: number
  /** Total time spent before the last attempts started (failed attempts and backoff), milliseconds. */
  readonly retryMs: number
  /** Steps with an attempt refused by a rate limit, an open breaker or a full bulkhead. */
  readonly blockedSteps: number
  /** Time from refused attempts to the next attempt, milliseconds, summed. */
  readonly blockedMs: number
}

/**
 * {@link TaskProfile} of one task from its observations.
 *
 * @example
 * ```ts
 * import { profileTask, type TaskObservation } from 'weft-sdk'
 * declare const observations: TaskObservation[]
 * console.log(profileTask('charge', observations).retryRate)
 * ```
 */
export function profileTask(task: string, observations: readonly TaskObservation[]): TaskProfile {
  const ran = observations.filter((o) => o.status !== 'skipped' && o.startedAt !== undefined)
  const attempts = sum(ran, (o) => o.attempts)
  const failedAttempts = sum(ran, (o) => o.failedAttempts)
  return {
    task,
    steps: observations.length,
    skipped: observations.length - ran.length,
    duration: summarizeDurations(ran.map((o) => o.durationMs)),
    attempts,
    failedAttempts,
    failureRate: attempts === 0 ? 0 : failedAttempts / attempts,
    failedSteps: ran.filter((o) => o.status === 'failed').length,
    retryRate: ran.length === 0 ? 0 : ran.filter((o) => o.attempts > 1).length / ran.length,
    retryMs: sum(ran, (o) => o.durationMs - o.lastAttemptMs),
    blockedSteps: ran.filter((o) => o.blocked).length,
    blockedMs: sum(ran, (o) => o.blockedMs),
  }
}

function sum<T>(items: readonly T[], of: (item: T) => number): number {
  return items.reduce((total, item) => total + of(item), 0)
}
