// The store roles of sessions and local users: session families with their refresh tokens (kept as SHA-256 hashes,
// rotated with a conditional update so two processes refreshing one token never both win), local users' password
// hashes, and login attempt counters shared by every process. The pure rules every store applies are here too.
// A write that changes something can carry the audit entries recording it, inserted in its own transaction.
import type { AuditEntry } from './audit-store.js'

/**
 * A session: one login, the family of refresh tokens rotated from it, and a
 * snapshot of the principal it was opened for.
 *
 * @example
 * ```ts
 * import type { SessionRecord } from 'weft-sdk/store'
 * declare const session: SessionRecord
 * const active = session.revokedAt === undefined && session.expiresAt > Date.now()
 * ```
 */
export interface SessionRecord {
  /** The session id (`sid` of its access tokens): 128 random bits, base64url. Not a secret. */
  readonly id: string
  /** The principal's subject. */
  readonly subject: string
  /** Its roles at login (the access tokens of a refresh carry them). */
  readonly roles: readonly string[]
  /** Its tenant at login, if any. */
  readonly tenant?: string | undefined
  /** When it was opened (epoch milliseconds). */
  readonly createdAt: number
  /** When it ends whatever refreshes happen (epoch milliseconds): its absolute lifetime. */
  readonly expiresAt: number
  /** When it was revoked (logout, revocation, a reused refresh token). */
  readonly revokedAt?: number | undefined
  /** Why: `logout`, `revoked`, `refresh-reused`, or the caller's own reason. */
  readonly revokeReason?: string | undefined
}

/**
 * A refresh token as a store keeps it: its SHA-256 hash, never the token.
 *
 * @example
 * ```ts
 * import type { NewRefreshToken } from 'weft-sdk/store'
 * const token: NewRefreshToken = { hash: 'b5bb9d80...', issuedAt: 1_000, expiresAt: 1_000 + 14 * 86_400_000 }
 * ```
 */
export interface NewRefreshToken {
  /** SHA-256 of the token, lowercase hex. */
  readonly hash: string
  /** When it was issued (epoch milliseconds). */
  readonly issuedAt: number
  /** When it stops being accepted (epoch milliseconds). */
  readonly expiresAt: number
}

/**
 * A stored refresh token: its hash, its family (session), the token it was rotated from, and when it was used.
 *
 * @example
 * ```ts
 * import type { RefreshTokenRecord } from 'weft-sdk/store'
 * declare const token: RefreshTokenRecord
 * const spent = token.usedAt !== undefined
 * ```
 */
export interface RefreshTokenRecord extends NewRefreshToken {
  /** The session (family) it belongs to. */
  readonly sessionId: string
  /** The hash of the token it replaced; absent for the login's first token. */
  readonly parent?: string | undefined
  /** When it was exchanged for its successor; a second use is a reuse. */
  readonly usedAt?: number | undefined
}

/**
 * A session to open (see {@link SessionStore.createSession}).
 *
 * @example
 * ```ts
 * import type { NewSession } from 'weft-sdk/store'
 * const session: NewSession = { id: 'q1w2e3', subject: 'user:ada', roles: ['analyst'], createdAt: 1_000, expiresAt: 1_000 + 30 * 86_400_000 }
 * ```
 */
export type NewSession = Omit<SessionRecord, 'revokedAt' | 'revokeReason'>

/**
 * A refresh to perform: the hash of the token presented, and its successor.
 *
 * @example
 * ```ts
 * import type { RotationRequest } from 'weft-sdk/store'
 * const request: RotationRequest = { usedHash: 'b5bb...', now: 2_000, next: { hash: '7d86...', issuedAt: 2_000, expiresAt: 3_000 } }
 * ```
 */
export interface RotationRequest {
  /** SHA-256 of the refresh token presented. */
  readonly usedHash: string
  /** The time of the refresh (epoch milliseconds). */
  readonly now: number
  /** The token that replaces it, in the same family. */
  readonly next: NewRefreshToken
  /** The audit entries of the refresh, chosen from its outcome and inserted in its transaction (see {@link AuditEntriesOf}). */
  readonly audit?: AuditEntriesOf<RotationOutcome> | undefined
}

