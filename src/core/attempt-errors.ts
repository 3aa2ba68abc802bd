// Errors of one task attempt: a policy that refused or cut it short, a wait
// that timed out, a throw Weft cannot inspect, a context used too late.
import { describeCause, isWeftError, WeftError } from './weft-error.js'

/**
 * A task did not finish within its timeout (or its retry deadline); its `AbortSignal` was fired.
 *
 * @example
 * ```ts
 * import { RunFailedError, TaskTimeoutError, type WorkflowRun } from 'weft-sdk'
 * declare const run: WorkflowRun
 * try {
 *   await run.result()
 * } catch (error) {
 *   if (error instanceof RunFailedError && error.cause instanceof TaskTimeoutError) console.error(error.cause.timeoutMs)
 * }
 * ```
 */
export class TaskTimeoutError extends WeftError {
  readonly code = 'WEFT_TASK_TIMEOUT'
  readonly _tag = 'TaskTimeoutError'
  override readonly isRetryable = true
  constructor(
    /** The task that timed out. */
    readonly task: string,
    /** The time limit that passed, in milliseconds: the attempt's timeout or the retry deadline. */
    readonly timeoutMs: number,
  ) {
    super(`task "${task}" timed out after ${timeoutMs} ms`)
  }
}

/**
 * A circuit breaker is open (or probing) and rejected the call without running it.
 *
 * @example
 * ```ts
 * import { CircuitOpenError, RunFailedError, type WorkflowRun } from 'weft-sdk'
 * declare const run: WorkflowRun
 * try {
 *   await run.result()
 * } catch (error) {
 *   if (error instanceof RunFailedError && error.cause instanceof CircuitOpenError) console.error(error.cause.breaker, error.cause.state)
 * }
 * ```
 */
export class CircuitOpenError extends WeftError {
  readonly code = 'WEFT_CIRCUIT_OPEN'
  readonly _tag = 'CircuitOpenError'
  constructor(
    /** The circuit's name. */
    readonly breaker: string,
    /** `'open'`, or `'half-open'` while the circuit's one probe call runs. */
    readonly state: 'open' | 'half-open',
    /** Milliseconds until the circuit lets a probe call through; `undefined` when half-open. */
    readonly retryAfterMs: number | undefined,
  ) {
    const when = retryAfterMs === undefined ? 'while its probe runs' : `for ${Math.ceil(retryAfterMs)} ms more`
    super(`circuit breaker "${breaker}" is ${state}: call rejected ${when}`)
  }
}

/**
 * A rate limit configured to fail (not wait) was exceeded.
 *
 * @example
 * ```ts
 * import { RateLimitedError, RunFailedError, type WorkflowRun } from 'weft-sdk'
 * declare const run: WorkflowRun
 * try {
 *   await run.result()
 * } catch (error) {
 *   if (error instanceof RunFailedError && error.cause instanceof RateLimitedError) console.error(error.cause.retryAfterMs)
 * }
 * ```
 */
export class RateLimitedError extends WeftError {
  readonly code = 'WEFT_RATE_LIMITED'
  readonly _tag = 'RateLimitedError'
  override readonly isRetryable = true
  constructor(
    /** The limiter's name. */
    readonly limiter: string,
    /** Milliseconds until a call fits within the limit again. */
    readonly retryAfterMs: number,
  ) {
    super(`rate limit "${limiter}" exceeded; retry after ${retryAfterMs} ms`)
  }
}

/**
 * A bulkhead is full: every slot is busy and its queue is at capacity.
 *
 * @example
 * ```ts
 * import { BulkheadRejectedError, RunFailedError, type WorkflowRun } from 'weft-sdk'
 * declare const run: WorkflowRun
 * try {
 *   await run.result()
 * } catch (error) {
 *   if (error instanceof RunFailedError && error.cause instanceof BulkheadRejectedError) console.error(error.cause.bulkhead)
 * }
 * ```
 */
export class BulkheadRejectedError extends WeftError {
  readonly code = 'WEFT_BULKHEAD_FULL'
  readonly _tag = 'BulkheadRejectedError'
  override readonly isRetryable = true
  constructor(
    /** The bulkhead's name. */
    readonly bulkhead: string,
    /** The bulkhead's limit of calls running at once. */
    readonly maxConcurrent: number,
    /** The bulkhead's limit of calls waiting for a slot. */
    readonly maxQueue: number,
  ) {
    super(`bulkhead "${bulkhead}" is full (${maxConcurrent} running, ${maxQueue} queued); call rejected`)
  }
}

