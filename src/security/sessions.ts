// Sessions: a login opens a session (a family of refresh tokens) in Weft's store and returns a short-lived access
// token and an opaque refresh token; each refresh rotates the refresh token, a reused one revokes the family, and
// logout or revocation is seen by every process at its next check (at most the active-session cache's TTL later).
// Each login, refresh, refused refresh and revocation is recorded in the audit log (see audit-trail.ts): on the
// store's own log, in the transaction of the store write it records.
import { createHash, randomBytes } from 'node:crypto'
import { Redacted } from 'effect'
import { toMillis, type Duration } from '../core/duration.js'
import { AuthenticationError, SecurityConfigError } from '../core/security-errors.js'
import type { AuditStore } from '../storage/audit-store.js'
import { isActiveSession, type AuditEntriesOf, type NewRefreshToken, type RotationOutcome, type SessionRecord, type SessionStore } from '../storage/session-store.js'
import type { WorkflowStore } from '../storage/workflow-store.js'
import { AuditTrail, type AuditTrailOptions } from './audit-trail.js'
import { malformedRefresh, rotationEntry, sessionCreated, sessionRevoked, subjectRevoked, type RefusedRotation } from './auth-audit.js'
import type { Principal } from './principal.js'

/**
 * What an access token of a session says: who, with which roles and
 * tenant, in which session (`sid`), for how long.
 *
 * @example
 * ```ts
 * import type { AccessTokenClaims } from 'weft-sdk'
 * const claims: AccessTokenClaims = { sub: 'user:ada', roles: ['analyst'], tenant: 'acme', sid: 'Zr3...', lifetimeMs: 900_000 }
 * ```
 */
export interface AccessTokenClaims {
  /** The subject. */
  readonly sub: string
  /** Its roles. */
  readonly roles: readonly string[]
  /** Its tenant, if any. */
  readonly tenant?: string | undefined
  /** The session id: an authenticator asks {@link SessionCheck.sessionIsActive} about it. */
  readonly sid: string
  /** How long the token must be valid (milliseconds): the signer sets `exp` from it. */
  readonly lifetimeMs: number
}

/**
 * Signs access tokens for sessions (a `JwtIssuer` behind a two-line adapter, or your own).
 *
 * @example
 * ```ts
 * import type { AccessTokenSigner, JwtIssuer } from 'weft-sdk'
 * declare const issuer: JwtIssuer
 * const signer: AccessTokenSigner = {
 *   sign: (c) => issuer.issue({ subject: c.sub, roles: c.roles, tenant: c.tenant, claims: { sid: c.sid }, lifetime: c.lifetimeMs }),
 * }
 * ```
 */
export interface AccessTokenSigner {
  /** A signed token carrying the claims, valid for `claims.lifetimeMs`. */
  sign(claims: AccessTokenClaims): Promise<string>
}

/**
 * Whether a session still holds: what an authenticator asks about an access
 * token's `sid` before accepting it.
 *
 * @example
 * ```ts
 * import type { SessionCheck } from 'weft-sdk'
 * declare const sessions: SessionCheck
 * declare const sid: string
 * if (!(await sessions.sessionIsActive(sid))) throw new Error('session revoked')
 * ```
 */
export interface SessionCheck {
  /** True while the session is neither revoked nor past its lifetime (as of at most the cache's TTL ago). */
  sessionIsActive(sid: string): Promise<boolean>
}

/**
 * The tokens of a login or a refresh. Both tokens are `Redacted`: they print
 * as `<redacted>`; take them out with `Redacted.value` only to send them.
 *
 * @example
 * ```ts
 * import { Redacted } from 'effect'
 * import type { SessionTokens } from 'weft-sdk'
 * declare const tokens: SessionTokens
 * const body = { access_token: Redacted.value(tokens.accessToken), refresh_token: Redacted.value(tokens.refreshToken), expires_at: tokens.expiresAt }
 * ```
 */
export interface SessionTokens {
  /** The session (`sid`); not a secret. */
  readonly sessionId: string
  /** The access token the signer made. */
  readonly accessToken: Redacted.Redacted<string>
  /** The refresh token: 256 random bits, base64url; the store keeps only its SHA-256. */
  readonly refreshToken: Redacted.Redacted<string>
  /** When the access token expires (epoch milliseconds). */
  readonly expiresAt: number
  /** When the refresh token expires (epoch milliseconds). */
  readonly refreshExpiresAt: number
}

