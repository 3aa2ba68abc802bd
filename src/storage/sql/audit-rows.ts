// `weft_audit` rows and audit entries, both ways, for the SQLite and PostgreSQL stores.
import type { AuditAction, AuditEntry, AuditOutcome, AuditQuery } from '../audit-store.js'
import { fromAuditCursor } from '../audit-store.js'
import type { AuditRow } from './schema.js'

/** An entry's column values in `weft_audit`'s column order (the insert statements' parameters). */
export function auditValues(entry: AuditEntry): unknown[] {
  return [entry.chain, entry.index, entry.at, entry.subject, entry.tenant, entry.action, entry.resource, entry.runId, entry.outcome, entry.reason, entry.prevHash, entry.hash]
}

/** The column list the inserts name, in {@link auditValues}' order. */
export const auditColumns = 'chain, idx, at, subject, tenant, action, resource, run_id, outcome, reason, prev_hash, hash'

/** A `weft_audit` row as an entry (PostgreSQL returns float8 times as numbers, SQLite integers). */
export function toAuditEntry(row: AuditRow): AuditEntry {
  return {
    chain: row.chain,
    index: Number(row.idx),
    at: Number(row.at),
    subject: row.subject,
    tenant: row.tenant,
    action: row.action as AuditAction,
    resource: row.resource,
    runId: row.run_id,
    outcome: row.outcome as AuditOutcome,
    reason: row.reason,
    prevHash: row.prev_hash,
    hash: row.hash,
  }
}

/**
 * The list statements' parameters, in their order: from, to, subject,
 * action, outcome, run id, chain (each null for any), the cursor's time,
 * chain and index (null for the first page), and the limit plus one (to
 * tell whether a next page exists).
 */
export function auditListValues(query: AuditQuery): unknown[] {
  const cursor = query.cursor === undefined ? [null, null, null] : fromAuditCursor(query.cursor)
  const filters = [query.from, query.to, query.subject, query.action, query.outcome, query.runId, query.chain].map((value) => value ?? null)
  return [...filters, ...cursor, (query.limit ?? 100) + 1]
}
