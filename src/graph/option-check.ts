import { toMillis } from '../core/duration.js'
import { InvalidOptionsError } from '../core/errors.js'

/** Checks option values and throws {@link InvalidOptionsError} with a message naming the task and option. */
export class OptionCheck {
  constructor(private readonly where: string) {}

  fail(option: string, expected: string, actual: unknown): never {
    throw new InvalidOptionsError(`${this.where}: ${option} must be ${expected}, got ${show(actual)}`)
  }

  integer(option: string, value: unknown, min: number): number {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min) this.fail(option, `an integer ≥ ${min}`, value)
    return value
  }

  count(option: string, value: unknown, min: number): number {
    if (value === Infinity) return value
    return this.integer(option, value, min)
  }

  number(option: string, value: unknown, min: number, max = Infinity, minExclusive = false): number {
    const low = minExclusive ? `> ${min}` : `≥ ${min}`
    const range = max === Infinity ? `a finite number ${low}` : `a number ${low} and ≤ ${max}`
    if (typeof value !== 'number' || !Number.isFinite(value)) this.fail(option, range, value)
    if (value < min || value > max || (minExclusive && value === min)) this.fail(option, range, value)
    return value
  }

  duration(option: string, value: unknown): number {
    try {
      return toMillis(value as never, option)
    } catch (error) {
      this.fail(option, "a duration (milliseconds ≥ 0, or '250 ms', '5 s', '2 m', '1 h', '2 d')", value)
    }
  }

  oneOf<T extends string>(option: string, value: unknown, allowed: readonly T[]): T {
    if (!allowed.includes(value as T)) this.fail(option, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`, value)
    return value as T
  }

  name(option: string, value: unknown): string {
    if (typeof value !== 'string' || value.trim() === '') this.fail(option, 'a non-empty string', value)
    return value
  }

  fn<F>(option: string, value: unknown): F {
    if (typeof value !== 'function') this.fail(option, 'a function', value)
    return value as F
  }
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'function') return 'a function'
  // JSON would print NaN and ±Infinity as null.
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value)
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}
