import { Duration, Effect } from 'effect'
import { TaskTimeoutError } from '../core/errors.js'

/**
 * Fails with {@link TaskTimeoutError} when `effect` runs longer than
 * `timeoutMs`, interrupting it (which fires the task's `AbortSignal`, so a late
 * result is dropped and never checkpointed).
 */
export function withTimeout<A, E, R>(effect: Effect.Effect<A, E, R>, timeoutMs: number, task: string): Effect.Effect<A, E | TaskTimeoutError, R> {
  return Effect.timeoutOrElse(effect, {
    duration: Duration.millis(timeoutMs),
    orElse: () => Effect.fail(new TaskTimeoutError(task, timeoutMs)),
  })
}
