import type { AuditChainHead, AuditEntry, AuditPage, AuditQuery, AuditStore } from '../audit-store.js'
import { toAuditPage } from '../audit-store.js'
import { auditListValues, auditValues, toAuditEntry } from '../sql/audit-rows.js'
import type { AuditRow } from '../sql/schema.js'
import { prepared, type PgQueryable } from './pg-client.js'
import type { PgContext } from './pg-context.js'

/*
 * The audit log's statements on PostgreSQL, hand-written: entries are
 * inserted as arrays (`unnest`), so one statement inserts any number; each
 * filter is `($n::type is null or column = $n)`, so one shape serves every query.
 */

const insertSql = `insert into weft_audit (chain, idx, at, subject, tenant, action, resource, run_id, outcome, reason, prev_hash, hash)
  select * from unnest($1::text[], $2::integer[], $3::float8[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[])`

const listSql = `select * from weft_audit
  where ($1::float8 is null or at >= $1) and ($2::float8 is null or at < $2) and ($3::text is null or subject = $3) and ($4::text is null or action = $4)
    and ($5::text is null or outcome = $5) and ($6::text is null or run_id = $6) and ($7::text is null or chain = $7)
    and ($8::float8 is null or (at, chain, idx) < ($8, $9::text, $10::integer))
  order by at desc, chain desc, idx desc limit $11`

const chainSql = `select * from weft_audit where chain = $1 and idx >= $2 order by idx limit $3`

const headsSql = `select distinct on (chain) chain, idx, hash from weft_audit order by chain, idx desc`

/** Each column's values across `entries` (the insert's array parameters). */
function columnsOf(entries: readonly AuditEntry[]): unknown[][] {
  const columns: unknown[][] = Array.from({ length: 12 }, () => [])
  for (const entry of entries) auditValues(entry).forEach((value, i) => columns[i]!.push(value))
  return columns
}

/**
 * Inserts audit entries on `db`: pass the client of a transaction the
 * caller holds (the one that writes the operation), so the entries commit
 * or roll back with it.
 * @throws a `23505` unique violation when an entry's (chain, index) is stored.
 */
export async function insertAuditEntryOn(db: PgQueryable, entries: readonly AuditEntry[]): Promise<void> {
  if (entries.length > 0) await db.query(prepared(insertSql, columnsOf(entries)))
}

/** The PostgreSQL store's audit log (`postgresStore().audit`). */
export class PgAudit implements AuditStore {
  constructor(private readonly pg: PgContext) {}

  appendAudit(entries: readonly AuditEntry[]): Promise<void> {
    return insertAuditEntryOn(this.pg.db, entries)
  }

  async listAudit(query: AuditQuery = {}): Promise<AuditPage> {
    const { rows } = await this.pg.db.query<AuditRow>(prepared(listSql, auditListValues(query)))
    return toAuditPage(rows.map(toAuditEntry), query.limit ?? 100)
  }

  async readAuditChain(chain: string, fromIndex: number, limit: number): Promise<AuditEntry[]> {
    const { rows } = await this.pg.db.query<AuditRow>(prepared(chainSql, [chain, fromIndex, limit]))
    return rows.map(toAuditEntry)
  }

  async auditHeads(): Promise<AuditChainHead[]> {
    const { rows } = await this.pg.db.query<Pick<AuditRow, 'chain' | 'idx' | 'hash'>>(prepared(headsSql, []))
    return rows.map((row) => ({ chain: row.chain, index: Number(row.idx), hash: row.hash }))
  }
}
