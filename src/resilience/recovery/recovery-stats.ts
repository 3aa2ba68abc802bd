import type { ErrorClassName, RecoveryStrategyKind } from '../../graph/recovery-options.js'

/**
 * Counts of one error class under one strategy.
 *
 * - `occurrences`: failed attempts classified so (every one, retried or not);
 * - `recovered`: task executions that still ended with an output (a later
 *   attempt succeeded, or a fallback) after their last failure was of this
 *   class and strategy;
 * - `notRecovered`: task executions that failed with it (fail-fast,
 *   compensate and escalate always count here: they contain a failure, the
 *   task does not produce an output; so does a `fallbackWith` whose work
 *   failed or ran out of time, and an execution `@Retry`'s deadline cut);
 * - `timeToRecoverMs`: from the execution's first failed attempt to its
 *   recovery, over the recovered ones (`mean` is 0 when none recovered).
 *
 * @example
 * ```ts
 * import type { RecoveryCounts } from 'weft-sdk'
 * const rate = (counts: RecoveryCounts) => counts.recovered / Math.max(1, counts.recovered + counts.notRecovered)
 * ```
 */
export interface RecoveryCounts {
  /** Failed attempts of this class met by this strategy. */
  readonly occurrences: number
  /** Task executions that still ended with an output. */
  readonly recovered: number
  /** Task executions that failed for good. */
  readonly notRecovered: number
  /** Milliseconds from an execution's first failure to its recovery: the sum, the largest and the mean over the recovered ones. */
  readonly timeToRecoverMs: {
    /** The sum over the recovered executions. */
    readonly total: number
    /** The longest. */
    readonly max: number
    /** `total / recovered` (0 when none recovered). */
    readonly mean: number
  }
}

/**
 * The `recovery` section of `engine.stats()`: counts by error class, then by
 * strategy (plain records, ready to export), and their totals.
 *
 * @example
 * ```ts
 * import type { Engine } from 'weft-sdk'
 * declare const engine: Engine
 * const { byClass, totals } = engine.stats().recovery
 * for (const [errorClass, strategies] of Object.entries(byClass))
 *   for (const [strategy, counts] of Object.entries(strategies)) console.log(errorClass, strategy, counts.occurrences, counts.recovered)
 * console.log(`${totals.recovered} of ${totals.recovered + totals.notRecovered} failing executions recovered`)
 * ```
 */
export interface RecoveryStatsSnapshot {
  /** Counts by error class, then by strategy (only the pairs met so far). */
  readonly byClass: { readonly [errorClass: string]: Readonly<Partial<Record<RecoveryStrategyKind, RecoveryCounts>>> }
  /** The counts over every class and strategy. */
  readonly totals: {
    /** Every failed attempt classified. */
    readonly occurrences: number
    /** Every execution recovered. */
    readonly recovered: number
    /** Every execution not recovered. */
    readonly notRecovered: number
  }
}

/**
 * What recovery reports about one failed attempt of a task with `@Recover`:
 * its class, the strategy it met and what came of it — `retrying` (another
 * attempt follows), `falling-back` (a `fallbackWith` fallback runs: the
 * task's completion or failure says how it went, and the statistics count
 * it as recovered or not), `recovered` (a fallback value or dependency gave
 * the task its output), `failed`, or `escalated`.
 *
 * @example
 * ```ts
 * import type { RecoveryReport } from 'weft-sdk'
 * const line = (report: RecoveryReport) => `${report.task} attempt ${report.attempt}: ${report.errorClass} → ${report.strategy} (${report.outcome})`
 * ```
 */
export interface RecoveryReport {
  /** The task (or policy target) whose attempt failed. */
  readonly task: string
  /** The attempt that failed, from 1. */
  readonly attempt: number
  /** The class the failure was sorted into. */
  readonly errorClass: ErrorClassName
  /** The strategy its class has (`none` when the policy gives it none). */
  readonly strategy: RecoveryStrategyKind
  /** What follows the failure. */
  readonly outcome: 'retrying' | 'falling-back' | 'recovered' | 'failed' | 'escalated'
  /** What the attempt failed with. */
  readonly error: unknown
}

