import { InvalidOptionsError } from '../core/errors.js'
import type { FallbackWithOption } from './fallback-options.js'
import type { RecoverOptions } from './recovery-options.js'
import type { TaskDraft, WorkflowDraft } from './workflow-draft.js'
import type { TaskNode } from './workflow-graph.js'

/** The task kinds a workflow's `@Recover` applies to: not its failure handlers and cleanups. */
const recoveredKinds: ReadonlySet<TaskNode['kind']> = new Set(['task', 'loop'])

/**
 * A task's recovery options with its workflow's folded in: the task's rules
 * first, then the workflow's; the task's strategy of a class replaces the
 * workflow's. A workflow's options apply to ordinary and loop tasks, not to
 * `@OnFailure` handlers and `@Always` cleanups.
 */
export function taskRecovery(workflow: RecoverOptions<FallbackWithOption> | undefined, task: TaskDraft): RecoverOptions<FallbackWithOption> | undefined {
  if (workflow === undefined || !recoveredKinds.has(task.kind)) return task.recover
  const own = task.recover
  if (own === undefined) return workflow
  return { rules: [...(own.rules ?? []), ...(workflow.rules ?? [])], strategies: { ...workflow.strategies, ...own.strategies } }
}

/**
 * Checks what a recovery strategy needs of the graph: a `fallbackTo` names a
 * dependency of its task (whose output it returns; not on a loop, whose
 * arguments are its state), a `fallbackWith` of a `defineWorkflow` task is a
 * function (such a workflow has no methods; a class's method is checked with
 * the class, see `authoring/fallback-methods.ts`), and a task's own
 * `compensate` has an `@OnFailure` handler to run. A workflow's `@Recover`
 * may not fall back to a task or to other work (each task has arguments and
 * an output of its own); its `compensate` runs the handler where a task has
 * one and fails the others.
 *
 * @throws {@link InvalidOptionsError} naming the workflow, task and class.
 */
export function checkRecoveryWiring(draft: WorkflowDraft, tasks: readonly TaskNode[]): void {
  refuseWorkflowFallbacks(draft.name, draft.recover)
  const byName = new Map(tasks.map((task) => [task.name, task]))
  for (const task of draft.tasks) {
    if (task.recover !== undefined) checkTask(draft, byName.get(task.name)!)
  }
}

/** The strategies of a workflow's `@Recover` that only a task's own may have. */
const perTaskFallbacks = ['fallbackTo', 'fallbackWith'] as const

function refuseWorkflowFallbacks(workflow: string, recover: WorkflowDraft['recover']): void {
  for (const [errorClass, strategy] of Object.entries(recover?.strategies ?? {})) {
    const key = perTaskFallbacks.find((name) => typeof strategy === 'object' && strategy !== null && name in strategy)
    if (key === undefined) continue
    const why = key === 'fallbackTo' ? 'it names one of that task\'s dependencies' : "it receives that task's arguments and returns its output"
    throw new InvalidOptionsError(`workflow "${workflow}": @Recover strategies.${errorClass}.${key} is only for a task's own @Recover (${why})`)
  }
}

function checkTask(draft: WorkflowDraft, task: TaskNode): void {
  for (const [errorClass, strategy] of Object.entries(task.policies.recover?.strategies ?? {})) {
    const where = `workflow "${draft.name}" task "${task.name}": @Recover strategies.${errorClass}`
    if (strategy.kind === 'compensate' && task.failureHandlerIds.length === 0) {
      throw new InvalidOptionsError(`${where} is 'compensate', but no @OnFailure task handles "${task.name}": add one, or choose another strategy`)
    }
    if (strategy.kind !== 'fallback') continue
    if (strategy.run?.kind === 'method' && draft.authoredWith === 'defineWorkflow') {
      throw new InvalidOptionsError(`${where}.fallbackWith names "${strategy.run.method}", but a defineWorkflow workflow has no methods: give a function, (error, ...args, ctx) => output`)
    }
    if (strategy.task !== undefined) checkFallbackTo(where, task, strategy.task)
  }
}

function checkFallbackTo(where: string, task: TaskNode, dependency: string): void {
  if (task.kind === 'loop') throw new InvalidOptionsError(`${where}.fallbackTo cannot be used on a @Loop task: use fallbackValue or fallbackWith`)
  if (!task.dependsOn.some((d) => d.task === dependency)) {
    const deps = task.dependsOn.map((d) => `"${d.task}"`).join(', ') || 'none'
    throw new InvalidOptionsError(`${where}.fallbackTo names "${dependency}", which is not a dependency of "${task.name}" (its dependencies: ${deps})`)
  }
}
