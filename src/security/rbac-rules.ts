// The compiled form of an Rbac configuration: each role's allow and deny permissions parsed once and indexed by
// action, then by resource (exact, prefix, any), so a check is a few map lookups with no parsing.
import { InvalidPermissionError, SecurityConfigError } from '../core/security-errors.js'
import { maxPrincipalFieldLength } from './principal.js'
import { parsePermission, type Permission } from './permissions.js'

/**
 * One role's permissions in an `RbacConfig`: a list (where `!` before a
 * permission makes it a deny rule), or allow and deny lists.
 *
 * @example
 * ```ts
 * import type { RoleConfig } from 'weft-sdk'
 * const analyst: RoleConfig = ['start:reports', 'read:*', '!read:payroll']
 * const viewer: RoleConfig = { allow: ['read:*'], deny: ['read:payroll'] }
 * ```
 */
export type RoleConfig =
  | readonly string[]
  | {
      /** The permissions the role allows (without `!`). @defaultValue none */
      readonly allow?: readonly string[]
      /** The permissions the role denies (without `!`); a deny of any of a principal's roles wins over every allow. @defaultValue none */
      readonly deny?: readonly string[]
    }

/**
 * A permission of a role, as the configuration wrote it: for diagnostics and denial reasons.
 *
 * @example
 * ```ts
 * import type { RoleRule } from 'weft-sdk'
 * const rule: RoleRule = { role: 'viewer', effect: 'deny', permission: 'read:payroll' }
 * ```
 */
export interface RoleRule {
  /** The role that holds it. */
  readonly role: string
  /** Whether it allows or denies. */
  readonly effect: 'allow' | 'deny'
  /** The permission as written (without the `!` of an inline deny). */
  readonly permission: string
}

/** A role's rule with its parsed permission. */
export interface CompiledRule extends RoleRule {
  readonly parsed: Permission
}

/** The rules of one effect, indexed: action (or `*`) → resource index. */
export interface RuleIndex {
  readonly byAction: ReadonlyMap<string, ResourceIndex>
  readonly anyAction: ResourceIndex | undefined
}

/** The rules of one action, indexed by resource. */
export interface ResourceIndex {
  readonly any: CompiledRule | undefined
  readonly exact: ReadonlyMap<string, CompiledRule>
  /** Prefix (ending in `/`) → rule. */
  readonly prefixes: ReadonlyMap<string, CompiledRule>
}

/** A role compiled: its rules in order, and the allow and deny indexes. */
export interface CompiledRole {
  readonly rules: readonly CompiledRule[]
  readonly allow: RuleIndex
  readonly deny: RuleIndex
}

/** Compiles every role of a configuration; throws on the first malformed role or permission, naming it. */
export function compileRoles(roles: unknown): ReadonlyMap<string, CompiledRole> {
  if (typeof roles !== 'object' || roles === null || Array.isArray(roles)) {
    throw new SecurityConfigError('rbac.roles must be an object of role name → permissions, e.g. { admin: ["*"] }')
  }
  const compiled = new Map<string, CompiledRole>()
  for (const [role, config] of Object.entries(roles)) compiled.set(checkedRoleName(role), compileRole(role, config))
  return compiled
}

/** The first rule of `index` that covers `action` on `resource`: an exact action before `*`, exact resource before prefixes before `*`. */
export function findRule(index: RuleIndex, action: string, resource: string): CompiledRule | undefined {
  const forAction = index.byAction.get(action)
  const exact = forAction === undefined ? undefined : findResource(forAction, resource)
  if (exact !== undefined || index.anyAction === undefined) return exact
  return findResource(index.anyAction, resource)
}

function findResource(index: ResourceIndex, resource: string): CompiledRule | undefined {
  const exact = index.exact.get(resource)
  if (exact !== undefined) return exact
  if (index.prefixes.size > 0) {
    for (let slash = resource.indexOf('/'); slash !== -1 && slash < resource.length - 1; slash = resource.indexOf('/', slash + 1)) {
      const rule = index.prefixes.get(resource.slice(0, slash + 1))
      if (rule !== undefined) return rule
    }
  }
  return index.any
}

