import { createHmac } from 'node:crypto'
import { PayloadTooLargeError, SerializationError } from '../core/errors.js'

// The codec durable stores use for run inputs, task outputs and event payloads.
//
// Encoding: JSON text in which JSON-compatible data is written as itself and
// every other value is a tagged object `{"$weft":"<tag>","v":<payload>}`:
//
//   undefined              {"$weft":"undefined"}
//   NaN, ±Infinity, -0     {"$weft":"number","v":"NaN"}   ("Infinity", "-Infinity", "-0")
//   123n                   {"$weft":"bigint","v":"123"}
//   Date                   {"$weft":"date","v":"2024-05-01T12:00:00.000Z"}   (v null: invalid Date)
//   Map                    {"$weft":"map","v":[[key, value], ...]}           (insertion order)
//   Set                    {"$weft":"set","v":[value, ...]}
//   Uint8Array, Buffer     {"$weft":"bytes","v":"<base64>"}
//   RegExp                 {"$weft":"regexp","v":["<source>","<flags>"]}
//   {"$weft": ...} (data)  {"$weft":"object","v":{...the object, its `$weft` key kept as data...}}
//
// Keys and payloads inside `v` are encoded the same way, recursively. Strings are
// never tagged, so a string that looks like a tag is just a string.

const TAG = '$weft'

/** Byte thresholds of {@link serialize}: a warning above one, an error above the other. */
export interface SerializationLimits {
  /**
   * Above this many UTF-8 bytes, `serialize` reports a warning (the value is still stored).
   * @defaultValue 262144 (256 KiB)
   */
  readonly warnBytes: number
  /**
   * Above this many UTF-8 bytes, `serialize` throws {@link PayloadTooLargeError}; exactly this many passes.
   * @defaultValue 2097152 (2 MiB)
   */
  readonly maxBytes: number
}

/**
 * The limits {@link serialize} applies when given none: warn above 256 KiB, refuse above 2 MiB.
 *
 * @example
 * ```ts
 * import { defaultSerializationLimits, serialize, type SerializationLimits } from 'weft/store'
 *
 * const limits: SerializationLimits = { ...defaultSerializationLimits, maxBytes: 8 * 1024 * 1024 }
 * serialize({ report: 'long text' }, 'output of task "summarize"', limits)
 * ```
 */
export const defaultSerializationLimits: SerializationLimits = { warnBytes: 256 * 1024, maxBytes: 2 * 1024 * 1024 }

/**
 * Turns a value into JSON text that {@link deserialize} turns back into an equal
 * value of the same types. Durable stores use it for run inputs, task outputs and
 * event payloads; JSON-compatible data is written as plain JSON.
 *
 * Stored losslessly, nested in any combination: `null`, booleans, strings, every
 * number (`-0`, `NaN`, `±Infinity` included), bigints, `undefined` (also as an
 * object property, kept as a present key, and as an array element), `Date` (also
 * invalid), `Map` (any storable keys, insertion order kept), `Set`, arrays, plain
 * objects, `Uint8Array` and `RegExp` (source and flags).
 *
 * Stored with a change of form, documented here:
 * - an object with a `null` prototype comes back as a plain object;
 * - a `Buffer` comes back as a `Uint8Array` with the same bytes;
 * - a hole in a sparse array comes back as an `undefined` element;
 * - an object referenced twice (not in a cycle) is written twice and comes back as two equal copies;
 * - a RegExp's `lastIndex`, and own properties added to an array, Date, Map, Set,
 *   Uint8Array or RegExp, are not stored; an accessor on an array index is read once;
 * - a Proxy is stored as what its traps report.
 *
 * Refused with a {@link SerializationError} that names the path (starting from
 * `what`: `output of task "fetch".items[2].callback`) and a fix: functions,
 * symbols (as values or keys), instances of other classes (also subclasses of the
 * built-ins above, errors, other typed arrays, boxed primitives, values from
 * another realm), `WeakMap`, `WeakSet`, `Promise`, circular references, accessor
 * (getter/setter) properties and non-enumerable properties of plain objects, and
 * objects nested more than 1000 deep. In paths, a Map key is `.keys()[i]`, a Map
 * value `.get(key)` (`.values()[i]` when its key is an object) and a Set element
 * `.values()[i]`.
 *
 * @param value - The value to store.
 * @param what - What the value is, used in messages and as the root of error
 *   paths; `'value'` when omitted.
 * @param limits - Size thresholds in UTF-8 bytes of the returned text;
 *   {@link defaultSerializationLimits} when omitted.
 * @param onWarning - Called once, with a message, when the text is over
 *   `limits.warnBytes` (and not over `limits.maxBytes`); when omitted,
 *   `process.emitWarning` with code `WEFT_LARGE_PAYLOAD`.
 * @returns JSON text.
 * @throws {@link index!SerializationError} when part of the value cannot be stored losslessly.
 * @throws {@link index!PayloadTooLargeError} when the text is over `limits.maxBytes`; nothing is returned.
 *
 * @example
 * ```ts
 * import { deserialize, serialize } from 'weft/store'
 *
 * const text = serialize({ at: new Date(0), seen: new Set(['a']), total: 10n }, 'output of task "fetch"')
 * // {"at":{"$weft":"date","v":"1970-01-01T00:00:00.000Z"},"seen":{"$weft":"set","v":["a"]},"total":{"$weft":"bigint","v":"10"}}
 * const copy = deserialize(text) as { at: Date; seen: Set<string>; total: bigint }
 * ```
 */
