import { SerializationError } from '../core/errors.js'

/** The key that marks a tagged value (see serialization.ts for the encoding). */
export const TAG = '$weft'

// Encoding of serialization.ts's format: a walk that returns its input
// untouched when it is JSON-safe and a tagged copy otherwise (the caller then
// runs one JSON.stringify).

/** Why a value was refused; thrown inside the walk, it collects the path as it unwinds. */
export class Rejection {
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

/** Deep enough for any sensible data, shallow enough for JSON.stringify and the call stack. */
const MAX_DEPTH = 1000

const UNDEFINED = Object.freeze({ [TAG]: 'undefined' })

export function encodeValue(value: unknown, ancestors: object[]): unknown {
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
