/**
 * Properties of Weft's RBAC over random configurations, principals and
 * requests (fast-check; the seed is printed, replay with SEED=...):
 * - `authorize` agrees with a naive reference that scans every rule with
 *   `permissionMatches` (the precompiled index loses nothing);
 * - adding an allow never removes access; adding a deny never adds access;
 * - a principal with no roles can do nothing;
 * - `*` allows everything unless a deny rule matches;
 * - `listScope` filters runs exactly as `authorize` decides `read`;
 * - the grammar: an exact action never matches another action, and
 *   `formatPermission` names any storable resource exactly.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { formatPermission, parsePermission, permissionMatches } from '../../src/security/permissions.js'
import { principal, type Principal } from '../../src/security/principal.js'
import type { AccessDecision, AccessRequest, RunOwner } from '../../src/security/ports.js'
import { Rbac, runInScope, type RbacConfig } from '../../src/security/rbac.js'
import { testSeed } from '../support/seed.js'

const seed = testSeed('test/security/rbac.property.test.ts')
const runs = { seed, numRuns: 300 }

const actions = ['read', 'start', 'cancel', 'admin', 'emit'] as const
const resources = ['reports', 'payroll', 'reports/daily', 'reports/eu/daily', 'reportsx', 'top*', 'order:paid', 'a\\b'] as const
const roleNames = ['r1', 'r2', 'r3', 'r4'] as const
const subjects = ['user:ada', 'user:bob', 'user:eve'] as const
const tenants = ['acme', 'globex'] as const

const permissionText: fc.Arbitrary<string> = fc.oneof(
  fc.constant('*'),
  fc.tuple(fc.constantFrom('*', ...actions), fc.oneof(fc.constant('*'), fc.constantFrom('reports/*', 'reports/eu/*'), fc.constantFrom(...resources).map((r) => formatPermission('x', r).slice(2)))).map(([a, r]) => `${a}:${r}`),
)
const ruleText: fc.Arbitrary<string> = fc.tuple(fc.boolean(), permissionText).map(([deny, text]) => (deny ? `!${text}` : text))
const roles: fc.Arbitrary<Record<string, string[]>> = fc.dictionary(fc.constantFrom(...roleNames), fc.array(ruleText, { maxLength: 5 }), { maxKeys: 4 })
const somePrincipal: fc.Arbitrary<Principal> = fc
  .record({ subject: fc.constantFrom(...subjects), roles: fc.subarray([...roleNames, 'unknown']), tenant: fc.option(fc.constantFrom(...tenants), { nil: undefined }) })
  .map((fields) => principal(fields))
const owner: fc.Arbitrary<RunOwner> = fc.record({ subject: fc.option(fc.constantFrom(...subjects), { nil: undefined }), tenant: fc.option(fc.constantFrom(...tenants), { nil: undefined }) })
const request: fc.Arbitrary<AccessRequest> = fc.record({ action: fc.constantFrom(...actions), resource: fc.constantFrom(...resources), owner: fc.option(owner, { nil: undefined }) })
const share = fc.boolean()

function rbacOf(config: Record<string, string[]>, shareWithinTenant: boolean): Rbac {
  return new Rbac({ roles: config, shareWithinTenant } satisfies RbacConfig)
}

/** The rule written out naively: scan every rule of the principal's roles. */
function reference(rbac: Rbac, who: Principal, req: AccessRequest, shareWithinTenant: boolean): boolean {
  const rules = rbac.rulesOf(who)
  const holds = (action: string, resource: string) => {
    const matching = (list: typeof rules.allow) => list.some((rule) => permissionMatches(parsePermission(rule.permission), action, resource))
    return !matching(rules.deny) && matching(rules.allow)
  }
  if (!holds(req.action, req.resource)) return false
  if (req.owner === undefined) return true
  const { subject, tenant } = req.owner
  const own = subject !== undefined && subject === who.subject
  const sameTenant = subject !== undefined && shareWithinTenant && who.tenant !== undefined && tenant === who.tenant
  return own || sameTenant || holds('admin', req.resource)
}

function withRule(config: Record<string, string[]>, role: string, text: string): Record<string, string[]> {
  return { ...config, [role]: [...(config[role] ?? []), text] }
}

const isAllowed = (decision: AccessDecision) => decision.allowed

