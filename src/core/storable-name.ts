import { InvalidOptionsError } from './errors.js'

/**
 * Why a name cannot be stored and read back unchanged, or `undefined` when it
 * can. Names (workflows, tasks, sub-steps, events, run ids) are keys: a name
 * that a database changes on the way (SQLite and PostgreSQL keep text as
 * UTF-8, which has no lone UTF-16 surrogate; PostgreSQL refuses NUL in text)
 * would read back as another name after a restart, and its step would run again.
 */
export function storableNameProblem(name: string): string | undefined {
  for (let i = 0; i < name.length; i++) {
    const unit = name.charCodeAt(i)
    if (unit === 0) return `a NUL character (\\u0000 at index ${i}), which PostgreSQL cannot store in text`
    if (unit < 0xd800 || unit > 0xdfff) continue
    const pairs = unit <= 0xdbff && i + 1 < name.length && isLowSurrogate(name.charCodeAt(i + 1))
    if (pairs) {
      i++
      continue
    }
    return `a lone UTF-16 surrogate (\\u${unit.toString(16).toUpperCase()} at index ${i}), which a database keeps as UTF-8 and would read back as another name`
  }
  return undefined
}

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff
}

/**
 * Checks that `name` is a string a store keeps unchanged, and returns it.
 *
 * @example
 * ```ts
 * import { assertStorableName } from 'weft-sdk/store'
 * assertStorableName('task name', 'fetch') // 'fetch'
 * assertStorableName('task name', 'fetch\uD800') // throws InvalidOptionsError: task name "fetch\ud800" contains a lone UTF-16 surrogate …
 * ```
 * @throws {@link index!InvalidOptionsError} when it is not a string, or holds a lone surrogate or a NUL character.
 */
export function assertStorableName(what: string, name: unknown): string {
  if (typeof name !== 'string') throw new InvalidOptionsError(`${what} must be a string, got ${typeof name}`)
  const problem = storableNameProblem(name)
  if (problem !== undefined) {
    throw new InvalidOptionsError(`${what} ${JSON.stringify(name)} contains ${problem}; its steps would run again after a restart: remove or replace that character`)
  }
  return name
}
