import { Exit, Schema, SchemaIssue } from 'effect'
import { InputValidationError, type InputIssue } from '../core/errors.js'
import type { WorkflowGraph } from '../graph/workflow-graph.js'

const formatIssues = SchemaIssue.makeFormatterStandardSchemaV1()

/**
 * Checks a run input against the workflow's input schema (every problem, not
 * just the first) and returns the decoded input.
 *
 * @throws {@link InputValidationError} listing each bad path.
 */
export function parseWorkflowInput(graph: WorkflowGraph, input: unknown): unknown {
  if (graph.input === undefined) return input
  const schema = graph.input as Schema.ConstraintDecoder<unknown>
  const exit = Schema.decodeUnknownExit(schema)(input, { errors: 'all' })
  if (Exit.isSuccess(exit)) return exit.value
  throw new InputValidationError(graph.name, issuesOf(exit.cause))
}

function issuesOf(cause: Parameters<typeof Exit.failCause>[0]): InputIssue[] {
  const issues: InputIssue[] = []
  for (const reason of cause.reasons) {
    if (reason._tag !== 'Fail' || !Schema.isSchemaError(reason.error)) continue
    for (const issue of formatIssues(reason.error.issue).issues) {
      issues.push({ path: formatPath(issue.path ?? []), message: issue.message })
    }
  }
  return issues.length > 0 ? issues : [{ path: '', message: 'the input does not match the schema' }]
}

function formatPath(path: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }>): string {
  let out = ''
  for (const segment of path) {
    const key = typeof segment === 'object' ? segment.key : segment
    if (typeof key === 'number') out += `[${key}]`
    else out += out === '' ? String(key) : `.${String(key)}`
  }
  return out
}