/**
 * The audit entries a store write inserts in its own transaction, chosen
 * from what the write did: the store calls it once, inside the
 * transaction, with the write's result (a rotation's outcome, whether a
 * session was revoked, how many), and inserts every entry it returns
 * (none when nothing is worth recording). The entries come sealed from
 * the audit log (`AuditLog.recordWithin`), so the function must be called
 * at most once and its entries inserted or the write failed; a failed
 * insert fails the write as a whole (nothing of it is applied).
 *
 * @example
 * ```ts
 * import type { AuditEntriesOf, AuditEntry } from 'weft-sdk/store'
 * declare const sealed: AuditEntry
 * const onlyWhenRevoked: AuditEntriesOf<boolean> = (revoked) => (revoked ? [sealed] : [])
 * ```
 */
export type AuditEntriesOf<R> = (result: R) => readonly AuditEntry[]

/**
 * How a refresh ended in the store. `rotated`: the token was unused, valid,
 * and is now used; its successor is stored. `reused`: it had been used
 * already: the whole family is revoked (now, or before). `expired`,
 * `revoked`: refused, nothing changed. `unknown`: no such token.
 *
 * @example
 * ```ts
 * import type { RotationOutcome } from 'weft-sdk/store'
 * declare const outcome: RotationOutcome
 * if (outcome.kind === 'reused') console.warn(`session ${outcome.sessionId} revoked: a refresh token was used twice`)
 * ```
 */
export type RotationOutcome =
  | {
      /** The token is now used and its successor stored in the same family. */
      readonly kind: 'rotated'
      /** The token's session (active), for the tokens the refresh issues. */
      readonly session: SessionRecord
    }
  | {
      /** Refused: the token was used before (its session is revoked), or it or its session expired, or the session was revoked. */
      readonly kind: 'reused' | 'expired' | 'revoked'
      /** The id of the session the token belongs to. */
      readonly sessionId: string
      /** That session as the store read it (before a reuse revoked it), for the audit entry; a store of your own may leave it out. */
      readonly session?: SessionRecord | undefined
    }
  | {
      /** Refused: no stored token has the given hash (or its session is gone). */
      readonly kind: 'unknown'
    }

/**
 * The store role of sessions: session families and their refresh tokens.
 * Every change is one conditional statement or one transaction, so it holds
 * across processes sharing the database: of two processes rotating the same
 * token at once exactly one gets `rotated` (`UPDATE … WHERE used_at IS NULL`,
 * its row count checked), and a revocation is seen by the next read of any
 * process. A write given `audit` entries inserts them into the same
 * database's audit log (`weft_audit`) in its own transaction, so the entry
 * and the change commit or roll back together. Memory, SQLite and
 * PostgreSQL implement it.
 *
 * @example
 * ```ts
 * import type { WorkflowStore } from 'weft-sdk/store'
 * declare const store: WorkflowStore
 * const session = await store.sessions?.getSession('q1w2e3')
 * ```
 */
export interface SessionStore {
  /** Stores a new session and its first refresh token, together, with the `audit` entries (sealed) recording it. */
  createSession(session: NewSession, first: NewRefreshToken, audit?: readonly AuditEntry[]): Promise<void>
  /**
   * Exchanges a refresh token for its successor (see {@link RotationOutcome}):
   * marks it used only if it is unused, unexpired and its session is active,
   * and stores the successor in the same transaction; a used token revokes
   * its session with reason `refresh-reused`. The entries of
   * `request.audit`, given the outcome, are inserted in the same transaction.
   */
  rotateRefreshToken(request: RotationRequest): Promise<RotationOutcome>
  /** The session, revoked or not; `undefined` when unknown. */
  getSession(id: string): Promise<SessionRecord | undefined>
  /** The refresh token with this hash; `undefined` when unknown. */
  findRefreshToken(hash: string): Promise<RefreshTokenRecord | undefined>
  /**
   * Revokes a session; false when it is unknown or was revoked already (the
   * first reason is kept). The entries of `audit`, given that answer, are
   * inserted in the same transaction.
   */
  revokeSession(id: string, now: number, reason: string, audit?: AuditEntriesOf<boolean>): Promise<boolean>
  /** Revokes every active session of a subject; how many were revoked. The entries of `audit`, given that count, are inserted in the same transaction. */
  revokeSubject(subject: string, now: number, reason: string, audit?: AuditEntriesOf<number>): Promise<number>
  /** Deletes sessions that ended (expired or revoked) at or before `endedBy`, with their refresh tokens; how many. */
  pruneSessions(endedBy: number): Promise<number>
}