/**
 * Options of {@link SessionManager}. Given the engine's whole store, it
 * keeps sessions in `store.sessions` and audits to `store.audit`; given only
 * `store.sessions`, it audits to `audit` if given, else nowhere.
 *
 * @example
 * ```ts
 * import type { AccessTokenSigner, SessionManagerOptions } from 'weft-sdk'
 * import type { WorkflowStore } from 'weft-sdk/store'
 * declare const store: WorkflowStore
 * declare const signer: AccessTokenSigner
 * const options: SessionManagerOptions = { store, signer, accessTokenTtl: '10 m', revocationCacheTtl: '2 s' }
 * ```
 */
export interface SessionManagerOptions extends AuditTrailOptions {
  /**
   * Where sessions live: the engine's store (shared by every process on the
   * database; its audit log becomes the default `audit`), or its `store.sessions` alone.
   */
  readonly store: SessionStore | Pick<WorkflowStore, 'sessions' | 'audit'>
  /** Signs access tokens. */
  readonly signer: AccessTokenSigner
  /** Lifetime of an access token. @defaultValue `'15 m'` */
  readonly accessTokenTtl?: Duration
  /** Lifetime of a refresh token (each rotation issues a new one). @defaultValue `'14 d'` */
  readonly refreshTokenTtl?: Duration
  /** Lifetime of a session, whatever refreshes happen. @defaultValue `'30 d'` */
  readonly maxSessionAge?: Duration
  /**
   * How long {@link SessionManager.sessionIsActive} trusts an answer: the
   * bound on how late another process sees a revocation (this process sees
   * its own at once). `0` asks the store every time.
   * @defaultValue `'5 s'`
   */
  readonly revocationCacheTtl?: Duration
  /** Most sessions the cache remembers. @defaultValue `10_000` */
  readonly revocationCacheSize?: number
  /**
   * The principal a refresh issues tokens for (to pick up changed roles);
   * `undefined` revokes the session. Without it, the login's principal is used.
   */
  readonly currentPrincipal?: (session: SessionRecord) => Promise<Principal | undefined>
  /** The clock (epoch milliseconds). @defaultValue `Date.now` */
  readonly now?: () => number
}

/**
 * How to end a session: by its refresh token (what a client holds) or by its id.
 *
 * @example
 * ```ts
 * import { Redacted } from 'effect'
 * import type { LogoutTarget } from 'weft-sdk'
 * declare const refreshToken: string
 * const target: LogoutTarget = { refreshToken: Redacted.make(refreshToken) }
 * ```
 */
export type LogoutTarget =
  | {
      /** A refresh token of the session, as the client holds it; a malformed or unknown one ends nothing. */
      readonly refreshToken: Redacted.Redacted<string> | string
    }
  | {
      /** The session's id (`SessionRecord.id`, the `sid` of its access tokens). */
      readonly sessionId: string
    }

// 256 random bits as base64url: 43 characters without padding.
const refreshTokenPattern = /^[A-Za-z0-9_-]{43}$/

/**
 * Sessions with rotating refresh tokens, kept in Weft's store so every
 * process sees the same ones: `login` opens a session, `refresh` exchanges a
 * refresh token for new tokens (a second use of one revokes the whole
 * session: `AuthenticationError('refresh-reused')`), `logout`, `revoke` and
 * `revokeSubject` end sessions, `sessionIsActive` answers authenticators.
 * Tokens never appear in errors, and the store holds only their SHA-256.
 *
 * Audit (see the `audit` and `onAuditError` options): `login` records `session.created`,
 * `refresh` `session.refreshed`, a reused refresh token `session.reuse`
 * (denied; the session is revoked), any other refused refresh `auth.failed`
 * (unknown, malformed, expired, revoked), and `logout`, `revoke`,
 * `revokeSubject` `session.revoked` with their reason, only when it
 * changed something. An entry names the session (`session:<id>`,
 * `session:*` for a subject's) and the principal it was opened for, never
 * a token. On the store's own log (the default given the whole store),
 * each entry is inserted in the transaction of the store write it records
 * (the session created, the token rotated, the family or session revoked),
 * so both commit or neither: when the entry cannot be written the
 * operation throws the store's `StorageError` and changes nothing. On a
 * sink given as `audit`, entries are written after the operation, and a
 * failed write is reported to `onAuditError` without changing its outcome.
 * `close()` closes the default log.
 *
 * @example
 * ```ts
 * import { SessionManager, principal, type AccessTokenSigner } from 'weft-sdk'
 * import type { WorkflowStore } from 'weft-sdk/store'
 * declare const store: WorkflowStore
 * declare const signer: AccessTokenSigner
 * const sessions = new SessionManager({ store, signer }) // audited to store.audit
 * const tokens = await sessions.login(principal({ subject: 'user:ada', roles: ['analyst'] }))
 * const next = await sessions.refresh(tokens.refreshToken)
 * await sessions.logout({ refreshToken: next.refreshToken })
 * await sessions.close() // the audit log's last checkpoint
 * ```
 * @throws `SecurityConfigError` from the constructor when a lifetime is zero or the refresh token outlives nothing, or when the store given keeps no sessions.
 */
