// What `@Recover` recorded about a step (inside its attempt history's JSON: no column of its own), and the rows the
// history stores return for the recovery statistics of `engine.history()` and `weft stats`.

/**
 * What `@Recover` met on one step, recorded with its `AttemptHistory`
 * (no column of its own): its failed attempts by error class and strategy,
 * the class and strategy of its last failure, and when its first failure
 * was. The step's status says the rest: a completed step recovered (after
 * `finishedAt − firstFailureAt` milliseconds), a failed one did not. Counted
 * by the process that ran the step: attempts a stopped worker made before a
 * takeover are not in it. Read back as `engine.history().recovery`.
 *
 * @example
 * ```ts
 * import type { StepRecord } from 'weft-sdk/store'
 * declare const step: StepRecord
 * const recovery = step.history?.recovery
 * if (recovery !== undefined && step.status === 'completed') console.log(`recovered from ${recovery.last.errorClass} in ${step.finishedAt - recovery.firstFailureAt} ms`)
 * ```
 */
export interface StepRecovery {
  /** Failed attempts by class and strategy (`count` of each pair), in the order first met. */
  readonly failures: readonly {
    /** The error class (`connection`, `timeout`, a class of your own, ...). */
    readonly errorClass: string
    /** The strategy its class had (`retry`, `fallback`, ..., `none`). */
    readonly strategy: string
    /** How many failed attempts were classified so. */
    readonly count: number
  }[]
  /** The class and strategy of the last classified failure: what the step recovered from, or failed with. */
  readonly last: {
    /** Its error class. */
    readonly errorClass: string
    /** Its strategy. */
    readonly strategy: string
  }
  /** When the first failure was classified (epoch milliseconds). */
  readonly firstFailureAt: number
}

/**
 * One step whose attempt history records a recovery ({@link StepRecovery}),
 * as a history store returns it: the raw material of the historical
 * recovery statistics. The history column may be encrypted (a payload
 * codec), so the store decodes it and the statistics are summed in
 * JavaScript (`recoveryOfSteps`), not in SQL.
 *
 * @example
 * ```ts
 * import type { RecoveryStepRow } from 'weft-sdk/store'
 * const recovered = (row: RecoveryStepRow) => row.status === 'completed'
 * ```
 */
export interface RecoveryStepRow {
  /** The workflow's name. */
  readonly workflow: string
  /** The task's name. */
  readonly task: string
  /** How the step ended (`completed`: it recovered; `failed`: it did not). */
  readonly status: string
  /** When it ended (epoch milliseconds). */
  readonly finishedAt: number
  /** What `@Recover` recorded. */
  readonly recovery: StepRecovery
}
