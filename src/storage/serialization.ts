import { createHmac } from 'node:crypto'
import { PayloadTooLargeError, SerializationError } from '../core/errors.js'
import { decodeValue } from './tagged-decoding.js'
import { encodeValue, Rejection } from './tagged-encoding.js'

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
 * import { defaultSerializationLimits, serialize, type SerializationLimits } from 'weft-sdk/store'
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
 * import { deserialize, serialize } from 'weft-sdk/store'
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
 * import { deserialize } from 'weft-sdk/store'
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
 * import { inputDigest } from 'weft-sdk/store'
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
