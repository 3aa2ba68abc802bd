const weftErrorBrand: unique symbol = Symbol.for('weft/error') as never

/** Options every {@link WeftError} accepts. */
export interface WeftErrorOptions {
  /** The error that caused this one. */
  readonly cause?: unknown
}

/**
 * Every {@link WeftError.code}: a `switch` over it is checked for exhaustiveness
 * by the compiler, so a handler learns of a new code when it upgrades.
 *
 * @example
 * ```ts
 * import { isWeftError, type WeftErrorCode } from 'weft'
 * function retryable(code: WeftErrorCode): boolean {
 *   switch (code) {
 *     case 'WEFT_TASK_TIMEOUT':
 *     case 'WEFT_CIRCUIT_OPEN':
 *     case 'WEFT_RATE_LIMITED':
 *     case 'WEFT_BULKHEAD_FULL':
 *       return true
 *     default:
 *       return false
 *   }
 * }
 * const error: unknown = new Error('x')
 * if (isWeftError(error)) console.log(retryable(error.code))
 * ```
 */
export type WeftErrorCode =
  // A workflow's definition, rejected before any run.
  | 'WEFT_CYCLE'
  | 'WEFT_UNKNOWN_DEPENDENCY'
  | 'WEFT_DUPLICATE_TASK'
  | 'WEFT_EMPTY_WORKFLOW'
  | 'WEFT_INVALID_OPTIONS'
  | 'WEFT_INVALID_WORKFLOW'
  | 'WEFT_INVALID_INPUT'
  // A task's attempt, refused or cut short by a policy or a wait.
  | 'WEFT_TASK_TIMEOUT'
  | 'WEFT_CIRCUIT_OPEN'
  | 'WEFT_RATE_LIMITED'
  | 'WEFT_BULKHEAD_FULL'
  | 'WEFT_EVENT_TIMEOUT'
  | 'WEFT_UNINSPECTABLE_THROW'
  | 'WEFT_CONTEXT_CLOSED'
  // A run and the engine's API.
  | 'WEFT_RUN_CANCELLED'
  | 'WEFT_RUN_FAILED'
  | 'WEFT_WORKFLOW_NOT_REGISTERED'
  | 'WEFT_RUN_NOT_FOUND'
  | 'WEFT_NO_OUTPUT'
  | 'WEFT_ENGINE_CLOSED'
  | 'WEFT_RUN_FINISHED'
  | 'WEFT_RUN_CONFLICT'
  | 'WEFT_LEASE_LOST'
  // The store and what is written to it.
  | 'WEFT_STORAGE'
  | 'WEFT_NOT_A_WEFT_DATABASE'
  | 'WEFT_NEWER_SCHEMA'
  | 'WEFT_SERIALIZATION'
  | 'WEFT_PAYLOAD_TOO_LARGE'
  | 'WEFT_INVALID_STEP_PATH'
  // The command line.
  | 'WEFT_CLI_USAGE'
  | 'WEFT_CLI_FAILED'

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
  /** Stable, machine-readable code, for example `WEFT_CYCLE`; one of {@link WeftErrorCode}. */
  abstract readonly code: WeftErrorCode
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
  if (typeof value !== 'object' || value === null) return false
  try {
    return (value as Record<symbol, unknown>)[weftErrorBrand] === true
  } catch {
    // A Proxy whose traps throw (a revoked one): not ours.
    return false
  }
}

// ---------------------------------------------------------------------------
// Definition errors: thrown when a workflow is defined or registered, before any run.

/**
 * A workflow's task graph contains a cycle; the message gives the full path.
 *
 * @example
 * ```ts
 * import { CycleError, Workflow, WorkflowBase, Task, DependsOn } from 'weft'
 * try {
 *   @Workflow({ name: 'cyclic', version: 1 })
 *   class Cyclic extends WorkflowBase {
 *     @DependsOn('b') a(b: number) { return b }
 *     @DependsOn('a') b(a: number) { return a }
 *   }
 * } catch (error) {
 *   if (error instanceof CycleError) console.error(error.path) // ['a', 'b', 'a']
 * }
 * ```
 */
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

/**
 * A task depends on a task the workflow does not have. The type checks of
 * `@DependsOn` and `defineWorkflow` usually catch this before it runs.
 *
 * @example
 * ```ts
 * import { compileWorkflow, UnknownDependencyError, type AnyWorkflow } from 'weft'
 * declare const workflow: AnyWorkflow
 * try {
 *   compileWorkflow(workflow)
 * } catch (error) {
 *   if (error instanceof UnknownDependencyError) console.error(error.dependency, error.suggestion)
 * }
 * ```
 */
