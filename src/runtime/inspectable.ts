import { UninspectableThrowError } from '../core/errors.js'
import type { TaskNode } from '../graph/workflow-graph.js'

/** Whether a value is a promise-like (has a callable `then`). */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function'
}

/**
 * What a task threw, as the runtime can handle it: the value itself, unless
 * even looking at it throws (a revoked Proxy, or one whose traps throw), then
 * an {@link UninspectableThrowError} holding it. Retry predicates, breakers
 * and the scheduler inspect errors (`instanceof`, properties); none of that
 * may throw.
 */
export function inspectable(task: Pick<TaskNode, 'name'>, error: unknown): unknown {
  if ((typeof error !== 'object' && typeof error !== 'function') || error === null) return error
  try {
    void (error instanceof Error)
    void Object.getPrototypeOf(error)
    return error
  } catch {
    return new UninspectableThrowError(task.name, error)
  }
}
