const weftErrorBrand: unique symbol = Symbol.for('weft/error') as never

/** Options every {@link WeftError} accepts. */
export interface WeftErrorOptions {
  /** The error that caused this one. */
  readonly cause?: unknown
}

/**
 * Base class of every error Weft throws. Each subclass has a stable string
 * `code`, a `_tag` equal to its class name (for Effect's typed error channel)
 * and says whether retrying the failed operation can help.
 *
 * @example
 * ```ts
 * import { isWeftError } from 'weft'
 * try {
 *   // ... engine.start(...)
 * } catch (error) {
 *   if (isWeftError(error)) console.error(error.code, error.message)
 * }
 * ```
 */
export abstract class WeftError extends Error {
  /** Stable, machine-readable code, for example `WEFT_CYCLE`. */
  abstract readonly code: string
  /** Equal to the class name; lets Effect's `catchTag` select the error. */
  abstract readonly _tag: string
  /** Whether trying the same operation again can succeed. */
  readonly isRetryable: boolean = false
  /** @internal */
  readonly [weftErrorBrand] = true

  constructor(message: string, options: WeftErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = new.target.name
  }
}

/**
 * Tells whether a value is a {@link WeftError}, even one thrown by another copy
 * of the package.
 *
 * @example
 * ```ts
 * import { isWeftError } from 'weft'
 * isWeftError(new Error('x')) // false
 * ```
 */
export function isWeftError(value: unknown): value is WeftError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[weftErrorBrand] === true
}

// ---------------------------------------------------------------------------
// Definition errors: thrown when a workflow is defined or registered, before any run.

/** A workflow's task graph contains a cycle; the message gives the full path. */
export class CycleError extends WeftError {
  readonly code = 'WEFT_CYCLE'
  readonly _tag = 'CycleError'
  /** The tasks on the cycle, first task repeated at the end: `['fetch', 'score', 'fetch']`. */
  readonly path: readonly string[]
  constructor(workflow: string, path: readonly string[]) {
    super(`workflow "${workflow}" has a cycle: ${path.join(' → ')}; remove one of these dependencies`)
    this.path = path
  }
}

/** A task depends on a task the workflow does not have. */
export class UnknownDependencyError extends WeftError {
  readonly code = 'WEFT_UNKNOWN_DEPENDENCY'
  readonly _tag = 'UnknownDependencyError'
  constructor(
    readonly workflow: string,
    readonly task: string,
    readonly dependency: string,
    readonly suggestion: string | undefined,
  ) {
    const hint = suggestion === undefined ? '' : ` (did you mean "${suggestion}"?)`
    super(`workflow "${workflow}": task "${task}" depends on unknown task "${dependency}"${hint}`)
  }
}

/** Two tasks of one workflow share a name. */
export class DuplicateTaskError extends WeftError {
  readonly code = 'WEFT_DUPLICATE_TASK'
  readonly _tag = 'DuplicateTaskError'
  constructor(
    readonly workflow: string,
    readonly task: string,
  ) {
    super(`workflow "${workflow}" defines task "${task}" twice; give each task a unique name`)
  }
}

/** A workflow has no tasks. */
export class EmptyWorkflowError extends WeftError {
  readonly code = 'WEFT_EMPTY_WORKFLOW'
  readonly _tag = 'EmptyWorkflowError'
  constructor(readonly workflow: string) {
    super(`workflow "${workflow}" has no tasks; mark at least one method with @Task()`)
  }
}

/** A decorator, policy or engine option has an invalid value. */
export class InvalidOptionsError extends WeftError {
  readonly code = 'WEFT_INVALID_OPTIONS'
  readonly _tag = 'InvalidOptionsError'
}

/** A workflow definition is malformed in a way not covered by a more specific error. */
export class InvalidWorkflowError extends WeftError {
  readonly code = 'WEFT_INVALID_WORKFLOW'
  readonly _tag = 'InvalidWorkflowError'
}

// ---------------------------------------------------------------------------
// Run-time errors.

/** One problem found in a workflow input. */
export interface InputIssue {
  /** Where the problem is, for example `items[2].sku`; empty for the root. */
  readonly path: string
  /** What is wrong there. */
  readonly message: string
}

/** A run's input does not match the workflow's input schema; no run was created. */
export class InputValidationError extends WeftError {
  readonly code = 'WEFT_INVALID_INPUT'
  readonly _tag = 'InputValidationError'
  constructor(
    readonly workflow: string,
    readonly issues: readonly InputIssue[],
  ) {
    const list = issues.map((issue) => `  - ${issue.path === '' ? '(input)' : issue.path}: ${issue.message}`).join('\n')
    super(`invalid input for workflow "${workflow}" (${issues.length} problem${issues.length === 1 ? '' : 's'}); no run was created:\n${list}`)
  }
}