export class UnknownDependencyError extends WeftError {
  readonly code = 'WEFT_UNKNOWN_DEPENDENCY'
  readonly _tag = 'UnknownDependencyError'
  constructor(
    /** The workflow's name. */
    readonly workflow: string,
    /** The task that names the unknown dependency. */
    readonly task: string,
    /** The name that matches no task. */
    readonly dependency: string,
    /** The closest task name, when the unknown name looks like a typo of it. */
    readonly suggestion: string | undefined,
  ) {
    const hint = suggestion === undefined ? '' : ` (did you mean "${suggestion}"?)`
    super(`workflow "${workflow}": task "${task}" depends on unknown task "${dependency}"${hint}`)
  }
}

/**
 * Two tasks of one workflow share a name (or one method has `@Task()` twice).
 *
 * @example
 * ```ts
 * import { compileWorkflow, DuplicateTaskError, type AnyWorkflow } from 'weft'
 * declare const workflow: AnyWorkflow
 * try {
 *   compileWorkflow(workflow)
 * } catch (error) {
 *   if (error instanceof DuplicateTaskError) console.error(error.task)
 * }
 * ```
 */
export class DuplicateTaskError extends WeftError {
  readonly code = 'WEFT_DUPLICATE_TASK'
  readonly _tag = 'DuplicateTaskError'
  constructor(
    /** The workflow's name; the class name when one method has `@Task()` twice. */
    readonly workflow: string,
    /** The task name used twice. */
    readonly task: string,
  ) {
    super(`workflow "${workflow}" defines task "${task}" twice; give each task a unique name`)
  }
}

/**
 * A workflow has no tasks.
 *
 * @example
 * ```ts
 * import { defineWorkflow, EmptyWorkflowError } from 'weft'
 * try {
 *   defineWorkflow({ name: 'empty', version: 1 }).build()
 * } catch (error) {
 *   if (error instanceof EmptyWorkflowError) console.error(error.workflow) // 'empty'
 * }
 * ```
 */
export class EmptyWorkflowError extends WeftError {
  readonly code = 'WEFT_EMPTY_WORKFLOW'
  readonly _tag = 'EmptyWorkflowError'
  constructor(
    /** The workflow's name. */
    readonly workflow: string,
  ) {
    super(`workflow "${workflow}" has no tasks; mark at least one method with @Task()`)
  }
}

/**
 * A decorator, policy or engine option has an invalid value.
 *
 * @example
 * ```ts
 * import { defineWorkflow, InvalidOptionsError } from 'weft'
 * try {
 *   defineWorkflow({ name: 'flaky', version: 1 })
 *     .task('call', { retry: { maxAttempts: 0 } }, () => 1)
 *     .build()
 * } catch (error) {
 *   if (error instanceof InvalidOptionsError) console.error(error.message) // ... @Retry maxAttempts must be an integer ≥ 1, got 0
 * }
 * ```
 */
export class InvalidOptionsError extends WeftError {
  readonly code = 'WEFT_INVALID_OPTIONS'
  readonly _tag = 'InvalidOptionsError'
}

/**
 * A workflow definition is malformed in a way not covered by a more specific error.
 *
 * @example
 * ```ts
 * import { compileWorkflow, InvalidWorkflowError } from 'weft'
 * class Plain {}
 * try {
 *   compileWorkflow(Plain)
 * } catch (error) {
 *   if (error instanceof InvalidWorkflowError) console.error(error.message) // class Plain has no @Workflow({ name, version }) decorator
 * }
 * ```
 */
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

/**
 * A run's input does not match the workflow's input schema; no run was created.
 *
 * @example
 * ```ts
 * import { Schema } from 'effect'
 * import { createEngine, defineWorkflow, InputValidationError } from 'weft'
 * const Orders = defineWorkflow({ name: 'orders', version: 1, input: Schema.Struct({ orderId: Schema.String }) })
 *   .task('load', (input) => input.orderId)
 *   .build()
 * try {
 *   await createEngine().start(Orders, JSON.parse('{ "orderId": 42 }'))
 * } catch (error) {
 *   if (error instanceof InputValidationError) console.error(error.issues) // one issue, at path 'orderId'
 * }
 * ```
 */
