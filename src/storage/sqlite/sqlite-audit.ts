import type { AuditChainHead, AuditEntry, AuditPage, AuditQuery, AuditStore } from '../audit-store.js'
import { toAuditPage } from '../audit-store.js'
import { auditColumns, auditListValues, auditValues, toAuditEntry } from '../sql/audit-rows.js'
import type { AuditRow } from '../sql/schema.js'
import type { SqliteContext } from './sqlite-context.js'

/*
 * The audit log's statements on SQLite, hand-written; each filter is
 * `(@x is null or column = @x)`, so one statement shape serves every query
 * and is prepared once.
 */

const insertSql = `insert into weft_audit (${auditColumns}) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

const listSql = `select * from weft_audit
  where (@from is null or at >= @from) and (@to is null or at < @to) and (@subject is null or subject = @subject) and (@action is null or action = @action)
    and (@outcome is null or outcome = @outcome) and (@runId is null or run_id = @runId) and (@chain is null or chain = @chain)
    and (@cursorAt is null or (at, chain, idx) < (@cursorAt, @cursorChain, @cursorIndex))
  order by at desc, chain desc, idx desc limit @limit`

/** The list statement's named parameters, from the shared positional ones. */
function listParameters(query: AuditQuery): Record<string, unknown> {
  const names = ['from', 'to', 'subject', 'action', 'outcome', 'runId', 'chain', 'cursorAt', 'cursorChain', 'cursorIndex', 'limit']
  const values = auditListValues(query)
  return Object.fromEntries(names.map((name, i) => [name, values[i]]))
}

const chainSql = `select * from weft_audit where chain = ? and idx >= ? order by idx limit ?`

const headsSql = `select chain, idx, hash from weft_audit a where idx = (select max(idx) from weft_audit b where b.chain = a.chain) order by chain`

/**
 * Inserts audit entries on the SQLite store's connection, inside the
 * transaction the caller is in: call it from a write of the store's write
 * queue (the `begin immediate` transaction that also writes the operation),
 * so the entries commit or roll back with it. Synchronous, like every
 * statement of a SQLite write.
 * @throws the driver's constraint error when an entry's (chain, index) is stored.
 */
export function insertAuditEntry(sqlite: SqliteContext, entries: readonly AuditEntry[]): void {
  const statement = sqlite.statement(insertSql)
  for (const entry of entries) statement.run(...auditValues(entry))
}

/** The SQLite store's audit log (`sqliteStore().audit`): appends in the write queue, reads on the connection. */
export class SqliteAudit implements AuditStore {
  constructor(private readonly sqlite: SqliteContext) {}

  appendAudit(entries: readonly AuditEntry[]): Promise<void> {
    return this.sqlite.writes.run(() => insertAuditEntry(this.sqlite, entries))
  }

  listAudit(query: AuditQuery = {}): Promise<AuditPage> {
    return this.sqlite.read('reading the audit log', () => {
      const rows = this.sqlite.statement(listSql).all(listParameters(query)) as AuditRow[]
      return toAuditPage(rows.map(toAuditEntry), query.limit ?? 100)
    })
  }

  readAuditChain(chain: string, fromIndex: number, limit: number): Promise<AuditEntry[]> {
    return this.sqlite.read('reading an audit chain', () => (this.sqlite.statement(chainSql).all(chain, fromIndex, limit) as AuditRow[]).map(toAuditEntry))
  }

  auditHeads(): Promise<AuditChainHead[]> {
    return this.sqlite.read('reading the audit chains', () =>
      (this.sqlite.statement(headsSql).all() as Pick<AuditRow, 'chain' | 'idx' | 'hash'>[]).map((row) => ({ chain: row.chain, index: Number(row.idx), hash: row.hash })),
    )
  }
}
