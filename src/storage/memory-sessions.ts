// The memory store's sessions and local users: maps, the same rules as the SQL stores (decideAttempt, refusedRotation).
// One process only: nothing here is shared with another store instance.
import {
  decideAttempt,
  isActiveSession,
  refusedRotation,
  reusedTokenReason,
  type AttemptDecision,
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

/** Sessions, refresh tokens (by hash), local users and login attempts in maps. */
export class MemorySessions implements SessionStore, LocalUserStore {
  private readonly sessions = new Map<string, SessionRecord>()
  private readonly tokens = new Map<string, RefreshTokenRecord>()
  private readonly users = new Map<string, LocalUserRecord>()
  private readonly attempts = new Map<string, LoginAttempts>()

  async createSession(session: NewSession, first: NewRefreshToken): Promise<void> {
    this.sessions.set(session.id, { ...session, roles: [...session.roles] })
    this.tokens.set(first.hash, { ...first, sessionId: session.id })
  }

  async rotateRefreshToken(request: RotationRequest): Promise<RotationOutcome> {
    const token = this.tokens.get(request.usedHash)
    const session = token === undefined ? undefined : this.sessions.get(token.sessionId)
    if (token === undefined || session === undefined || token.usedAt !== undefined || token.expiresAt <= request.now || !isActiveSession(session, request.now)) {
      const outcome = refusedRotation(token, session, request.now)
      if (outcome.kind === 'reused') await this.revokeSession(outcome.sessionId, request.now, reusedTokenReason)
      return outcome
    }
    this.tokens.set(token.hash, { ...token, usedAt: request.now })
    this.tokens.set(request.next.hash, { ...request.next, sessionId: token.sessionId, parent: token.hash })
    return { kind: 'rotated', session }
  }

  async getSession(id: string): Promise<SessionRecord | undefined> {
    return this.sessions.get(id)
  }

  async findRefreshToken(hash: string): Promise<RefreshTokenRecord | undefined> {
    return this.tokens.get(hash)
  }

  async revokeSession(id: string, now: number, reason: string): Promise<boolean> {
    const session = this.sessions.get(id)
    if (session === undefined || session.revokedAt !== undefined) return false
    this.sessions.set(id, { ...session, revokedAt: now, revokeReason: reason })
    return true
  }

  async revokeSubject(subject: string, now: number, reason: string): Promise<number> {
    let revoked = 0
    for (const session of [...this.sessions.values()]) if (session.subject === subject && (await this.revokeSession(session.id, now, reason))) revoked++
    return revoked
  }

  async pruneSessions(endedBy: number): Promise<number> {
    const ended = [...this.sessions.values()].filter((session) => session.expiresAt <= endedBy || (session.revokedAt ?? Infinity) <= endedBy)
    for (const session of ended) this.sessions.delete(session.id)
    for (const [hash, token] of this.tokens) if (!this.sessions.has(token.sessionId)) this.tokens.delete(hash)
    return ended.length
  }

  async putLocalUser(user: LocalUserRecord): Promise<void> {
    this.users.set(user.name, { ...user, roles: [...user.roles] })
  }

  async getLocalUser(name: string): Promise<LocalUserRecord | undefined> {
    return this.users.get(name)
  }

  async deleteLocalUser(name: string): Promise<boolean> {
    return this.users.delete(name)
  }

  async claimLoginAttempt(name: string, now: number, policy: LockoutPolicy): Promise<AttemptDecision> {
    const decision = decideAttempt(this.attempts.get(name) ?? { failures: 0 }, now, policy)
    if (decision.kind === 'attempt') this.attempts.set(name, decision.next)
    return decision
  }

  async clearLoginAttempts(name: string): Promise<void> {
    this.attempts.delete(name)
  }
}
