import { InvalidOptionsError } from './errors.js'

/**
 * A unit accepted in a {@link Duration} string.
 *
 * @example
 * ```ts
 * import type { Duration, DurationUnit } from 'weft-sdk'
 * const every = (n: number, unit: DurationUnit): Duration => `${n} ${unit}`
 * const timeout = every(30, 's')
 * ```
 */
export type DurationUnit = 'ms' | 's' | 'm' | 'h' | 'd'

/**
 * A span of time: a number of milliseconds, or a string with a unit:
 * `ms`, `s`, `m` (minutes), `h` or `d` (days of 24 hours).
 *
 * @example
 * ```ts
 * import type { Duration } from 'weft-sdk'
 * const short: Duration = '250 ms'
 * const long: Duration = '2 m'
 * const approval: Duration = '2 d' // 48 hours
 * const raw: Duration = 1500 // milliseconds
 * ```
 */
export type Duration = number | `${number} ${DurationUnit}` | `${number}${DurationUnit}`

const unitMillis: Readonly<Record<DurationUnit, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }
const durationPattern = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/

/**
 * Converts a {@link Duration} to milliseconds.
 *
 * @example
 * ```ts
 * import { toMillis } from 'weft-sdk'
 * toMillis('5 s') // 5000
 * toMillis(250) // 250
 * toMillis('2 d') // 172800000
 * ```
 * @throws {@link InvalidOptionsError} when the value is negative, not finite (a number, or a string too long to be one) or not of the form `'<n> ms|s|m|h|d'`.
 */
export function toMillis(duration: Duration, what = 'duration'): number {
  if (typeof duration === 'number') {
    if (!Number.isFinite(duration) || duration < 0) {
      throw new InvalidOptionsError(`${what} must be a finite number of milliseconds ≥ 0, got ${String(duration)}`)
    }
    return duration
  }
  const match = typeof duration === 'string' ? durationPattern.exec(duration) : null
  if (match === null) {
    throw new InvalidOptionsError(
      `${what} must be a number of milliseconds or a string like '250 ms', '5 s', '2 m', '1 h', '2 d', got ${JSON.stringify(duration)}`,
    )
  }
  const ms = Number(match[1]) * unitMillis[match[2] as DurationUnit]
  if (!Number.isFinite(ms)) {
    throw new InvalidOptionsError(`${what} must be a finite duration, got ${JSON.stringify(duration)} (more milliseconds than a number holds)`)
  }
  return ms
}

/**
 * Formats milliseconds for people: `850 ms`, `1.25 s`, `3 m 5 s`.
 *
 * @example
 * ```ts
 * import { formatMillis } from 'weft-sdk'
 * formatMillis(1234) // '1.23 s'
 * ```
 */
export function formatMillis(ms: number): string {
  if (ms === 0) return '0 ms'
  if (ms < 1) return `${ms.toFixed(2)} ms`
  if (ms < 999.5) return `${Math.round(ms)} ms`
  if (ms < 9_995) return `${(ms / 1_000).toFixed(2)} s`
  if (ms < 59_950) return `${(ms / 1_000).toFixed(1)} s`
  const seconds = Math.round(ms / 1_000)
  const hours = Math.floor(seconds / 3_600)
  const minutes = Math.floor((seconds % 3_600) / 60)
  const rest = seconds % 60
  return hours > 0 ? `${hours} h ${minutes} m ${rest} s` : `${minutes} m ${rest} s`
}
