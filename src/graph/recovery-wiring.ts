import { InvalidOptionsError } from '../core/errors.js'
import type { RecoverOptions } from './recovery-options.js'
import type { TaskDraft } from './workflow-draft.js'
import type { TaskNode } from './workflow-graph.js'

/** The task kinds a workflow's `@Recover` applies to: not its failure handlers and cleanups. */
const recoveredKinds: ReadonlySet<TaskNode['kind']> = new Set(['task', 'loop'])

/**
 * A task's recovery options with its workflow's folded in: the task's rules
 * first, then the workflow's; the task's strategy of a class replaces the
 * workflow's. A workflow's options apply to ordinary and loop tasks, not to
 * `@OnFailure` handlers and `@Always` cleanups.
 */
export function taskRecovery(workflow: RecoverOptions | undefined, task: TaskDraft): RecoverOptions | undefined {
  if (workflow === undefined || !recoveredKinds.has(task.kind)) return task.recover
  const own = task.recover
  if (own === undefined) return workflow
  return { rules: [...(own.rules ?? []), ...(workflow.rules ?? [])], strategies: { ...workflow.strategies, ...own.strategies } }
}

/**
 * Checks what a recovery strategy needs of the graph: a `fallbackTo` names a
 * dependency of its task (whose output it returns; not on a loop, whose
 * arguments are its state), and a task's own `compensate` has an
 * `@OnFailure` handler to run. A workflow's `@Recover` may not fall back to
 * a task (each task has dependencies of its own); its `compensate` runs the
 * handler where a task has one and fails the others.
 *
 * @throws {@link InvalidOptionsError} naming the workflow, task and class.
 */
export function checkRecoveryWiring(workflow: string, workflowRecover: RecoverOptions | undefined, drafts: readonly TaskDraft[], tasks: readonly TaskNode[]): void {
  for (const [errorClass, strategy] of Object.entries(workflowRecover?.strategies ?? {})) {
    if (typeof strategy === 'object' && strategy !== null && 'fallbackTo' in strategy) {
      throw new InvalidOptionsError(`workflow "${workflow}": @Recover strategies.${errorClass}.fallbackTo is only for a task's own @Recover (it names one of that task's dependencies)`)
    }
  }
  const byName = new Map(tasks.map((task) => [task.name, task]))
  for (const draft of drafts) {
    if (draft.recover !== undefined) checkTask(workflow, byName.get(draft.name)!)
  }
}

function checkTask(workflow: string, task: TaskNode): void {
  for (const [errorClass, strategy] of Object.entries(task.policies.recover?.strategies ?? {})) {
    const where = `workflow "${workflow}" task "${task.name}": @Recover strategies.${errorClass}`
    if (strategy.kind === 'compensate' && task.failureHandlerIds.length === 0) {
      throw new InvalidOptionsError(`${where} is 'compensate', but no @OnFailure task handles "${task.name}": add one, or choose another strategy`)
    }
    if (strategy.kind !== 'fallback' || strategy.task === undefined) continue
    if (task.kind === 'loop') throw new InvalidOptionsError(`${where}.fallbackTo cannot be used on a @Loop task: use fallbackValue`)
    if (!task.dependsOn.some((dependency) => dependency.task === strategy.task)) {
      const deps = task.dependsOn.map((dependency) => `"${dependency.task}"`).join(', ') || 'none'
      throw new InvalidOptionsError(`${where}.fallbackTo names "${strategy.task}", which is not a dependency of "${task.name}" (its dependencies: ${deps})`)
    }
  }
}
