// Weft's Authorizer: roles → allow and deny permissions (deny wins, deny by default), the object-level rule for an
// operation on an existing run (owner, tenant, or admin of the workflow), and the same rule as a filter for listing runs.
import { createHash } from 'node:crypto'
import { InvalidPermissionError, SecurityConfigError } from '../core/security-errors.js'
import { formatPermission, parsePermission } from './permissions.js'
import type { AccessDecision, AccessRequest, Authorizer, RunOwner } from './ports.js'
import type { Principal } from './principal.js'
import { compileRoles, findRule, type CompiledRole, type CompiledRule, type RoleConfig, type RoleRule } from './rbac-rules.js'

/**
 * The configuration of {@link Rbac}.
 *
 * @example
 * ```ts
 * import type { RbacConfig } from 'weft-sdk'
 * const config: RbacConfig = {
 *   roles: { admin: ['*'], analyst: ['start:reports', 'read:*', '!read:payroll'], viewer: { allow: ['read:*'], deny: ['read:payroll'] } },
 *   shareWithinTenant: true,
 * }
 * ```
 */
export interface RbacConfig {
  /** Role name → its permissions (see `parsePermission` for the grammar). */
  readonly roles: Readonly<Record<string, RoleConfig>>
  /**
   * Whether a principal reaches the runs started by others of its tenant (both must have the same tenant).
   * @defaultValue true
   */
  readonly shareWithinTenant?: boolean
}

/**
 * Which runs of a workflow (or of every workflow) a principal may list, as a
 * filter a store can turn into a query: `all`, `none`, `owned` (runs whose
 * owner's subject is `subject`, or, with `tenant`, whose owner's tenant is
 * `tenant`; never a run without a recorded owner), or `per-workflow` (only
 * without a workflow: the answer differs between workflows, ask per workflow).
 * {@link runInScope} is the same filter as a predicate.
 *
 * @example
 * ```ts
 * import type { RunListScope } from 'weft-sdk'
 * const mine: RunListScope = { kind: 'owned', subject: 'user:ada', tenant: 'acme' }
 * ```
 */
export type RunListScope =
  | {
      /** Every run: the principal may read all of them. */
      readonly kind: 'all'
    }
  | {
      /** No run: the principal may read none of them. */
      readonly kind: 'none'
      /** Why not, for a person: the deny rule that matched, or the permission the principal lacks. */
      readonly reason: string
    }
  | {
      /** Only the runs owned by `subject` (or shared with it through `tenant`); never a run without a recorded owner. */
      readonly kind: 'owned'
      /** The principal's subject: a run whose owner has this subject is in the scope. */
      readonly subject: string
      /** When present (`shareWithinTenant` is on and the principal has a tenant), a run whose owner's tenant is this one is in the scope too. */
      readonly tenant?: string
    }
  | {
      /** No single answer for every workflow: ask `listScope` again with each workflow. */
      readonly kind: 'per-workflow'
    }

/**
 * A principal's effective rules: what its configured roles allow and deny,
 * and which of its roles the configuration does not know (they grant nothing).
 *
 * @example
 * ```ts
 * import type { EffectiveRules } from 'weft-sdk'
 * const none: EffectiveRules = { allow: [], deny: [], unknownRoles: ['ghost'] }
 * ```
 */
export interface EffectiveRules {
  /** The allow rules of the principal's configured roles, in the order of its roles and of each role's list. */
  readonly allow: readonly RoleRule[]
  /** The deny rules (a `!`-prefixed entry, or an entry of a role's `deny` list) of the principal's configured roles, in the same order. */
  readonly deny: readonly RoleRule[]
  /** The principal's roles that the configuration does not define: they grant nothing. */
  readonly unknownRoles: readonly string[]
}

/** A required permission: one action on one resource. */
interface RequiredPermission {
  readonly action: string
  readonly resource: string
}

const allowed: AccessDecision = Object.freeze({ allowed: true })

