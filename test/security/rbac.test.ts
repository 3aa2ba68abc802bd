/**
 * Weft's RBAC authorizer (src/security/rbac.ts): configuration refused at
 * construction, deny by default, deny rules winning, the object-level rule on
 * existing runs (own, tenant, other tenant, ownerless, admin), required
 * permissions, effective rules, and list scopes agreeing with `authorize`.
 */
import { describe, expect, it } from 'vitest'
import { InvalidPermissionError, SecurityConfigError } from '../../src/core/security-errors.js'
import { principal, type Principal } from '../../src/security/principal.js'
import type { AccessDecision, RunOwner } from '../../src/security/ports.js'
import { Rbac, runInScope, type RbacConfig } from '../../src/security/rbac.js'

const config: RbacConfig = {
  roles: {
    admin: ['*'],
    analyst: ['start:reports', 'read:*', 'cancel:reports', 'signal:reports'],
    viewer: { allow: ['read:*'], deny: ['read:payroll'] },
    auditor: ['read:*', 'admin:*', '!admin:payroll'],
    'reports-admin': ['*:reports', '*:reports/*'],
    muted: ['!*'],
  },
}
const rbac = new Rbac(config)

const ada = principal({ subject: 'user:ada', roles: ['analyst'], tenant: 'acme' })
const bob = principal({ subject: 'user:bob', roles: ['analyst'], tenant: 'acme' })
const eve = principal({ subject: 'user:eve', roles: ['analyst'], tenant: 'globex' })
const loner = principal({ subject: 'user:lou', roles: ['analyst'] })

/** The reason of a denial (fails the test when it was allowed). */
function reasonOf(decision: AccessDecision): string {
  expect(decision.allowed).toBe(false)
  return decision.allowed ? '' : decision.reason
}

/** The error `new Rbac(config)` throws. */
function configRefusal(bad: unknown): Error {
  try {
    new Rbac(bad as RbacConfig)
  } catch (error) {
    return error as Error
  }
  throw new Error('new Rbac(...) did not throw')
}

describe('Rbac: configuration is checked at construction', () => {
  it('refuses a malformed permission in a plain list, naming it and its role', () => {
    const error = configRefusal({ roles: { ops: ['read:*', 'exec*:reports'] } })
    expect(error).toBeInstanceOf(InvalidPermissionError)
    expect((error as InvalidPermissionError).permission).toBe('exec*:reports')
    expect(error.message).toBe('invalid permission "exec*:reports": the action "exec*" has a "*" inside a word: a wildcard stands alone, as the whole action ("*:…") (role "ops", [1])')
  })

  it('refuses a malformed inline deny, naming it without its "!"', () => {
    const error = configRefusal({ roles: { ops: ['!read'] } })
    expect(error).toBeInstanceOf(InvalidPermissionError)
    expect(error.message).toBe('invalid permission "read": it has no ":" between the action and the resource (write "read:*" for every resource, or "*" for everything) (role "ops", [0])')
  })

  it('refuses a malformed permission in a deny list, naming its role and place', () => {
    const error = configRefusal({ roles: { viewer: { allow: ['read:*'], deny: ['read:'] } } })
    expect(error).toBeInstanceOf(InvalidPermissionError)
    expect(error.message).toBe('invalid permission "read:": the resource after ":" is empty (write "*" for every resource) (role "viewer", deny[0])')
  })

  it('refuses a "!" inside allow and deny lists', () => {
    expect(configRefusal({ roles: { v: { deny: ['!read:x'] } } }).message).toBe('invalid permission "!read:x": a leading "!" is for a role written as a plain list; a deny list takes permissions without "!" (role "v", deny[0])')
    expect(configRefusal({ roles: { v: { allow: ['!read:x'] } } }).message).toBe('invalid permission "!read:x": a leading "!" is for a role written as a plain list; write it in deny, or in a plain list (role "v", allow[0])')
  })

  it('refuses a permission that is not a string', () => {
    const error = configRefusal({ roles: { ops: [42] } })
    expect(error).toBeInstanceOf(InvalidPermissionError)
    expect(error.message).toBe('invalid permission "42": it must be a string, got number (role "ops", [0])')
  })

  it('refuses malformed roles with a SecurityConfigError', () => {
    const cases: ReadonlyArray<readonly [unknown, string]> = [
      [undefined, 'security configuration: new Rbac(config): config must be an object with roles'],
      [{}, 'security configuration: rbac.roles must be an object of role name → permissions, e.g. { admin: ["*"] }'],
      [{ roles: ['admin'] }, 'security configuration: rbac.roles must be an object of role name → permissions, e.g. { admin: ["*"] }'],
      [{ roles: { ops: 'read:*' } }, 'security configuration: role "ops" must be a list of permissions or { allow, deny }, got string'],
      [{ roles: { ops: null } }, 'security configuration: role "ops" must be a list of permissions or { allow, deny }, got null'],
      [{ roles: { ops: { allow: ['read:*'], denied: ['read:x'] } } }, 'security configuration: role "ops" has an unknown key "denied": a role is { allow, deny }'],
      [{ roles: { ops: { allow: 'read:*' } } }, 'security configuration: role "ops": allow must be a list of permissions, got string'],
      [{ roles: { '': ['read:*'] } }, 'security configuration: role name "" must be a non-empty string of at most 256 characters without control characters'],
      [{ roles: { ops: ['read:*'] }, shareWithinTenant: 'yes' }, 'security configuration: rbac.shareWithinTenant must be a boolean, got string'],
    ]
    for (const [bad, message] of cases) {
      const error = configRefusal(bad)
      expect(error).toBeInstanceOf(SecurityConfigError)
      expect(error.message).toBe(message)
    }
  })
})

