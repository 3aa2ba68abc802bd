// The memory store's audit log: entries in an array, read the way the SQL stores read their table (a chain in
// index order, listings newest first), so the verifier sees the same thing on every store.
import { StorageError } from '../core/errors.js'
import {
  fromAuditCursor,
  isAfterAuditCursor,
  matchesAuditQuery,
  toAuditPage,
  type AuditChainHead,
  type AuditEntry,
  type AuditPage,
  type AuditQuery,
  type AuditStore,
} from './audit-store.js'

/**
 * The memory store's {@link AuditStore} (`new MemoryWorkflowStore().audit`).
 * Its rows are the array it is given (a test may tamper with them as an
 * attacker would with a table).
 *
 * @example
 * ```ts
 * import { MemoryAudit } from 'weft-sdk/store'
 * const audit = new MemoryAudit()
 * const { entries } = await audit.listAudit({ limit: 10 })
 * ```
 */
export class MemoryAudit implements AuditStore {
  constructor(
    /** The stored entries, in insertion order. */
    readonly rows: AuditEntry[] = [],
  ) {}

  /** Inserts entries now (inside whatever the caller is doing: the memory store's "transaction"); all or none. */
  insert(entries: readonly AuditEntry[]): void {
    const taken = new Set(this.rows.map(positionOf))
    for (const entry of entries) {
      if (taken.has(positionOf(entry))) throw duplicate(entry)
      taken.add(positionOf(entry))
    }
    this.rows.push(...entries.map((entry) => ({ ...entry })))
  }

  async appendAudit(entries: readonly AuditEntry[]): Promise<void> {
    this.insert(entries)
  }

  async listAudit(query: AuditQuery = {}): Promise<AuditPage> {
    const limit = query.limit ?? 100
    const cursor = query.cursor === undefined ? undefined : fromAuditCursor(query.cursor)
    const found = this.rows.filter((entry) => matchesAuditQuery(entry, query) && (cursor === undefined || isAfterAuditCursor(entry, cursor)))
    found.sort(newestFirst)
    return toAuditPage(found.slice(0, limit + 1).map((entry) => ({ ...entry })), limit)
  }

  async readAuditChain(chain: string, fromIndex: number, limit: number): Promise<AuditEntry[]> {
    const found = this.rows.filter((entry) => entry.chain === chain && entry.index >= fromIndex)
    return found.sort((a, b) => a.index - b.index).slice(0, limit).map((entry) => ({ ...entry }))
  }

  async auditHeads(): Promise<AuditChainHead[]> {
    const heads = new Map<string, AuditChainHead>()
    for (const { chain, index, hash } of this.rows) if ((heads.get(chain)?.index ?? -1) < index) heads.set(chain, { chain, index, hash })
    return [...heads.values()].sort((a, b) => (a.chain < b.chain ? -1 : a.chain > b.chain ? 1 : 0))
  }
}

function positionOf(entry: AuditEntry): string {
  return `${entry.chain}\u0000${entry.index}`
}

function duplicate(entry: AuditEntry): StorageError {
  return new StorageError('constraint', `audit entry ${entry.index} of chain "${entry.chain}" is stored already (two writers with one chain id?)`)
}

function newestFirst(a: AuditEntry, b: AuditEntry): number {
  return b.at - a.at || (a.chain < b.chain ? 1 : a.chain > b.chain ? -1 : b.index - a.index)
}