export class InputValidationError extends WeftError {
  readonly code = 'WEFT_INVALID_INPUT'
  readonly _tag = 'InputValidationError'
  constructor(
    /** The workflow whose input schema rejected the input. */
    readonly workflow: string,
    /** Every problem found, not just the first. */
    readonly issues: readonly InputIssue[],
  ) {
    const list = issues.map((issue) => `  - ${issue.path === '' ? '(input)' : issue.path}: ${issue.message}`).join('\n')
    super(`invalid input for workflow "${workflow}" (${issues.length} problem${issues.length === 1 ? '' : 's'}); no run was created:\n${list}`)
  }
}

/**
 * A task did not finish within its timeout (or its retry deadline); its `AbortSignal` was fired.
 *
 * @example
 * ```ts
 * import { RunFailedError, TaskTimeoutError, type WorkflowRun } from 'weft'
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
 * import { CircuitOpenError, RunFailedError, type WorkflowRun } from 'weft'
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
    const when = retryAfterMs === undefined ? 'while its probe runs' : `for ${retryAfterMs} ms more`
    super(`circuit breaker "${breaker}" is ${state}: call rejected ${when}`)
  }
}

/**
 * A rate limit configured to fail (not wait) was exceeded.
 *
 * @example
 * ```ts
 * import { RateLimitedError, RunFailedError, type WorkflowRun } from 'weft'
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
 * import { BulkheadRejectedError, RunFailedError, type WorkflowRun } from 'weft'
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
 * import { EventTimeoutError, type TaskContext } from 'weft'
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
 * The run was cancelled.
 *
 * @example
 * ```ts
 * import { RunCancelledError, type WorkflowRun } from 'weft'
 * declare const run: WorkflowRun
 * await run.cancel('customer withdrew')
 * try {
 *   await run.result()
 * } catch (error) {
 *   if (error instanceof RunCancelledError) console.log(error.reason) // 'customer withdrew'
 * }
 * ```
 */
export class RunCancelledError extends WeftError {
  readonly code = 'WEFT_RUN_CANCELLED'
  readonly _tag = 'RunCancelledError'
  constructor(
    /** The cancelled run's id. */
    readonly runId: string,
    /** The reason given to `cancel`, if any. */
    readonly reason?: string,
  ) {
    super(`run ${runId} was cancelled${reason === undefined ? '' : `: ${reason}`}`)
  }
}

/**
 * A run failed: `task` names the task whose failure ended it, `cause` is that task's error.
 *
 * @example
 * ```ts
 * import { RunFailedError, type WorkflowRun } from 'weft'
 * declare const run: WorkflowRun
 * try {
 *   await run.result()
 * } catch (error) {
 *   if (error instanceof RunFailedError) console.error(`task ${error.task} failed:`, error.cause)
 * }
 * ```
 */
export class RunFailedError extends WeftError {
  readonly code = 'WEFT_RUN_FAILED'
  readonly _tag = 'RunFailedError'
  constructor(
    /** The failed run's id. */
    readonly runId: string,
    /** The workflow's name. */
    readonly workflow: string,
    /** The task whose unhandled failure ended the run, when one did. */
    readonly task: string | undefined,
    cause: unknown,
  ) {
    const where = task === undefined ? '' : ` in task "${task}"`
    super(`run ${runId} of workflow "${workflow}" failed${where}: ${describeCause(cause)}`, { cause })
  }
}

/**
 * The engine does not know a workflow (or this version of it).
 *
 * @example
 * ```ts
 * import { isWeftError, WorkflowNotRegisteredError } from 'weft'
 * function describe(error: unknown): string {
 *   if (error instanceof WorkflowNotRegisteredError) return `unknown workflow ${error.workflow} v${error.version ?? 'any'}`
 *   return isWeftError(error) ? error.code : String(error)
 * }
 * ```
 */
export class WorkflowNotRegisteredError extends WeftError {
  readonly code = 'WEFT_WORKFLOW_NOT_REGISTERED'
  readonly _tag = 'WorkflowNotRegisteredError'
  constructor(
    /** The workflow name looked up. */
    readonly workflow: string,
    /** The version looked up; `undefined` when any version would do. */
    readonly version: number | undefined,
  ) {
    const which = version === undefined ? `"${workflow}"` : `"${workflow}" version ${version}`
    super(`workflow ${which} is not registered with this engine; pass it to engine.register() first`)
  }
}

