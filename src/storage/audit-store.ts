// The store role of the audit log: sealed entries (hash-chained by security/audit-chain.ts) appended to an
// append-only table, listed with filters, and read back chain by chain for verification. The store never
// computes hashes: it keeps what the writer sealed, so a verifier can recompute them independently.

/**
 * What an audit entry records, `<area>.<event>`: the actions Weft writes,
 * or an application's own in the same form (`invoice.approved`).
 *
 * @example
 * ```ts
 * import type { AuditAction } from 'weft-sdk/store'
 * const action: AuditAction = 'run.cancel'
 * const custom: AuditAction = 'invoice.approved'
 * ```
 */
export type AuditAction =
  | 'auth.succeeded'
  | 'auth.failed'
  | 'access.denied'
  | 'run.start'
  | 'run.cancel'
  | 'run.pause'
  | 'run.resume'
  | 'run.signal'
  | 'run.read'
  | 'keys.rotated'
  | 'policy.changed'
  | 'session.revoked'
  | `${string}.${string}`

/**
 * How the recorded operation ended: `succeeded` (it was done), `denied`
 * (authentication or authorization refused it: nothing was done), `failed`
 * (it was allowed and attempted, and failed).
 *
 * @example
 * ```ts
 * import type { AuditOutcome } from 'weft-sdk/store'
 * const refused = (outcome: AuditOutcome) => outcome === 'denied'
 * ```
 */
export type AuditOutcome = 'succeeded' | 'denied' | 'failed'

/**
 * The outcomes, in one list (parsers and the CLI check against it).
 *
 * @example
 * ```ts
 * import { auditOutcomes, type AuditOutcome } from 'weft-sdk/store'
 * const isOutcome = (text: string): text is AuditOutcome => auditOutcomes.includes(text as AuditOutcome)
 * ```
 */
export const auditOutcomes: readonly AuditOutcome[] = ['succeeded', 'denied', 'failed']

/**
 * What the caller of `AuditLog.record` says happened: the fields that are
 * not about the chain (the secure path's `AuditRecord` has this shape).
 * Never put a secret (a token, a password, a key) in any of them: entries
 * are stored in clear and printed by `weft audit list`.
 *
 * @example
 * ```ts
 * import type { NewAuditEntry } from 'weft-sdk/store'
 * const denied: NewAuditEntry = { subject: 'user:bob', tenant: 'acme', action: 'run.cancel', resource: 'run:01jhkm51', runId: '01jhkm51', outcome: 'denied', reason: 'not the owner of the run' }
 * ```
 */
export interface NewAuditEntry {
  /** Who did it (a principal's subject); absent or `null` when unknown (a failed authentication). */
  readonly subject?: string | null | undefined
  /** The principal's tenant, when it has one. */
  readonly tenant?: string | null | undefined
  /** What was done: an {@link AuditAction} (`<area>.<event>`, lower case). */
  readonly action: string
  /** What it was done to (`workflow:orders`, `run:<id>`, `keys`, `policy`). */
  readonly resource?: string | null | undefined
  /** The run it concerns, when it concerns one. */
  readonly runId?: string | null | undefined
  /** How it ended. */
  readonly outcome: AuditOutcome
  /** Why (a refusal's reason, an error's code): never a secret. */
  readonly reason?: string | null | undefined
  /** When (epoch milliseconds); the log's clock when absent. */
  readonly at?: number | undefined
}

/**
 * A stored audit entry: the record, placed in its writer's chain and
 * sealed by its hash (SHA-256 over its fields and the previous entry's hash).
 *
 * @example
 * ```ts
 * import type { AuditEntry } from 'weft-sdk/store'
 * declare const entry: AuditEntry
 * console.log(`${entry.chain}#${entry.index} ${new Date(entry.at).toISOString()} ${entry.subject ?? '-'} ${entry.action} ${entry.outcome}`)
 * ```
 */
export interface AuditEntry {
  /** The chain: one per writer (an engine's id, with a lane suffix when it writes on several). */
  readonly chain: string
  /** Its position in the chain, from 0, without gaps. */
  readonly index: number
  /** When (epoch milliseconds). */
  readonly at: number
  /** Who did it; `null` when unknown. */
  readonly subject: string | null
  /** The principal's tenant; `null` when none. */
  readonly tenant: string | null
  /** What was done. */
  readonly action: AuditAction
  /** What it was done to; `null` when nothing in particular. */
  readonly resource: string | null
  /** The run it concerns; `null` when none. */
  readonly runId: string | null
  /** How it ended. */
  readonly outcome: AuditOutcome
  /** Why; `null` when nothing to say. */
  readonly reason: string | null
  /** The previous entry's hash (64 zeros for the first), hex. */
  readonly prevHash: string
  /** This entry's hash, hex. */
  readonly hash: string
}

/**
 * Filters of {@link AuditStore.listAudit}; entries come newest first.
 *
 * @example
 * ```ts
 * import type { AuditQuery } from 'weft-sdk/store'
 * const lastHourDenials: AuditQuery = { outcome: 'denied', from: Date.now() - 3_600_000, limit: 50 }
 * ```
 */
