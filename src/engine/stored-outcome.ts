import { RunCancelledError, RunFailedError } from '../core/errors.js'
import { encodeStepName, isTaskStepKey } from '../core/step-key.js'
import type { RunOutcome, TaskSummary } from '../runtime/run-outcome.js'
import type { ErrorRecord, RunRecord, StepRecord, TaskStatus } from '../storage/workflow-store.js'
import type { WorkflowGraph } from '../graph/workflow-graph.js'

/** An error rebuilt from its stored record, for runs that ran in another process. */
class StoredError extends Error {
  constructor(
    name: string,
    message: string,
    readonly code: string | undefined,
  ) {
    super(message)
    this.name = name
  }
}

/**
 * The message of the error that failed the run. Weft 0.1 stored the
 * `RunFailedError` around the task's error; its prefix is dropped so the
 * rebuilt error does not say "failed in task …" twice.
 */
function causeMessage(run: RunRecord, record: ErrorRecord): string {
  const legacy = `run ${run.id} of workflow "${run.workflow}" failed${record.task === undefined ? '' : ` in task "${record.task}"`}: `
  return record.name === 'RunFailedError' && record.message.startsWith(legacy) ? record.message.slice(legacy.length) : record.message
}

/**
 * Each task's own step. A run of Weft 0.1 in flight across the upgrade may
 * have two for a task named with `/`, `#` or `[` (its bare-name key, then the
 * escaped one when the task ran again): the escaped one is the later, and wins.
 */
function taskSteps(steps: readonly StepRecord[]): Map<string, StepRecord> {
  const byTask = new Map<string, StepRecord>()
  for (const step of steps) {
    if (!isTaskStepKey(step.key, step.task)) continue
    if (!byTask.has(step.task) || step.key === encodeStepName(step.task)) byTask.set(step.task, step)
  }
  return byTask
}

/** Task summaries of a stored run, from its task steps (in the graph's order when the graph is known). */
export function storedSummaries(steps: readonly StepRecord[], graph: WorkflowGraph | undefined): TaskSummary[] {
  const byTask = taskSteps(steps)
  const names = graph === undefined ? [...byTask.keys()] : graph.tasks.map((t) => t.name)
  return names.map((task): TaskSummary => {
    const step = byTask.get(task)
    const status: TaskStatus = step?.status ?? 'pending'
    return {
      task,
      status,
      attempts: step?.attempts ?? 0,
      startedAt: step?.startedAt,
      durationMs: step?.startedAt === undefined ? undefined : step.finishedAt - step.startedAt,
      error: step?.error,
      history: step?.history,
    }
  })
}

/** The outcome of a finished run, read back from the store. */
export function storedOutcome(run: RunRecord, steps: readonly StepRecord[], graph: WorkflowGraph | undefined): RunOutcome {
  // No prototype: a task may be named `__proto__`.
  const outputs: Record<string, unknown> = Object.create(null)
  for (const step of taskSteps(steps).values()) if (step.status === 'completed') outputs[step.task] = step.output
  const status = run.status === 'completed' || run.status === 'cancelled' ? run.status : 'failed'
  let error: Error | undefined
  if (status === 'cancelled') {
    // The stored message is the full sentence of the error that cancelled the run.
    error = new RunCancelledError(run.id)
    if (run.error?.message !== undefined) error.message = run.error.message
  }
  else if (status === 'failed') {
    const record = run.error ?? { name: 'Error', message: run.statusMessage ?? `run ended as ${run.status}` }
    error = new RunFailedError(run.id, run.workflow, record.task, new StoredError(record.name, causeMessage(run, record), record.code))
  }
  return {
    runId: run.id,
    workflow: run.workflow,
    status,
    outputs,
    tasks: storedSummaries(steps, graph),
    error,
    startedAt: run.startedAt ?? run.createdAt,
    finishedAt: run.finishedAt ?? run.createdAt,
  }
}
