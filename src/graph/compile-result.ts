import { ResultDeclarationError } from '../core/errors.js'
import { closestName } from './did-you-mean.js'
import { failureIsHandled } from './failure-handling.js'
import type { WorkflowDraft } from './workflow-draft.js'
import type { ResultTask, TaskNode, WorkflowResultSpec } from './workflow-graph.js'

/**
 * Validates a declared result against the compiled tasks: each named task
 * exists, and one that may end without output is declared
 * `{ task, optional: true }` (so callers' types say `undefined` may come).
 *
 * @throws {@link ResultDeclarationError} naming the task and the fix.
 */
export function compileResult(workflow: string, declared: unknown, tasks: readonly TaskNode[], authoredWith: WorkflowDraft['authoredWith'] = 'decorators'): WorkflowResultSpec | undefined {
  if (declared === undefined) return undefined
  const absence = absenceReasons(tasks, authoredWith === 'defineWorkflow' ? 'it has a when option' : 'it has a @When condition')
  const check = (ref: unknown, where: string): ResultTask => checkResultTask(workflow, ref, where, tasks, absence)
  if (isTaskRef(declared)) return Object.freeze({ kind: 'task', ...check(declared, 'its result') })
  if (typeof declared !== 'object' || declared === null || Array.isArray(declared) || Object.keys(declared).length === 0) {
    throw new ResultDeclarationError(workflow, String(declared), 'malformed', `result must be a task name, { task, optional }, or a non-empty record of them, got ${describeValue(declared)}`)
  }
  const fields = Object.entries(declared).map(([key, ref]) => Object.freeze({ key, ...check(ref, `result.${key}`) }))
  return Object.freeze({ kind: 'record', fields: Object.freeze(fields) })
}

/** A task name, or an object whose only keys are `task` (a string) and `optional` (as the types read it); anything else is a record. */
function isTaskRef(value: unknown): value is string | { readonly task: string; readonly optional?: boolean } {
  if (typeof value === 'string') return true
  if (typeof value !== 'object' || value === null || typeof (value as { task?: unknown }).task !== 'string') return false
  return Object.keys(value).every((key) => key === 'task' || key === 'optional')
}

function checkResultTask(workflow: string, ref: unknown, where: string, tasks: readonly TaskNode[], absence: ReadonlyMap<string, string>): ResultTask {
  if (!isTaskRef(ref)) {
    throw new ResultDeclarationError(workflow, describeValue(ref), 'malformed', `${where} must be a task name or { task, optional }, got ${describeValue(ref)}`)
  }
  const task = typeof ref === 'string' ? ref : ref.task
  const optional = typeof ref === 'object' && ref.optional === true
  if (!tasks.some((node) => node.name === task)) {
    const suggestion = closestName(task, tasks.map((node) => node.name))
    const hint = suggestion === undefined ? '' : ` (did you mean "${suggestion}"?)`
    throw new ResultDeclarationError(workflow, task, 'unknown-task', `${where} names unknown task "${task}"${hint}; name one of its tasks`)
  }
  const reason = absence.get(task)
  if (reason !== undefined && !optional) {
    throw new ResultDeclarationError(
      workflow,
      task,
      'may-be-skipped',
      `${where} names task "${task}", which may end without output (${reason}): declare it { task: '${task}', optional: true } so callers receive undefined when it has none`,
    )
  }
  return { task, optional }
}

/**
 * Why each task may end without output in a run that completes: it has a
 * condition, it is a failure handler (it runs only on failure), its failure
 * may leave the run going (a handler takes it, or every user takes it as
 * optional: the scheduler's own rule), or a required dependency may have no output. Tasks are in
 * topological order, so dependencies are decided first.
 */
function absenceReasons(tasks: readonly TaskNode[], conditional: string): Map<string, string> {
  const reasons = new Map<string, string>()
  for (const task of tasks) {
    const reason = ownAbsenceReason(task, tasks, conditional) ?? inheritedAbsenceReason(task, reasons)
    if (reason !== undefined) reasons.set(task.name, reason)
  }
  return reasons
}

/** `conditional`: how the author wrote a condition (`@When`, or the `when` option of `defineWorkflow`). */
function ownAbsenceReason(task: TaskNode, tasks: readonly TaskNode[], conditional: string): string | undefined {
  if (task.when !== undefined) return conditional
  if (task.kind === 'on-failure') return `it runs only when "${task.handles}" fails`
  if (task.failureHandlerIds.length > 0) return `its failure is handled by "${tasks[task.failureHandlerIds[0]!]!.name}", and the run then completes without it`
  if (failureIsHandled(tasks, task)) return 'its failure does not fail the run: every task that uses it takes it as optional'
  return undefined
}

function inheritedAbsenceReason(task: TaskNode, reasons: ReadonlyMap<string, string>): string | undefined {
  const absent = task.dependsOn.find((dependency) => !dependency.optional && reasons.has(dependency.task))
  return absent === undefined ? undefined : `it is skipped when "${absent.task}" has no output`
}

/** How a refusal names a value it did not expect. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (Array.isArray(value)) return 'an array'
  return value === null ? 'null' : typeof value
}
