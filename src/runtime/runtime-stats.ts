import type { RunStatus, TaskStatus } from '../storage/workflow-store.js'

/** A snapshot of an engine's activity since it was created. */
export interface EngineStats {
  /** Workflows (name and version pairs) registered. */
  readonly workflows: number
  /** Runs this engine executed, by status; `abandoned` counts runs it lost to another worker. */
  readonly runs: Readonly<Record<RunStatus | 'abandoned', number>>
  /** Tasks by status: current for `pending`/`running`/`retrying`, totals for the rest. */
  readonly tasks: Readonly<Record<TaskStatus, number>>
}

const runStatuses: readonly (RunStatus | 'abandoned')[] = ['pending', 'running', 'paused', 'completed', 'failed', 'cancelled', 'dead-lettered', 'abandoned']
const taskStatuses: readonly TaskStatus[] = ['pending', 'running', 'retrying', 'completed', 'failed', 'skipped', 'cancelled']

/** Counters behind `engine.stats()`, updated as runs and tasks change status. */
export class RuntimeStats {
  workflows = 0
  private readonly runs = new Map<RunStatus | 'abandoned', number>(runStatuses.map((s) => [s, 0]))
  private readonly tasks = new Map<TaskStatus, number>(taskStatuses.map((s) => [s, 0]))

  /** Moves one run from `from` (if any) to `to`. */
  run(from: RunStatus | 'abandoned' | undefined, to: RunStatus | 'abandoned'): void {
    if (from !== undefined) this.runs.set(from, this.runs.get(from)! - 1)
    this.runs.set(to, this.runs.get(to)! + 1)
  }

  /** Moves one task from `from` (if any) to `to`. */
  task(from: TaskStatus | undefined, to: TaskStatus): void {
    if (from !== undefined) this.tasks.set(from, this.tasks.get(from)! - 1)
    this.tasks.set(to, this.tasks.get(to)! + 1)
  }

  /** Moves `count` tasks at once. */
  tasksBy(from: TaskStatus | undefined, to: TaskStatus, count: number): void {
    if (count === 0) return
    if (from !== undefined) this.tasks.set(from, this.tasks.get(from)! - count)
    this.tasks.set(to, this.tasks.get(to)! + count)
  }

  snapshot(): EngineStats {
    return {
      workflows: this.workflows,
      runs: Object.fromEntries(this.runs) as Record<RunStatus | 'abandoned', number>,
      tasks: Object.fromEntries(this.tasks) as Record<TaskStatus, number>,
    }
  }
}
