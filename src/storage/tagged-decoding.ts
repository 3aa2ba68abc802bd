import { TAG } from './tagged-encoding.js'

// Decoding of serialization.ts's format: after JSON.parse, a walk that
// replaces tagged objects in place.

export function decodeValue(value: unknown): unknown {
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
