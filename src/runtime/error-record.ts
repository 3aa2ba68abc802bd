import { describeCause, isWeftError, unprintable, type MapItemsFailedError } from '../core/errors.js'
import { renderValue } from '../core/rendered-value.js'
import type { ErrorRecord } from '../storage/workflow-store.js'

/** The most lines of a stack trace a record keeps (the first line, `Name: message`, included). */
const maxStackLines = 20
/** The most characters of a stack trace a record keeps. */
const maxStackChars = 4096
/** The most characters of an error's message a record keeps. */
const maxMessageChars = 4096
/** The most causes a record keeps. */
const maxCauses = 5
/** The most characters of a cause's message a record keeps. */
const maxCauseMessageChars = 1024
/** The most errors of an `AggregateError` a record keeps. */
const maxAggregated = 5
/** The most characters of an Error's own extra properties (`status`, `retryAfter`, ...) a record keeps. */
const maxPropsChars = 1024
/** An Error's properties a record has fields for already, left out of its `props`. */
const recordedKeys: ReadonlySet<string> = new Set(['name', 'message', 'stack', 'cause', 'code', 'errors', '_tag'])

type CauseRecord = NonNullable<ErrorRecord['causes']>[number]

/**
 * Describes any thrown value as a serializable {@link ErrorRecord}, for the
 * store: name, message, code, stack, causes and, for a thrown value that is
 * not an Error, its JSON (every part bounded, see `ErrorRecord`). Never
 * throws, whatever was thrown (an object without a prototype, a throwing
 * `toString`, `name`, `code`, `stack` or `cause` getter, a revoked Proxy, a
 * cycle of causes, a BigInt, a huge value): recording a failure must not fail.
 */
export function toErrorRecord(error: unknown, task?: string): ErrorRecord {
  const record: ErrorRecord = { ...causeRecord(error, maxMessageChars), ...stackOf(error), ...causesOf(error), ...aggregatedOf(error) }
  return task === undefined ? record : { ...record, task }
}

/**
 * The record events carry (`task.retrying`, `task.failed`): the stored one
 * without its stack. Events are kept in the run's log and sent to every
 * listener; the stack is in the stored record (`weft runs show`).
 */
export function toEventErrorRecord(error: unknown): ErrorRecord {
  return { ...causeRecord(error, maxMessageChars), ...causesOf(error), ...aggregatedOf(error) }
}

/** An error record without its stack, for an event (see {@link toEventErrorRecord}). */
export function withoutStack(record: ErrorRecord): ErrorRecord {
  if (record.stack === undefined) return record
  const { stack: _stack, ...rest } = record
  return rest
}

/** Name, message, code, and the JSON of a value that is not an Error or of an Error's extra properties. */
function causeRecord(error: unknown, messageChars: number): CauseRecord {
  const record = { name: nameOf(error), message: cut(describeCause(error), messageChars), code: codeOf(error) }
  if (!isError(error)) return { ...record, value: renderValue(error) }
  // A Weft error's message already states its fields.
  return isWeftError(error) ? record : { ...record, ...propsOf(error as Error) }
}

/**
 * An Error's own enumerable properties beyond those a record has fields for,
 * as JSON: what a client library attaches (`status`, `retryAfter`, `response`).
 */
function propsOf(error: Error): { props?: string } {
  try {
    const extra = Object.keys(error).filter((key) => !recordedKeys.has(key))
    if (extra.length === 0) return {}
    const props: Record<string, unknown> = {}
    for (const key of extra) props[key] = readProperty(error, key)
    return { props: renderValue(props, maxPropsChars) }
  } catch {
    return {}
  }
}

/** A property's value, or a mark when its getter throws. */
function readProperty(target: object, key: string): unknown {
  try {
    return (target as Record<string, unknown>)[key]
  } catch {
    return '[unreadable]'
  }
}

/** An `AggregateError`'s errors (its `errors` array), at most {@link maxAggregated}, with how many there were. */
function aggregatedOf(error: unknown): { errors?: CauseRecord[]; errorCount?: number } {
  try {
    if (!(error instanceof Error)) return {}
    const all: unknown = (error as { errors?: unknown }).errors
    if (!Array.isArray(all) || all.length === 0) return {}
    const labels = memberLabels(error)
    const errors = all.slice(0, maxAggregated).map((member, i) => {
      const record = causeRecord(member, maxCauseMessageChars)
      return labels?.[i] === undefined ? record : { label: labels[i], ...record }
    })
    return all.length > maxAggregated ? { errors, errorCount: all.length } : { errors }
  } catch {
    return {}
  }
}

/** The label of each member of a `MapItemsFailedError` (`item 2`): the items its `errors` belong to. */
function memberLabels(error: Error): string[] | undefined {
  if (!isWeftError(error) || error.code !== 'WEFT_MAP_ITEMS_FAILED') return undefined
  return (error as MapItemsFailedError).failures.map((failure) => `item ${failure.index}`)
}

function isError(error: unknown): boolean {
  try {
    return error instanceof Error
  } catch {
    return false
  }
}

function nameOf(error: unknown): string {
  try {
    if (error instanceof Error) return typeof error.name === 'string' ? error.name : 'Error'
  } catch {
    return unprintable(error)
  }
  if (error === null) return 'null'
  return typeof error === 'object' ? className(error) : typeof error
}

/** The class of a thrown object that is not an Error (`Response`), or `object`. */
function className(error: object): string {
  try {
    const name: unknown = Object.getPrototypeOf(error)?.constructor?.name
    return typeof name === 'string' && name !== '' && name !== 'Object' ? name : 'object'
  } catch {
    return 'object'
  }
}

function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  try {
    const code = isWeftError(error) ? error.code : (error as { code?: unknown }).code
    return typeof code === 'string' ? cut(code, 200) : undefined
  } catch {
    return undefined
  }
}

function stackOf(error: unknown): { stack?: string } {
  try {
    if (!(error instanceof Error)) return {}
    const stack: unknown = error.stack
    return typeof stack === 'string' && stack !== '' ? { stack: cutStack(stack) } : {}
  } catch {
    return {}
  }
}

/** A stack's first {@link maxStackLines} lines, at most {@link maxStackChars} characters, with a last line `…` when cut. */
function cutStack(stack: string): string {
  const lines = stack.slice(0, maxStackChars + 1).split('\n')
  const kept = lines.slice(0, maxStackLines).join('\n')
  if (kept.length === stack.length) return stack
  return `${kept.slice(0, maxStackChars - 2)}\n…`
}

function causesOf(error: unknown): { causes?: CauseRecord[] } {
  const causes: CauseRecord[] = []
  const seen = new Set<unknown>([error])
  let current = error
  while (causes.length < maxCauses) {
    const next = causeOf(current)
    if (next === absent || seen.has(next.value)) break
    seen.add(next.value)
    causes.push(causeRecord(next.value, maxCauseMessageChars))
    current = next.value
  }
  return causes.length === 0 ? {} : { causes }
}

const absent = Symbol('no cause')

/** An error's own `cause`, when it has one (an Error whose `cause` getter throws has none). */
function causeOf(error: unknown): { value: unknown } | typeof absent {
  try {
    if (!(error instanceof Error) || !('cause' in error)) return absent
    return { value: error.cause }
  } catch {
    return absent
  }
}

function cut(text: string, chars: number): string {
  return text.length <= chars ? text : `${text.slice(0, chars - 1)}…`
}