function checkedRoleName(role: string): string {
  if (role.length === 0 || role.length > maxPrincipalFieldLength || /[\u0000-\u001f\u007f]/.test(role)) {
    throw new SecurityConfigError(`role name ${JSON.stringify(role)} must be a non-empty string of at most ${maxPrincipalFieldLength} characters without control characters`)
  }
  return role
}

function compileRole(role: string, config: unknown): CompiledRole {
  const rules = roleRules(role, config)
  return Object.freeze({
    rules: Object.freeze(rules),
    allow: indexRules(rules.filter((rule) => rule.effect === 'allow')),
    deny: indexRules(rules.filter((rule) => rule.effect === 'deny')),
  })
}

function roleRules(role: string, config: unknown): CompiledRule[] {
  if (Array.isArray(config)) return config.map((text, i) => inlineRule(role, text, `[${i}]`))
  if (typeof config !== 'object' || config === null) {
    throw new SecurityConfigError(`role "${role}" must be a list of permissions or { allow, deny }, got ${config === null ? 'null' : typeof config}`)
  }
  const unknownKey = Object.keys(config).find((key) => key !== 'allow' && key !== 'deny')
  if (unknownKey !== undefined) throw new SecurityConfigError(`role "${role}" has an unknown key "${unknownKey}": a role is { allow, deny }`)
  const { allow = [], deny = [] } = config as { allow?: unknown; deny?: unknown }
  return [...listedRules(role, 'allow', allow), ...listedRules(role, 'deny', deny)]
}

function listedRules(role: string, effect: 'allow' | 'deny', list: unknown): CompiledRule[] {
  if (!Array.isArray(list)) throw new SecurityConfigError(`role "${role}": ${effect} must be a list of permissions, got ${typeof list}`)
  return list.map((text, i) => {
    if (typeof text === 'string' && text.startsWith('!')) {
      const hint = effect === 'deny' ? 'a deny list takes permissions without "!"' : 'write it in deny, or in a plain list'
      throw new InvalidPermissionError(text, `a leading "!" is for a role written as a plain list; ${hint} (role "${role}", ${effect}[${i}])`)
    }
    return parsedRule(role, effect, text, `${effect}[${i}]`)
  })
}

function inlineRule(role: string, text: unknown, where: string): CompiledRule {
  const deny = typeof text === 'string' && text.startsWith('!')
  return parsedRule(role, deny ? 'deny' : 'allow', deny ? (text as string).slice(1) : text, where)
}

function parsedRule(role: string, effect: 'allow' | 'deny', text: unknown, where: string): CompiledRule {
  try {
    const parsed = parsePermission(text)
    return Object.freeze({ role, effect, permission: parsed.text, parsed })
  } catch (error) {
    if (!(error instanceof InvalidPermissionError)) throw error
    throw new InvalidPermissionError(error.permission, `${error.problem} (role "${role}", ${where})`)
  }
}

function indexRules(rules: readonly CompiledRule[]): RuleIndex {
  const byAction = new Map<string, MutableResourceIndex>()
  let anyAction: MutableResourceIndex | undefined
  for (const rule of rules) {
    const action = rule.parsed.action
    const target = action.kind === 'any' ? (anyAction ??= emptyResourceIndex()) : resourceIndexFor(byAction, action.name)
    addResource(target, rule)
  }
  return Object.freeze({ byAction, anyAction })
}

interface MutableResourceIndex {
  any: CompiledRule | undefined
  readonly exact: Map<string, CompiledRule>
  readonly prefixes: Map<string, CompiledRule>
}

function emptyResourceIndex(): MutableResourceIndex {
  return { any: undefined, exact: new Map(), prefixes: new Map() }
}

function resourceIndexFor(byAction: Map<string, MutableResourceIndex>, action: string): MutableResourceIndex {
  const existing = byAction.get(action)
  if (existing !== undefined) return existing
  const created = emptyResourceIndex()
  byAction.set(action, created)
  return created
}

function addResource(index: MutableResourceIndex, rule: CompiledRule): void {
  const resource = rule.parsed.resource
  if (resource.kind === 'any') index.any ??= rule
  else if (resource.kind === 'exact') setIfAbsent(index.exact, resource.name, rule)
  else setIfAbsent(index.prefixes, resource.prefix, rule)
}

function setIfAbsent(map: Map<string, CompiledRule>, key: string, rule: CompiledRule): void {
  if (!map.has(key)) map.set(key, rule)
}