describe('Rbac properties', () => {
  it('authorize agrees with a naive scan of every rule', () => {
    fc.assert(
      fc.property(roles, share, somePrincipal, request, (config, shareWithinTenant, who, req) => {
        const rbac = rbacOf(config, shareWithinTenant)
        expect(rbac.authorize(who, req).allowed).toBe(reference(rbac, who, req, shareWithinTenant))
      }),
      runs,
    )
  })

  it('adding an allow never removes access', () => {
    fc.assert(
      fc.property(roles, share, somePrincipal, request, fc.constantFrom(...roleNames), permissionText, (config, shareWithinTenant, who, req, role, text) => {
        const before = isAllowed(rbacOf(config, shareWithinTenant).authorize(who, req))
        const after = isAllowed(rbacOf(withRule(config, role, text), shareWithinTenant).authorize(who, req))
        expect(before && !after).toBe(false)
      }),
      runs,
    )
  })

  it('adding a deny never adds access', () => {
    fc.assert(
      fc.property(roles, share, somePrincipal, request, fc.constantFrom(...roleNames), permissionText, (config, shareWithinTenant, who, req, role, text) => {
        const before = isAllowed(rbacOf(config, shareWithinTenant).authorize(who, req))
        const after = isAllowed(rbacOf(withRule(config, role, `!${text}`), shareWithinTenant).authorize(who, req))
        expect(!before && after).toBe(false)
      }),
      runs,
    )
  })

  it('a principal with no roles can do nothing', () => {
    fc.assert(
      fc.property(roles, share, fc.constantFrom(...subjects), request, (config, shareWithinTenant, subject, req) => {
        const rbac = rbacOf({ ...config, everything: ['*'] }, shareWithinTenant)
        const nobody = principal({ subject })
        expect(rbac.authorize(nobody, req).allowed).toBe(false)
        expect(rbac.listScope(nobody)).toMatchObject({ kind: 'none' })
      }),
      runs,
    )
  })

  it('"*" allows everything unless a deny rule matches', () => {
    fc.assert(
      fc.property(roles, share, somePrincipal, request, (config, shareWithinTenant, who, req) => {
        const rbac = rbacOf({ ...config, root: ['*'] }, shareWithinTenant)
        const root = principal({ ...who, roles: [...who.roles, 'root'] })
        const denies = rbac.rulesOf(root).deny.map((rule) => parsePermission(rule.permission))
        const denied = (action: string) => denies.some((permission) => permissionMatches(permission, action, req.resource))
        const expected = !denied(req.action) && (req.owner === undefined || !denied('admin') || reference(rbac, root, req, shareWithinTenant))
        expect(rbac.authorize(root, req).allowed).toBe(expected)
        if (denies.length === 0) expect(rbac.authorize(root, req).allowed).toBe(true)
      }),
      runs,
    )
  })

  it('listScope filters runs exactly as authorize decides read', () => {
    fc.assert(
      fc.property(roles, share, somePrincipal, fc.constantFrom(...resources), fc.option(owner, { nil: undefined }), (config, shareWithinTenant, who, workflow, runOwner) => {
        const rbac = rbacOf(config, shareWithinTenant)
        const read = rbac.authorize(who, { action: 'read', resource: workflow, owner: runOwner ?? {} }).allowed
        expect(runInScope(rbac.listScope(who, workflow), runOwner)).toBe(read)
        const everywhere = rbac.listScope(who)
        if (everywhere.kind !== 'per-workflow') expect(runInScope(everywhere, runOwner)).toBe(read)
      }),
      runs,
    )
  })
})

describe('grammar properties', () => {
  const word = fc.stringMatching(/^[A-Za-z0-9_.-]{1,12}$/)

  it('an exact action matches only itself, with any resource wildcard', () => {
    fc.assert(
      fc.property(word, word, fc.constantFrom(...resources), (granted, asked, resource) => {
        expect(permissionMatches(parsePermission(`${granted}:*`), asked, resource)).toBe(granted === asked)
      }),
      runs,
    )
  })

  it('formatPermission names any resource a permission may name, exactly', () => {
    const resource = fc
      .string({ unit: 'grapheme', minLength: 1, maxLength: 30 })
      .filter((s) => !/[\u0000-\u001f\u007f]/.test(s) && !/^\s|\s$/.test(s))
    fc.assert(
      fc.property(word, resource, (action, name) => {
        const parsed = parsePermission(formatPermission(action, name))
        expect(parsed.resource).toEqual({ kind: 'exact', name })
        expect(permissionMatches(parsed, action, name)).toBe(true)
        expect(permissionMatches(parsed, action, `${name}x`)).toBe(false)
      }),
      runs,
    )
  })
})