export function serialize(
  value: unknown,
  what = 'value',
  limits: SerializationLimits = defaultSerializationLimits,
  onWarning: (message: string) => void = emitLargePayloadWarning,
): string {
  const text = stringify(value, what)
  // No UTF-16 code unit takes more than 3 UTF-8 bytes: short text needs no byte count.
  if (text.length * 3 <= Math.min(limits.warnBytes, limits.maxBytes)) return text
  const bytes = Buffer.byteLength(text, 'utf8')
  if (bytes > limits.maxBytes) throw new PayloadTooLargeError(what, bytes, limits.maxBytes)
  if (bytes > limits.warnBytes) {
    onWarning(
      `${what} is ${bytes} bytes, over the ${limits.warnBytes}-byte warning threshold (the limit is ${limits.maxBytes} bytes); ` +
        'large payloads slow down every read of the run: store large data elsewhere and pass a reference',
    )
  }
  return text
}

/**
 * Turns text written by {@link serialize} back into the value it encodes.
 *
 * @param text - Text returned by `serialize`.
 * @returns A value equal to the one serialized (see `serialize` for the few changes of form).
 * @throws SyntaxError when the text is not JSON or holds a malformed or unknown `$weft` tag
 *   (written by a newer Weft, or edited by hand).
 *
 * @example
 * ```ts
 * import { deserialize } from 'weft/store'
 *
 * const value = deserialize('{"due":{"$weft":"date","v":"2024-05-01T12:00:00.000Z"},"note":{"$weft":"undefined"}}')
 * // { due: new Date('2024-05-01T12:00:00.000Z'), note: undefined }
 * ```
 */
export function deserialize(text: string): unknown {
  return decodeValue(JSON.parse(text))
}

/** The key of {@link inputDigest} when none is given (the security layer will key it with its own). */
const defaultDigestKey = 'weft/input-digest/v1'

/**
 * A keyed digest (HMAC-SHA-256) of a value's canonical serialization: the
 * {@link serialize} encoding with the keys of plain objects sorted. Two values
 * that store alike get the same digest, whatever their form (an invalid Date,
 * a sparse array and the same array with `undefined`, a null-prototype object
 * and a plain one, a `Buffer` and a `Uint8Array` of the same bytes, keys in
 * another order). Engines store it with a run started under an explicit id
 * and compare it on a second start, so the comparison never depends on how
 * the stored input reads back (nor, later, on its encryption). It is keyed so
 * that, given a secret key (the security layer's), it reveals nothing of a
 * guessable input; with the default key, which is public, it is only a checksum.
 *
 * @example
 * ```ts
 * import { inputDigest } from 'weft/store'
 * inputDigest({ a: 1, b: [undefined] }) === inputDigest({ b: [, ], a: 1 }) // true
 * ```
 * @throws {@link index!SerializationError} when the value cannot be stored.
 */
export function inputDigest(value: unknown, key: string = defaultDigestKey): string {
  const canonical = canonicalText(value, 'input')
  return `v1:${createHmac('sha256', key).update(canonical).digest('hex')}`
}

