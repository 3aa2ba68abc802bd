/**
 * The permission grammar (src/security/permissions.ts): what each form parses
 * to, the wildcard matching table, and the exact refusal for each malformed form.
 */
import { describe, expect, it } from 'vitest'
import { InvalidPermissionError } from '../../src/core/security-errors.js'
import { formatPermission, maxPermissionLength, parsePermission, permissionMatches } from '../../src/security/permissions.js'

/** The refusal `parsePermission(text)` throws. */
function refusal(text: unknown): InvalidPermissionError {
  try {
    parsePermission(text)
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidPermissionError)
    expect((error as InvalidPermissionError).code).toBe('WEFT_INVALID_PERMISSION')
    return error as InvalidPermissionError
  }
  throw new Error(`parsePermission(${JSON.stringify(text)}) did not throw`)
}

describe('parsePermission: the parsed form', () => {
  it('parses action:resource into two exact parts and keeps the text', () => {
    expect(parsePermission('start:reports')).toEqual({ text: 'start:reports', action: { kind: 'exact', name: 'start' }, resource: { kind: 'exact', name: 'reports' } })
  })

  it('reads "*" alone as every action on every resource', () => {
    expect(parsePermission('*')).toEqual({ text: '*', action: { kind: 'any' }, resource: { kind: 'any' } })
    expect(parsePermission('*:*')).toMatchObject({ action: { kind: 'any' }, resource: { kind: 'any' } })
  })

  it('reads a trailing "/*" as a prefix wildcard', () => {
    expect(parsePermission('read:reports/*').resource).toEqual({ kind: 'prefix', prefix: 'reports/' })
    expect(parsePermission('read:eu/reports/*').resource).toEqual({ kind: 'prefix', prefix: 'eu/reports/' })
  })

  it('splits at the first ":" so a resource may hold ":"', () => {
    expect(parsePermission('emit:order:paid').resource).toEqual({ kind: 'exact', name: 'order:paid' })
  })

  it('accepts the characters workflow names may hold in a resource: spaces inside, "/", any script, emoji', () => {
    for (const name of ['monthly reports', 'billing/charge', 'rapports-été', '報告', 'deploy 🚀', 'a.b_c-d', 'q?x=1&y=#']) {
      expect(parsePermission(`start:${name}`).resource).toEqual({ kind: 'exact', name })
    }
  })

  it('reads "\\*" and "\\\\" as a literal "*" and backslash in a resource', () => {
    expect(parsePermission('read:top\\*').resource).toEqual({ kind: 'exact', name: 'top*' })
    expect(parsePermission('read:a\\\\b').resource).toEqual({ kind: 'exact', name: 'a\\b' })
    expect(parsePermission('read:a\\\\/*').resource).toEqual({ kind: 'prefix', prefix: 'a\\/' })
  })

  it('returns a frozen form', () => {
    const permission = parsePermission('read:reports/*')
    expect(Object.isFrozen(permission)).toBe(true)
    expect(Object.isFrozen(permission.action)).toBe(true)
    expect(Object.isFrozen(permission.resource)).toBe(true)
  })

  it('formats a permission that parses back to the same action and resource', () => {
    for (const resource of ['reports', 'top*', 'a\\b', 'x/*', 'order:paid']) {
      const text = formatPermission('read', resource)
      expect(parsePermission(text).resource).toEqual({ kind: 'exact', name: resource })
    }
  })
})

describe('permissionMatches: the wildcard table', () => {
  const table: ReadonlyArray<readonly [permission: string, action: string, resource: string, matches: boolean]> = [
    ['execute:*', 'execute', 'workflows', true],
    ['execute:*', 'executex', 'workflows', false],
    ['execute:*', 'execut', 'workflows', false],
    ['execute:*', 'Execute', 'workflows', false],
    ['execute:workflows', 'execute', 'workflows', true],
    ['execute:workflows', 'execute', 'workflowsx', false],
    ['execute:workflows', 'execute', 'workflow', false],
    ['execute:workflows', 'execute', 'Workflows', false],
    ['*:reports', 'read', 'reports', true],
    ['*:reports', 'admin', 'reports', true],
    ['*:reports', 'read', 'reports2', false],
    ['*:reports', 'read', 'reports/daily', false],
    ['*', 'anything', 'at all', true],
    ['*:*', 'admin', 'payroll', true],
    ['read:reports/*', 'read', 'reports/daily', true],
    ['read:reports/*', 'read', 'reports/eu/daily', true],
    ['read:reports/*', 'read', 'reports', false],
    ['read:reports/*', 'read', 'reports/', false],
    ['read:reports/*', 'read', 'reportsx/daily', false],
    ['read:reports/*', 'read', 'eu/reports/daily', false],
    ['read:reports/*', 'start', 'reports/daily', false],
    ['read:top\\*', 'read', 'top*', true],
    ['read:top\\*', 'read', 'top', false],
    ['read:top\\*', 'read', 'topx', false],
    ['emit:order:paid', 'emit', 'order:paid', true],
    ['emit:order:paid', 'emit', 'order', false],
  ]
  it.each(table)('%s on (%s, %s) → %s', (permission, action, resource, matches) => {
    expect(permissionMatches(parsePermission(permission), action, resource)).toBe(matches)
  })
})

