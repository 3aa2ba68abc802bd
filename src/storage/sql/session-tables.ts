// The tables of sessions and local users (migration 2026_12_08_010_sessions): session families, refresh tokens by
// their SHA-256 hash, local users with their scrypt hashes, and login attempt counters.
import type { Kysely } from 'kysely'

/** Creates (for the dialect; its type is spelled out so this file does not import migrations.ts back) `weft_sessions`, `weft_refresh_tokens`, `weft_local_users` and `weft_login_attempts` with their indexes. */
export async function createSessionTables(db: Kysely<unknown>, dialect: 'sqlite' | 'postgres'): Promise<void> {
  const time = dialect === 'postgres' ? 'double precision' : 'integer'
  await db.schema
    .createTable('weft_sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('roles', 'text', (c) => c.notNull())
    .addColumn('tenant', 'text')
    .addColumn('created_at', time, (c) => c.notNull())
    .addColumn('expires_at', time, (c) => c.notNull())
    .addColumn('revoked_at', time)
    .addColumn('revoke_reason', 'text')
    .execute()
  // revokeSubject finds a subject's sessions.
  await db.schema.createIndex('weft_sessions_by_subject').on('weft_sessions').columns(['subject']).execute()
  await db.schema
    .createTable('weft_refresh_tokens')
    .addColumn('hash', 'text', (c) => c.primaryKey())
    .addColumn('session_id', 'text', (c) => c.notNull().references('weft_sessions.id').onDelete('cascade'))
    .addColumn('parent', 'text')
    .addColumn('issued_at', time, (c) => c.notNull())
    .addColumn('expires_at', time, (c) => c.notNull())
    .addColumn('used_at', time)
    .execute()
  await db.schema.createIndex('weft_refresh_tokens_by_session').on('weft_refresh_tokens').columns(['session_id']).execute()
  await db.schema
    .createTable('weft_local_users')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('roles', 'text', (c) => c.notNull())
    .addColumn('tenant', 'text')
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', time, (c) => c.notNull())
    .addColumn('updated_at', time, (c) => c.notNull())
    .execute()
  await db.schema
    .createTable('weft_login_attempts')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('failures', 'integer', (c) => c.notNull())
    .addColumn('locked_until', time)
    .execute()
}
