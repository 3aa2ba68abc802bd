// Weft's Authenticator for JSON Web Tokens: verifies a bearer token with jose against pinned algorithms, a JWK set
// (local or remote), the expected issuer, audience and typ, with a bounded clock skew, and maps its claims to a
// Principal. Verified tokens are remembered by their SHA-256 for a short TTL; refusals carry a reason and a detail,
// never the token.
import type { SessionCheck } from './sessions.js'
import { Redacted } from 'effect'
import { jwtVerify, type JWTPayload, type JWTVerifyGetKey, type JWTVerifyOptions } from 'jose'
import { AuthenticationError, InvalidPrincipalError } from '../core/security-errors.js'
import { toAuthenticationError } from './jwt-failures.js'
import { createKeyResolver } from './jwt-key-source.js'
import { parseJwtOptions, type JwtAuthenticatorOptions, type JwtSettings } from './jwt-options.js'
import type { Authenticator } from './ports.js'
import { principal, type Credentials, type Principal } from './principal.js'
import { VerificationCache } from './verification-cache.js'

/**
 * What a {@link JwtAuthenticator} has done since it was made.
 *
 * @example
 * ```ts
 * import type { JwtAuthenticatorStats } from 'weft-sdk'
 * const hitRate = (s: JwtAuthenticatorStats) => s.cacheHits / Math.max(1, s.cacheHits + s.verifications)
 * ```
 */
export interface JwtAuthenticatorStats {
  /** Tokens whose signature and claims were checked (cache misses that succeeded). */
  readonly verifications: number
  /** Tokens answered from the verification cache (or by a verification of the same token already under way), without checking the signature again. */
  readonly cacheHits: number
  /** Tokens refused. */
  readonly rejections: number
  /** Tokens the cache holds now. */
  readonly cached: number
}

// A compact JWS: three base64url parts, the signature possibly empty (so that `alg: none` is refused as an algorithm).
const compactJws = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/

/**
 * Verifies JWT bearer tokens and turns them into principals: the engine's
 * `Authenticator` for tokens from an identity provider or a {@link JwtIssuer}.
 * Algorithms are pinned (never taken from the token), `iss`, `aud`, `exp`,
 * `sub` and `typ` are required, `exp`/`nbf` are checked with a bounded clock skew.
 * A verified token is cached (by its SHA-256) until `min(exp, cacheTtl)`:
 * that TTL is how late a revocation may be seen.
 *
 * @example
 * ```ts
 * import { Redacted } from 'effect'
 * import { JwtAuthenticator, JwtIssuer, generateJwtKeys } from 'weft-sdk'
 * const keys = await generateJwtKeys('EdDSA')
 * const issuer = new JwtIssuer({ privateKey: keys.privateKey, kid: keys.kid, algorithm: 'EdDSA', issuer: 'https://auth.example.com', audience: 'weft', lifetime: '15 m' })
 * const authenticator = new JwtAuthenticator({ algorithms: ['EdDSA'], issuer: 'https://auth.example.com', audience: 'weft', keys: keys.publicJwks })
 * const token = await issuer.issue({ subject: 'user:ada', roles: ['analyst'], tenant: 'acme' })
 * const ada = await authenticator.authenticate({ token: Redacted.make(token) })
 * ada.roles // ['analyst']
 * ```
 * @throws `SecurityConfigError` from the constructor, naming a bad option and its fix.
 */
export class JwtAuthenticator implements Authenticator {
  private readonly settings: JwtSettings
  private readonly keys: JWTVerifyGetKey
  private readonly cache: VerificationCache
  private readonly verifyOptions: JWTVerifyOptions
  private readonly inFlight = new Map<string, Promise<Principal>>()
  private readonly counts = { verifications: 0, cacheHits: 0, rejections: 0 }

  private readonly sessions: SessionCheck | undefined

  constructor(options: JwtAuthenticatorOptions) {
    this.settings = parseJwtOptions(options)
    this.sessions = options.sessions
    this.keys = createKeyResolver(options.keys)
    this.cache = new VerificationCache(this.settings.cacheTtlMs, this.settings.cacheSize)
    const { algorithms, issuer, audience, typ, clockSkewSeconds, requiredClaims } = this.settings
    this.verifyOptions = { algorithms, issuer, audience, typ, clockTolerance: clockSkewSeconds, requiredClaims }
  }

  /**
   * The principal a bearer token proves.
   * @throws `AuthenticationError` with the reason (`malformed`, `too-large`, `algorithm`, `signature`,
   * `unknown-key`, `expired`, `not-yet-valid`, `claim`, `missing`, `key-source-unavailable`); never quoting the token.
   */
  async authenticate(credentials: Credentials): Promise<Principal> {
    let principal: Principal
    try {
      principal = await this.verify(tokenOf(credentials), this.settings.now())
    } catch (error) {
      throw this.rejected(toAuthenticationError(error))
    }
    await this.checkSession(principal)
    return principal
  }

  /** Refuses a token whose session (its `sid` claim) was revoked, logged out or has expired. */
  private async checkSession(principal: Principal): Promise<void> {
    const sessions = this.sessions
    const sid = principal.claims?.['sid']
    if (sessions === undefined || typeof sid !== 'string') return
    if (!(await sessions.sessionIsActive(sid))) throw this.rejected(new AuthenticationError('revoked', 'the session of this token was logged out, revoked or has expired; log in again'))
  }