/**
 * A local user as the store keeps it: no password, only its scrypt hash in
 * the self-describing form `$scrypt$ln=17,r=8,p=1$<salt>$<hash>` (base64, no
 * padding), so the parameters can be raised later without losing old users.
 *
 * @example
 * ```ts
 * import type { LocalUserRecord } from 'weft-sdk/store'
 * declare const user: LocalUserRecord
 * const params = user.passwordHash.split('$')[2] // 'ln=17,r=8,p=1'
 * ```
 */
export interface LocalUserRecord {
  /** The login name (unique). */
  readonly name: string
  /** The principal's subject when the user logs in. */
  readonly subject: string
  /** The principal's roles. */
  readonly roles: readonly string[]
  /** The principal's tenant, if any. */
  readonly tenant?: string | undefined
  /** The scrypt hash of the password with its parameters and salt. */
  readonly passwordHash: string
  /** When it was created (epoch milliseconds). */
  readonly createdAt: number
  /** When its password or roles last changed (epoch milliseconds). */
  readonly updatedAt: number
}

/**
 * When repeated failed logins lock a name: from the `maxFailures`-th
 * attempt in a row, each attempt locks the name for
 * `min(maxLockMs, baseLockMs · 2^(attempt − maxFailures))` unless it succeeds.
 *
 * @example
 * ```ts
 * import type { LockoutPolicy } from 'weft-sdk/store'
 * const policy: LockoutPolicy = { maxFailures: 5, baseLockMs: 30_000, maxLockMs: 3_600_000 }
 * ```
 */
export interface LockoutPolicy {
  /** Attempts in a row before the name locks. */
  readonly maxFailures: number
  /** The first lock's length (milliseconds). */
  readonly baseLockMs: number
  /** The longest lock (milliseconds). */
  readonly maxLockMs: number
}

/**
 * A name's attempts in a row that did not succeed (attempts in flight count), and its lock.
 *
 * @example
 * ```ts
 * import type { LoginAttempts } from 'weft-sdk/store'
 * const fresh: LoginAttempts = { failures: 0 }
 * ```
 */
export interface LoginAttempts {
  /** Attempts since the last success (each counted before its password is checked). */
  readonly failures: number
  /** No attempt is accepted before this time (epoch milliseconds). */
  readonly lockedUntil?: number | undefined
}

/**
 * The answer to a login attempt's claim: refused while locked, else the
 * attempt is counted (as a failure until it succeeds) and may lock the name.
 *
 * @example
 * ```ts
 * import type { AttemptDecision } from 'weft-sdk/store'
 * declare const decision: AttemptDecision
 * if (decision.kind === 'locked') console.log(`try again in ${decision.retryAfterMs} ms`)
 * ```
 */
export type AttemptDecision =
  | {
      /** Refused: the name is locked, and the attempt is not counted. */
      readonly kind: 'locked'
      /** How long until the lock lifts (milliseconds). */
      readonly retryAfterMs: number
    }
  | {
      /** Accepted: the attempt is counted, and the password may be checked. */
      readonly kind: 'attempt'
      /** The name's attempts with this one counted as a failure (and its lock, from the `maxFailures`-th). */
      readonly next: LoginAttempts
    }

/**
 * The store role of local users: their records and the login attempt
 * counters, kept per name whether or not a user has it (so a lockout does
 * not tell an unknown name from a known one). Claims are compare-and-set on
 * the counter, so processes sharing the database count every attempt.
 *
 * @example
 * ```ts
 * import type { WorkflowStore } from 'weft-sdk/store'
 * declare const store: WorkflowStore
 * const ada = await store.localUsers?.getLocalUser('ada')
 * ```
 */
