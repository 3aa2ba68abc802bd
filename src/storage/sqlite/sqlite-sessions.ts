// Sessions and local users on SQLite: every write in the write queue's `begin immediate` transaction, so processes
// sharing the file take turns; a rotation marks its token used with `... where used_at is null` and checks the count.
// A write's audit entries are inserted in its transaction (`insertAuditEntry`), so they commit or roll back with it.
import type { AuditEntry } from '../audit-store.js'
import type { AuditEntriesOf } from '../session-store.js'
import { decideAttempt, refusedRotation, reusedTokenReason, type AttemptDecision, type LocalUserRecord, type LocalUserStore, type LockoutPolicy } from '../session-store.js'
import type { NewRefreshToken, NewSession, RefreshTokenRecord, RotationOutcome, RotationRequest, SessionRecord, SessionStore } from '../session-store.js'
import { rolesText, toLocalUserRecord, toRefreshTokenRecord, toSessionRecord } from '../sql/session-rows.js'
import type { LocalUserRow, RefreshTokenRow, SessionRow } from '../sql/schema.js'
import { insertAuditEntry } from './sqlite-audit.js'
import type { SqliteContext } from './sqlite-context.js'

const insertSessionSql = `insert into weft_sessions (id, subject, roles, tenant, created_at, expires_at) values (@id, @subject, @roles, @tenant, @createdAt, @expiresAt)`
const insertTokenSql = `insert into weft_refresh_tokens (hash, session_id, parent, issued_at, expires_at) values (@hash, @sessionId, @parent, @issuedAt, @expiresAt)`
/** Marks a token used only if it is unused, unexpired, and its session active: the one statement two refreshes race on. */
const useTokenSql = `update weft_refresh_tokens set used_at = @now
  where hash = @hash and used_at is null and expires_at > @now
    and session_id in (select id from weft_sessions where revoked_at is null and expires_at > @now)
  returning session_id`
const selectSessionSql = `select * from weft_sessions where id = @id`
const selectTokenSql = `select * from weft_refresh_tokens where hash = @hash`
const revokeSql = `update weft_sessions set revoked_at = @now, revoke_reason = @reason where id = @id and revoked_at is null`
const revokeSubjectSql = `update weft_sessions set revoked_at = @now, revoke_reason = @reason where subject = @subject and revoked_at is null`
/** Refresh tokens go with their session (on delete cascade). */
const pruneSql = `delete from weft_sessions where expires_at <= @endedBy or revoked_at <= @endedBy`
const putUserSql = `insert into weft_local_users (name, subject, roles, tenant, password_hash, created_at, updated_at)
  values (@name, @subject, @roles, @tenant, @passwordHash, @createdAt, @updatedAt)
  on conflict (name) do update set subject = excluded.subject, roles = excluded.roles, tenant = excluded.tenant,
    password_hash = excluded.password_hash, updated_at = excluded.updated_at`
const selectUserSql = `select * from weft_local_users where name = @name`
const deleteUserSql = `delete from weft_local_users where name = @name`
const selectAttemptsSql = `select failures, locked_until from weft_login_attempts where name = @name`
const claimAttemptSql = `insert into weft_login_attempts (name, failures, locked_until) values (@name, @failures, @lockedUntil)
  on conflict (name) do update set failures = excluded.failures, locked_until = excluded.locked_until where weft_login_attempts.failures = @previous`
const clearAttemptsSql = `delete from weft_login_attempts where name = @name`

/** The SQLite store's sessions and local users. */
export class SqliteSessions implements SessionStore, LocalUserStore {
  constructor(private readonly sqlite: SqliteContext) {}

  createSession(session: NewSession, first: NewRefreshToken, audit?: readonly AuditEntry[]): Promise<void> {
    return this.sqlite.writes.run(() => {
      const { id, subject, createdAt, expiresAt } = session
      this.sqlite.statement(insertSessionSql).run({ id, subject, roles: rolesText(session.roles), tenant: session.tenant ?? null, createdAt, expiresAt })
      this.insertToken(first, id, null)
      this.insertAudit(audit)
    })
  }

  rotateRefreshToken(request: RotationRequest): Promise<RotationOutcome> {
    return this.sqlite.writes.run((): RotationOutcome => {
      const outcome = this.rotate(request)
      this.insertAudit(request.audit?.(outcome))
      return outcome
    })
  }

  getSession(id: string): Promise<SessionRecord | undefined> {
    return this.sqlite.read('reading a session', () => this.readSession(id))
  }

  findRefreshToken(hash: string): Promise<RefreshTokenRecord | undefined> {
    return this.sqlite.read('reading a refresh token', () => this.readToken(hash))
  }