describe('Rbac: deny by default', () => {
  it('denies a principal with no role, naming the missing permission', () => {
    const nobody = principal({ subject: 'user:nobody' })
    expect(reasonOf(rbac.authorize(nobody, { action: 'read', resource: 'reports' }))).toBe('no permission "read:reports": it holds no role (deny by default)')
  })

  it('grants nothing through a role the configuration does not know', () => {
    const ghost = principal({ subject: 'user:ghost', roles: ['ghost', 'constructor', '__proto__'] })
    expect(reasonOf(rbac.authorize(ghost, { action: 'read', resource: 'reports' }))).toBe(
      'no permission "read:reports" in its roles "ghost" (not configured), "constructor" (not configured), "__proto__" (not configured)',
    )
  })

  it('denies an action no role grants, naming the permission and the roles', () => {
    const both = principal({ subject: 'user:ada', roles: ['viewer', 'ghost'] })
    expect(reasonOf(rbac.authorize(both, { action: 'start', resource: 'reports' }))).toBe('no permission "start:reports" in its roles "viewer", "ghost" (not configured)')
  })

  it('allows what a role grants', () => {
    expect(rbac.authorize(ada, { action: 'start', resource: 'reports' })).toEqual({ allowed: true })
    expect(rbac.authorize(ada, { action: 'read', resource: 'anything' })).toEqual({ allowed: true })
    expect(rbac.authorize(ada, { action: 'start', resource: 'payroll' }).allowed).toBe(false)
  })

  it('lets "*" allow every action on every resource', () => {
    const root = principal({ subject: 'user:root', roles: ['admin'] })
    for (const [action, resource] of [['start', 'payroll'], ['admin', 'x'], ['charge', 'payments'], ['emit', 'order:paid']] as const) {
      expect(rbac.authorize(root, { action, resource }).allowed).toBe(true)
    }
  })

  it('matches action and resource case-sensitively', () => {
    expect(rbac.authorize(ada, { action: 'Start', resource: 'reports' }).allowed).toBe(false)
    expect(rbac.authorize(ada, { action: 'start', resource: 'Reports' }).allowed).toBe(false)
  })

  it('covers a prefix with "*:reports/*" and not the sibling names', () => {
    const chief = principal({ subject: 'user:chief', roles: ['reports-admin'] })
    expect(rbac.authorize(chief, { action: 'cancel', resource: 'reports/eu/daily' }).allowed).toBe(true)
    expect(rbac.authorize(chief, { action: 'cancel', resource: 'reports' }).allowed).toBe(true)
    expect(rbac.authorize(chief, { action: 'cancel', resource: 'reportsx' }).allowed).toBe(false)
    expect(rbac.authorize(chief, { action: 'cancel', resource: 'eu/reports/daily' }).allowed).toBe(false)
  })
})

