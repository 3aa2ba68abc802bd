// The permission grammar of Weft's RBAC: `action:resource` with wildcards, its parser (precise refusals naming the
// permission and what is wrong) and its matching rule (exact on each part, case-sensitive).
import { InvalidPermissionError } from '../core/security-errors.js'
import { storableNameProblem } from '../core/storable-name.js'

/**
 * The action part of a parsed permission: `*` (every action) or one action.
 *
 * @example
 * ```ts
 * import { parsePermission, type ActionPattern } from 'weft-sdk'
 * const action: ActionPattern = parsePermission('start:reports').action // { kind: 'exact', name: 'start' }
 * ```
 */
export type ActionPattern =
  | {
      /** `*`: the pattern covers every action. */
      readonly kind: 'any'
    }
  | {
      /** One action: the pattern covers the action named `name` only. */
      readonly kind: 'exact'
      /** The action covered, compared case-sensitively (letters, digits, `_`, `-` and `.`). */
      readonly name: string
    }

/**
 * The resource part of a parsed permission: `*` (every resource), one resource,
 * or every resource under a prefix (`reports/*`: the prefix is `reports/`).
 *
 * @example
 * ```ts
 * import { parsePermission, type ResourcePattern } from 'weft-sdk'
 * const resource: ResourcePattern = parsePermission('read:reports/*').resource // { kind: 'prefix', prefix: 'reports/' }
 * ```
 */
export type ResourcePattern =
  | {
      /** `*`: the pattern covers every resource. */
      readonly kind: 'any'
    }
  | {
      /** One resource: the pattern covers the resource named `name` only. */
      readonly kind: 'exact'
      /** The resource covered, unescaped (a written `\*` is a literal `*`), compared case-sensitively. */
      readonly name: string
    }
  | {
      /** `…/*`: the pattern covers every resource that starts with `prefix` and is longer than it. */
      readonly kind: 'prefix'
      /** The unescaped text before the final `*`, ending in `/` (`reports/` for `reports/*`). */
      readonly prefix: string
    }

/**
 * A permission parsed by {@link parsePermission}: frozen, with the text it was
 * written as. Match it with {@link permissionMatches}.
 *
 * @example
 * ```ts
 * import { parsePermission, type Permission } from 'weft-sdk'
 * const permission: Permission = parsePermission('execute:*')
 * permission.text // 'execute:*'
 * ```
 */
export interface Permission {
  /** The permission as written. */
  readonly text: string
  /** Which actions it covers. */
  readonly action: ActionPattern
  /** Which resources it covers. */
  readonly resource: ResourcePattern
}

/**
 * The longest permission text Weft accepts, in UTF-16 code units (resources are workflow and event names).
 *
 * @example
 * ```ts
 * import { maxPermissionLength, parsePermission } from 'weft-sdk'
 * parsePermission(`read:${'r'.repeat(maxPermissionLength)}`) // throws InvalidPermissionError: ... more than 1024
 * ```
 */
export const maxPermissionLength = 1024

const anyAction: ActionPattern = Object.freeze({ kind: 'any' })
const anyResource: ResourcePattern = Object.freeze({ kind: 'any' })
const actionCharacter = /^[A-Za-z0-9_.-]$/
// eslint-disable-next-line no-control-regex
const controlCharacter = /[\u0000-\u001f\u007f]/

/**
 * Parses a permission, the unit of Weft's RBAC. The grammar:
 *
 * ```text
 * permission := "*"                       every action on every resource (same as "*:*")
 *             | action ":" resource       split at the FIRST ":"
 * action     := "*" | name                name: letters, digits, "_", "-", "." (e.g. start, read, admin, charge)
 * resource   := "*"                       every resource
 *             | prefix "/*"               every resource that starts with prefix + "/" and is longer (reports/* covers
 *                                         reports/daily and reports/eu/daily, not reports nor reportsx/daily)
 *             | literal                   exactly that resource
 * ```
 *
 * A resource is a workflow's name, an event's name or a task permission's
 * resource, so it may hold any character such a name may (spaces, ":", "/",
 * any script), with three exceptions: no control character (U+0000–U+001F,
 * U+007F), no space at its start or end (almost always a typo in a
 * configuration file), and no lone UTF-16 surrogate (see `assertStorableName`).
 * A literal `*` or backslash inside a resource is written `\*` or `\\`; any
 * other `\` is refused. A `*` anywhere else (`exec*`, `*reports`, `re*ports`) is
 * refused: a wildcard stands alone as a whole part, or as the last segment
 * after a `/`. Matching is exact on each part and case-sensitive (`Read:x`
 * does not match the action `read`); no Unicode normalization is applied.
 *
 * @example
 * ```ts
 * import { parsePermission } from 'weft-sdk'
 * parsePermission('start:reports') // { text: 'start:reports', action: { kind: 'exact', name: 'start' }, resource: { kind: 'exact', name: 'reports' } }
 * parsePermission('*:reports/*').resource // { kind: 'prefix', prefix: 'reports/' }
 * parsePermission('exec*:reports') // throws InvalidPermissionError: invalid permission "exec*:reports": the action "exec*" has a "*" inside a word ...
 * ```
 * @throws `InvalidPermissionError` naming the permission and what is wrong: not a string, empty, too long, no ":",
 * an empty part, a misplaced `*`, a forbidden character, a bad escape.
 */