  revokeSession(id: string, now: number, reason: string, audit?: AuditEntriesOf<boolean>): Promise<boolean> {
    return this.sqlite.writes.run(() => this.audited(Number(this.sqlite.statement(revokeSql).run({ id, now, reason }).changes) === 1, audit))
  }

  revokeSubject(subject: string, now: number, reason: string, audit?: AuditEntriesOf<number>): Promise<number> {
    return this.sqlite.writes.run(() => this.audited(Number(this.sqlite.statement(revokeSubjectSql).run({ subject, now, reason }).changes), audit))
  }

  pruneSessions(endedBy: number): Promise<number> {
    return this.sqlite.writes.run(() => Number(this.sqlite.statement(pruneSql).run({ endedBy }).changes))
  }

  putLocalUser(user: LocalUserRecord, audit?: readonly AuditEntry[]): Promise<void> {
    const { name, subject, passwordHash, createdAt, updatedAt } = user
    const parameters = { name, subject, roles: rolesText(user.roles), tenant: user.tenant ?? null, passwordHash, createdAt, updatedAt }
    return this.sqlite.writes.run(() => {
      this.sqlite.statement(putUserSql).run(parameters)
      this.insertAudit(audit)
    })
  }

  getLocalUser(name: string): Promise<LocalUserRecord | undefined> {
    return this.sqlite.read('reading a local user', () => {
      const row = this.sqlite.statement(selectUserSql).get({ name }) as LocalUserRow | undefined
      return row === undefined ? undefined : toLocalUserRecord(row)
    })
  }

  deleteLocalUser(name: string, audit?: AuditEntriesOf<boolean>): Promise<boolean> {
    return this.sqlite.writes.run(() => this.audited(Number(this.sqlite.statement(deleteUserSql).run({ name }).changes) === 1, audit))
  }

  /** Read and conditional write in one `begin immediate` transaction: no other process writes in between. */
  claimLoginAttempt(name: string, now: number, policy: LockoutPolicy): Promise<AttemptDecision> {
    return this.sqlite.writes.run(() => {
      const row = this.sqlite.statement(selectAttemptsSql).get({ name }) as { failures: number; locked_until: number | null } | undefined
      const current = { failures: Number(row?.failures ?? 0), lockedUntil: row?.locked_until == null ? undefined : Number(row.locked_until) }
      const decision = decideAttempt(current, now, policy)
      if (decision.kind === 'locked') return decision
      const { failures, lockedUntil } = decision.next
      this.sqlite.statement(claimAttemptSql).run({ name, failures, lockedUntil: lockedUntil ?? null, previous: current.failures })
      return decision
    })
  }

  clearLoginAttempts(name: string, audit?: readonly AuditEntry[]): Promise<void> {
    return this.sqlite.writes.run(() => {
      this.sqlite.statement(clearAttemptsSql).run({ name })
      this.insertAudit(audit)
    })
  }

  /** Marks the token used (and stores its successor) or tells why not; a reused token revokes its session. Inside a write. */
  private rotate(request: RotationRequest): RotationOutcome {
    const used = this.sqlite.statement(useTokenSql).all({ hash: request.usedHash, now: request.now }) as { session_id: string }[]
    if (used.length === 1) {
      this.insertToken(request.next, used[0]!.session_id, request.usedHash)
      return { kind: 'rotated', session: this.readSession(used[0]!.session_id)! }
    }
    const token = this.readToken(request.usedHash)
    const outcome = refusedRotation(token, token === undefined ? undefined : this.readSession(token.sessionId), request.now)
    if (outcome.kind === 'reused') this.sqlite.statement(revokeSql).run({ id: outcome.sessionId, now: request.now, reason: reusedTokenReason })
    return outcome
  }

  /** Inserts the entries `audit` gives for `result` in the write under way; returns `result`. */
  private audited<R>(result: R, audit: AuditEntriesOf<R> | undefined): R {
    this.insertAudit(audit?.(result))
    return result
  }

  private insertAudit(entries: readonly AuditEntry[] | undefined): void {
    if (entries !== undefined && entries.length > 0) insertAuditEntry(this.sqlite, entries)
  }

  private insertToken(token: NewRefreshToken, sessionId: string, parent: string | null): void {
    this.sqlite.statement(insertTokenSql).run({ hash: token.hash, sessionId, parent, issuedAt: token.issuedAt, expiresAt: token.expiresAt })
  }

  private readSession(id: string): SessionRecord | undefined {
    const row = this.sqlite.statement(selectSessionSql).get({ id }) as SessionRow | undefined
    return row === undefined ? undefined : toSessionRecord(row)
  }

  private readToken(hash: string): RefreshTokenRecord | undefined {
    const row = this.sqlite.statement(selectTokenSql).get({ hash }) as RefreshTokenRow | undefined
    return row === undefined ? undefined : toRefreshTokenRecord(row)
  }
}
