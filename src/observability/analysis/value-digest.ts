// "Same input" and "same output" for cache detection: a digest of a value's canonical form.
import { createHash } from 'node:crypto'

/**
 * A digest of a value that is equal for equal values: SHA-256 (its first 16
 * hex digits) of a canonical text in which object keys are sorted, Maps and
 * Sets are listed in sorted order, and Dates, BigInts, `undefined`, NaN and
 * the infinities are spelled so they cannot collide with strings or `null`.
 *
 * @example
 * ```ts
 * import { valueDigest } from 'weft-sdk'
 * valueDigest({ a: 1, b: [2] }) === valueDigest({ b: [2], a: 1 }) // true
 * valueDigest(new Date(0)) === valueDigest('1970-01-01T00:00:00.000Z') // false
 * ```
 */
export function valueDigest(value: unknown): string {
  return createHash('sha256').update(canonicalText(value, new Set())).digest('hex').slice(0, 16)
}

function canonicalText(value: unknown, seen: Set<object>): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : `#${String(value)}`
  if (typeof value === 'bigint') return `#${value}n`
  if (typeof value !== 'object') return `#${typeof value}`
  if (seen.has(value)) return '#cycle'
  seen.add(value)
  const text = objectText(value, seen)
  seen.delete(value)
  return text
}

function objectText(value: object, seen: Set<object>): string {
  const inner = (item: unknown) => canonicalText(item, seen)
  if (value instanceof Date) return `#date(${value.getTime()})`
  if (Array.isArray(value)) return `[${value.map(inner).join(',')}]`
  if (value instanceof Map) return `#map{${sortedTexts([...value].map(([k, v]) => `${inner(k)}:${inner(v)}`))}}`
  if (value instanceof Set) return `#set[${sortedTexts([...value].map(inner))}]`
  const fields = Object.keys(value).sort().map((key) => `${JSON.stringify(key)}:${inner((value as Record<string, unknown>)[key])}`)
  return `{${fields.join(',')}}`
}

function sortedTexts(texts: string[]): string {
  return texts.sort().join(',')
}