/**
 * Role-based access control, Weft's {@link Authorizer}. Every permission is
 * parsed when it is constructed; a check is then a few map lookups.
 *
 * The rule of {@link Rbac.authorize}, in order:
 * 1. Deny by default: a principal holds the permissions of its configured
 *    roles; a role the configuration does not know grants nothing.
 * 2. A deny rule of any of its roles that covers `action:resource` wins over
 *    every allow.
 * 3. Otherwise it needs an allow rule covering `action:resource`.
 * 4. For an operation on an existing run (`request.owner` given), RBAC must
 *    allow and the principal must also be the run's owner (same subject), or
 *    share its tenant (both have a tenant and it is the same, unless
 *    `shareWithinTenant: false`), or hold `admin:<resource>` (the workflow's
 *    name; `admin:*` for every workflow; `*` and `*:<resource>` include it). A
 *    run with no recorded owner (started before security was on) is reached
 *    only with `admin:<resource>`.
 *
 * A denial's reason names the missing permission or the deny rule and its
 * role; it never names another principal (the owner of a run is not revealed).
 *
 * @example
 * ```ts
 * import { Rbac, principal } from 'weft-sdk'
 * const rbac = new Rbac({ roles: { admin: ['*'], analyst: ['start:reports', 'read:*'], viewer: { allow: ['read:*'], deny: ['read:payroll'] } } })
 * const ada = principal({ subject: 'user:ada', roles: ['analyst'], tenant: 'acme' })
 * rbac.authorize(ada, { action: 'start', resource: 'reports' }) // { allowed: true }
 * rbac.authorize(ada, { action: 'cancel', resource: 'reports', owner: { subject: 'user:ada' } }) // denied: no "cancel:reports"
 * ```
 * @throws `InvalidPermissionError` (from the constructor) naming a malformed permission and its role;
 * `SecurityConfigError` for a malformed role.
 */
export class Rbac implements Authorizer {
  private readonly roles: ReadonlyMap<string, CompiledRole>
  private readonly shareWithinTenant: boolean
  private readonly required = new Map<string, RequiredPermission>()
  /**
   * The SHA-256 (hex, first 16 characters) of the rules in a canonical form
   * (roles sorted, each role's allow and deny permissions sorted, the tenant
   * sharing): the same rules written in another order have the same fingerprint.
   *
   * @example
   * ```ts
   * import { Rbac } from 'weft-sdk'
   * const a = new Rbac({ roles: { admin: ['*'], clerk: ['read:*', 'start:orders'] } })
   * const b = new Rbac({ roles: { clerk: ['start:orders', 'read:*'], admin: ['*'] } })
   * a.fingerprint === b.fingerprint // true
   * ```
   */
  readonly fingerprint: string

  constructor(config: RbacConfig) {
    if (typeof config !== 'object' || config === null) throw new SecurityConfigError('new Rbac(config): config must be an object with roles')
    const share = config.shareWithinTenant ?? true
    if (typeof share !== 'boolean') throw new SecurityConfigError(`rbac.shareWithinTenant must be a boolean, got ${typeof share}`)
    this.roles = compileRoles(config.roles)
    this.shareWithinTenant = share
    this.fingerprint = rulesFingerprint(this.roles, share)
  }

  /**
   * Whether `principal` may do `request` (see the class for the rule).
   *
   * @example
   * ```ts
   * import { Rbac, principal } from 'weft-sdk'
   * const rbac = new Rbac({ roles: { user: ['read:reports', 'cancel:reports'] } })
   * const bob = principal({ subject: 'user:bob', roles: ['user'] })
   * rbac.authorize(bob, { action: 'cancel', resource: 'reports', owner: { subject: 'user:ada' } }).allowed // false
   * ```
   */
  authorize(principal: Principal, request: AccessRequest): AccessDecision {
    const decision = this.check(principal, request.action, request.resource)
    if (!decision.allowed || request.owner === undefined) return decision
    return this.reachesRun(principal, request.resource, request.owner)
  }

  /**
   * Whether `principal` holds a required permission (`@RequiresPermission('charge:payments')`),
   * with the reason when it does not. The permission names one action and one resource (no wildcard).
   *
   * @example
   * ```ts
   * import { Rbac, principal } from 'weft-sdk'
   * const rbac = new Rbac({ roles: { billing: ['charge:*'] } })
   * rbac.permits(principal({ subject: 'svc:billing', roles: ['billing'] }), 'charge:payments').allowed // true
   * ```
   * @throws `InvalidPermissionError` when the permission is malformed or holds a wildcard.
   */
  permits(principal: Principal, permission: string): AccessDecision {
    const required = this.requiredPermission(permission)
    return this.check(principal, required.action, required.resource)
  }

