import type { TaskNode, WorkflowGraph } from '../graph/workflow-graph.js'
import type { AttemptHistory, TaskStatus } from '../storage/workflow-store.js'
import type { AttemptLog } from './attempt-log.js'
import { toErrorRecord } from './error-record.js'
import type { TaskSummary } from './run-outcome.js'

// Task states. Terminal ("settled") states are ≥ COMPLETED.
export const PENDING = 0
export const QUEUED = 1
export const RUNNING = 2
export const COMPLETED = 3
export const FAILED = 4
export const SKIPPED = 5
export const CANCELLED = 6

/** The status each state is reported as. */
export const statusOf: readonly TaskStatus[] = ['pending', 'pending', 'running', 'completed', 'failed', 'skipped', 'cancelled']

/** Why a task was skipped. */
export type SkipReason = 'condition' | 'dependency' | 'not-failed'

/**
 * Per-task bookkeeping of one run, in typed arrays indexed by task id (one
 * allocation per run, not per task).
 */
export class TaskTable {
  readonly state: Uint8Array
  /** Dependencies (and the handled task, for a failure handler) not yet settled. */
  readonly waitingOn: Int32Array
  readonly attempts: Int32Array
  /** 1 while the task waits between retry attempts. */
  readonly retryWait: Uint8Array
  readonly startedAt: Float64Array
  readonly finishedAt: Float64Array
  readonly outputs: unknown[]
  readonly errors: unknown[]
  /** Each task's attempt log, once it has one (a retry, or an attempt lost with a stopped process). */
  readonly logs: (AttemptLog | undefined)[]

  constructor(private readonly graph: WorkflowGraph) {
    const n = graph.tasks.length
    this.state = new Uint8Array(n)
    this.waitingOn = new Int32Array(n)
    this.attempts = new Int32Array(n)
    this.retryWait = new Uint8Array(n)
    this.startedAt = new Float64Array(n)
    this.finishedAt = new Float64Array(n)
    this.outputs = new Array(n)
    this.errors = new Array(n)
    this.logs = new Array(n)
    for (const task of graph.tasks) this.waitingOn[task.id] = task.dependencyIds.length + (task.handles === undefined ? 0 : 1)
  }

  isSettled(id: number): boolean {
    return this.state[id]! >= COMPLETED
  }

  /** Milliseconds from the first attempt to settling, 0 if the task never ran. */
  durationOf(id: number): number {
    return this.attempts[id]! > 0 ? this.finishedAt[id]! - this.startedAt[id]! : 0
  }

  summary(task: TaskNode): TaskSummary {
    const id = task.id
    const state = this.state[id]!
    const started = this.attempts[id]! > 0 ? this.startedAt[id] : undefined
    const settled = state >= COMPLETED
    return {
      task: task.name,
      status: statusOf[state]!,
      attempts: this.attempts[id]!,
      startedAt: started,
      durationMs: started !== undefined && settled ? this.finishedAt[id]! - started : undefined,
      error: state === FAILED ? toErrorRecord(this.errors[id]) : undefined,
      history: this.historyOf(id),
    }
  }

  /** The history of a task's attempts before its last (see `AttemptHistory`), when it made more than one. */
  historyOf(id: number): AttemptHistory | undefined {
    const log = this.logs[id]
    return log === undefined || this.attempts[id]! === 0 ? undefined : log.history(this.startedAt[id])
  }

  /** Every task in topological order, with cleanups that wait for the whole run (`@Always` without dependencies) last. */
  summaries(): TaskSummary[] {
    const runsLast = (task: TaskNode) => task.kind === 'always' && task.dependencyIds.length === 0
    const tasks = this.graph.tasks
    return [...tasks.filter((t) => !runsLast(t)), ...tasks.filter(runsLast)].map((task) => this.summary(task))
  }
}
