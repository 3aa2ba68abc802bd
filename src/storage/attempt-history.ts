import { maxRecordedAttempts, type AttemptHistory, type AttemptOutcome, type AttemptRecord, type StepRecord } from './workflow-store.js'

/**
 * What {@link stepAttempts} reads: a step record, or a task summary with its end.
 *
 * @example
 * ```ts
 * import { stepAttempts, type AttemptSource } from 'weft-sdk/store'
 * const source: AttemptSource = { attempts: 1, status: 'completed', startedAt: 0, finishedAt: 5, error: undefined, history: undefined }
 * stepAttempts(source)
 * ```
 */
export interface AttemptSource extends Pick<StepRecord, 'attempts' | 'startedAt' | 'error' | 'history'> {
  /** How the step ended (`completed`, `failed`, ...). */
  readonly status: string
  /** When it ended (epoch milliseconds). */
  readonly finishedAt: number | undefined
}

/**
 * Every attempt of a step that its record keeps, oldest first: the earlier
 * ones of its {@link AttemptHistory} (at most {@link maxRecordedAttempts};
 * `step.attempts` minus the number of attempts listed were made before and
 * only counted), then its last attempt, which is the step itself. A step
 * whose last attempt failed and was answered by `@Recover`'s fallback ends
 * with that failed attempt, then an entry of outcome `fallback` (the step
 * itself: when the fallback ran, and its error if it failed too; see
 * `AttemptHistory.fallbackStartedAt`). A step that never ran (skipped) has none.
 *
 * @example
 * ```ts
 * import { stepAttempts, type StepRecord } from 'weft-sdk/store'
 *
 * declare const step: StepRecord
 * const failures = stepAttempts(step).filter((a) => a.outcome === 'failed')
 * console.log(`${failures.length} failed attempts kept of ${step.attempts}`)
 * ```
 */
export function stepAttempts(step: AttemptSource): AttemptRecord[] {
  if (step.attempts < 1) return []
  const history = step.history
  const fellBack = history?.fallbackStartedAt !== undefined
  const last: AttemptRecord = {
    attempt: step.attempts,
    outcome: fellBack ? 'fallback' : lastOutcome(step.status),
    startedAt: history === undefined ? step.startedAt : fellBack ? history.fallbackStartedAt : history.lastStartedAt,
    finishedAt: step.finishedAt,
    ...(step.error === undefined ? {} : { error: step.error }),
  }
  return history === undefined ? [last] : [...history.earlier, last]
}

function lastOutcome(status: string): AttemptOutcome {
  return status === 'completed' ? 'completed' : status === 'failed' ? 'failed' : 'interrupted'
}

/**
 * How many attempts of a step were made but not kept (beyond the {@link maxRecordedAttempts} latest earlier ones).
 *
 * @example
 * ```ts
 * import { omittedAttempts, type StepRecord } from 'weft-sdk/store'
 * declare const step: StepRecord
 * console.log(`${omittedAttempts(step)} earlier attempts only counted`)
 * ```
 */
export function omittedAttempts(step: Pick<StepRecord, 'history'>): number {
  return step.history?.omitted ?? 0
}

/**
 * A history's shape check for stores that read it back from JSON (a record
 * from an older or foreign writer is dropped, not trusted). A history written
 * before fallbacks were recorded has no `fallbackStartedAt` and reads as it
 * was written; one that is not a number is dropped (the step then reads as
 * before: its last attempt is the step itself).
 */
export function parseAttemptHistory(text: string | null): AttemptHistory | undefined {
  if (text === null) return undefined
  const value: unknown = JSON.parse(text)
  if (typeof value !== 'object' || value === null || !Array.isArray((value as AttemptHistory).earlier)) return undefined
  const history = value as AttemptHistory
  if (history.fallbackStartedAt === undefined || typeof history.fallbackStartedAt === 'number') return history
  const { fallbackStartedAt: _dropped, ...rest } = history
  return rest
}