describe('Rbac: deny rules win', () => {
  it('denies within the role that also allows, naming the rule and its role', () => {
    const viewer = principal({ subject: 'user:v', roles: ['viewer'] })
    expect(rbac.authorize(viewer, { action: 'read', resource: 'reports' }).allowed).toBe(true)
    expect(reasonOf(rbac.authorize(viewer, { action: 'read', resource: 'payroll' }))).toBe('deny rule "read:payroll" of role "viewer" matches "read:payroll"')
  })

  it('denies when one role allows and another denies, in either order', () => {
    for (const roles of [['admin', 'viewer'], ['viewer', 'admin']]) {
      const both = principal({ subject: 'user:both', roles })
      expect(reasonOf(rbac.authorize(both, { action: 'read', resource: 'payroll' }))).toBe('deny rule "read:payroll" of role "viewer" matches "read:payroll"')
      expect(rbac.authorize(both, { action: 'start', resource: 'payroll' }).allowed).toBe(true)
    }
  })

  it('lets a deny of "*" deny everything whatever else is held', () => {
    const muted = principal({ subject: 'user:m', roles: ['admin', 'muted'] })
    expect(reasonOf(rbac.authorize(muted, { action: 'read', resource: 'reports' }))).toBe('deny rule "*" of role "muted" matches "read:reports"')
  })

  it('names a resource with "*" or "\\" escaped in a reason', () => {
    const nobody = principal({ subject: 'user:n', roles: ['viewer'] })
    expect(reasonOf(rbac.authorize(nobody, { action: 'start', resource: 'top*' }))).toBe('no permission "start:top\\*" in its roles "viewer"')
  })
})

