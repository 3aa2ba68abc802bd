import { HttpStatusError } from '../../core/errors.js'
import type { ErrorFacts } from '../../graph/recovery-options.js'

/** How deep a cause chain is followed (the error itself, then at most this many causes less one). */
const maxDepth = 6

/**
 * What classification needs of a stored error: the shape of Weft's
 * `ErrorRecord` (name, message, code, the JSON of an Error's extra
 * properties, its causes), read structurally so a record from any store,
 * event or API answer classifies the same way.
 *
 * @example
 * ```ts
 * import { createErrorClassifier, type ErrorRecordLike } from 'weft-sdk'
 * const record: ErrorRecordLike = { name: 'HttpStatusError', message: 'adapter "quotes": GET /q answered 429 (retryable)', code: 'WEFT_HTTP_STATUS' }
 * createErrorClassifier().classifyRecord(record).errorClass // 'rate-limited'
 * ```
 */
export interface ErrorRecordLike {
  /** The error's class name. */
  readonly name: string
  /** The error's message (a Weft error's message states its fields: an HTTP status as `answered 503`). */
  readonly message: string
  /** Its code, if any. */
  readonly code?: string | undefined
  /** The JSON of a non-Weft error's extra properties (where a client library's `status` is found). */
  readonly props?: string | undefined
  /** Its causes, outermost first. */
  readonly causes?: readonly Omit<ErrorRecordLike, 'causes'>[] | undefined
}

/**
 * The facts of a live error and of each of its causes, outermost first (a
 * cycle of causes stops at the first repeat).
 */
export function factsOfError(error: unknown): ErrorFacts[] {
  const chain: ErrorFacts[] = []
  const seen = new Set<unknown>()
  let current: unknown = error
  while (chain.length < maxDepth && current !== undefined && current !== null && !seen.has(current)) {
    seen.add(current)
    chain.push(liveFacts(current, chain.length))
    current = read(current, 'cause')
  }
  return chain
}

/** The facts of a stored record and of each of its recorded causes, outermost first. */
export function factsOfRecord(record: ErrorRecordLike): ErrorFacts[] {
  const levels = [record, ...(record.causes ?? [])].slice(0, maxDepth)
  return levels.map((level, depth) => ({
    name: String(level.name),
    message: String(level.message),
    code: typeof level.code === 'string' ? level.code : undefined,
    status: recordedStatus(level),
    error: undefined,
    depth,
  }))
}

function liveFacts(error: unknown, depth: number): ErrorFacts {
  const code = read(error, 'code')
  return { name: nameOf(error), message: messageOf(error), code: typeof code === 'string' ? code : undefined, status: liveStatus(error), error, depth }
}

/** `HttpStatusError.status`, or a numeric `status` / `statusCode` a client library attached. */
function liveStatus(error: unknown): number | undefined {
  if (error instanceof HttpStatusError) return error.status
  const status = read(error, 'status') ?? read(error, 'statusCode')
  return typeof status === 'number' && Number.isInteger(status) ? status : undefined
}

/** A record keeps a Weft error's fields in its message (`… answered 503 …`) and another error's in `props` (JSON). */
function recordedStatus(level: Omit<ErrorRecordLike, 'causes'>): number | undefined {
  const text = level.name === 'HttpStatusError' ? /answered (\d{3})\b/.exec(level.message) : level.props === undefined ? null : /"(?:status|statusCode)":\s*(\d{3})\b/.exec(level.props)
  return text === null ? undefined : Number(text[1])
}

function nameOf(error: unknown): string {
  const name = read(error, 'name')
  if (typeof name === 'string') return name
  return typeof error === 'object' ? 'Object' : typeof error
}

function messageOf(error: unknown): string {
  const message = read(error, 'message')
  if (typeof message === 'string') return message
  try {
    return typeof error === 'string' ? error : String(error)
  } catch {
    return ''
  }
}

/** A property of anything thrown; a throwing getter or a revoked proxy reads as `undefined`. */
function read(value: unknown, key: string): unknown {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return undefined
  try {
    return (value as Record<string, unknown>)[key]
  } catch {
    return undefined
  }
}