/** The serialized text of a value with every plain object's keys in sorted order. */
function canonicalText(value: unknown, what: string): string {
  const encoded = (() => {
    try {
      return encodeValue(value, [])
    } catch (error) {
      if (error instanceof Rejection) throw error.toError(what)
      throw error
    }
  })()
  return JSON.stringify(encoded, (_key, item: unknown) => (isRecord(item) ? sortedKeys(item) : item))
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function sortedKeys(value: Record<string, unknown>): Record<string, unknown> {
  const sorted: Record<string, unknown> = Object.create(null)
  for (const key of Object.keys(value).sort()) sorted[key] = value[key]
  return sorted
}

function emitLargePayloadWarning(message: string): void {
  process.emitWarning(message, { type: 'WeftLargePayloadWarning', code: 'WEFT_LARGE_PAYLOAD' })
}

// ---------------------------------------------------------------------------
// Encoding: a walk that returns its input untouched when it is JSON-safe and a
// tagged copy otherwise, then one JSON.stringify.

/** Why a value was refused; thrown inside the walk, it collects the path as it unwinds. */
class Rejection {
  /** Path segments, innermost first. */
  readonly segments: string[] = []
  constructor(
    readonly reason: string,
    /** For a cycle: how many segments lead to the first occurrence. */
    readonly firstOccurrenceDepth = -1,
  ) {}

  toError(what: string): SerializationError {
    const segments = this.segments.reverse()
    const reason =
      this.firstOccurrenceDepth < 0
        ? this.reason
        : `circular reference to ${formatPath(what, segments.slice(0, this.firstOccurrenceDepth))}; store an id instead of the object`
    return new SerializationError(formatPath(what, segments), reason)
  }
}

/** The path from `what`; a path over 64 levels keeps its first and last 32. */
function formatPath(what: string, segments: readonly string[]): string {
  if (segments.length <= 64) return what + segments.join('')
  return `${what}${segments.slice(0, 32).join('')}…(${segments.length - 64} more levels)…${segments.slice(-32).join('')}`
}

function rethrowWith(error: unknown, segment: string): never {
  if (error instanceof Rejection) error.segments.push(segment)
  throw error
}

function stringify(value: unknown, what: string): string {
  try {
    return JSON.stringify(encodeValue(value, []))
  } catch (error) {
    if (error instanceof Rejection) throw error.toError(what)
    if (error instanceof RangeError && /call stack/i.test(error.message)) {
      throw new SerializationError(what, 'it is nested too deeply to store; flatten it')
    }
    throw error
  }
}

/** Deep enough for any sensible data, shallow enough for JSON.stringify and the call stack. */
const MAX_DEPTH = 1000

const UNDEFINED = Object.freeze({ [TAG]: 'undefined' })

function encodeValue(value: unknown, ancestors: object[]): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value
    case 'number':
      return Number.isFinite(value) && (value !== 0 || 1 / value > 0) ? value : encodeSpecialNumber(value)
    case 'object':
      return value === null ? null : encodeObject(value, ancestors)
    case 'undefined':
      return UNDEFINED
    case 'bigint':
      return { [TAG]: 'bigint', v: value.toString() }
    case 'symbol':
      throw new Rejection(`a symbol (${String(value)}) cannot be stored; store a string instead`)
    case 'function':
      throw new Rejection(`${describeFunction(value)} cannot be stored; store plain data instead (for example the name of the handler to call)`)
  }
}

function encodeSpecialNumber(value: number): unknown {
  return { [TAG]: 'number', v: value === 0 ? '-0' : String(value) }
}

function encodeObject(value: object, ancestors: object[]): unknown {
  const depth = ancestors.indexOf(value)
  if (depth !== -1) throw new Rejection('circular reference', depth)
  if (ancestors.length === MAX_DEPTH) throw new Rejection(`it is nested more than ${MAX_DEPTH} objects deep; flatten it`)
  const proto: unknown = Object.getPrototypeOf(value)
  if (proto === Object.prototype || proto === null) return encodePlainObject(value as Record<string, unknown>, ancestors)
  if (proto === Array.prototype) return encodeArray(value as unknown[], ancestors)
  if (proto === Date.prototype) return encodeDate(value as Date)
  if (proto === Map.prototype) return encodeMap(value as Map<unknown, unknown>, ancestors)
  if (proto === Set.prototype) return encodeSet(value as Set<unknown>, ancestors)
  if (proto === Uint8Array.prototype || proto === Buffer.prototype) return encodeBytes(value as Uint8Array)
  if (proto === RegExp.prototype) return { [TAG]: 'regexp', v: [(value as RegExp).source, (value as RegExp).flags] }
  throw new Rejection(describeUnsupported(value, proto))
}