describe('Rbac: the object-level rule on an existing run', () => {
  const run = (owner: RunOwner) => ({ action: 'cancel', resource: 'reports', owner })

  it('lets a principal act on its own run', () => {
    expect(rbac.authorize(ada, run({ subject: 'user:ada', tenant: 'acme' }))).toEqual({ allowed: true })
    expect(rbac.authorize(loner, run({ subject: 'user:lou' }))).toEqual({ allowed: true })
  })

  it('lets a principal act on a run of its tenant', () => {
    expect(rbac.authorize(bob, run({ subject: 'user:ada', tenant: 'acme' }))).toEqual({ allowed: true })
  })

  it('denies a run of another tenant without naming its owner', () => {
    const reason = reasonOf(rbac.authorize(eve, run({ subject: 'user:ada', tenant: 'acme' })))
    expect(reason).toBe('the run belongs to another principal outside its tenant, and it holds no permission "admin:reports" in its roles "analyst"')
    expect(reason).not.toContain('user:ada')
  })

  it('denies another principal\'s run when either side has no tenant', () => {
    expect(reasonOf(rbac.authorize(loner, run({ subject: 'user:ada' })))).toBe('the run belongs to another principal, and it holds no permission "admin:reports" in its roles "analyst"')
    expect(rbac.authorize(loner, run({ subject: 'user:ada', tenant: 'acme' })).allowed).toBe(false)
    expect(rbac.authorize(ada, run({ subject: 'user:lou' })).allowed).toBe(false)
  })

  it('does not share within a tenant when shareWithinTenant is false', () => {
    const strict = new Rbac({ ...config, shareWithinTenant: false })
    expect(reasonOf(strict.authorize(bob, run({ subject: 'user:ada', tenant: 'acme' })))).toBe('the run belongs to another principal, and it holds no permission "admin:reports" in its roles "analyst"')
    expect(strict.authorize(ada, run({ subject: 'user:ada', tenant: 'acme' })).allowed).toBe(true)
  })

  it('reaches a run without a recorded owner only with admin of its workflow, whatever the tenant', () => {
    expect(reasonOf(rbac.authorize(ada, run({})))).toBe('the run has no recorded owner (started before security was on), and it holds no permission "admin:reports" in its roles "analyst"')
    expect(rbac.authorize(ada, run({ tenant: 'acme' })).allowed).toBe(false)
    const chief = principal({ subject: 'user:chief', roles: ['reports-admin'] })
    expect(rbac.authorize(chief, run({})).allowed).toBe(true)
  })

  it('lets admin:<workflow> reach every run of that workflow and no other', () => {
    const chief = principal({ subject: 'user:chief', roles: ['reports-admin'], tenant: 'other' })
    expect(rbac.authorize(chief, run({ subject: 'user:ada', tenant: 'acme' })).allowed).toBe(true)
    expect(rbac.authorize(chief, { action: 'cancel', resource: 'payroll', owner: { subject: 'user:ada' } }).allowed).toBe(false)
  })

  it('lets admin:* reach every run except where a deny rule removes admin', () => {
    const auditor = principal({ subject: 'user:aud', roles: ['auditor'] })
    expect(rbac.authorize(auditor, { action: 'read', resource: 'reports', owner: { subject: 'user:ada', tenant: 'acme' } }).allowed).toBe(true)
    expect(reasonOf(rbac.authorize(auditor, { action: 'read', resource: 'payroll', owner: { subject: 'user:ada' } }))).toBe(
      'the run belongs to another principal, and deny rule "admin:payroll" of role "auditor" matches "admin:payroll"',
    )
  })

  it('still needs the operation\'s own permission on its own run', () => {
    const viewer = principal({ subject: 'user:v', roles: ['viewer'] })
    expect(reasonOf(rbac.authorize(viewer, run({ subject: 'user:v' })))).toBe('no permission "cancel:reports" in its roles "viewer"')
    expect(reasonOf(rbac.authorize(viewer, { action: 'read', resource: 'payroll', owner: { subject: 'user:v' } }))).toBe('deny rule "read:payroll" of role "viewer" matches "read:payroll"')
  })
})

describe('Rbac.permits: required permissions', () => {
  it('answers whether the principal holds one permission', () => {
    const billing = new Rbac({ roles: { billing: ['charge:*', '!charge:refunds'] } })
    const service = principal({ subject: 'svc:billing', roles: ['billing'] })
    expect(billing.permits(service, 'charge:payments')).toEqual({ allowed: true })
    expect(billing.permits(service, 'charge:payments')).toEqual({ allowed: true })
    expect(reasonOf(billing.permits(service, 'charge:refunds'))).toBe('deny rule "charge:refunds" of role "billing" matches "charge:refunds"')
    expect(reasonOf(billing.permits(service, 'refund:payments'))).toBe('no permission "refund:payments" in its roles "billing"')
  })

  it('refuses a wildcard or a malformed required permission', () => {
    for (const [text, problem] of [
      ['charge:*', 'a required permission names one action and one resource: wildcards are for roles'],
      ['*:payments', 'a required permission names one action and one resource: wildcards are for roles'],
      ['charge:payments/*', 'a required permission names one action and one resource: wildcards are for roles'],
      ['charge', 'it has no ":" between the action and the resource (write "charge:*" for every resource, or "*" for everything)'],
    ] as const) {
      expect(() => rbac.permits(ada, text)).toThrow(expect.objectContaining({ code: 'WEFT_INVALID_PERMISSION', permission: text, problem }))
    }
  })
})

