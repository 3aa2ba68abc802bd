// The memory store's sessions and local users: maps, the same rules as the SQL stores (decideAttempt, refusedRotation).
// One process only: nothing here is shared with another store instance. A write's audit entries go to the store's
// audit table before the write changes anything, so an entry that cannot be inserted leaves the write undone.
import type { AuditEntry } from './audit-store.js'
import { MemoryAudit } from './memory-audit.js'
import {
  decideAttempt,
  isActiveSession,
  refusedRotation,
  reusedTokenReason,
  type AttemptDecision,
  type AuditEntriesOf,
  type LocalUserRecord,
  type LocalUserStore,
  type LockoutPolicy,
  type LoginAttempts,
  type NewRefreshToken,
  type NewSession,
  type RefreshTokenRecord,
  type RotationOutcome,
  type RotationRequest,
  type SessionRecord,
  type SessionStore,
} from './session-store.js'

/** Sessions, refresh tokens (by hash), local users and login attempts in maps; audit entries into `audit` (the store's table). */
export class MemorySessions implements SessionStore, LocalUserStore {
  private readonly sessions = new Map<string, SessionRecord>()
  private readonly tokens = new Map<string, RefreshTokenRecord>()
  private readonly users = new Map<string, LocalUserRecord>()
  private readonly attempts = new Map<string, LoginAttempts>()

  constructor(private readonly audit: Pick<MemoryAudit, 'insert'> = new MemoryAudit()) {}

  async createSession(session: NewSession, first: NewRefreshToken, audit?: readonly AuditEntry[]): Promise<void> {
    this.insertAudit(audit)
    this.sessions.set(session.id, { ...session, roles: [...session.roles] })
    this.tokens.set(first.hash, { ...first, sessionId: session.id })
  }

  async rotateRefreshToken(request: RotationRequest): Promise<RotationOutcome> {
    const token = this.tokens.get(request.usedHash)
    const session = token === undefined ? undefined : this.sessions.get(token.sessionId)
    const rotatable = token !== undefined && session !== undefined && token.usedAt === undefined && token.expiresAt > request.now && isActiveSession(session, request.now)
    const outcome: RotationOutcome = rotatable ? { kind: 'rotated', session } : refusedRotation(token, session, request.now)
    this.insertAudit(request.audit?.(outcome))
    if (outcome.kind === 'reused' && session!.revokedAt === undefined) this.revoke(outcome.sessionId, request.now, reusedTokenReason)
    if (outcome.kind === 'rotated') {
      this.tokens.set(token!.hash, { ...token!, usedAt: request.now })
      this.tokens.set(request.next.hash, { ...request.next, sessionId: token!.sessionId, parent: token!.hash })
    }
    return outcome
  }

  async getSession(id: string): Promise<SessionRecord | undefined> {
    return this.sessions.get(id)
  }

  async findRefreshToken(hash: string): Promise<RefreshTokenRecord | undefined> {
    return this.tokens.get(hash)
  }

  async revokeSession(id: string, now: number, reason: string, audit?: AuditEntriesOf<boolean>): Promise<boolean> {
    const session = this.sessions.get(id)
    const revocable = session !== undefined && session.revokedAt === undefined
    this.insertAudit(audit?.(revocable))
    if (revocable) this.revoke(id, now, reason)
    return revocable
  }

  async revokeSubject(subject: string, now: number, reason: string, audit?: AuditEntriesOf<number>): Promise<number> {
    const active = [...this.sessions.values()].filter((session) => session.subject === subject && session.revokedAt === undefined)
    this.insertAudit(audit?.(active.length))
    for (const session of active) this.revoke(session.id, now, reason)
    return active.length
  }

  async pruneSessions(endedBy: number): Promise<number> {
    const ended = [...this.sessions.values()].filter((session) => session.expiresAt <= endedBy || (session.revokedAt ?? Infinity) <= endedBy)
    for (const session of ended) this.sessions.delete(session.id)
    for (const [hash, token] of this.tokens) if (!this.sessions.has(token.sessionId)) this.tokens.delete(hash)
    return ended.length
  }

  async putLocalUser(user: LocalUserRecord, audit?: readonly AuditEntry[]): Promise<void> {
    this.insertAudit(audit)
    this.users.set(user.name, { ...user, roles: [...user.roles] })
  }

  async getLocalUser(name: string): Promise<LocalUserRecord | undefined> {
    return this.users.get(name)
  }

  async deleteLocalUser(name: string, audit?: AuditEntriesOf<boolean>): Promise<boolean> {
    this.insertAudit(audit?.(this.users.has(name)))
    return this.users.delete(name)
  }

  async claimLoginAttempt(name: string, now: number, policy: LockoutPolicy): Promise<AttemptDecision> {
    const decision = decideAttempt(this.attempts.get(name) ?? { failures: 0 }, now, policy)
    if (decision.kind === 'attempt') this.attempts.set(name, decision.next)
    return decision
  }

  async clearLoginAttempts(name: string, audit?: readonly AuditEntry[]): Promise<void> {
    this.insertAudit(audit)
    this.attempts.delete(name)
  }

  /** Marks a session revoked (the caller checked it is active). */
  private revoke(id: string, now: number, reason: string): void {
    this.sessions.set(id, { ...this.sessions.get(id)!, revokedAt: now, revokeReason: reason })
  }

  /** Inserts a write's entries first: when one cannot be inserted, the write changes nothing. */
  private insertAudit(entries: readonly AuditEntry[] | undefined): void {
    if (entries !== undefined && entries.length > 0) this.audit.insert(entries)
  }
}