function encodePlainObject(value: Record<string, unknown>, ancestors: object[]): unknown {
  const keys = Object.keys(value)
  if (keys.length !== Object.getOwnPropertyNames(value).length || Object.getOwnPropertySymbols(value).length !== 0) {
    rejectHiddenKey(value)
  }
  let copy: Record<string, unknown> | undefined
  let i = 0
  ancestors.push(value)
  try {
    for (; i < keys.length; i++) {
      const key = keys[i]!
      const descriptor = Object.getOwnPropertyDescriptor(value, key)!
      if (!('value' in descriptor)) {
        throw new Rejection('an accessor property (getter or setter) cannot be stored losslessly; replace it with a plain data property holding its value')
      }
      const item: unknown = descriptor.value
      const encoded = encodeValue(item, ancestors)
      if (copy === undefined && encoded !== item) copy = copyProperties(value, keys, i)
      if (copy !== undefined) setProperty(copy, key, encoded)
    }
  } catch (error) {
    rethrowWith(error, propertySegment(keys[i]!))
  }
  ancestors.pop()
  const encoded = copy ?? value
  return Object.hasOwn(value, TAG) ? { [TAG]: 'object', v: encoded } : encoded
}

function copyProperties(value: Record<string, unknown>, keys: readonly string[], count: number): Record<string, unknown> {
  const copy: Record<string, unknown> = {}
  for (let i = 0; i < count; i++) setProperty(copy, keys[i]!, value[keys[i]!])
  return copy
}

/** Sets an own property; a `__proto__` key stays a key instead of replacing the prototype. */
function setProperty(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true })
  else target[key] = value
}

function rejectHiddenKey(value: object): never {
  for (const key of Reflect.ownKeys(value)) {
    if (typeof key === 'symbol') {
      rethrowWith(new Rejection('a symbol-keyed property cannot be stored; use a string key'), `[${String(key)}]`)
    }
    if (!Object.prototype.propertyIsEnumerable.call(value, key)) {
      rethrowWith(new Rejection('a non-enumerable property cannot be stored losslessly; make it enumerable or delete it'), propertySegment(key))
    }
  }
  throw new Error('unreachable: no hidden key found')
}

function encodeArray(value: readonly unknown[], ancestors: object[]): unknown {
  let copy: unknown[] | undefined
  let i = 0
  ancestors.push(value)
  try {
    for (; i < value.length; i++) {
      const item = value[i]
      const encoded = encodeValue(item, ancestors)
      if (copy === undefined && encoded !== item) copy = value.slice(0, i)
      if (copy !== undefined) copy.push(encoded)
    }
  } catch (error) {
    rethrowWith(error, `[${i}]`)
  }
  ancestors.pop()
  return copy ?? value
}

function encodeDate(value: Date): unknown {
  const time = value.getTime()
  return { [TAG]: 'date', v: Number.isNaN(time) ? null : value.toISOString() }
}

function encodeMap(value: Map<unknown, unknown>, ancestors: object[]): unknown {
  const entries: unknown[] = []
  let key: unknown
  let onValue = false
  ancestors.push(value)
  try {
    for (const entry of value) {
      key = entry[0]
      onValue = false
      const encodedKey = encodeValue(key, ancestors)
      onValue = true
      entries.push([encodedKey, encodeValue(entry[1], ancestors)])
    }
  } catch (error) {
    const i = entries.length
    rethrowWith(error, onValue ? mapValueSegment(key, i) : `.keys()[${i}]`)
  }
  ancestors.pop()
  return { [TAG]: 'map', v: entries }
}

function encodeSet(value: Set<unknown>, ancestors: object[]): unknown {
  const items: unknown[] = []
  ancestors.push(value)
  try {
    for (const item of value) items.push(encodeValue(item, ancestors))
  } catch (error) {
    rethrowWith(error, `.values()[${items.length}]`)
  }
  ancestors.pop()
  return { [TAG]: 'set', v: items }
}

