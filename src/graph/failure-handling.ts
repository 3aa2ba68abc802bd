import type { TaskNode } from './workflow-graph.js'

/**
 * Whether a task's failure leaves its run going: an `@OnFailure` task handles
 * it, or every task that uses its output takes it as optional (cleanups and
 * failure handlers do not count as users). The scheduler decides a run's
 * fate by it, and a declared result knows from it which tasks may end
 * without output.
 */
export function failureIsHandled(tasks: readonly TaskNode[], task: TaskNode): boolean {
  if (task.failureHandlerIds.length > 0) return true
  let users = 0
  for (const id of task.dependentIds) {
    const dependent = tasks[id]!
    if (dependent.kind === 'always' || dependent.kind === 'on-failure') continue
    users++
    if (!dependent.dependsOn[dependent.dependencyIds.indexOf(task.id)]!.optional) return false
  }
  return users > 0
}