export class SessionManager implements SessionCheck {
  private readonly accessTtlMs: number
  private readonly refreshTtlMs: number
  private readonly maxAgeMs: number
  private readonly cache: ActiveSessionCache
  private readonly now: () => number
  private readonly store: SessionStore
  private readonly audit: AuditTrail

  constructor(private readonly options: SessionManagerOptions) {
    const { sessions, audit } = storesOf(options.store)
    this.store = sessions
    this.accessTtlMs = positiveMillis(options.accessTokenTtl ?? '15 m', 'accessTokenTtl')
    this.refreshTtlMs = positiveMillis(options.refreshTokenTtl ?? '14 d', 'refreshTokenTtl')
    this.maxAgeMs = positiveMillis(options.maxSessionAge ?? '30 d', 'maxSessionAge')
    const cacheTtlMs = toMillis(options.revocationCacheTtl ?? '5 s', 'revocationCacheTtl')
    this.cache = new ActiveSessionCache(cacheTtlMs, options.revocationCacheSize ?? 10_000)
    this.now = options.now ?? Date.now
    this.audit = AuditTrail.of('sessions', options, audit, this.now)
  }

  /**
   * Opens a session for an authenticated principal (after a password or an identity provider's token was checked).
   * @throws `StorageError` when the store (or, on the store's own log, the `session.created` entry) cannot be written: no session is opened.
   */
  async login(who: Principal): Promise<SessionTokens> {
    const now = this.now()
    const session = { id: randomBytes(16).toString('base64url'), subject: who.subject, roles: [...who.roles], tenant: who.tenant, createdAt: now, expiresAt: now + this.maxAgeMs }
    const refresh = this.newRefreshToken(now, session.expiresAt)
    await this.audit.with(sessionCreated(session, now), (audit) => this.store.createSession(session, refresh.stored, audit))
    return this.tokensFor(session, refresh, now)
  }

  /**
   * Exchanges a refresh token for new tokens in the same session; the one given is spent.
   * @throws `AuthenticationError`: `refresh-reused` (it was spent before: the session is now revoked),
   * `revoked`, `expired`, `malformed`, `invalid-credentials` (unknown). The token is never quoted.
   * `StorageError` when the rotation (or, on the store's own log, its entry) cannot be written: the token is not spent and no session is revoked.
   */
  async refresh(refreshToken: Redacted.Redacted<string> | string): Promise<SessionTokens> {
    const now = this.now()
    const usedHash = hashOf(await this.checkedRefreshToken(refreshToken, now))
    const next = this.newRefreshToken(now, now + this.refreshTtlMs)
    const rotate = (audit: AuditEntriesOf<RotationOutcome> | undefined) => this.store.rotateRefreshToken({ usedHash, now, next: next.stored, audit })
    const outcome = await this.audit.decided(rotate, (done) => [rotationEntry(done, now)])
    if (outcome.kind !== 'rotated') throw this.refused(outcome)
    const session = await this.currentSession(outcome.session)
    const refresh = next.stored.expiresAt > session.expiresAt ? { ...next, stored: { ...next.stored, expiresAt: session.expiresAt } } : next
    return this.tokensFor(session, refresh, now)
  }

  /** Ends the session of a refresh token, or a session by id; false when there was none active (logging out twice is harmless). */
  async logout(target: LogoutTarget): Promise<boolean> {
    if ('sessionId' in target) return this.revoke(target.sessionId, 'logout')
    const token = readToken(target.refreshToken)
    if (!refreshTokenPattern.test(token)) return false
    const stored = await this.store.findRefreshToken(hashOf(token))
    return stored === undefined ? false : this.revoke(stored.sessionId, 'logout')
  }