function encodeBytes(value: Uint8Array): unknown {
  return { [TAG]: 'bytes', v: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') }
}

// ---------------------------------------------------------------------------
// Paths and reasons.

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/

function propertySegment(key: string): string {
  return IDENTIFIER.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`
}

function mapValueSegment(key: unknown, index: number): string {
  switch (typeof key) {
    case 'string':
      return `.get(${JSON.stringify(key)})`
    case 'number':
    case 'boolean':
    case 'undefined':
      return `.get(${String(key)})`
    case 'bigint':
      return `.get(${key}n)`
    default:
      return key === null ? '.get(null)' : `.values()[${index}]`
  }
}

function describeFunction(value: Function): string {
  const kind = /^class\b/.test(Function.prototype.toString.call(value)) ? 'class' : 'function'
  return value.name === '' ? `an anonymous ${kind}` : `${kind} ${value.name}`
}

function describeUnsupported(value: object, proto: unknown): string {
  if (value instanceof WeakMap) return 'a WeakMap cannot be stored: its entries cannot be listed; use a Map'
  if (value instanceof WeakSet) return 'a WeakSet cannot be stored: its entries cannot be listed; use a Set'
  if (value instanceof Promise) return 'a Promise cannot be stored; await it and store its result'
  const constructor: unknown = Object.hasOwn(proto as object, 'constructor') ? (proto as { constructor: unknown }).constructor : undefined
  if (typeof constructor !== 'function') return 'an object with a custom prototype cannot be stored losslessly; convert it to a plain object'
  const name = constructor.name === '' ? 'an anonymous class' : `class ${constructor.name}`
  const fix = value instanceof Error ? 'convert it to a plain object such as { name, message }' : 'convert it to a plain object'
  return `an instance of ${name} cannot be stored losslessly; ${fix}`
}

// ---------------------------------------------------------------------------
// Decoding: JSON.parse, then a walk that replaces tagged objects in place.

function decodeValue(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i]
      if (typeof item === 'object' && item !== null) value[i] = decodeValue(item)
    }
    return value
  }
  const tag = (value as Record<string, unknown>)[TAG]
  return tag === undefined ? decodeProperties(value as Record<string, unknown>) : decodeTagged(tag, (value as { v?: unknown }).v)
}

function decodeProperties(value: Record<string, unknown>): Record<string, unknown> {
  // JSON.parse made every key an own data property, so assigning `__proto__` here sets the key.
  for (const key in value) {
    const item = value[key]
    if (typeof item === 'object' && item !== null) value[key] = decodeValue(item)
  }
  return value
}

function decodeTagged(tag: unknown, v: unknown): unknown {
  switch (tag) {
    case 'undefined':
      return undefined
    case 'number':
      return decodeSpecialNumber(v)
    case 'bigint':
      return BigInt(expectString(tag, v, /^-?\d+$/))
    case 'date':
      return new Date(v === null ? Number.NaN : decodeTime(v))
    case 'map':
      return new Map(expectArray(tag, v).map((entry) => decodeEntry(entry)))
    case 'set':
      return new Set(expectArray(tag, v).map((item) => decodeValue(item)))
    case 'bytes':
      return new Uint8Array(Buffer.from(expectString(tag, v), 'base64'))
    case 'regexp': {
      const [source, flags] = expectArray(tag, v)
      return new RegExp(expectString(tag, source), expectString(tag, flags))
    }
    case 'object':
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw malformed(tag, v)
      return decodeProperties(v as Record<string, unknown>)
    default:
      throw new SyntaxError(`cannot read a stored value: unknown tag {"${TAG}":${JSON.stringify(tag)}}; it was written by a newer version of Weft or edited by hand`)
  }
}

const SPECIAL_NUMBERS: Readonly<Record<string, number>> = { NaN: Number.NaN, Infinity: Number.POSITIVE_INFINITY, '-Infinity': Number.NEGATIVE_INFINITY, '-0': -0 }

function decodeSpecialNumber(v: unknown): number {
  const number = typeof v === 'string' && Object.hasOwn(SPECIAL_NUMBERS, v) ? SPECIAL_NUMBERS[v] : undefined
  if (number === undefined) throw malformed('number', v)
  return number
}

function decodeTime(v: unknown): number {
  const time = Date.parse(expectString('date', v))
  if (Number.isNaN(time)) throw malformed('date', v)
  return time
}

function decodeEntry(entry: unknown): [unknown, unknown] {
  if (!Array.isArray(entry) || entry.length !== 2) throw malformed('map', entry)
  return [decodeValue(entry[0]), decodeValue(entry[1])]
}

function expectString(tag: string, v: unknown, pattern?: RegExp): string {
  if (typeof v !== 'string' || (pattern !== undefined && !pattern.test(v))) throw malformed(tag, v)
  return v
}

function expectArray(tag: string, v: unknown): unknown[] {
  if (!Array.isArray(v)) throw malformed(tag, v)
  return v
}

function malformed(tag: string, v: unknown): SyntaxError {
  return new SyntaxError(`cannot read a stored value: malformed {"${TAG}":"${tag}"} tag with payload ${JSON.stringify(v) ?? String(v)}; the stored text was edited or corrupted`)
}
