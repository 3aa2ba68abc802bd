import { maxRecordedAttempts, type AttemptHistory, type AttemptRecord, type StepRecovery } from '../storage/workflow-store.js'
import { toErrorRecord } from './error-record.js'

/**
 * The attempts of one task (or one `map` item) in this process, as they
 * happen: kept in memory and written with the step's record (its
 * {@link AttemptHistory}), never on their own. Created only when there is
 * something to keep beyond a single attempt: a retry, an attempt lost with
 * a process that stopped, or a failure `@Recover` classified.
 */
export class AttemptLog {
  private readonly earlier: AttemptRecord[] = []
  private omitted = 0
  private lastStartedAt: number | undefined
  /** When the fallback that answered the last attempt began, if one did. */
  private fallbackStartedAt: number | undefined
  /** The failures `@Recover` classified, by `class\0strategy` (see {@link StepRecovery}). */
  private recovery: { failures: Map<string, number>; last: StepRecovery['last']; firstFailureAt: number } | undefined

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

  /** Attempt `n` (counted as in {@link AttemptLog.failed}) was interrupted at `at` (its task's attempt stopped), and another follows. */
  interrupted(n: number, at: number, startedAt: number): void {
    this.keep({ attempt: this.lost + n, outcome: 'interrupted', startedAt: this.lastStartedAt ?? startedAt, finishedAt: at })
  }

  /**
   * Attempt `n` (counted as in {@link AttemptLog.failed}) failed at `at` and
   * `@Recover` answered it with a fallback, which begins now: the attempt is
   * kept as failed, and the step's own end is the fallback's
   * (`AttemptHistory.fallbackStartedAt`).
   */
  fellBack(n: number, at: number, error: unknown, startedAt: number): void {
    this.failed(n, at, error, startedAt)
    this.fallbackStartedAt = at
  }

  /** `@Recover` classified a failed attempt at `at` as `errorClass`, met by `strategy`. */
  classified(errorClass: string, strategy: string, at: number): void {
    const last = { errorClass, strategy }
    const pair = `${errorClass}\u0000${strategy}`
    if (this.recovery === undefined) this.recovery = { failures: new Map([[pair, 1]]), last, firstFailureAt: at }
    else {
      this.recovery.failures.set(pair, (this.recovery.failures.get(pair) ?? 0) + 1)
      this.recovery.last = last
    }
  }

  /** The history to write with the step's record, whose last attempt started at `lastStartedAt` when this log did not see it start. */
  history(lastStartedAt: number | undefined): AttemptHistory | undefined {
    if (this.earlier.length === 0 && this.omitted === 0 && this.recovery === undefined) return undefined
    const history: AttemptHistory = { earlier: [...this.earlier], omitted: this.omitted, lastStartedAt: this.lastStartedAt ?? lastStartedAt }
    const classified = this.recovery === undefined ? history : { ...history, recovery: this.stepRecovery(this.recovery) }
    return this.fallbackStartedAt === undefined ? classified : { ...classified, fallbackStartedAt: this.fallbackStartedAt }
  }

  private stepRecovery({ failures, last, firstFailureAt }: NonNullable<AttemptLog['recovery']>): StepRecovery {
    const counted = [...failures].map(([pair, count]) => {
      const [errorClass, strategy] = pair.split('\u0000') as [string, string]
      return { errorClass, strategy, count }
    })
    return { failures: counted, last, firstFailureAt }
  }

  /** Keeps `attempt` among the latest {@link maxRecordedAttempts}; the one it pushes out is only counted. */
  private keep(attempt: AttemptRecord): void {
    this.earlier.push(attempt)
    if (this.earlier.length <= maxRecordedAttempts) return
    this.earlier.shift()
    this.omitted++
  }
}

/**
 * The attempts of one `ctx.map` item in this process, across the attempts
 * of its task: a task retry runs a failed item again, and its attempt
 * numbers continue (attempts inferred lost at a takeover first). Written
 * with the item's step: when it completes, or when its task fails for good
 * (see `MapOptions`).
 */
export class ItemAttempts {
  /** Attempts made so far, lost ones included. */
  count: number
  /** When its first attempt in this process started. */
  startedAt = 0
  private readonly log: AttemptLog
  /** Attempts of earlier rounds (task attempts) in this process. */
  private base = 0
  /** How the previous round's last attempt ended (failed or interrupted): an earlier attempt once the item runs again. */
  private roundEnd: { readonly n: number; readonly at: number; readonly error: unknown; readonly interrupted: boolean } | undefined
  private lastStartedAt = 0

  /** @param lost - attempts inferred lost with the process that ran the item before (see `AttemptHistory`). */
  constructor(lost: number) {
    this.log = new AttemptLog(lost)
    this.count = lost
  }

  /** A task attempt runs the item (again) from `at`. */
  beginRound(at: number): void {
    if (this.count === this.log.lost) this.startedAt = at
    const end = this.roundEnd
    if (end?.interrupted === true) this.log.interrupted(end.n, end.at, this.lastStartedAt)
    else if (end !== undefined) this.log.failed(end.n, end.at, end.error, this.lastStartedAt)
    this.roundEnd = undefined
    this.base = this.count - this.log.lost
  }

  /** Attempt `n` of this round started at `at`. */
  started(n: number, at: number): void {
    this.count = this.log.lost + this.base + n
    this.lastStartedAt = at
    this.log.started(at)
  }

  /** Attempt `n` of this round failed at `at`, and another follows in this round. */
  failed(n: number, at: number, error: unknown): void {
    this.log.failed(this.base + n, at, error, this.lastStartedAt)
  }

  /** The round's last attempt failed at `at`: the item's end for now (it stays the last attempt unless the item runs again). */
  roundFailed(at: number, error: unknown): void {
    this.roundEnd = { n: this.count - this.log.lost, at, error, interrupted: false }
  }

  /** The round's last attempt was interrupted at `at` (the task's attempt stopped), if one had started. */
  roundInterrupted(at: number): void {
    if (this.count > this.log.lost + this.base) this.roundEnd = { n: this.count - this.log.lost, at, error: undefined, interrupted: true }
  }

  /** The history to write with the item's step (its attempts before the last). */
  history(): AttemptHistory | undefined {
    return this.log.history(this.lastStartedAt)
  }
}