/** A task did not finish within its timeout; its `AbortSignal` was fired. */
export class TaskTimeoutError extends WeftError {
  readonly code = 'WEFT_TASK_TIMEOUT'
  readonly _tag = 'TaskTimeoutError'
  override readonly isRetryable = true
  constructor(
    readonly task: string,
    readonly timeoutMs: number,
  ) {
    super(`task "${task}" timed out after ${timeoutMs} ms`)
  }
}

/** A circuit breaker is open (or probing) and rejected the call without running it. */
export class CircuitOpenError extends WeftError {
  readonly code = 'WEFT_CIRCUIT_OPEN'
  readonly _tag = 'CircuitOpenError'
  constructor(
    readonly breaker: string,
    readonly state: 'open' | 'half-open',
    readonly retryAfterMs: number | undefined,
  ) {
    const when = retryAfterMs === undefined ? 'while its probe runs' : `for ${retryAfterMs} ms more`
    super(`circuit breaker "${breaker}" is ${state}: call rejected ${when}`)
  }
}

/** A rate limit configured to fail (not wait) was exceeded. */
export class RateLimitedError extends WeftError {
  readonly code = 'WEFT_RATE_LIMITED'
  readonly _tag = 'RateLimitedError'
  override readonly isRetryable = true
  constructor(
    readonly limiter: string,
    readonly retryAfterMs: number,
  ) {
    super(`rate limit "${limiter}" exceeded; retry after ${retryAfterMs} ms`)
  }
}

/** A bulkhead is full: every slot is busy and its queue is at capacity. */
export class BulkheadRejectedError extends WeftError {
  readonly code = 'WEFT_BULKHEAD_FULL'
  readonly _tag = 'BulkheadRejectedError'
  override readonly isRetryable = true
  constructor(
    readonly bulkhead: string,
    readonly maxConcurrent: number,
    readonly maxQueue: number,
  ) {
    super(`bulkhead "${bulkhead}" is full (${maxConcurrent} running, ${maxQueue} queued); call rejected`)
  }
}

/** `waitForEvent` or an event stream reached its timeout. */
export class EventTimeoutError extends WeftError {
  readonly code = 'WEFT_EVENT_TIMEOUT'
  readonly _tag = 'EventTimeoutError'
  override readonly isRetryable = true
  constructor(
    readonly event: string,
    readonly timeoutMs: number,
  ) {
    super(`no "${event}" event arrived within ${timeoutMs} ms`)
  }
}

/** The run was cancelled. */
export class RunCancelledError extends WeftError {
  readonly code = 'WEFT_RUN_CANCELLED'
  readonly _tag = 'RunCancelledError'
  constructor(
    readonly runId: string,
    readonly reason?: string,
  ) {
    super(`run ${runId} was cancelled${reason === undefined ? '' : `: ${reason}`}`)
  }
}

/** A run failed: `task` names the task whose failure ended it, `cause` is that task's error. */
export class RunFailedError extends WeftError {
  readonly code = 'WEFT_RUN_FAILED'
  readonly _tag = 'RunFailedError'
  constructor(
    readonly runId: string,
    readonly workflow: string,
    readonly task: string | undefined,
    cause: unknown,
  ) {
    const where = task === undefined ? '' : ` in task "${task}"`
    super(`run ${runId} of workflow "${workflow}" failed${where}: ${describeCause(cause)}`, { cause })
  }
}

/** The engine does not know a workflow (or this version of it). */
export class WorkflowNotRegisteredError extends WeftError {
  readonly code = 'WEFT_WORKFLOW_NOT_REGISTERED'
  readonly _tag = 'WorkflowNotRegisteredError'
  constructor(
    readonly workflow: string,
    readonly version: number | undefined,
  ) {
    const which = version === undefined ? `"${workflow}"` : `"${workflow}" version ${version}`
    super(`workflow ${which} is not registered with this engine; pass it to engine.register() first`)
  }
}

/** No run has this id. */
export class RunNotFoundError extends WeftError {
  readonly code = 'WEFT_RUN_NOT_FOUND'
  readonly _tag = 'RunNotFoundError'
  constructor(readonly runId: string) {
    super(`no run has id "${runId}"`)
  }
}

/** A run result has no output for a task (it was skipped, failed and was handled, or is not a task). */
export class TaskOutputMissingError extends WeftError {
  readonly code = 'WEFT_NO_OUTPUT'
  readonly _tag = 'TaskOutputMissingError'
  constructor(
    readonly task: string,
    readonly status: string,
  ) {
    super(`task "${task}" has no output: its status is ${status}; use result.outputs.${task} to read it as optional`)
  }
}

/** The engine was closed; it starts no more runs. */
export class EngineClosedError extends WeftError {
  readonly code = 'WEFT_ENGINE_CLOSED'
  readonly _tag = 'EngineClosedError'
  constructor() {
    super('the engine is closed; create a new engine to start runs')
  }
}

/** Renders an unknown thrown value in one line for messages. */
export function describeCause(cause: unknown): string {
  if (cause instanceof Error) return cause.message
  if (typeof cause === 'string') return cause
  try {
    return JSON.stringify(cause) ?? String(cause)
  } catch {
    return String(cause)
  }
}
