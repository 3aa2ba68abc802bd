// The audit log's hash chain, pure: the canonical encoding of an entry, its hash, and the sealing of a record
// into the next link of a chain. The verifier recomputes with the same functions.
import { createHash } from 'node:crypto'
import type { AuditEntry, NewAuditEntry } from '../storage/audit-store.js'

/**
 * The `prevHash` of a chain's first entry: 64 zeros.
 *
 * @example
 * ```ts
 * import { auditGenesisHash } from 'weft-sdk/store'
 * auditGenesisHash.length // 64
 * ```
 */
export const auditGenesisHash = '0'.repeat(64)

/** Where a chain goes on from: the next index and the hash the next entry links to. */
export interface AuditChainPosition {
  /** The chain. */
  readonly chain: string
  /** The index the next entry gets. */
  readonly next: number
  /** The last entry's hash (the genesis hash for an empty chain). */
  readonly prevHash: string
}

/**
 * An entry's fields without its hash: what the hash is computed over.
 *
 * @example
 * ```ts
 * import { auditEntryHash, type AuditEntry, type AuditEntryContent } from 'weft-sdk/store'
 * declare const entry: AuditEntry
 * const { hash, ...content }: { hash: string } & AuditEntryContent = entry
 * const intact = auditEntryHash(content) === hash
 * ```
 */
export type AuditEntryContent = Omit<AuditEntry, 'hash'>

/**
 * The canonical encoding of an entry's content: a JSON array of its fields
 * in a fixed order, behind a version tag. JSON of strings, integers and
 * nulls has one form, so every implementation that follows this order
 * hashes the same bytes.
 *
 * @example
 * ```ts
 * import { canonicalAuditEncoding } from 'weft-sdk/store'
 * declare const entry: import('weft-sdk/store').AuditEntry
 * const bytes = canonicalAuditEncoding(entry) // '["weft-audit/1","host-1/42",0,…]'
 * ```
 */
export function canonicalAuditEncoding(entry: AuditEntryContent): string {
  const { chain, index, at, subject, tenant, action, resource, runId, outcome, reason, prevHash } = entry
  return JSON.stringify(['weft-audit/1', chain, index, at, subject, tenant, action, resource, runId, outcome, reason, prevHash])
}

/**
 * An entry's hash: SHA-256 (hex) of its canonical encoding, which includes
 * its chain, its index and the previous entry's hash.
 *
 * @example
 * ```ts
 * import { auditEntryHash } from 'weft-sdk/store'
 * declare const entry: import('weft-sdk/store').AuditEntry
 * const intact = auditEntryHash(entry) === entry.hash
 * ```
 */
export function auditEntryHash(entry: AuditEntryContent): string {
  return createHash('sha256').update(canonicalAuditEncoding(entry), 'utf8').digest('hex')
}

/** A record as the next entry of a chain at `position`, sealed by its hash. */
export function sealAuditEntry(record: NewAuditEntry, position: AuditChainPosition, at: number): AuditEntry {
  const content: AuditEntryContent = {
    chain: position.chain,
    index: position.next,
    at: record.at ?? at,
    subject: record.subject ?? null,
    tenant: record.tenant ?? null,
    action: record.action as AuditEntry['action'],
    resource: record.resource ?? null,
    runId: record.runId ?? null,
    outcome: record.outcome,
    reason: record.reason ?? null,
    prevHash: position.prevHash,
  }
  return { ...content, hash: auditEntryHash(content) }
}

/** The position after `entry`. */
export function positionAfter(entry: AuditEntry): AuditChainPosition {
  return { chain: entry.chain, next: entry.index + 1, prevHash: entry.hash }
}
