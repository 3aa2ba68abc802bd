import { maxRecordedAttempts, type AttemptHistory, type AttemptRecord } from '../storage/workflow-store.js'
import { toErrorRecord } from './error-record.js'

/**
 * The attempts of one task (or one `map` item) in this process, as they
 * happen: kept in memory and written with the step's record (its
 * {@link AttemptHistory}), never on their own. Created only when there is
 * something to keep beyond a single attempt: a retry, or an attempt lost
 * with a process that stopped.
 */
export class AttemptLog {
  private readonly earlier: AttemptRecord[] = []
  private omitted = 0
  private lastStartedAt: number | undefined

  /**
   * @param lost - attempts inferred lost with the process that ran the task
   *   before this one (see {@link AttemptHistory}); numbers continue after them.
   */
  constructor(readonly lost = 0) {
    for (let n = 1; n <= lost; n++) this.keep({ attempt: n, outcome: 'interrupted' })
  }

  /** An attempt started at `at`. */
  started(at: number): void {
    this.lastStartedAt = at
  }

  /**
   * Attempt `n` (counted by this process, from 1) failed at `at` and another
   * follows; `startedAt` is when it started, if this log did not see it start.
   */
  failed(n: number, at: number, error: unknown, startedAt: number): void {
    this.keep({ attempt: this.lost + n, outcome: 'failed', startedAt: this.lastStartedAt ?? startedAt, finishedAt: at, error: toErrorRecord(error) })
  }

  /** The history to write with the step's record, whose last attempt started at `lastStartedAt` when this log did not see it start. */
  history(lastStartedAt: number | undefined): AttemptHistory | undefined {
    if (this.earlier.length === 0 && this.omitted === 0) return undefined
    return { earlier: [...this.earlier], omitted: this.omitted, lastStartedAt: this.lastStartedAt ?? lastStartedAt }
  }

  /** Keeps `attempt` among the latest {@link maxRecordedAttempts}; the one it pushes out is only counted. */
  private keep(attempt: AttemptRecord): void {
    this.earlier.push(attempt)
    if (this.earlier.length <= maxRecordedAttempts) return
    this.earlier.shift()
    this.omitted++
  }
}
