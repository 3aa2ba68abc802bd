/**
 * Policy changes are audited: the engine that first opens a store with
 * security records it (`policy.changed`: security enabled, with the rules'
 * fingerprint), an engine that opens it with other rules records the change,
 * and one with the same rules (in any order) records nothing — on a real SQLite file.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { securitySettingName, verifyAudit } from 'weft-sdk/store'
import { Rbac, createEngine, sqliteStore, type Authorizer } from 'weft-sdk'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'weft-policy-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

/** Opens and closes an engine with `authorizer` on the test's database; returns the policy entries written so far. */
async function openWith(authorizer: Authorizer): Promise<string[]> {
  const store = sqliteStore({ path: join(dir, 'weft.db') })
  const engine = createEngine({ store, claimRuns: false, security: { authorizer } })
  await engine.ready
  await engine.close()
  await store.init()
  try {
    const page = await store.audit.listAudit({ action: 'policy.changed' })
    return page.entries.reverse().map((e) => `${e.outcome} ${e.reason ?? ''}`)
  } finally {
    await store.close()
  }
}

describe("an Rbac's fingerprint", () => {
  it('is the same for the same rules in any order, and changes with any rule or the tenant sharing', () => {
    const base = new Rbac({ roles: { admin: ['*'], clerk: ['read:*', 'start:orders', '!read:payroll'] } })
    expect(new Rbac({ roles: { clerk: ['!read:payroll', 'start:orders', 'read:*'], admin: ['*'] } }).fingerprint).toBe(base.fingerprint)
    expect(new Rbac({ roles: { admin: ['*'], clerk: { allow: ['read:*', 'start:orders'], deny: ['read:payroll'] } } }).fingerprint).toBe(base.fingerprint)
    for (const other of [
      new Rbac({ roles: { admin: ['*'], clerk: ['read:*', 'start:orders'] } }),
      new Rbac({ roles: { admin: ['*'], clerk: ['read:*', 'start:orders', 'read:payroll'] } }),
      new Rbac({ roles: { admin: ['*'], clerks: ['read:*', 'start:orders', '!read:payroll'] } }),
      new Rbac({ roles: { admin: ['*'], clerk: ['read:*', 'start:orders', '!read:payroll'] }, shareWithinTenant: false }),
    ]) {
      expect(other.fingerprint).not.toBe(base.fingerprint)
    }
    expect(base.fingerprint).toMatch(/^[0-9a-f]{16}$/)
  })
})

describe('policy changes in the audit log (SQLite)', () => {
  it('records security enabled, then each change of the rules, and nothing for the same rules', async () => {
    const first = new Rbac({ roles: { admin: ['*'], clerk: ['start:orders'] } })
    const same = new Rbac({ roles: { clerk: ['start:orders'], admin: ['*'] } })
    const changed = new Rbac({ roles: { admin: ['*'], clerk: ['start:orders', 'cancel:orders'] } })
    expect(await openWith(first)).toEqual([`succeeded security enabled; rules ${first.fingerprint}`])
    expect(await openWith(same)).toHaveLength(1)
    expect(await openWith(changed)).toEqual([`succeeded security enabled; rules ${first.fingerprint}`, `succeeded rules changed: ${first.fingerprint} → ${changed.fingerprint}`])
    const store = sqliteStore({ path: join(dir, 'weft.db'), readOnly: true })
    await store.init()
    expect((await verifyAudit({ store: store.audit })).ok).toBe(true)
    await store.close()
  })

  it('records security enabled again after an operator disabled it, naming who did', async () => {
    const rules = new Rbac({ roles: { admin: ['*'] } })
    await openWith(rules)
    const store = sqliteStore({ path: join(dir, 'weft.db') })
    await store.init()
    // What `weft security disable` records.
    await store.settings.set(securitySettingName, { enabled: false, since: 1, changedBy: 'ops:root' }, Date.now())
    await store.close()
    expect((await openWith(rules)).at(-1)).toBe(`succeeded security enabled again (disabled by ops:root); rules ${rules.fingerprint}`)
  })

  it("records an authorizer without a fingerprint as security enabled, and cannot see its rules' changes", async () => {
    const mine: Authorizer = { authorize: () => ({ allowed: true }) }
    expect(await openWith(mine)).toEqual(['succeeded security enabled'])
    expect(await openWith({ authorize: () => ({ allowed: false, reason: 'closed' }) })).toEqual(['succeeded security enabled'])
  })
})