  /**
   * The rules `principal` holds through its roles, for diagnostics (`weft`
   * commands, logs): allows, denies, and the roles nothing configures.
   *
   * @example
   * ```ts
   * import { Rbac, principal } from 'weft-sdk'
   * const rbac = new Rbac({ roles: { viewer: ['read:*', '!read:payroll'] } })
   * rbac.rulesOf(principal({ subject: 'user:eve', roles: ['viewer', 'ghost'] }))
   * // { allow: [{ role: 'viewer', effect: 'allow', permission: 'read:*' }], deny: [{ ..., permission: 'read:payroll' }], unknownRoles: ['ghost'] }
   * ```
   */
  rulesOf(principal: Principal): EffectiveRules {
    const rules = principal.roles.flatMap((role) => this.roles.get(role)?.rules ?? [])
    const plain = (rule: CompiledRule): RoleRule => ({ role: rule.role, effect: rule.effect, permission: rule.permission })
    return {
      allow: rules.filter((rule) => rule.effect === 'allow').map(plain),
      deny: rules.filter((rule) => rule.effect === 'deny').map(plain),
      unknownRoles: principal.roles.filter((role) => !this.roles.has(role)),
    }
  }

  /**
   * Which runs `principal` may list: of `workflow`, or of every workflow when
   * it is omitted. A run is in the scope exactly when `authorize` allows
   * `read` on it (see {@link runInScope}).
   *
   * @example
   * ```ts
   * import { Rbac, principal } from 'weft-sdk'
   * const rbac = new Rbac({ roles: { analyst: ['read:reports'], auditor: ['read:*', 'admin:*'] } })
   * rbac.listScope(principal({ subject: 'user:ada', roles: ['analyst'], tenant: 'acme' }), 'reports') // { kind: 'owned', subject: 'user:ada', tenant: 'acme' }
   * rbac.listScope(principal({ subject: 'user:aud', roles: ['auditor'] })) // { kind: 'all' }
   * ```
   */
  listScope(principal: Principal, workflow?: string): RunListScope {
    if (workflow !== undefined) return this.workflowScope(principal, workflow)
    const read = this.uniformDecision(principal, 'read')
    if (read === 'denied') return { kind: 'none', reason: `no permission "read:*": it may read no workflow's runs` }
    const admin = this.uniformDecision(principal, 'admin')
    if (read === 'mixed' || admin === 'mixed') return { kind: 'per-workflow' }
    return admin === 'allowed' ? { kind: 'all' } : this.ownedScope(principal)
  }

  private workflowScope(principal: Principal, workflow: string): RunListScope {
    const read = this.check(principal, 'read', workflow)
    if (!read.allowed) return { kind: 'none', reason: read.reason }
    return this.check(principal, 'admin', workflow).allowed ? { kind: 'all' } : this.ownedScope(principal)
  }

  private ownedScope(principal: Principal): RunListScope {
    const tenant = this.shareWithinTenant ? principal.tenant : undefined
    return tenant === undefined ? { kind: 'owned', subject: principal.subject } : { kind: 'owned', subject: principal.subject, tenant }
  }

  /** RBAC alone: deny rules of every role first, then an allow of any role. */
  private check(principal: Principal, action: string, resource: string): AccessDecision {
    let allow: CompiledRule | undefined
    for (const role of principal.roles) {
      const compiled = this.roles.get(role)
      if (compiled === undefined) continue
      const deny = findRule(compiled.deny, action, resource)
      if (deny !== undefined) return denied(`deny rule "${deny.permission}" of role "${deny.role}" matches "${formatPermission(action, resource)}"`)
      allow ??= findRule(compiled.allow, action, resource)
    }
    return allow !== undefined ? allowed : denied(this.missing(principal, formatPermission(action, resource)))
  }

  private missing(principal: Principal, permission: string): string {
    if (principal.roles.length === 0) return `no permission "${permission}": it holds no role (deny by default)`
    const roles = principal.roles.map((role) => (this.roles.has(role) ? `"${role}"` : `"${role}" (not configured)`))
    return `no permission "${permission}" in its roles ${roles.join(', ')}`
  }

