// Migration 2026_12_08_009_audit: the audit log's table, append-only by trigger on both dialects.
import { sql, type Kysely } from 'kysely'

/**
 * Creates `weft_audit`: one row per entry, keyed by (chain, idx), with the
 * indexes of `weft audit list`'s filters, and triggers that refuse UPDATE
 * and DELETE (and, on PostgreSQL, TRUNCATE). The triggers stop mistakes
 * and any code path that is not a database owner's; an owner can drop
 * them, which is what the hash chain and the signed checkpoints are for.
 */
export async function createAuditTable(db: Kysely<unknown>, dialect: 'sqlite' | 'postgres'): Promise<void> {
  const time = dialect === 'postgres' ? 'double precision' : 'integer'
  await db.schema
    .createTable('weft_audit')
    .addColumn('chain', 'text', (c) => c.notNull())
    .addColumn('idx', 'integer', (c) => c.notNull())
    .addColumn('at', time, (c) => c.notNull())
    .addColumn('subject', 'text')
    .addColumn('tenant', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('resource', 'text')
    .addColumn('run_id', 'text')
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('prev_hash', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('weft_audit_pk', ['chain', 'idx'])
    .execute()
  // Listings are newest first by (at, chain, idx); each filter has an index led by its column.
  await db.schema.createIndex('weft_audit_by_time').on('weft_audit').columns(['at', 'chain', 'idx']).execute()
  await db.schema.createIndex('weft_audit_by_subject').on('weft_audit').columns(['subject', 'at']).execute()
  await db.schema.createIndex('weft_audit_by_action').on('weft_audit').columns(['action', 'at']).execute()
  await db.schema.createIndex('weft_audit_by_run').on('weft_audit').columns(['run_id', 'at']).execute()
  await (dialect === 'postgres' ? refuseChangesPostgres(db) : refuseChangesSqlite(db))
}

async function refuseChangesSqlite(db: Kysely<unknown>): Promise<void> {
  await sql`create trigger weft_audit_no_update before update on weft_audit begin select raise(abort, 'weft_audit is append-only'); end`.execute(db)
  await sql`create trigger weft_audit_no_delete before delete on weft_audit begin select raise(abort, 'weft_audit is append-only'); end`.execute(db)
}

async function refuseChangesPostgres(db: Kysely<unknown>): Promise<void> {
  await sql`create or replace function weft_audit_refuse_change() returns trigger language plpgsql as $$
    begin raise exception 'weft_audit is append-only (% refused)', tg_op using errcode = 'insufficient_privilege'; end $$`.execute(db)
  await sql`create trigger weft_audit_append_only before update or delete on weft_audit for each row execute function weft_audit_refuse_change()`.execute(db)
  await sql`create trigger weft_audit_no_truncate before truncate on weft_audit for each statement execute function weft_audit_refuse_change()`.execute(db)
}