  /**
   * Revokes a session: this process sees it at once, others within `revocationCacheTtl`.
   * @throws `StorageError` when the revocation (or, on the store's own log, its entry) cannot be written: the session stays active.
   */
  async revoke(sessionId: string, reason = 'revoked'): Promise<boolean> {
    this.cache.forget(sessionId)
    const now = this.now()
    const session = await this.sessionForAudit(sessionId)
    const revoke = (audit: AuditEntriesOf<boolean> | undefined) => this.store.revokeSession(sessionId, now, reason, audit)
    const revoked = await this.audit.decided(revoke, (done) => (done ? [sessionRevoked(sessionId, session, reason, now)] : []))
    this.cache.forget(sessionId)
    return revoked
  }

  /**
   * Revokes every session of a subject (a user disabled, a password changed); how many.
   * @throws `StorageError` when the revocation (or, on the store's own log, its entry) cannot be written: none is revoked.
   */
  async revokeSubject(subject: string, reason = 'revoked'): Promise<number> {
    this.cache.forgetSubject(subject)
    const now = this.now()
    const revoke = (audit: AuditEntriesOf<number> | undefined) => this.store.revokeSubject(subject, now, reason, audit)
    const revoked = await this.audit.decided(revoke, (count) => (count > 0 ? [subjectRevoked(subject, count, reason, now)] : []))
    this.cache.forgetSubject(subject)
    return revoked
  }

  /**
   * Deletes sessions that ended (expired or revoked) more than `retain` ago,
   * with their refresh tokens; how many. Until then a reused token of a
   * revoked session is still recognised as a reuse. Run it now and then.
   */
  async pruneSessions(retain: Duration = '7 d'): Promise<number> {
    return this.store.pruneSessions(this.now() - toMillis(retain, 'retain'))
  }

  /** Closes the audit log this manager opened on the store (a last checkpoint, when it signs them); a sink given as `audit` is left open. */
  close(): Promise<void> {
    return this.audit.close()
  }

  /** Whether the session is active: from the cache when asked within `revocationCacheTtl`, else from the store. */
  async sessionIsActive(sid: string): Promise<boolean> {
    const now = this.now()
    const cached = this.cache.get(sid, now)
    if (cached !== undefined) return isActiveSession(cached, now)
    const session = await this.store.getSession(sid)
    if (session === undefined) return false
    this.cache.set(session, now)
    return isActiveSession(session, now)
  }

  private async tokensFor(session: SessionRecord, refresh: IssuedRefreshToken, now: number): Promise<SessionTokens> {
    const lifetimeMs = Math.min(this.accessTtlMs, session.expiresAt - now)
    const accessToken = await this.options.signer.sign({ sub: session.subject, roles: session.roles, tenant: session.tenant, sid: session.id, lifetimeMs })
    return {
      sessionId: session.id,
      accessToken: Redacted.make(accessToken),
      refreshToken: refresh.token,
      expiresAt: now + lifetimeMs,
      refreshExpiresAt: refresh.stored.expiresAt,
    }
  }

  /** The session with the principal a refresh issues tokens for (see `currentPrincipal`). */
  private async currentSession(session: SessionRecord): Promise<SessionRecord> {
    if (this.options.currentPrincipal === undefined) return session
    const who = await this.options.currentPrincipal(session)
    if (who === undefined) {
      await this.revoke(session.id, 'principal-gone')
      throw new AuthenticationError('revoked', `session ${session.id} was revoked: its principal no longer exists`)
    }
    return { ...session, subject: who.subject, roles: who.roles, tenant: who.tenant }
  }

  private newRefreshToken(now: number, expiresAt: number): IssuedRefreshToken {
    const token = randomBytes(32).toString('base64url')
    return { token: Redacted.make(token), stored: { hash: hashOf(token), issuedAt: now, expiresAt: Math.min(expiresAt, now + this.refreshTtlMs) } }
  }