  /** The object-level rule, after RBAC allowed the operation itself. */
  private reachesRun(principal: Principal, workflow: string, owner: RunOwner): AccessDecision {
    if (owner.subject !== undefined) {
      if (owner.subject === principal.subject) return allowed
      if (this.shareWithinTenant && principal.tenant !== undefined && owner.tenant === principal.tenant) return allowed
    }
    const admin = this.check(principal, 'admin', workflow)
    if (admin.allowed) return allowed
    const whose = owner.subject === undefined ? 'the run has no recorded owner (started before security was on)' : this.notShared(principal)
    return denied(`${whose}, and ${admin.reason.replace(/^no permission/, 'it holds no permission')}`)
  }

  private notShared(principal: Principal): string {
    if (!this.shareWithinTenant || principal.tenant === undefined) return 'the run belongs to another principal'
    return 'the run belongs to another principal outside its tenant'
  }

  /** Whether `action` is allowed on every resource, on none, or on some (conservative: `mixed` when unsure). */
  private uniformDecision(principal: Principal, action: string): 'allowed' | 'denied' | 'mixed' {
    const rules = principal.roles.flatMap((role) => this.roles.get(role)?.rules ?? [])
    const covering = rules.filter((rule) => rule.parsed.action.kind === 'any' || rule.parsed.action.name === action)
    const denies = covering.filter((rule) => rule.effect === 'deny')
    if (denies.some((rule) => rule.parsed.resource.kind === 'any')) return 'denied'
    const allows = covering.filter((rule) => rule.effect === 'allow')
    if (allows.length === 0) return 'denied'
    if (denies.length > 0) return 'mixed'
    return allows.some((rule) => rule.parsed.resource.kind === 'any') ? 'allowed' : 'mixed'
  }

  /** A required permission parsed once (cached; the cache is emptied past 4,096 distinct texts). */
  private requiredPermission(text: string): RequiredPermission {
    const cached = this.required.get(text)
    if (cached !== undefined) return cached
    const { action, resource } = parsePermission(text)
    if (action.kind !== 'exact' || resource.kind !== 'exact') {
      throw new InvalidPermissionError(text, 'a required permission names one action and one resource: wildcards are for roles')
    }
    if (this.required.size >= 4096) this.required.clear()
    const required = { action: action.name, resource: resource.name }
    this.required.set(text, required)
    return required
  }
}

/**
 * Whether a run whose owner is `owner` is in a list scope: the predicate a
 * store without a query language (the memory store) filters with, and the
 * meaning of each scope for one that has one.
 *
 * @example
 * ```ts
 * import { runInScope } from 'weft-sdk'
 * runInScope({ kind: 'owned', subject: 'user:ada', tenant: 'acme' }, { subject: 'user:bob', tenant: 'acme' }) // true
 * runInScope({ kind: 'owned', subject: 'user:ada' }, undefined) // false: a run without a recorded owner
 * ```
 * @throws `SecurityConfigError` for `per-workflow`, which names no run: ask `listScope` per workflow.
 */
export function runInScope(scope: RunListScope, owner: RunOwner | undefined): boolean {
  switch (scope.kind) {
    case 'all':
      return true
    case 'none':
      return false
    case 'owned':
      return owner?.subject !== undefined && (owner.subject === scope.subject || (scope.tenant !== undefined && owner.tenant === scope.tenant))
    case 'per-workflow':
      throw new SecurityConfigError('a per-workflow list scope decides no run: call rbac.listScope(principal, workflow) for the run\'s workflow')
  }
}

function denied(reason: string): AccessDecision {
  return { allowed: false, reason }
}

/** The digest of compiled roles in a canonical form (see {@link Rbac.fingerprint}). */
function rulesFingerprint(roles: ReadonlyMap<string, CompiledRole>, shareWithinTenant: boolean): string {
  const canonical = [...roles.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([role, compiled]) => {
      const of = (effect: 'allow' | 'deny') => compiled.rules.filter((rule) => rule.effect === effect).map((rule) => rule.permission).sort()
      return [role, of('allow'), of('deny')]
    })
  return createHash('sha256').update(JSON.stringify({ roles: canonical, shareWithinTenant })).digest('hex').slice(0, 16)
}