export interface AuditQuery {
  /** Only entries at or after this time (epoch milliseconds). */
  readonly from?: number
  /** Only entries before this time (epoch milliseconds). */
  readonly to?: number
  /** Only entries of this subject. */
  readonly subject?: string
  /** Only entries of this action. */
  readonly action?: string
  /** Only entries with this outcome. */
  readonly outcome?: AuditOutcome
  /** Only entries about this run. */
  readonly runId?: string
  /** Only entries of this chain. */
  readonly chain?: string
  /** Most entries returned. @defaultValue `100` */
  readonly limit?: number
  /** The `nextCursor` of the previous page: entries older than its last one. */
  readonly cursor?: string
}

/**
 * A page of {@link AuditStore.listAudit}.
 *
 * @example
 * ```ts
 * import type { AuditPage, AuditStore } from 'weft-sdk/store'
 * declare const audit: AuditStore
 * let page: AuditPage = await audit.listAudit({ limit: 100 })
 * while (page.nextCursor !== undefined) page = await audit.listAudit({ limit: 100, cursor: page.nextCursor })
 * ```
 */
export interface AuditPage {
  /** The entries, newest first. */
  readonly entries: AuditEntry[]
  /** Where the next page starts; absent when this page is the last. */
  readonly nextCursor?: string
}

/**
 * A chain's last entry: where its writer goes on from.
 *
 * @example
 * ```ts
 * import type { AuditChainHead } from 'weft-sdk/store'
 * const head: AuditChainHead = { chain: 'host-1/4242/ab12', index: 41, hash: 'e3b0c442…' }
 * ```
 */
export interface AuditChainHead {
  /** The chain. */
  readonly chain: string
  /** Its last entry's index. */
  readonly index: number
  /** Its last entry's hash. */
  readonly hash: string
}

/**
 * The store role of the audit log: an append-only table (`weft_audit`)
 * that Weft never updates nor deletes from. Entries come sealed (see
 * `AuditLog`); the store keeps them as given. Memory, SQLite and PostgreSQL
 * implement it (`store.audit`), and each store also has a function that
 * inserts an entry inside a transaction it holds, so an entry commits with
 * the operation it records (`insertAuditEntry` for SQLite and memory,
 * `insertAuditEntryOn` for PostgreSQL).
 *
 * @example
 * ```ts
 * import { sqliteStore } from 'weft-sdk'
 * const store = sqliteStore({ path: '.weft/weft.sqlite' })
 * const { entries } = await store.audit.listAudit({ action: 'auth.failed', limit: 20 })
 * ```
 */
export interface AuditStore {
  /**
   * Appends sealed entries, in their own transaction (all or none).
   * @throws `StorageError` when an entry's (chain, index) is stored already.
   */
  appendAudit(entries: readonly AuditEntry[]): Promise<void>
  /** Entries matching `query`, newest first (by time, then chain and index), a page at a time. */
  listAudit(query?: AuditQuery): Promise<AuditPage>
  /** A chain's entries in index order, from `fromIndex` (inclusive), at most `limit`. */
  readAuditChain(chain: string, fromIndex: number, limit: number): Promise<AuditEntry[]>
  /** Every chain's last entry (by index), in chain order. */
  auditHeads(): Promise<AuditChainHead[]>
}

/** The listing order's position of an entry, as a cursor (opaque to callers). */
export function toAuditCursor(entry: AuditEntry): string {
  return Buffer.from(JSON.stringify([entry.at, entry.chain, entry.index])).toString('base64url')
}

/** A cursor's position: time, chain, index. @throws `TypeError` for a cursor this module did not make. */
export function fromAuditCursor(cursor: string): readonly [number, string, number] {
  const position: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  if (!Array.isArray(position) || typeof position[0] !== 'number' || typeof position[1] !== 'string' || typeof position[2] !== 'number') {
    throw new TypeError(`"${cursor}" is not an audit cursor (use the nextCursor of a page)`)
  }
  return position as [number, string, number]
}

/** Whether `entry` comes after the cursor's position in the listing order (newest first). */
export function isAfterAuditCursor(entry: AuditEntry, [at, chain, index]: readonly [number, string, number]): boolean {
  if (entry.at !== at) return entry.at < at
  if (entry.chain !== chain) return entry.chain < chain
  return entry.index < index
}

/** Whether `entry` matches the filters of `query` (the rule the SQL stores write as `where`; memory applies this function). */
export function matchesAuditQuery(entry: AuditEntry, query: AuditQuery): boolean {
  return (
    (query.from === undefined || entry.at >= query.from) &&
    (query.to === undefined || entry.at < query.to) &&
    (query.subject === undefined || entry.subject === query.subject) &&
    (query.action === undefined || entry.action === query.action) &&
    (query.outcome === undefined || entry.outcome === query.outcome) &&
    (query.runId === undefined || entry.runId === query.runId) &&
    (query.chain === undefined || entry.chain === query.chain)
  )
}

/** A page of `limit` from entries already filtered and in listing order (one more than `limit` tells there is a next page). */
export function toAuditPage(entries: AuditEntry[], limit: number): AuditPage {
  if (entries.length <= limit) return { entries }
  const page = entries.slice(0, limit)
  return { entries: page, nextCursor: toAuditCursor(page.at(-1)!) }
}
