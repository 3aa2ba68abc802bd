import type { ResultTask, WorkflowResultSpec } from '../graph/workflow-graph.js'
import type { RunResult } from './run-result.js'

/**
 * The result a workflow declares, read from a completed run's outputs: one
 * task's output, or a record of them. An optional task without output gives
 * `undefined`; a required one always has output in a completed run (the
 * definition was refused otherwise), so its absence is a bug and throws.
 *
 * @throws `TaskOutputMissingError` when a required result task has no output.
 */
export function declaredResult(spec: WorkflowResultSpec, details: RunResult<Record<string, unknown>>): unknown {
  if (spec.kind === 'task') return resultTaskValue(spec, details)
  const record: Record<string, unknown> = {}
  for (const field of spec.fields) record[field.key] = resultTaskValue(field, details)
  return record
}

function resultTaskValue(ref: ResultTask, details: RunResult<Record<string, unknown>>): unknown {
  return ref.optional ? details.outputs[ref.task] : details.output(ref.task)
}