/**
 * Told of every {@link RecoveryReport}.
 *
 * @example
 * ```ts
 * import type { RecoveryListener } from 'weft-sdk'
 * const alertOnEscalation: RecoveryListener = (report) => {
 *   if (report.outcome === 'escalated') console.error(`escalated: ${report.task} (${report.errorClass})`)
 * }
 * ```
 */
export type RecoveryListener = (report: RecoveryReport) => void

interface MutableCounts {
  occurrences: number
  recovered: number
  notRecovered: number
  totalMs: number
  maxMs: number
}

/**
 * The recovery counters of an engine, fed by the recovery policy only when
 * an attempt fails (nothing is counted on a success without a failure before
 * it); read by `engine.stats()`.
 */
export class RecoveryStats {
  private readonly counts = new Map<string, Map<RecoveryStrategyKind, MutableCounts>>()

  /** One failed attempt classified; `report.outcome` says what follows. */
  failed(report: RecoveryReport): void {
    this.of(report.errorClass, report.strategy).occurrences++
  }

  /** A task execution ended with an output after its last failure, of `errorClass` met by `strategy`; `elapsedMs` since its first failure. */
  recovered(errorClass: ErrorClassName, strategy: RecoveryStrategyKind, elapsedMs: number): void {
    const counts = this.of(errorClass, strategy)
    counts.recovered++
    counts.totalMs += elapsedMs
    counts.maxMs = Math.max(counts.maxMs, elapsedMs)
  }

  /** A task execution failed for good with an error of `errorClass` met by `strategy`. */
  notRecovered(errorClass: ErrorClassName, strategy: RecoveryStrategyKind): void {
    this.of(errorClass, strategy).notRecovered++
  }

  /** `count` failed attempts of `errorClass` met by `strategy` at once (a recorded step's, see `StepRecovery`). */
  occurred(errorClass: ErrorClassName, strategy: RecoveryStrategyKind, count: number): void {
    this.of(errorClass, strategy).occurrences += count
  }

  /** Adds a snapshot's counts to these (another engine's, or a history's): counts and times add up, the longest time is kept. */
  add(snapshot: RecoveryStatsSnapshot): this {
    for (const [errorClass, strategies] of Object.entries(snapshot.byClass)) {
      for (const [strategy, theirs] of Object.entries(strategies) as [RecoveryStrategyKind, RecoveryCounts][]) {
        const mine = this.of(errorClass, strategy)
        mine.occurrences += theirs.occurrences
        mine.recovered += theirs.recovered
        mine.notRecovered += theirs.notRecovered
        mine.totalMs += theirs.timeToRecoverMs.total
        mine.maxMs = Math.max(mine.maxMs, theirs.timeToRecoverMs.max)
      }
    }
    return this
  }

  snapshot(): RecoveryStatsSnapshot {
    const byClass: Record<string, Partial<Record<RecoveryStrategyKind, RecoveryCounts>>> = {}
    const totals = { occurrences: 0, recovered: 0, notRecovered: 0 }
    for (const [errorClass, strategies] of this.counts) {
      const entry: Partial<Record<RecoveryStrategyKind, RecoveryCounts>> = {}
      for (const [strategy, c] of strategies) {
        entry[strategy] = { occurrences: c.occurrences, recovered: c.recovered, notRecovered: c.notRecovered, timeToRecoverMs: { total: c.totalMs, max: c.maxMs, mean: c.recovered === 0 ? 0 : c.totalMs / c.recovered } }
        totals.occurrences += c.occurrences
        totals.recovered += c.recovered
        totals.notRecovered += c.notRecovered
      }
      byClass[errorClass] = entry
    }
    return { byClass, totals }
  }

  private of(errorClass: ErrorClassName, strategy: RecoveryStrategyKind): MutableCounts {
    let strategies = this.counts.get(errorClass)
    if (strategies === undefined) this.counts.set(errorClass, (strategies = new Map()))
    let counts = strategies.get(strategy)
    if (counts === undefined) strategies.set(strategy, (counts = { occurrences: 0, recovered: 0, notRecovered: 0, totalMs: 0, maxMs: 0 }))
    return counts
  }
}
