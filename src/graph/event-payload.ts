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
    const exit = decode(payload)
    if (Exit.isSuccess(exit)) return { ok: true, value: exit.value }
    return { ok: false, issues: describeFailure(exit.cause) }
  }
}

const formatIssue = SchemaIssue.makeFormatterDefault()

/** The schema's own message for a refused payload. */
function describeFailure(cause: Parameters<typeof Exit.failCause>[0]): string {
  for (const reason of cause.reasons) {
    if (reason._tag === 'Fail' && Schema.isSchemaError(reason.error)) return formatIssue(reason.error.issue)
  }
  return 'the payload does not decode'
}