/**
 * `ctx.waitForEvent` reached its timeout before a matching event arrived.
 * (An event stream that times out ends without an error instead.)
 *
 * @example
 * ```ts
 * import { EventTimeoutError, type TaskContext } from 'weft-sdk'
 * async function approval(ctx: TaskContext) {
 *   try {
 *     return await ctx.waitForEvent<{ approved: boolean }>('approval', { timeout: '1 h' })
 *   } catch (error) {
 *     if (error instanceof EventTimeoutError) return { approved: false }
 *     throw error
 *   }
 * }
 * ```
 */
export class EventTimeoutError extends WeftError {
  readonly code = 'WEFT_EVENT_TIMEOUT'
  readonly _tag = 'EventTimeoutError'
  override readonly isRetryable = true
  constructor(
    /** The name of the event waited for. */
    readonly event: string,
    /** The time limit that passed, in milliseconds. */
    readonly timeoutMs: number,
  ) {
    super(`no "${event}" event arrived within ${timeoutMs} ms`)
  }
}

/**
 * A task threw a value Weft cannot even inspect (a revoked Proxy, or a Proxy
 * whose traps throw). The run treats this error as the task's failure; `cause`
 * holds the value that was thrown.
 *
 * @example
 * ```ts
 * import { RunFailedError, UninspectableThrowError, type WorkflowRun } from 'weft-sdk'
 * declare const run: WorkflowRun
 * try {
 *   await run.result()
 * } catch (error) {
 *   if (error instanceof RunFailedError && error.cause instanceof UninspectableThrowError) console.error(error.cause.task)
 * }
 * ```
 */
export class UninspectableThrowError extends WeftError {
  readonly code = 'WEFT_UNINSPECTABLE_THROW'
  readonly _tag = 'UninspectableThrowError'
  /** It stands for the task's own error, which retry policies retry like any other. */
  override readonly isRetryable = true
  constructor(
    /** The task that threw it. */
    readonly task: string,
    thrown: unknown,
  ) {
    super(`task "${task}" threw a ${typeof thrown} that cannot be inspected (a revoked Proxy, or a Proxy whose traps throw); throw an Error instead`, { cause: thrown })
  }
}

/**
 * A task's context was used after its attempt ended (it returned, threw, timed
 * out or was cancelled, or its run ended): the step, map item, timer or event
 * it tried to record is refused, so nothing is written into a run that has
 * moved on.
 *
 * @example
 * ```ts
 * import { ContextClosedError, type TaskContext } from 'weft-sdk'
 * let kept: TaskContext | undefined
 * // a task stored its ctx in `kept` and returned; later:
 * try {
 *   await kept?.step('late', () => 1)
 * } catch (error) {
 *   if (error instanceof ContextClosedError) console.error(error.task)
 * }
 * ```
 */
export class ContextClosedError extends WeftError {
  readonly code = 'WEFT_CONTEXT_CLOSED'
  readonly _tag = 'ContextClosedError'
  constructor(
    /** The run. */
    readonly runId: string,
    /** The task whose context was used. */
    readonly task: string,
    /** What was attempted, e.g. `ctx.step("fetch")`. */
    readonly attempted: string,
  ) {
    super(
      `task "${task}" of run ${runId}: ${attempted} was called after the task's attempt ended; ` +
        'await every ctx call inside the task instead of keeping the context for later',
    )
  }
}

/**
 * One item of a `ctx.map` that failed after its attempts (see {@link MapItemsFailedError}).
 *
 * @example
 * ```ts
 * import { MapItemsFailedError, type MapItemFailure } from 'weft-sdk'
 * declare const error: unknown
 * const failures: readonly MapItemFailure[] = error instanceof MapItemsFailedError ? error.failures : []
 * ```
 */
export interface MapItemFailure {
  /** The item's index in the list given to `ctx.map`. */
  readonly index: number
  /** The item's step key (`task[2]`, or `task/name[2]` for a named map). */
  readonly key: string
  /** What its last attempt threw. */
  readonly error: unknown
  /** Attempts the item made. */
  readonly attempts: number
}

/**
 * Items of a `ctx.map` failed after their own retries. Thrown by `ctx.map`
 * once every other item has finished (or, with `failFast`, at the first
 * failure, its siblings aborted). It carries every failure, in item order;
 * `errors` holds the thrown values (as an `AggregateError` would, so the
 * task's stored error record lists them). The items that completed are
 * checkpointed: a retry of the task runs only the failed ones again. Use
 * `mode: 'settled'` to get failures as values instead.
 *
 * @example
 * ```ts
 * import { MapItemsFailedError, type TaskContext } from 'weft-sdk'
 * declare const ctx: TaskContext
 * declare function ask(question: string, signal: AbortSignal): Promise<string>
 * try {
 *   await ctx.map(['a', 'b'], (q, _i, signal) => ask(q, signal), { retry: { maxAttempts: 3 } })
 * } catch (error) {
 *   if (error instanceof MapItemsFailedError) for (const f of error.failures) console.error(f.index, f.attempts, f.error)
 * }
 * ```
 */