/**
 * No run has this id.
 *
 * @example
 * ```ts
 * import { createEngine, RunNotFoundError } from 'weft'
 * const engine = createEngine()
 * try {
 *   await engine.emit('approved', { by: 'ada' }, { runId: 'no-such-run' })
 * } catch (error) {
 *   if (error instanceof RunNotFoundError) console.error(error.runId) // 'no-such-run'
 * }
 * ```
 */
export class RunNotFoundError extends WeftError {
  readonly code = 'WEFT_RUN_NOT_FOUND'
  readonly _tag = 'RunNotFoundError'
  constructor(
    /** The id that matched no run (or only a finished one). */
    readonly runId: string,
  ) {
    super(`no run has id "${runId}"`)
  }
}

/**
 * A run result has no output for a task (it was skipped, failed and was handled, or is not a task).
 *
 * @example
 * ```ts
 * import { TaskOutputMissingError, type RunResult } from 'weft'
 * declare const result: RunResult<{ premium: string }>
 * try {
 *   result.output('premium')
 * } catch (error) {
 *   if (error instanceof TaskOutputMissingError) console.log(error.status) // for example 'skipped'
 * }
 * const premium = result.outputs.premium // string | undefined, never throws
 * ```
 */
export class TaskOutputMissingError extends WeftError {
  readonly code = 'WEFT_NO_OUTPUT'
  readonly _tag = 'TaskOutputMissingError'
  constructor(
    /** The task asked for. */
    readonly task: string,
    /** The task's status, such as `'skipped'`, or `'not a task of this workflow'`. */
    readonly status: string,
  ) {
    super(`task "${task}" has no output: its status is ${status}; use result.outputs.${task} to read it as optional`)
  }
}

/**
 * The engine was closed; it starts no more runs.
 *
 * @example
 * ```ts
 * import { createEngine, EngineClosedError } from 'weft'
 * const engine = createEngine()
 * await engine.close()
 * try {
 *   await engine.emit('tick')
 * } catch (error) {
 *   if (error instanceof EngineClosedError) console.error(error.code) // 'WEFT_ENGINE_CLOSED'
 * }
 * ```
 */
export class EngineClosedError extends WeftError {
  readonly code = 'WEFT_ENGINE_CLOSED'
  readonly _tag = 'EngineClosedError'
  constructor() {
    super('the engine is closed; create a new engine to start runs')
  }
}

/**
 * Renders an unknown thrown value in one line for messages. Never throws,
 * whatever was thrown: an object without a prototype, a `toString` or a
 * `message` getter that throws, a revoked Proxy.
 *
 * @example
 * ```ts
 * import { describeCause } from 'weft'
 * describeCause(new Error('boom')) // 'boom'
 * describeCause({ status: 503 }) // '{"status":503}'
 * describeCause(Object.create(null)) // '{}'
 * ```
 */
export function describeCause(cause: unknown): string {
  try {
    if (cause instanceof Error) return String(cause.message)
    if (typeof cause === 'string') return cause
  } catch {
    return unprintable(cause)
  }
  try {
    return JSON.stringify(cause) ?? String(cause)
  } catch {
    try {
      return String(cause)
    } catch {
      return unprintable(cause)
    }
  }
}

/** What a value that cannot be printed is called in messages. */
export function unprintable(value: unknown): string {
  return `[a thrown ${typeof value} that cannot be printed]`
}

/**
 * A task threw a value Weft cannot even inspect (a revoked Proxy, or a Proxy
 * whose traps throw). The run treats this error as the task's failure; `cause`
 * holds the value that was thrown.
 *
 * @example
 * ```ts
 * import { RunFailedError, UninspectableThrowError, type WorkflowRun } from 'weft'
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
 * A run has already ended (completed, failed, cancelled or dead-lettered), so
 * it cannot receive events any more.
 *
 * @example
 * ```ts
 * import { RunFinishedError, type WorkflowRun } from 'weft'
 * declare const run: WorkflowRun
 * try {
 *   await run.signal('approved', { by: 'ada' })
 * } catch (error) {
 *   if (error instanceof RunFinishedError) console.error(`run ${error.runId} is ${error.status}`)
 * }
 * ```
 */
