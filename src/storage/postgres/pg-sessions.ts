// Sessions and local users on PostgreSQL: a rotation is one transaction whose first statement marks the token used
// with `... where used_at is null` (a concurrent rotation of the same token waits for the row lock, then finds it used:
// its row count is 0); login attempt claims are compare-and-set on the counter, retried when another process won.
// A write given audit entries runs in a transaction that inserts them too (`insertAuditEntryOn`).
import type { AuditEntry } from '../audit-store.js'
import type { AuditEntriesOf } from '../session-store.js'
import { decideAttempt, refusedRotation, reusedTokenReason, type AttemptDecision, type LocalUserRecord, type LocalUserStore, type LockoutPolicy } from '../session-store.js'
import type { NewRefreshToken, NewSession, RefreshTokenRecord, RotationOutcome, RotationRequest, SessionRecord, SessionStore } from '../session-store.js'
import { rolesText, toLocalUserRecord, toRefreshTokenRecord, toSessionRecord } from '../sql/session-rows.js'
import type { LocalUserRow, RefreshTokenRow, SessionRow } from '../sql/schema.js'
import { insertAuditEntryOn } from './pg-audit.js'
import { prepared, type PgQueryable } from './pg-client.js'
import type { PgContext } from './pg-context.js'

/** Parameters: id, subject, roles, tenant, created_at, expires_at. */
const insertSessionSql = `insert into weft_sessions (id, subject, roles, tenant, created_at, expires_at) values ($1, $2, $3, $4, $5, $6)`
/** Parameters: hash, session id, parent, issued_at, expires_at. */
const insertTokenSql = `insert into weft_refresh_tokens (hash, session_id, parent, issued_at, expires_at) values ($1, $2, $3, $4, $5)`
/** Parameters: hash, now. Marks a token used only if unused, unexpired, its session active: the statement two refreshes race on. */
const useTokenSql = `update weft_refresh_tokens set used_at = $2
  where hash = $1 and used_at is null and expires_at > $2
    and session_id in (select id from weft_sessions where revoked_at is null and expires_at > $2)
  returning session_id`
const selectSessionSql = `select * from weft_sessions where id = $1`
const selectTokenSql = `select * from weft_refresh_tokens where hash = $1`
/** Parameters: id, now, reason. */
const revokeSql = `update weft_sessions set revoked_at = $2, revoke_reason = $3 where id = $1 and revoked_at is null`
/** Parameters: subject, now, reason. */
const revokeSubjectSql = `update weft_sessions set revoked_at = $2, revoke_reason = $3 where subject = $1 and revoked_at is null`
/** Parameters: ended by. Refresh tokens go with their session (on delete cascade). */
const pruneSql = `delete from weft_sessions where expires_at <= $1 or revoked_at <= $1`
/** Parameters: name, subject, roles, tenant, password_hash, created_at, updated_at. */
const putUserSql = `insert into weft_local_users (name, subject, roles, tenant, password_hash, created_at, updated_at) values ($1, $2, $3, $4, $5, $6, $7)
  on conflict (name) do update set subject = excluded.subject, roles = excluded.roles, tenant = excluded.tenant,
    password_hash = excluded.password_hash, updated_at = excluded.updated_at`
const selectUserSql = `select * from weft_local_users where name = $1`
const deleteUserSql = `delete from weft_local_users where name = $1`
const selectAttemptsSql = `select failures, locked_until from weft_login_attempts where name = $1`
/** Parameters: name, failures, locked_until, the failures read before (the compare of compare-and-set). */
const claimAttemptSql = `insert into weft_login_attempts (name, failures, locked_until) values ($1, $2, $3)
  on conflict (name) do update set failures = excluded.failures, locked_until = excluded.locked_until where weft_login_attempts.failures = $4`
const clearAttemptsSql = `delete from weft_login_attempts where name = $1`

/** How often a login attempt's claim is tried again after another process changed the counter in between. */
const maxClaimRounds = 20

/** The PostgreSQL store's sessions and local users. */
export class PgSessions implements SessionStore, LocalUserStore {
  constructor(private readonly pg: PgContext) {}

  async createSession(session: NewSession, first: NewRefreshToken, audit?: readonly AuditEntry[]): Promise<void> {
    const { id, subject, createdAt, expiresAt } = session
    await this.pg.transaction(async (client) => {
      await client.query(prepared(insertSessionSql, [id, subject, rolesText(session.roles), session.tenant ?? null, createdAt, expiresAt]))
      await insertToken(client, first, id, null)
      await insertAuditEntryOn(client, audit ?? [])
    })
  }

  rotateRefreshToken(request: RotationRequest): Promise<RotationOutcome> {
    return this.pg.transaction(async (client): Promise<RotationOutcome> => {
      const outcome = await rotate(client, request)
      await insertAuditEntryOn(client, request.audit?.(outcome) ?? [])
      return outcome
    })
  }

  getSession(id: string): Promise<SessionRecord | undefined> {
    return readSession(this.pg.db, id)
  }

  findRefreshToken(hash: string): Promise<RefreshTokenRecord | undefined> {
    return readToken(this.pg.db, hash)
  }

