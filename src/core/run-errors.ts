// Errors of a run and of the engine's API: its input, its end, what it was
// asked for.
import { WeftError, describeCause } from './weft-error.js'

/**
 * One problem found in a workflow input.
 *
 * @example
 * ```ts
 * import { InputValidationError } from 'weft-sdk'
 * declare const error: unknown
 * if (error instanceof InputValidationError) for (const issue of error.issues) console.error(`${issue.path || '(root)'}: ${issue.message}`)
 * ```
 */
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
 * import { createEngine, defineWorkflow, InputValidationError } from 'weft-sdk'
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
 * The run was cancelled.
 *
 * @example
 * ```ts
 * import { RunCancelledError, type WorkflowRun } from 'weft-sdk'
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
 * import { RunFailedError, type WorkflowRun } from 'weft-sdk'
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
 * import { isWeftError, WorkflowNotRegisteredError } from 'weft-sdk'
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
 * import { createEngine, RunNotFoundError } from 'weft-sdk'
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
 * import { TaskOutputMissingError, type RunResult } from 'weft-sdk'
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
 * import { createEngine, EngineClosedError } from 'weft-sdk'
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
 * A run has already ended (completed, failed, cancelled or dead-lettered), so
 * it cannot receive events any more.
 *
 * @example
 * ```ts
 * import { RunFinishedError, type WorkflowRun } from 'weft-sdk'
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
 * A run was asked for as a run of one workflow (`engine.getRun(Workflow, id)`,
 * which types its outputs by that workflow) but belongs to another workflow or
 * version: its outputs would not be what the types say.
 *
 * @example
 * ```ts
 * import { WrongWorkflowError, type Engine } from 'weft-sdk'
 * declare const engine: Engine
 * declare const Checkout: Parameters<Engine['start']>[0]
 * try {
 *   await engine.getRun(Checkout, 'order-7')
 * } catch (error) {
 *   if (error instanceof WrongWorkflowError) console.error(`run ${error.runId} is a run of ${error.actual}`)
 * }
 * ```
 */
export class WrongWorkflowError extends WeftError {
  readonly code = 'WEFT_WRONG_WORKFLOW'
  readonly _tag = 'WrongWorkflowError'
  constructor(
    /** The run asked for. */
    readonly runId: string,
    /** The workflow it was asked for as: `name@version`. */
    readonly expected: string,
    /** The workflow it is a run of: `name@version`. */
    readonly actual: string,
  ) {
    super(`run "${runId}" is a run of ${actual}, not of ${expected}; ask for it with that workflow, or with engine.getRun(id) (untyped outputs)`)
  }
}

/**
 * An event's payload does not match the schema its workflow declares for it
 * (`events: { approved: Schema }`): it was refused when sent, and nothing was
 * stored. Payloads that reach a run another way (the CLI, a queue) are checked
 * again on receipt, where a refused one is never delivered.
 *
 * @example
 * ```ts
 * import { EventPayloadError, type Engine } from 'weft-sdk'
 * declare const engine: Engine
 * try {
 *   await engine.emit('approved', JSON.parse('{ "by": 42 }'), { runId: 'order-7' })
 * } catch (error) {
 *   if (error instanceof EventPayloadError) console.error(error.event, error.workflow, error.message)
 * }
 * ```
 */
export class EventPayloadError extends WeftError {
  readonly code = 'WEFT_INVALID_EVENT_PAYLOAD'
  readonly _tag = 'EventPayloadError'
  constructor(
    /** The event's name. */
    readonly event: string,
    /** The workflow that declares the event: `name@version`. */
    readonly workflow: string,
    /** What the schema said about the payload. */
    readonly issues: string,
  ) {
    super(`event "${event}" of workflow ${workflow}: the payload does not match the schema the workflow declares for it: ${issues}; send a payload of that schema (nothing was stored)`)
  }
}

/**
 * An event payload a run took and recorded no longer decodes with the
 * event's schema (given to `ctx.waitForEvent` or `ctx.events`, or declared
 * by the workflow) when the run replays it: the schema changed since the
 * event was taken. Keep the old schema for runs that already took the
 * event, or start a new workflow version for the new one.
 *
 * @example
 * ```ts
 * import { RecordedPayloadError, type Engine } from 'weft-sdk'
 * declare const engine: Engine
 * declare const runId: string
 * const run = await engine.getRun(runId)
 * try {
 *   await run?.result()
 * } catch (error) {
 *   if (error instanceof RecordedPayloadError) console.error(error.event, error.issues)
 * }
 * ```
 */
export class RecordedPayloadError extends WeftError {
  readonly code = 'WEFT_RECORDED_PAYLOAD_UNDECODABLE'
  readonly _tag = 'RecordedPayloadError'
  override readonly isRetryable = false
  constructor(
    /** The event's name. */
    readonly event: string,
    /** What the schema said about the recorded payload. */
    readonly issues: string,
  ) {
    super(
      `the recorded payload of event "${event}" no longer decodes with its schema (given to ctx.waitForEvent or declared by the workflow): ${issues}; ` +
        'the schema changed since the event was taken: keep the old schema for runs that already took it (or start a new workflow version)',
    )
  }
}
