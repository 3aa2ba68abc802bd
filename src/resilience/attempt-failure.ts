import type { BulkheadRejectedError, CircuitOpenError, RateLimitedError, StorageError, TaskTimeoutError } from '../core/errors.js'

/**
 * What a task body threw (or its promise rejected with), carried through the
 * typed failure channel of a task's attempts. Anything may be thrown, so the
 * value is wrapped: the channel's type then says exactly what can fail an
 * attempt (see {@link AttemptFailure}), and {@link thrownValue} gives the
 * value back where the user sees it (retry predicates, `@OnFailure`, the
 * run's error).
 */
export class TaskThrew {
  readonly _tag = 'TaskThrew'
  constructor(readonly error: unknown) {}
}

/**
 * Why an attempt of a task failed: its body threw ({@link TaskThrew}), or a
 * policy refused or cut it — a timeout, an open circuit, a rate limit, a
 * full bulkhead — or the shared state of a breaker or rate limiter could
 * not be read (a `StorageError`). The error channel of every task program.
 *
 * (Named for the attempt: the public `TaskFailure` is what an `@OnFailure`
 * handler receives about a failed task.)
 */
export type AttemptFailure = TaskThrew | TaskTimeoutError | CircuitOpenError | RateLimitedError | BulkheadRejectedError | StorageError

/** The value a failure stands for: what the body threw, or the policy's error (anything else as it is). */
export function thrownValue(failure: unknown): unknown {
  return failure instanceof TaskThrew ? failure.error : failure
}