export function parsePermission(text: unknown): Permission {
  const checked = checkedText(text)
  if (checked === '*') return Object.freeze({ text: checked, action: anyAction, resource: anyResource })
  const colon = checked.indexOf(':')
  if (colon === -1) {
    throw new InvalidPermissionError(checked, `it has no ":" between the action and the resource (write "${checked}:*" for every resource, or "*" for everything)`)
  }
  const action = parseAction(checked, checked.slice(0, colon))
  const resource = parseResource(checked, checked.slice(colon + 1))
  return Object.freeze({ text: checked, action, resource })
}

/**
 * Whether a permission covers `action` on `resource` (both as they are, never
 * patterns): each part matches exactly and case-sensitively, `*` matches any
 * value of its part, a prefix matches a longer resource starting with it.
 *
 * @example
 * ```ts
 * import { parsePermission, permissionMatches } from 'weft-sdk'
 * const execute = parsePermission('execute:*')
 * permissionMatches(execute, 'execute', 'workflows') // true
 * permissionMatches(execute, 'executex', 'workflows') // false
 * ```
 */
export function permissionMatches(permission: Permission, action: string, resource: string): boolean {
  return actionMatches(permission.action, action) && resourceMatches(permission.resource, resource)
}

/**
 * Writes the permission that names exactly `action` on `resource`, escaping a
 * `*` or `\` in the resource so the text parses back to the same resource.
 * Used in denial reasons and diagnostics.
 *
 * @example
 * ```ts
 * import { formatPermission } from 'weft-sdk'
 * formatPermission('read', 'reports') // 'read:reports'
 * formatPermission('read', 'top*') // 'read:top\\*'
 * ```
 */
export function formatPermission(action: string, resource: string): string {
  return `${action}:${resource.replace(/[\\*]/g, (c) => `\\${c}`)}`
}

function actionMatches(pattern: ActionPattern, action: string): boolean {
  return pattern.kind === 'any' || pattern.name === action
}

function resourceMatches(pattern: ResourcePattern, resource: string): boolean {
  if (pattern.kind === 'any') return true
  if (pattern.kind === 'exact') return pattern.name === resource
  return resource.length > pattern.prefix.length && resource.startsWith(pattern.prefix)
}

function checkedText(text: unknown): string {
  if (typeof text !== 'string') throw new InvalidPermissionError(String(text), `it must be a string, got ${text === null ? 'null' : typeof text}`)
  if (text.length === 0) throw new InvalidPermissionError(text, 'it is empty (write "action:resource", e.g. "read:reports")')
  if (text.length > maxPermissionLength) {
    throw new InvalidPermissionError(`${text.slice(0, 40)}…`, `it has ${text.length} characters, more than ${maxPermissionLength}`)
  }
  const control = controlCharacter.exec(text)
  if (control !== null) {
    const code = control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')
    throw new InvalidPermissionError(text, `it contains a control character (U+${code} at index ${control.index})`)
  }
  const storable = storableNameProblem(text)
  if (storable !== undefined) throw new InvalidPermissionError(text, `it contains ${storable}`)
  return text
}

function parseAction(text: string, action: string): ActionPattern {
  if (action.length === 0) throw new InvalidPermissionError(text, 'the action before ":" is empty (write "*" for every action)')
  if (action === '*') return anyAction
  if (action.includes('*')) {
    throw new InvalidPermissionError(text, `the action "${action}" has a "*" inside a word: a wildcard stands alone, as the whole action ("*:…")`)
  }
  for (let i = 0; i < action.length; i++) {
    if (actionCharacter.test(action[i]!)) continue
    if (i === 0 && action[i] === '!') {
      throw new InvalidPermissionError(text, 'a leading "!" marks a deny rule only in a role\'s list of permissions (see Rbac); parsePermission takes the permission alone')
    }
    throw new InvalidPermissionError(text, `the action "${action}" contains ${JSON.stringify(action[i])} at index ${i}: an action is letters, digits, "_", "-" and "."`)
  }
  return Object.freeze({ kind: 'exact', name: action })
}

function parseResource(text: string, resource: string): ResourcePattern {
  if (resource.length === 0) throw new InvalidPermissionError(text, 'the resource after ":" is empty (write "*" for every resource)')
  if (resource === '*') return anyResource
  if (/^\s|\s$/.test(resource)) {
    throw new InvalidPermissionError(text, `the resource "${resource}" ${/^\s/.test(resource) ? 'begins' : 'ends'} with white space: remove it`)
  }
  const isPrefix = resource.endsWith('/*')
  const body = isPrefix ? resource.slice(0, -1) : resource
  const name = unescapedResource(text, body)
  return Object.freeze(isPrefix ? { kind: 'prefix', prefix: name } : { kind: 'exact', name })
}

function unescapedResource(text: string, body: string): string {
  let name = ''
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!
    if (c === '*') {
      throw new InvalidPermissionError(text, `the resource has a "*" inside a word at index ${i}: a wildcard stands alone ("read:*") or as the last segment after "/" ("read:reports/*"); write "\\*" for a literal "*"`)
    }
    if (c !== '\\') {
      name += c
      continue
    }
    const next = body[i + 1]
    if (next !== '*' && next !== '\\') {
      throw new InvalidPermissionError(text, `the resource has a "\\" at index ${i} that escapes nothing: "\\" escapes only "*" and "\\" (write "\\\\" for a backslash)`)
    }
    name += next
    i++
  }
  return name
}
