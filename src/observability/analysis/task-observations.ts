// One task in one recorded run, reduced to the numbers the analysis needs: times, attempts, blocked time, digests.
import { omittedAttempts, stepAttempts } from '../../storage/attempt-history.js'
import type { StepRecord } from '../../storage/workflow-store.js'
import type { AnalysisGraph, RecordedRun } from './analysis-input.js'
import { valueDigest } from './value-digest.js'

/** Error codes that mean an attempt was refused by a policy rather than failing on its own: it was blocked. */
export const blockingErrorCodes: readonly string[] = ['WEFT_RATE_LIMITED', 'WEFT_CIRCUIT_OPEN', 'WEFT_BULKHEAD_FULL']

/**
 * What one task did in one run, from its step record.
 *
 * @example
 * ```ts
 * import type { TaskObservation } from 'weft-sdk'
 * declare const seen: TaskObservation
 * console.log(seen.task, seen.durationMs, seen.attempts, seen.failedAttempts)
 * ```
 */
export interface TaskObservation {
  /** The run. */
  readonly runId: string
  /** The task. */
  readonly task: string
  /** How its step ended. */
  readonly status: StepRecord['status']
  /** When its first attempt started (epoch ms); `undefined` for a skipped step. */
  readonly startedAt: number | undefined
  /** When it ended (epoch ms). */
  readonly finishedAt: number
  /** From its first attempt's start to its end, retries and backoff included; 0 when it never started. */
  readonly durationMs: number
  /** Its last attempt alone: what it would have taken had that attempt been the first. */
  readonly lastAttemptMs: number
  /** Attempts made. */
  readonly attempts: number
  /** Attempts that failed (interrupted ones are not failures), the last attempt of a step that fell back included. */
  readonly failedAttempts: number
  /** Time from the start of attempts refused by a rate limit, breaker or bulkhead to the next attempt's start. */
  readonly blockedMs: number
  /** Whether an attempt was refused by a rate limit, an open breaker or a full bulkhead. */
  readonly blocked: boolean
  /** A digest of its arguments (the run's input for a task without dependencies, else its dependencies' outputs); `undefined` when one is unknown. */
  readonly inputDigest: string | undefined
  /** A digest of its output, when it completed. */
  readonly outputDigest: string | undefined
}

/**
 * Every task step of every run, per task name (tasks in graph order, each
 * run's observation in the order of `runs`). A task a run has no step for
 * (it never got that far) has no observation for that run.
 *
 * @example
 * ```ts
 * import { observeTasks, type AnalysisGraph, type RecordedRun } from 'weft-sdk'
 * declare const graph: AnalysisGraph
 * declare const runs: RecordedRun[]
 * const byTask = observeTasks(graph, runs)
 * console.log(byTask.get('charge')?.length)
 * ```
 */
export function observeTasks(graph: AnalysisGraph, runs: readonly RecordedRun[]): Map<string, TaskObservation[]> {
  const byTask = new Map(graph.tasks.map((task) => [task.name, [] as TaskObservation[]]))
  for (const recorded of runs) {
    const steps = taskSteps(recorded.steps)
    for (const task of graph.tasks) {
      const step = steps.get(task.name)
      if (step !== undefined) byTask.get(task.name)!.push(observeStep(step, inputDigestOf(task.dependsOn, recorded, steps)))
    }
  }
  return byTask
}

/** The task-level steps of a run (key equal to the task's name), by task. */
export function taskSteps(steps: readonly StepRecord[]): Map<string, StepRecord> {
  return new Map(steps.filter((step) => step.key === step.task).map((step) => [step.task, step]))
}

function observeStep(step: StepRecord, inputDigest: string | undefined): TaskObservation {
  const startedAt = step.status === 'skipped' ? undefined : step.startedAt
  const lastStartedAt = step.history?.lastStartedAt ?? startedAt
  return {
    runId: step.runId,
    task: step.task,
    status: step.status,
    startedAt,
    finishedAt: step.finishedAt,
    durationMs: startedAt === undefined ? 0 : Math.max(0, step.finishedAt - startedAt),
    lastAttemptMs: lastStartedAt === undefined ? 0 : Math.max(0, step.finishedAt - lastStartedAt),
    attempts: step.attempts,
    failedAttempts: failedAttempts(step),
    ...blockedTime(step),
    inputDigest,
    outputDigest: step.status === 'completed' ? valueDigest(step.output) : undefined,
  }
}

/**
 * The step's failed attempts, those only counted included: a step that fell
 * back completed, but its last attempt failed (the fallback itself is no
 * attempt, and a fallback that failed too adds no failed attempt).
 */
function failedAttempts(step: StepRecord): number {
  return stepAttempts(step).filter((a) => a.outcome === 'failed').length + omittedAttempts(step)
}

function blockedTime(step: StepRecord): { blockedMs: number; blocked: boolean } {
  const isBlocking = (code: string | undefined) => code !== undefined && blockingErrorCodes.includes(code)
  const attempts = stepAttempts(step)
  let blockedMs = 0
  let blocked = false
  attempts.forEach((attempt, i) => {
    if (attempt.outcome !== 'failed' || !isBlocking(attempt.error?.code)) return
    blocked = true
    // Blocked until the next attempt (or the fallback) started.
    const nextStart = attempts[i + 1]?.startedAt
    if (attempt.startedAt !== undefined && nextStart !== undefined) blockedMs += Math.max(0, nextStart - attempt.startedAt)
  })
  return { blockedMs, blocked }
}

function inputDigestOf(dependsOn: readonly string[], recorded: RecordedRun, steps: ReadonlyMap<string, StepRecord>): string | undefined {
  if (dependsOn.length === 0) return valueDigest(recorded.run.input)
  const outputs = dependsOn.map((name) => steps.get(name))
  if (outputs.some((step) => step?.status !== 'completed')) return undefined
  return valueDigest(outputs.map((step) => step!.output))
}
