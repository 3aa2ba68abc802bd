import { Exit, Schema, SchemaIssue } from 'effect'
import type { PayloadSchema } from './task-context.js'

/** An event payload decoded by a schema: its decoded value, or why the schema refused it. */
export type DecodedPayload =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly issues: string }

/**
 * The one way a payload is checked against an event's schema, used where an
 * event is sent (`run.signal`, `engine.emit` to a run) and where it is
 * received (`ctx.waitForEvent`): a payload the schema refuses is reported as
 * a value, never thrown.
 */
export function payloadDecoder(schema: PayloadSchema): (payload: unknown) => DecodedPayload {
  const decode = Schema.decodeUnknownExit(schema)
  return (payload) => {
    const exit = decode(payload, { errors: 'all' })
    if (Exit.isSuccess(exit)) return { ok: true, value: exit.value }
    return { ok: false, issues: describeFailure(exit.cause) }
  }
}

const formatIssues = SchemaIssue.makeFormatterStandardSchemaV1()

/** The schema's own messages for a refused payload, each at its path: `at by: Expected a value with a length of at least 1`. */
function describeFailure(cause: Parameters<typeof Exit.failCause>[0]): string {
  const messages: string[] = []
  for (const reason of cause.reasons) {
    if (reason._tag !== 'Fail' || !Schema.isSchemaError(reason.error)) continue
    for (const issue of formatIssues(reason.error.issue).issues) messages.push(`${atPath(issue.path ?? [])}${issue.message}`)
  }
  return messages.length > 0 ? messages.join('; ') : 'the payload does not decode'
}

function atPath(path: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }>): string {
  if (path.length === 0) return ''
  const keys = path.map((segment) => (typeof segment === 'object' ? segment.key : segment))
  return `at ${keys.map((key, i) => (typeof key === 'number' ? `[${key}]` : i === 0 ? String(key) : `.${String(key)}`)).join('')}: `
}
