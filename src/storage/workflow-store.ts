import type { RunId } from '../core/ids.js'

/** Where a run is in its life. */
export type RunStatus = 'pending' | 'running' | 'paused' | 'completed' | 'failed' | 'cancelled'

/** Where a task is in a run. */
export type TaskStatus = 'pending' | 'running' | 'retrying' | 'completed' | 'failed' | 'skipped' | 'cancelled'

/** A serializable description of an error, as stored and reported. */
export interface ErrorRecord {
  /** The error's class name, e.g. `TypeError` or `TaskTimeoutError`. */
  readonly name: string
  readonly message: string
  /** A Weft error's code, when it has one. */
  readonly code?: string | undefined
  /** The task whose failure this is, for run errors. */
  readonly task?: string | undefined
}

/** A run as stored. */
export interface RunRecord {
  readonly id: RunId
  readonly workflow: string
  readonly version: number
  readonly input: unknown
  readonly status: RunStatus
  /** Epoch milliseconds. */
  readonly createdAt: number
  readonly startedAt?: number | undefined
  readonly finishedAt?: number | undefined
  readonly error?: ErrorRecord | undefined
}

/** Fields of a run that change as it progresses. */
export type RunPatch = Partial<Pick<RunRecord, 'status' | 'startedAt' | 'finishedAt' | 'error'>>

/** The final record of one step: a task, a loop iteration, a `map` item or a `step` sub-step. */
export interface StepRecord {
  readonly runId: RunId
  /**
   * The step's identity, independent of completion order: the task name, plus
   * `#<iteration>` for a loop iteration, `[<index>]` for a `map` item, or
   * `/<name>` for a `ctx.step` sub-step.
   */
  readonly key: string
  readonly task: string
  readonly status: 'completed' | 'failed' | 'skipped'
  readonly output?: unknown
  readonly error?: ErrorRecord | undefined
  readonly attempts: number
  readonly startedAt?: number | undefined
  readonly finishedAt: number
}

/** Filters of {@link WorkflowStore.listRuns}. */
export interface RunQuery {
  readonly status?: RunStatus
  readonly workflow?: string
  /** @defaultValue 100 */
  readonly limit?: number
}

/** What {@link WorkflowStore.createRun} did. */
export interface CreateRunResult {
  /** The stored run: the new one, or the one that already had this id. */
  readonly run: RunRecord
  /** False when a run with this id already existed (nothing was written). */
  readonly created: boolean
}

/**
 * The port through which the runtime persists runs and step results. Every
 * implementation (memory, SQLite, PostgreSQL) passes one conformance suite.
 *
 * Step records are first-writer-wins: saving a step whose key is already
 * stored changes nothing and returns the stored record, which is how each
 * step result is recorded exactly once.
 */
export interface WorkflowStore {
  /** Creates a run unless one with its id exists (then returns that one, `created: false`). */
  createRun(run: RunRecord): Promise<CreateRunResult>
  getRun(runId: RunId): Promise<RunRecord | undefined>
  /** Runs, newest first. */
  listRuns(query?: RunQuery): Promise<RunRecord[]>
  updateRun(runId: RunId, patch: RunPatch): Promise<void>
  /** Records a step result once; returns the record that is stored. */
  saveStep(step: StepRecord): Promise<StepRecord>
  /** Every step recorded for a run. */
  loadSteps(runId: RunId): Promise<StepRecord[]>
  close(): Promise<void>
}