export class MapItemsFailedError extends WeftError {
  readonly code = 'WEFT_MAP_ITEMS_FAILED'
  readonly _tag = 'MapItemsFailedError'
  /** What each failed item threw, in item order (its stored record labels each with its item: `item 2`). */
  readonly errors: readonly unknown[]
  /** True when a retry of the task could help: some item's error is not a Weft error marked not retryable. */
  override readonly isRetryable: boolean

  constructor(
    /** The task that called `ctx.map`. */
    readonly task: string,
    /** The items that failed, in item order. */
    readonly failures: readonly MapItemFailure[],
    /** How many items the map had. */
    readonly itemCount: number,
    /** Whether the map had a retry policy (the message advises one only when it had none). @defaultValue false */
    retried = false,
  ) {
    const first = failures[0]
    const firstText = first === undefined ? '' : `; item ${first.index} after ${first.attempts} attempt${first.attempts === 1 ? '' : 's'}: ${describeCause(first.error)}`
    const advice = retried ? "pass mode: 'settled' to get each item's failure as a value" : "give the map a retry policy, or pass mode: 'settled' to get each item's failure as a value"
    super(`task "${task}": ${failures.length} of ${itemCount} ctx.map items failed (${itemList(failures)})${firstText}; ${advice}`, { cause: first?.error })
    this.errors = failures.map((f) => f.error)
    this.isRetryable = failures.some((f) => !(isWeftError(f.error) && !f.error.isRetryable))
  }
}

/** The most item indices a {@link MapItemsFailedError}'s message lists. */
const maxListedItems = 10

/** `items 1, 3`, or the first {@link maxListedItems} and how many more. */
function itemList(failures: readonly MapItemFailure[]): string {
  const listed = failures.slice(0, maxListedItems).map((f) => f.index).join(', ')
  const more = failures.length - maxListedItems
  return `item${failures.length === 1 ? '' : 's'} ${listed}${more > 0 ? ` and ${more} more` : ''}`
}

/**
 * A task's `@Recover` fallback (`fallbackWith`) failed: the task had failed
 * with an error of a class whose strategy falls back, and the work it fell
 * back to threw (or ran out of time) too. The task fails with this error.
 * Its `cause` is the task's own failure, so classifying this error (live, or
 * its stored record through its causes) gives the original class, the one
 * the recovery statistics count as not recovered; what the fallback threw is
 * `fallbackError`, also its one member of `errors`, so the stored record
 * lists it (`ErrorRecord.errors`).
 *
 * @example
 * ```ts
 * import { FallbackFailedError, RunFailedError, type WorkflowRun } from 'weft-sdk'
 * declare const run: WorkflowRun
 * try {
 *   await run.result()
 * } catch (error) {
 *   const cause = error instanceof RunFailedError ? error.cause : undefined
 *   if (cause instanceof FallbackFailedError) console.error(cause.errorClass, cause.failure, cause.fallbackError)
 * }
 * ```
 */
export class FallbackFailedError extends WeftError {
  readonly code = 'WEFT_FALLBACK_FAILED'
  readonly _tag = 'FallbackFailedError'
  /** What the fallback threw, as the one member of an aggregate (so the stored record lists it in `errors`). */
  readonly errors: readonly unknown[]

  constructor(
    /** The task that fell back. */
    readonly task: string,
    /** The workflow method it fell back to, or `undefined` for a `fallbackWith` function. */
    readonly fallback: string | undefined,
    /** The class of the task's failure: the one whose strategy fell back. */
    readonly errorClass: string,
    /** What the task's last attempt failed with (also this error's `cause`). */
    readonly failure: unknown,
    /** What the fallback threw (a `TaskTimeoutError` when it ran out of the task's `@Timeout`). */
    readonly fallbackError: unknown,
  ) {
    const to = fallback === undefined ? 'its fallbackWith function' : `"${fallback}"`
    super(`task "${task}": fell back to ${to} after a ${errorClass} failure (${describeCause(failure)}), and the fallback failed: ${describeCause(fallbackError)}`, { cause: failure })
    this.errors = [fallbackError]
  }
}