  revokeSession(id: string, now: number, reason: string, audit?: AuditEntriesOf<boolean>): Promise<boolean> {
    return this.audited(audit, async (db) => (await db.query(prepared(revokeSql, [id, now, reason]))).rowCount === 1)
  }

  revokeSubject(subject: string, now: number, reason: string, audit?: AuditEntriesOf<number>): Promise<number> {
    return this.audited(audit, async (db) => (await db.query(prepared(revokeSubjectSql, [subject, now, reason]))).rowCount ?? 0)
  }

  async pruneSessions(endedBy: number): Promise<number> {
    return (await this.pg.db.query(prepared(pruneSql, [endedBy]))).rowCount ?? 0
  }

  async putLocalUser(user: LocalUserRecord, audit?: readonly AuditEntry[]): Promise<void> {
    const values = [user.name, user.subject, rolesText(user.roles), user.tenant ?? null, user.passwordHash, user.createdAt, user.updatedAt]
    await this.audited(audit === undefined ? undefined : () => audit, async (db) => void (await db.query(prepared(putUserSql, values))))
  }

  async getLocalUser(name: string): Promise<LocalUserRecord | undefined> {
    const { rows } = await this.pg.db.query<LocalUserRow>(prepared(selectUserSql, [name]))
    return rows[0] === undefined ? undefined : toLocalUserRecord(rows[0])
  }

  deleteLocalUser(name: string, audit?: AuditEntriesOf<boolean>): Promise<boolean> {
    return this.audited(audit, async (db) => (await db.query(prepared(deleteUserSql, [name]))).rowCount === 1)
  }

  /** Reads the counter, decides, writes only if the counter is still what was read; else reads again. */
  async claimLoginAttempt(name: string, now: number, policy: LockoutPolicy): Promise<AttemptDecision> {
    for (let round = 1; ; round++) {
      const { rows } = await this.pg.db.query<{ failures: number; locked_until: number | null }>(prepared(selectAttemptsSql, [name]))
      const current = { failures: Number(rows[0]?.failures ?? 0), lockedUntil: rows[0]?.locked_until == null ? undefined : Number(rows[0].locked_until) }
      const decision = decideAttempt(current, now, policy)
      if (decision.kind === 'locked') return decision
      const values = [name, decision.next.failures, decision.next.lockedUntil ?? null, current.failures]
      if ((await this.pg.db.query(prepared(claimAttemptSql, values))).rowCount === 1) return decision
      // Fail closed: a name this contended is under attack; refuse rather than let an uncounted attempt through.
      if (round >= maxClaimRounds) return { kind: 'locked', retryAfterMs: policy.baseLockMs }
    }
  }

  async clearLoginAttempts(name: string, audit?: readonly AuditEntry[]): Promise<void> {
    await this.audited(audit === undefined ? undefined : () => audit, async (db) => void (await db.query(prepared(clearAttemptsSql, [name]))))
  }

  /** Runs `write` alone, or, with `audit`, in a transaction that inserts the entries `audit` gives for its result. */
  private audited<R>(audit: AuditEntriesOf<R> | undefined, write: (db: PgQueryable) => Promise<R>): Promise<R> {
    if (audit === undefined) return write(this.pg.db)
    return this.pg.transaction(async (client) => {
      const result = await write(client)
      await insertAuditEntryOn(client, audit(result))
      return result
    })
  }
}

/** Marks the token used (and stores its successor) or tells why not; a reused token revokes its session. In a transaction. */
async function rotate(client: PgQueryable, request: RotationRequest): Promise<RotationOutcome> {
  const used = await client.query<{ session_id: string }>(prepared(useTokenSql, [request.usedHash, request.now]))
  if (used.rowCount === 1) {
    const sessionId = used.rows[0]!.session_id
    await insertToken(client, request.next, sessionId, request.usedHash)
    return { kind: 'rotated', session: (await readSession(client, sessionId))! }
  }
  const token = await readToken(client, request.usedHash)
  const outcome = refusedRotation(token, token === undefined ? undefined : await readSession(client, token.sessionId), request.now)
  if (outcome.kind === 'reused') await client.query(prepared(revokeSql, [outcome.sessionId, request.now, reusedTokenReason]))
  return outcome
}

async function insertToken(db: PgQueryable, token: NewRefreshToken, sessionId: string, parent: string | null): Promise<void> {
  await db.query(prepared(insertTokenSql, [token.hash, sessionId, parent, token.issuedAt, token.expiresAt]))
}

async function readSession(db: PgQueryable, id: string): Promise<SessionRecord | undefined> {
  const { rows } = await db.query<SessionRow>(prepared(selectSessionSql, [id]))
  return rows[0] === undefined ? undefined : toSessionRecord(rows[0])
}

async function readToken(db: PgQueryable, hash: string): Promise<RefreshTokenRecord | undefined> {
  const { rows } = await db.query<RefreshTokenRow>(prepared(selectTokenSql, [hash]))
  return rows[0] === undefined ? undefined : toRefreshTokenRecord(rows[0])
}