  /**
   * Counts of verifications, cache hits and refusals, for metrics and tests.
   *
   * @example
   * ```ts
   * import type { JwtAuthenticator } from 'weft-sdk'
   * declare const authenticator: JwtAuthenticator
   * console.log(authenticator.stats().cacheHits)
   * ```
   */
  stats(): JwtAuthenticatorStats {
    return { ...this.counts, cached: this.cache.size }
  }

  /**
   * Forgets every cached verification: the next use of each token is verified
   * again (call it when a revocation must be seen at once in this process).
   *
   * @example
   * ```ts
   * import type { JwtAuthenticator } from 'weft-sdk'
   * declare const authenticator: JwtAuthenticator
   * authenticator.clearCache()
   * ```
   */
  clearCache(): void {
    this.cache.clear()
  }

  private async verify(token: string, nowMs: number): Promise<Principal> {
    this.checkSize(token)
    if (!this.cache.enabled) return this.verifyFully(token, nowMs)
    const key = this.cache.keyOf(token)
    const cached = this.cache.get(key, nowMs)
    if (cached !== undefined) {
      this.counts.cacheHits++
      return cached
    }
    // Concurrent calls with the same token (a client's burst) share one verification.
    let pending = this.inFlight.get(key)
    if (pending === undefined) {
      pending = this.verifyFully(token, nowMs).finally(() => this.inFlight.delete(key))
      this.inFlight.set(key, pending)
    } else {
      this.counts.cacheHits++
    }
    return pending
  }

  private async verifyFully(token: string, nowMs: number): Promise<Principal> {
    if (!compactJws.test(token)) throw new AuthenticationError('malformed', 'the token is not a compact JWS (three base64url parts separated by dots)')
    const { payload } = await jwtVerify(token, this.keys, { ...this.verifyOptions, currentDate: new Date(nowMs) })
    this.checkIssuedAt(payload, nowMs)
    const verified = this.toPrincipal(payload)
    this.counts.verifications++
    if (this.cache.enabled) this.cache.set(this.cache.keyOf(token), verified, (payload.exp as number) * 1000, nowMs)
    return verified
  }

  private checkSize(token: string): void {
    const max = this.settings.maxTokenBytes
    if (token.length > max || Buffer.byteLength(token) > max) {
      throw new AuthenticationError('too-large', `the token is larger than the ${max} bytes accepted (maxTokenBytes)`)
    }
  }

  // jose checks `iat` only with a maximum token age; a token issued in the future (beyond the skew) is refused here.
  private checkIssuedAt(payload: JWTPayload, nowMs: number): void {
    if (payload.iat === undefined) return
    if (typeof payload.iat !== 'number' || !Number.isFinite(payload.iat)) throw new AuthenticationError('claim', 'the claim "iat" must be a number')
    if (payload.iat > nowMs / 1000 + this.settings.clockSkewSeconds) {
      throw new AuthenticationError('not-yet-valid', 'the token was issued in the future (its "iat" is ahead of this clock, beyond the clock skew)')
    }
  }

  private toPrincipal(payload: JWTPayload): Principal {
    if (typeof payload.sub !== 'string') throw new AuthenticationError('claim', 'the claim "sub" must be a string')
    try {
      return principal({
        subject: payload.sub,
        roles: rolesOf(payload[this.settings.rolesClaim], this.settings.rolesClaim),
        tenant: tenantOf(payload[this.settings.tenantClaim], this.settings.tenantClaim),
        claims: deepFreeze(payload),
      })
    } catch (error) {
      if (error instanceof InvalidPrincipalError) throw new AuthenticationError('claim', `the token's ${error.field} is invalid: ${error.problem}`)
      throw error
    }
  }

  private rejected(error: AuthenticationError): AuthenticationError {
    this.counts.rejections++
    try {
      this.settings.onRejected?.(error.reason, error.detail)
    } catch {
      // A failing log hook must not turn a refusal into another error.
    }
    return error
  }
}

function tokenOf(credentials: Credentials | undefined): string {
  const raw: unknown = credentials?.token
  const token = Redacted.isRedacted(raw) ? Redacted.value(raw as Redacted.Redacted<unknown>) : raw
  if (token === undefined || token === null || token === '') throw new AuthenticationError('missing', 'no token was given')
  if (typeof token !== 'string') throw new AuthenticationError('malformed', `the token must be a string, got ${typeof token}`)
  return token
}

function rolesOf(value: unknown, claim: string): string[] {
  if (value === undefined) return []
  if (typeof value === 'string') return value.split(' ').filter((role) => role.length > 0)
  if (Array.isArray(value) && value.every((role) => typeof role === 'string')) return value as string[]
  throw new AuthenticationError('claim', `the claim "${claim}" must be an array of strings or a space-separated string`)
}

function tenantOf(value: unknown, claim: string): string | undefined {
  if (value === undefined) return undefined
  if (typeof value === 'string') return value
  throw new AuthenticationError('claim', `the claim "${claim}" must be a string`)
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const member of Object.values(value)) deepFreeze(member)
  }
  return value
}
