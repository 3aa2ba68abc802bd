// Rows of the session tables as records and back (both SQL stores): roles as JSON arrays, times as numbers
// (PostgreSQL returns float8 as numbers, SQLite integers), nulls as absent fields.
import type { LocalUserRecord, RefreshTokenRecord, SessionRecord } from '../session-store.js'
import type { LocalUserRow, RefreshTokenRow, SessionRow } from './schema.js'
import { parseRoles } from './rows.js'

/** A `weft_sessions` row as a record. */
export function toSessionRecord(row: SessionRow): SessionRecord {
  return {
    id: row.id,
    subject: row.subject,
    roles: parseRoles(row.roles) ?? [],
    tenant: row.tenant ?? undefined,
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    revokedAt: row.revoked_at === null ? undefined : Number(row.revoked_at),
    revokeReason: row.revoke_reason ?? undefined,
  }
}

/** A `weft_refresh_tokens` row as a record. */
export function toRefreshTokenRecord(row: RefreshTokenRow): RefreshTokenRecord {
  return {
    hash: row.hash,
    sessionId: row.session_id,
    parent: row.parent ?? undefined,
    issuedAt: Number(row.issued_at),
    expiresAt: Number(row.expires_at),
    usedAt: row.used_at === null ? undefined : Number(row.used_at),
  }
}

/** A `weft_local_users` row as a record. */
export function toLocalUserRecord(row: LocalUserRow): LocalUserRecord {
  return {
    name: row.name,
    subject: row.subject,
    roles: parseRoles(row.roles) ?? [],
    tenant: row.tenant ?? undefined,
    passwordHash: row.password_hash,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  }
}

/** Roles as the stored JSON array. */
export function rolesText(roles: readonly string[]): string {
  return JSON.stringify(roles)
}