describe('parsePermission: refusals name the permission and what is wrong', () => {
  const table: ReadonlyArray<readonly [text: string, message: string]> = [
    ['', 'invalid permission "": it is empty (write "action:resource", e.g. "read:reports")'],
    ['read', 'invalid permission "read": it has no ":" between the action and the resource (write "read:*" for every resource, or "*" for everything)'],
    [':reports', 'invalid permission ":reports": the action before ":" is empty (write "*" for every action)'],
    ['read:', 'invalid permission "read:": the resource after ":" is empty (write "*" for every resource)'],
    ['exec*:reports', 'invalid permission "exec*:reports": the action "exec*" has a "*" inside a word: a wildcard stands alone, as the whole action ("*:…")'],
    ['**:reports', 'invalid permission "**:reports": the action "**" has a "*" inside a word: a wildcard stands alone, as the whole action ("*:…")'],
    ['re ad:reports', 'invalid permission "re ad:reports": the action "re ad" contains " " at index 2: an action is letters, digits, "_", "-" and "."'],
    ['rëad:reports', 'invalid permission "rëad:reports": the action "rëad" contains "ë" at index 1: an action is letters, digits, "_", "-" and "."'],
    ['!read:payroll', 'invalid permission "!read:payroll": a leading "!" marks a deny rule only in a role\'s list of permissions (see Rbac); parsePermission takes the permission alone'],
    ['read:reports*', 'invalid permission "read:reports*": the resource has a "*" inside a word at index 7: a wildcard stands alone ("read:*") or as the last segment after "/" ("read:reports/*"); write "\\*" for a literal "*"'],
    ['read:*reports', 'invalid permission "read:*reports": the resource has a "*" inside a word at index 0: a wildcard stands alone ("read:*") or as the last segment after "/" ("read:reports/*"); write "\\*" for a literal "*"'],
    ['read:a/*/b', 'invalid permission "read:a/*/b": the resource has a "*" inside a word at index 2: a wildcard stands alone ("read:*") or as the last segment after "/" ("read:reports/*"); write "\\*" for a literal "*"'],
    ['read:reports/**', 'invalid permission "read:reports/**": the resource has a "*" inside a word at index 8: a wildcard stands alone ("read:*") or as the last segment after "/" ("read:reports/*"); write "\\*" for a literal "*"'],
    ['read:a\\b', 'invalid permission "read:a\\b": the resource has a "\\" at index 1 that escapes nothing: "\\" escapes only "*" and "\\" (write "\\\\" for a backslash)'],
    ['read:a\\', 'invalid permission "read:a\\": the resource has a "\\" at index 1 that escapes nothing: "\\" escapes only "*" and "\\" (write "\\\\" for a backslash)'],
    ['read: reports', 'invalid permission "read: reports": the resource " reports" begins with white space: remove it'],
    ['read:reports ', 'invalid permission "read:reports ": the resource "reports " ends with white space: remove it'],
    ['read:rep\torts', 'invalid permission "read:rep\torts": it contains a control character (U+0009 at index 8)'],
    ['read:reports\n', 'invalid permission "read:reports\n": it contains a control character (U+000A at index 12)'],
    ['read:x\u0000', 'invalid permission "read:x\u0000": it contains a control character (U+0000 at index 6)'],
    ['read:x\uD800', 'invalid permission "read:x\uD800": it contains a lone UTF-16 surrogate (\\uD800 at index 6), which a database keeps as UTF-8 and would read back as another name'],
  ]
  it.each(table)('refuses %j', (text, message) => {
    const error = refusal(text)
    expect(error.message).toBe(message)
    expect(error.permission).toBe(text)
  })

  it('refuses a permission longer than the limit, quoting only its start', () => {
    const text = `read:${'r'.repeat(maxPermissionLength)}`
    const error = refusal(text)
    expect(error.message).toBe(`invalid permission "read:${'r'.repeat(35)}…": it has ${maxPermissionLength + 5} characters, more than ${maxPermissionLength}`)
  })

  it('accepts a permission of exactly the limit', () => {
    const text = `read:${'r'.repeat(maxPermissionLength - 5)}`
    expect(parsePermission(text).text).toBe(text)
  })

  it('refuses a value that is not a string', () => {
    expect(refusal(42).message).toBe('invalid permission "42": it must be a string, got number')
    expect(refusal(null).message).toBe('invalid permission "null": it must be a string, got null')
    expect(refusal(undefined).message).toBe('invalid permission "undefined": it must be a string, got undefined')
  })
})
