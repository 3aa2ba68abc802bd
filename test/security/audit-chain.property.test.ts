/**
 * Property: in a random log, any single change of one field of one entry
 * (what someone editing the table would do) is found at that entry's index,
 * as an edit; and the untouched log verifies.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { AuditEntry, NewAuditEntry } from '../../src/storage/audit-store.js'
import { MemoryAudit } from '../../src/storage/memory-audit.js'
import { AuditLog } from '../../src/security/audit-log.js'
import { verifyAudit } from '../../src/security/audit-verify.js'

const optionalText = fc.option(fc.string({ maxLength: 12 }), { nil: null })

const record: fc.Arbitrary<NewAuditEntry> = fc.record({
  at: fc.integer({ min: 0, max: 2 ** 45 }),
  subject: optionalText,
  tenant: optionalText,
  action: fc.constantFrom('run.start', 'run.cancel', 'auth.failed', 'access.denied', 'keys.rotated', 'invoice.approved'),
  resource: optionalText,
  runId: optionalText,
  outcome: fc.constantFrom('succeeded', 'denied', 'failed'),
  reason: optionalText,
})

type EditableField = Exclude<keyof AuditEntry, 'chain' | 'index'>

/** A value of `field` different from `current`. */
function changed(field: EditableField, current: unknown, seed: string): unknown {
  switch (field) {
    case 'at':
      return (current as number) + 1 + seed.length
    case 'outcome':
      return current === 'denied' ? 'succeeded' : 'denied'
    case 'action':
      return current === 'run.start' ? 'run.cancel' : 'run.start'
    case 'prevHash':
    case 'hash':
      return (current as string).startsWith('a') ? `b${(current as string).slice(1)}` : `a${(current as string).slice(1)}`
    default:
      return current === seed ? `${seed}!` : seed
  }
}

const fields: EditableField[] = ['at', 'subject', 'tenant', 'action', 'resource', 'runId', 'outcome', 'reason', 'prevHash', 'hash']

describe('the audit hash chain', () => {
  it('finds any single-field edit of any one entry at that entry', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(record, { minLength: 1, maxLength: 25 }), fc.nat(), fc.constantFrom(...fields), fc.string({ maxLength: 8 }), async (records, pick, field, seed) => {
        const audit = new MemoryAudit()
        const log = await AuditLog.open({ store: audit, writer: 'w' })
        for (const entry of records) await log.record(entry)
        expect((await verifyAudit({ store: audit })).ok).toBe(true)
        const index = pick % records.length
        const position = audit.rows.findIndex((row) => row.index === index)
        const row = audit.rows[position]!
        audit.rows[position] = { ...row, [field]: changed(field, row[field], seed) }
        const report = await verifyAudit({ store: audit })
        expect(report.chains[0]!.problem).toMatchObject({ chain: 'w', index, kind: 'edited' })
      }),
      { numRuns: 300 },
    )
  })
})
