import { Schema } from 'effect'
import { InvalidOptionsError } from '../core/errors.js'
import { assertStorableName } from '../core/storable-name.js'
import { describeValue } from './compile-result.js'
import type { PayloadSchema } from './task-context.js'

/**
 * Validates declared events: a record of storable event names to Effect `Schema`s.
 *
 * @throws {@link InvalidOptionsError} naming the event and the fix.
 */
export function compileEvents(workflow: string, declared: unknown): ReadonlyMap<string, PayloadSchema> {
  if (declared === undefined) return new Map()
  if (typeof declared !== 'object' || declared === null || Array.isArray(declared)) {
    throw new InvalidOptionsError(`workflow "${workflow}": events must be a record of event names to Effect Schemas, got ${describeValue(declared)}`)
  }
  const events = new Map<string, PayloadSchema>()
  for (const [name, schema] of Object.entries(declared)) {
    assertStorableName(`workflow "${workflow}": event name`, name)
    if (!Schema.isSchema(schema)) {
      throw new InvalidOptionsError(`workflow "${workflow}": event "${name}" must be declared with an Effect Schema (for example Schema.Struct({ by: Schema.String })), got ${describeValue(schema)}`)
    }
    events.set(name, schema as unknown as PayloadSchema)
  }
  return events
}
