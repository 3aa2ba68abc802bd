import { RecoveryStats, type RecoveryStatsSnapshot } from '../resilience/recovery/recovery-stats.js'
import type { RunStatus, TaskStatus } from '../storage/workflow-store.js'

/**
 * A snapshot of an engine's activity since it was created.
 *
 * @example
 * ```ts
 * import type { Engine } from 'weft-sdk'
 * declare const engine: Engine
 * const stats = engine.stats()
 * console.log(`${stats.runs.completed} runs completed, ${stats.tasks.running} tasks running`)
 * ```
 */
export interface EngineStats {
  /** Workflows (name and version pairs) registered. */
  readonly workflows: number
  /** Runs this engine executed, by status; `abandoned` counts runs it lost to another worker. */
  readonly runs: Readonly<Record<RunStatus | 'abandoned', number>>
  /** Tasks by status: current for `pending`/`running`/`retrying`, totals for the rest. */
  readonly tasks: Readonly<Record<TaskStatus, number>>
  /** What `@Recover` met: failed attempts, recovered and unrecovered executions, by error class and strategy. */
  readonly recovery: RecoveryStatsSnapshot
}

const runStatuses: readonly (RunStatus | 'abandoned')[] = ['pending', 'running', 'paused', 'completed', 'failed', 'cancelled', 'dead-lettered', 'abandoned']
const taskStatuses: readonly TaskStatus[] = ['pending', 'running', 'retrying', 'completed', 'failed', 'skipped', 'cancelled']
const runIndex = Object.fromEntries(runStatuses.map((status, i) => [status, i])) as Record<RunStatus | 'abandoned', number>
const taskIndex = Object.fromEntries(taskStatuses.map((status, i) => [status, i])) as Record<TaskStatus, number>

/**
 * Counters behind `engine.stats()`, updated as runs and tasks change status.
 * Plain arrays indexed by status: they are touched several times per task.
 */
export class RuntimeStats {
  workflows = 0
  /** The engine's recovery counters, fed by `@Recover` only when an attempt fails. */
  readonly recovery = new RecoveryStats()
  private readonly runs = new Float64Array(runStatuses.length)
  private readonly tasks = new Float64Array(taskStatuses.length)

  /** Moves one run from `from` (if any) to `to`. */
  run(from: RunStatus | 'abandoned' | undefined, to: RunStatus | 'abandoned'): void {
    if (from !== undefined) this.runs[runIndex[from]]!--
    this.runs[runIndex[to]]!++
  }

  /** Moves one task from `from` (if any) to `to`. */
  task(from: TaskStatus | undefined, to: TaskStatus): void {
    if (from !== undefined) this.tasks[taskIndex[from]]!--
    this.tasks[taskIndex[to]]!++
  }

  /** Moves `count` tasks at once. */
  tasksBy(from: TaskStatus | undefined, to: TaskStatus, count: number): void {
    if (from !== undefined) this.tasks[taskIndex[from]]! -= count
    this.tasks[taskIndex[to]]! += count
  }

  snapshot(): EngineStats {
    return {
      workflows: this.workflows,
      runs: Object.fromEntries(runStatuses.map((status, i) => [status, this.runs[i]!])) as Record<RunStatus | 'abandoned', number>,
      tasks: Object.fromEntries(taskStatuses.map((status, i) => [status, this.tasks[i]!])) as Record<TaskStatus, number>,
      recovery: this.recovery.snapshot(),
    }
  }
}
