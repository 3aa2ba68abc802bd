import type { TaskNode } from '../graph/workflow-graph.js'
import type { Interruptible } from './task-attempt.js'

/**
 * The single owner of everything a run has running: each launched task's
 * attempt (or, for a task with policies, its fiber) is registered here until
 * it exits, and the run stops work only through {@link interrupt}: closing
 * the run interrupts everything it owns, every signal fires. Indexed by task
 * id: one slot per task, no allocation per launch.
 */
export class RunningTasks {
  private readonly slots: (Interruptible | undefined)[]
  private count = 0

  constructor(size: number) {
    this.slots = new Array(size)
  }

  /** Registers `task`'s running work (before it starts: a listener may interrupt it at once). */
  add(task: TaskNode, running: Interruptible): void {
    if (this.slots[task.id] === undefined) this.count++
    this.slots[task.id] = running
  }

  /** `task` exited; returns whether it was registered (an exit after {@link interrupt} of everything is not). */
  remove(task: TaskNode): boolean {
    if (this.slots[task.id] === undefined) return false
    this.slots[task.id] = undefined
    this.count--
    return true
  }

  /** How many tasks are running. */
  get size(): number {
    return this.count
  }

  /**
   * Interrupts the running tasks that `select` picks (every one when
   * omitted). An interrupted task exits at once or soon; its exit removes it.
   */
  interrupt(tasks: readonly TaskNode[], select: (task: TaskNode) => boolean = everything): void {
    if (this.count === 0) return
    for (const task of tasks) {
      const running = this.slots[task.id]
      if (running !== undefined && select(task)) running.interrupt()
    }
  }
}

function everything(): boolean {
  return true
}