describe('Rbac.rulesOf: effective rules', () => {
  it('lists the allows and denies of the configured roles and the unknown roles', () => {
    const someone = principal({ subject: 'user:s', roles: ['viewer', 'ghost', 'muted'] })
    expect(rbac.rulesOf(someone)).toEqual({
      allow: [{ role: 'viewer', effect: 'allow', permission: 'read:*' }],
      deny: [
        { role: 'viewer', effect: 'deny', permission: 'read:payroll' },
        { role: 'muted', effect: 'deny', permission: '*' },
      ],
      unknownRoles: ['ghost'],
    })
  })
})

describe('Rbac.listScope: which runs a principal may list', () => {
  it('gives owned runs (and the tenant\'s) to a reader without admin', () => {
    expect(rbac.listScope(ada, 'reports')).toEqual({ kind: 'owned', subject: 'user:ada', tenant: 'acme' })
    expect(rbac.listScope(loner, 'reports')).toEqual({ kind: 'owned', subject: 'user:lou' })
    expect(new Rbac({ ...config, shareWithinTenant: false }).listScope(ada, 'reports')).toEqual({ kind: 'owned', subject: 'user:ada' })
  })

  it('gives every run to an admin of the workflow', () => {
    const chief = principal({ subject: 'user:chief', roles: ['reports-admin'] })
    expect(rbac.listScope(chief, 'reports')).toEqual({ kind: 'all' })
    expect(rbac.listScope(chief, 'payroll')).toEqual({ kind: 'none', reason: 'no permission "read:payroll" in its roles "reports-admin"' })
  })

  it('gives nothing to a principal who may not read the workflow', () => {
    const viewer = principal({ subject: 'user:v', roles: ['viewer'] })
    expect(rbac.listScope(viewer, 'payroll')).toEqual({ kind: 'none', reason: 'deny rule "read:payroll" of role "viewer" matches "read:payroll"' })
  })

  it('answers for every workflow at once when the answer is the same for all', () => {
    expect(rbac.listScope(principal({ subject: 'user:root', roles: ['admin'] }))).toEqual({ kind: 'all' })
    expect(rbac.listScope(ada)).toEqual({ kind: 'owned', subject: 'user:ada', tenant: 'acme' })
    expect(rbac.listScope(principal({ subject: 'user:n' }))).toMatchObject({ kind: 'none' })
    expect(rbac.listScope(principal({ subject: 'user:m', roles: ['admin', 'muted'] }))).toMatchObject({ kind: 'none' })
  })

  it('asks for a per-workflow answer when workflows differ', () => {
    expect(rbac.listScope(principal({ subject: 'user:v', roles: ['viewer'] }))).toEqual({ kind: 'per-workflow' })
    expect(rbac.listScope(principal({ subject: 'user:aud', roles: ['auditor'] }))).toEqual({ kind: 'per-workflow' })
    expect(rbac.listScope(principal({ subject: 'user:chief', roles: ['reports-admin'] }))).toEqual({ kind: 'per-workflow' })
  })

  it('filters runs the way authorize decides read on each of them', () => {
    const owners: readonly (RunOwner | undefined)[] = [undefined, {}, { tenant: 'acme' }, { subject: 'user:ada', tenant: 'acme' }, { subject: 'user:bob', tenant: 'acme' }, { subject: 'user:ada' }, { subject: 'user:zed', tenant: 'globex' }]
    const principals: readonly Principal[] = [ada, eve, loner, principal({ subject: 'user:chief', roles: ['reports-admin'], tenant: 'acme' }), principal({ subject: 'user:v', roles: ['viewer'] })]
    for (const who of principals) {
      for (const workflow of ['reports', 'payroll']) {
        const scope = rbac.listScope(who, workflow)
        for (const owner of owners) {
          const read = rbac.authorize(who, { action: 'read', resource: workflow, owner: owner ?? {} }).allowed
          expect(runInScope(scope, owner), `${who.subject} ${workflow} ${JSON.stringify(owner)}`).toBe(read)
        }
      }
    }
  })

  it('refuses to decide a run with a per-workflow scope', () => {
    expect(() => runInScope({ kind: 'per-workflow' }, { subject: 'user:ada' })).toThrow(SecurityConfigError)
  })
})
