// Definition errors: thrown when a workflow is defined or registered, before any run.
import { WeftError } from './weft-error.js'

/**
 * A workflow's task graph contains a cycle; the message gives the full path.
 *
 * @example
 * ```ts
 * import { CycleError, Workflow, WorkflowBase, Task, DependsOn } from 'weft-sdk'
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
 * import { compileWorkflow, UnknownDependencyError, type AnyWorkflow } from 'weft-sdk'
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
 * import { compileWorkflow, DuplicateTaskError, type AnyWorkflow } from 'weft-sdk'
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
 * import { defineWorkflow, EmptyWorkflowError } from 'weft-sdk'
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
 * import { defineWorkflow, InvalidOptionsError } from 'weft-sdk'
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
 * import { compileWorkflow, InvalidWorkflowError } from 'weft-sdk'
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

/**
 * A workflow's declared result is not usable: it names no task of the
 * workflow, or a task that may end without output (it has a condition, it is
 * a failure handler, its failure may be handled, or it depends on such a task)
 * without saying so with `{ task, optional: true }`.
 *
 * @example
 * ```ts
 * import { defineWorkflow, ResultDeclarationError } from 'weft-sdk'
 * try {
 *   defineWorkflow<number>({ name: 'maybe', version: 1 })
 *     .task('big', { when: (n) => n > 10 }, (n) => n * 2)
 *     .build({ result: 'big' })
 * } catch (error) {
 *   if (error instanceof ResultDeclarationError) console.error(error.message) // ... declare it { task: 'big', optional: true } ...
 * }
 * ```
 */
export class ResultDeclarationError extends WeftError {
  readonly code = 'WEFT_INVALID_RESULT'
  readonly _tag = 'ResultDeclarationError'
  constructor(
    /** The workflow's name. */
    readonly workflow: string,
    /** The task name the result declares (or the whole declaration when it is malformed). */
    readonly task: string,
    /** What is wrong: the name matches no task, or the task may end without output. */
    readonly reason: 'unknown-task' | 'may-be-skipped' | 'malformed',
    detail: string,
  ) {
    super(`workflow "${workflow}": ${detail}`)
  }
}