export interface LocalUserStore {
  /** Creates or replaces a user (by name), with the `audit` entries (sealed) recording it. */
  putLocalUser(user: LocalUserRecord, audit?: readonly AuditEntry[]): Promise<void>
  /** The user, or `undefined`. */
  getLocalUser(name: string): Promise<LocalUserRecord | undefined>
  /** Removes a user; false when there was none. The entries of `audit`, given that answer, are inserted in the same transaction. */
  deleteLocalUser(name: string, audit?: AuditEntriesOf<boolean>): Promise<boolean>
  /** Claims an attempt for `name` under the policy (see {@link decideAttempt}), atomically across processes. */
  claimLoginAttempt(name: string, now: number, policy: LockoutPolicy): Promise<AttemptDecision>
  /** Forgets a name's attempts (after a success), with the `audit` entries (sealed) recording the success. */
  clearLoginAttempts(name: string, audit?: readonly AuditEntry[]): Promise<void>
}

/**
 * The lockout rule every store applies: a locked name is refused with the
 * time left; otherwise the attempt is counted, and from the
 * `maxFailures`-th one it locks the name (lifted by a success).
 *
 * @example
 * ```ts
 * import { decideAttempt } from 'weft-sdk/store'
 * decideAttempt({ failures: 4 }, 1_000, { maxFailures: 5, baseLockMs: 30_000, maxLockMs: 3_600_000 })
 * // { kind: 'attempt', next: { failures: 5, lockedUntil: 31_000 } }
 * ```
 */
export function decideAttempt(current: LoginAttempts, now: number, policy: LockoutPolicy): AttemptDecision {
  if (current.lockedUntil !== undefined && current.lockedUntil > now) return { kind: 'locked', retryAfterMs: current.lockedUntil - now }
  const failures = current.failures + 1
  if (failures < policy.maxFailures) return { kind: 'attempt', next: { failures } }
  const lockMs = Math.min(policy.maxLockMs, policy.baseLockMs * 2 ** (failures - policy.maxFailures))
  return { kind: 'attempt', next: { failures, lockedUntil: now + lockMs } }
}

/**
 * Whether a session is active at `now`: not revoked, not past its absolute lifetime.
 *
 * @example
 * ```ts
 * import { isActiveSession, type SessionRecord } from 'weft-sdk/store'
 * declare const session: SessionRecord | undefined
 * const ok = session !== undefined && isActiveSession(session, Date.now())
 * ```
 */
export function isActiveSession(session: SessionRecord, now: number): boolean {
  return session.revokedAt === undefined && session.expiresAt > now
}

/**
 * Why a token could not be marked used (every store applies this after its
 * conditional update changed nothing): unknown, used already (a reuse),
 * its session revoked, or it or its session expired.
 *
 * @example
 * ```ts
 * import { refusedRotation, type RefreshTokenRecord, type SessionRecord } from 'weft-sdk/store'
 * declare const token: RefreshTokenRecord | undefined
 * declare const session: SessionRecord | undefined
 * refusedRotation(token, session, Date.now()).kind // 'unknown' | 'reused' | 'revoked' | 'expired'
 * ```
 */
export function refusedRotation(token: RefreshTokenRecord | undefined, session: SessionRecord | undefined, now: number): RotationOutcome {
  if (token === undefined || session === undefined) return { kind: 'unknown' }
  if (token.usedAt !== undefined) return { kind: 'reused', sessionId: token.sessionId, session }
  if (session.revokedAt !== undefined) return { kind: 'revoked', sessionId: token.sessionId, session }
  return { kind: 'expired', sessionId: token.sessionId, session }
}

/**
 * The reason recorded on a session revoked because one of its refresh tokens was used twice.
 *
 * @example
 * ```ts
 * import { reusedTokenReason, type SessionRecord } from 'weft-sdk/store'
 * declare const session: SessionRecord
 * const stolen = session.revokeReason === reusedTokenReason
 * ```
 */
export const reusedTokenReason = 'refresh-reused'