  /** The token given, or `malformed` (audited) when it is not one. */
  private async checkedRefreshToken(token: Redacted.Redacted<string> | string, now: number): Promise<string> {
    const value = readToken(token)
    if (typeof value === 'string' && refreshTokenPattern.test(value)) return value
    await this.audit.record(malformedRefresh(now))
    throw new AuthenticationError('malformed', 'a refresh token is 43 base64url characters')
  }

  /** The error of a refused refresh (its entry is recorded with the rotation); a reuse's revocation is seen here at once. */
  private refused(outcome: RefusedRotation): AuthenticationError {
    if (outcome.kind === 'reused') this.cache.forget(outcome.sessionId)
    return refusalError(outcome)
  }

  /** The session an entry concerns, read only when entries are recorded; `undefined` when it cannot be read (the entry still names its id). */
  private async sessionForAudit(sessionId: string): Promise<SessionRecord | undefined> {
    if (!this.audit.enabled) return undefined
    return this.store.getSession(sessionId).catch(() => undefined)
  }
}

/** Why a refresh was refused, as the caller sees it (the token never quoted). */
function refusalError(outcome: RefusedRotation): AuthenticationError {
  switch (outcome.kind) {
    case 'reused':
      return new AuthenticationError('refresh-reused', `a refresh token of session ${outcome.sessionId} was used twice: the session is revoked`)
    case 'revoked':
      return new AuthenticationError('revoked', `session ${outcome.sessionId} is revoked`)
    case 'expired':
      return new AuthenticationError('expired', `the refresh token of session ${outcome.sessionId} (or the session) expired`)
    case 'unknown':
      return new AuthenticationError('invalid-credentials', 'unknown refresh token')
  }
}

/**
 * The session checker of a {@link SessionManager}'s kind, made from options.
 *
 * @example
 * ```ts
 * import { createSessionManager, type AccessTokenSigner } from 'weft-sdk'
 * import type { WorkflowStore } from 'weft-sdk/store'
 * declare const store: WorkflowStore
 * declare const signer: AccessTokenSigner
 * const sessions = createSessionManager({ store: store.sessions!, signer, revocationCacheTtl: '1 s' })
 * ```
 * @throws `SecurityConfigError` like the constructor.
 */
export function createSessionManager(options: SessionManagerOptions): SessionManager {
  return new SessionManager(options)
}

interface IssuedRefreshToken {
  readonly token: Redacted.Redacted<string>
  readonly stored: NewRefreshToken
}

/** SHA-256 of a token, hex: what the store keeps instead of the token. */
function hashOf(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

function readToken(token: Redacted.Redacted<string> | string): string {
  return Redacted.isRedacted(token) ? Redacted.value(token) : token
}

/** The session role of the store given, and its audit log when it is a whole store. */
function storesOf(store: SessionManagerOptions['store']): { readonly sessions: SessionStore; readonly audit: AuditStore | undefined } {
  if ('createSession' in store) return { sessions: store, audit: undefined }
  if (store.sessions === undefined) throw new SecurityConfigError('this store keeps no sessions: give SessionManager a memory, SQLite or PostgreSQL store, or a SessionStore of your own')
  return { sessions: store.sessions, audit: store.audit }
}

function positiveMillis(duration: Duration, what: string): number {
  const ms = toMillis(duration, what)
  if (ms <= 0) throw new SecurityConfigError(`${what} must be longer than 0, got ${JSON.stringify(duration)}`)
  return ms
}

/** Sessions read recently, each trusted for `ttlMs`; the oldest forgotten beyond `size`. */
class ActiveSessionCache {
  private readonly entries = new Map<string, { readonly session: SessionRecord; readonly until: number }>()

  constructor(
    private readonly ttlMs: number,
    private readonly size: number,
  ) {}

  get(sid: string, now: number): SessionRecord | undefined {
    const entry = this.entries.get(sid)
    if (entry === undefined) return undefined
    if (entry.until > now) return entry.session
    this.entries.delete(sid)
    return undefined
  }

  set(session: SessionRecord, now: number): void {
    if (this.ttlMs === 0 || this.size <= 0) return
    this.entries.delete(session.id)
    this.entries.set(session.id, { session, until: now + this.ttlMs })
    while (this.entries.size > this.size) this.entries.delete(this.entries.keys().next().value!)
  }

  forget(sid: string): void {
    this.entries.delete(sid)
  }

  forgetSubject(subject: string): void {
    for (const [sid, entry] of this.entries) if (entry.session.subject === subject) this.entries.delete(sid)
  }
}