export class RunFinishedError extends WeftError {
  readonly code = 'WEFT_RUN_FINISHED'
  readonly _tag = 'RunFinishedError'
  constructor(
    /** The run. */
    readonly runId: string,
    /** How it ended. */
    readonly status: string,
  ) {
    super(`run ${runId} has already ended (${status}); events can only be sent to pending, running or paused runs`)
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
 * import { ContextClosedError, type TaskContext } from 'weft'
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

/** Why a store operation failed, as {@link StorageError} reports it. */
export type StorageFailureReason =
  /** Another connection or process held a lock too long (SQLite's busy timeout, PostgreSQL's lock waits). */
  | 'busy'
  /** The database chose this transaction as a deadlock victim. */
  | 'deadlock'
  /** A serializable transaction conflicted with another one. */
  | 'serialization-conflict'
  /** The connection to the database server was lost or refused. */
  | 'connection-lost'
  /** A constraint of the schema rejected the write. */
  | 'constraint'
  /** The disk (or the database's size limit) is full. */
  | 'disk-full'
  /** The operating system failed a read or write (an I/O error, a file-size limit). */
  | 'io'
  /** The database file was deleted or replaced by another file while it was open. */
  | 'file-replaced'
  /** The store was closed. */
  | 'closed'
  /** The file is not a database, or its content is damaged. */
  | 'corrupt'
  /** The database accepts no writes (a read-only file, or a read-only replica). */
  | 'read-only'
  /** Anything else the driver reported. */
  | 'unknown'

/** The reasons after which trying the same operation again, a little later, can succeed. */
const transientStorageReasons: ReadonlySet<StorageFailureReason> = new Set(['busy', 'deadlock', 'serialization-conflict', 'connection-lost'])

/**
 * A store could not read or write: the database, not the workflow, failed.
 * A run whose store fails under it is given up for recovery (never failed):
 * its lease runs out and a worker resumes it from its checkpoints. `reason`
 * says what happened; `isRetryable` whether waiting can help (a lock, a
 * deadlock, a lost connection) or an operator must act (a full disk, a
 * deleted file). `cause` is the driver's error.
 *
 * @example
 * ```ts
 * import { StorageError, type WorkflowRun } from 'weft'
 * declare const run: WorkflowRun
 * try {
 *   await run.result()
 * } catch (error) {
 *   if (error instanceof StorageError && !error.isRetryable) console.error(`the store needs an operator: ${error.reason}`)
 * }
 * ```
 */
export class StorageError extends WeftError {
  readonly code = 'WEFT_STORAGE'
  readonly _tag = 'StorageError'
  override readonly isRetryable: boolean
  constructor(
    /** What went wrong. */
    readonly reason: StorageFailureReason,
    message: string,
    options: WeftErrorOptions = {},
  ) {
    super(message, options)
    this.isRetryable = transientStorageReasons.has(reason)
  }
}

/**
 * A database that holds no Weft schema: it was not created by a Weft engine
 * (a command that only reads was pointed at another database).
 *
 * @example
 * ```ts
 * import { NotAWeftDatabaseError, sqliteStore } from 'weft'
 * try {
 *   await sqliteStore({ path: 'other.sqlite', readOnly: true }).init()
 * } catch (error) {
 *   if (error instanceof NotAWeftDatabaseError) console.error(error.location)
 * }
 * ```
 */
export class NotAWeftDatabaseError extends WeftError {
  readonly code = 'WEFT_NOT_A_WEFT_DATABASE'
  readonly _tag = 'NotAWeftDatabaseError'
  constructor(
    /** The database (a file path, or a URL without its password). */
    readonly location: string,
  ) {
    super(`${location} is not a Weft database (it has no weft_runs table); pass the path or URL of a database a Weft engine created`)
  }
}

/**
 * The database was migrated by a newer version of Weft than this one: its
 * schema has migrations this version does not know, so it is not opened.
 *
 * @example
 * ```ts
 * import { NewerSchemaError, sqliteStore } from 'weft'
 * try {
 *   await sqliteStore({ path: 'runs.sqlite' }).init()
 * } catch (error) {
 *   if (error instanceof NewerSchemaError) console.error(error.unknownMigrations)
 * }
 * ```
 */
export class NewerSchemaError extends WeftError {
  readonly code = 'WEFT_NEWER_SCHEMA'
  readonly _tag = 'NewerSchemaError'
  constructor(
    /** The database (a file path, or a URL without its password). */
    readonly location: string,
    /** The applied migrations this version does not know. */
    readonly unknownMigrations: readonly string[],
    /** The newest migration this version knows. */
    readonly newestKnown: string,
  ) {
    super(
      `the database at ${location} was migrated by a newer version of Weft (it has migration ${unknownMigrations.map((m) => `"${m}"`).join(', ')}; ` +
        `this version knows migrations up to "${newestKnown}"): upgrade Weft to use it`,
    )
  }
}

// ---------------------------------------------------------------------------
// Durability errors.

/**
 * A value cannot be stored losslessly; `path` says where the bad value is.
 *
 * @example
 * ```ts
 * import { RunFailedError, SerializationError, type WorkflowRun } from 'weft'
 * declare const run: WorkflowRun
 * try {
 *   await run.result()
 * } catch (error) {
 *   if (error instanceof RunFailedError && error.cause instanceof SerializationError) console.error(error.cause.path, error.cause.reason)
 * }
 * ```
 */
export class SerializationError extends WeftError {
  readonly code = 'WEFT_SERIALIZATION'
  readonly _tag = 'SerializationError'
  constructor(
    /** Where the value is, e.g. `output.items[2].callback`; `(value)` for the value itself. */
    readonly path: string,
    /** Why it cannot be stored. */
    readonly reason: string,
  ) {
    super(`cannot store ${path}: ${reason}`)
  }
}

/**
 * A value is larger than the store accepts; nothing was written.
 *
 * @example
 * ```ts
 * import { PayloadTooLargeError, RunFailedError, type WorkflowRun } from 'weft'
 * declare const run: WorkflowRun
 * try {
 *   await run.result()
 * } catch (error) {
 *   if (error instanceof RunFailedError && error.cause instanceof PayloadTooLargeError) {
 *     console.error(`${error.cause.what}: ${error.cause.bytes} of at most ${error.cause.limitBytes} bytes`)
 *   }
 * }
 * ```
 */
export class PayloadTooLargeError extends WeftError {
  readonly code = 'WEFT_PAYLOAD_TOO_LARGE'
  readonly _tag = 'PayloadTooLargeError'
  constructor(
    /** What was being stored, e.g. `output of task "fetch"`. */
    readonly what: string,
    /** Its serialized size in bytes. */
    readonly bytes: number,
    /** The limit in bytes. */
    readonly limitBytes: number,
  ) {
    super(`${what} is ${bytes} bytes, over the ${limitBytes}-byte limit; store large data elsewhere and pass a reference, or raise the store's limits.maxBytes`)
  }
}

/**
 * A run id is already used by a run of another workflow or with another input.
 *
 * @example
 * ```ts
 * import { createEngine, defineWorkflow, RunConflictError } from 'weft'
 * const Orders = defineWorkflow<{ orderId: string }>({ name: 'orders', version: 1 })
 *   .task('load', (input) => input.orderId)
 *   .build()
 * const engine = createEngine()
 * await engine.start(Orders, { orderId: 'o-1' }, { runId: 'order-1' })
 * try {
 *   await engine.start(Orders, { orderId: 'o-2' }, { runId: 'order-1' })
 * } catch (error) {
 *   if (error instanceof RunConflictError) console.error(error.conflict) // 'input'
 * }
 * ```
 */
export class RunConflictError extends WeftError {
  readonly code = 'WEFT_RUN_CONFLICT'
  readonly _tag = 'RunConflictError'
  constructor(
    /** The run id asked for. */
    readonly runId: string,
    /** What differs: `input` or `workflow`. */
    readonly conflict: 'input' | 'workflow',
  ) {
    super(`run id "${runId}" is already used by a run with a different ${conflict}; start with another id, or with the same ${conflict} to get the existing run`)
  }
}

/**
 * This process no longer holds the lease of a run (it expired and another
 * worker claimed the run); the write was rejected and the run is abandoned here.
 *
 * @example
 * ```ts
 * import { LeaseLostError, type WorkflowRun } from 'weft'
 * declare const run: WorkflowRun
 * try {
 *   await run.result()
 * } catch (error) {
 *   if (error instanceof LeaseLostError) console.log(`run ${error.runId} continues in another worker`)
 * }
 * ```
 */
export class LeaseLostError extends WeftError {
  readonly code = 'WEFT_LEASE_LOST'
  readonly _tag = 'LeaseLostError'
  constructor(
    /** The run whose lease was lost. */
    readonly runId: string,
    /** The fencing epoch this process held. */
    readonly epoch: number,
  ) {
    super(`lost the lease of run ${runId} (epoch ${epoch}): another worker owns it now; this worker stops writing to it`)
  }
}
