// The options of a JwtAuthenticator and their validation: every bad option is refused at construction with a
// SecurityConfigError that names it and says how to fix it, so nothing is left to be discovered on the first token.
import type { SessionCheck } from './sessions.js'
import type { JSONWebKeySet } from 'jose'
import { toMillis, type Duration } from '../core/duration.js'
import type { AuthenticationFailure } from '../core/security-errors.js'
import { SecurityConfigError } from '../core/security-errors.js'

/**
 * An asymmetric JWS algorithm a {@link JwtAuthenticator} can pin. Shared-secret
 * algorithms (`HS256`...) are not accepted: a JWK set holds public keys, and
 * accepting both kinds is what RS/HS key confusion feeds on.
 *
 * @example
 * ```ts
 * import type { JwtAlgorithm } from 'weft-sdk'
 * const pinned: JwtAlgorithm[] = ['EdDSA', 'ES256']
 * ```
 */
export type JwtAlgorithm = 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'PS384' | 'PS512' | 'ES256' | 'ES384' | 'ES512' | 'EdDSA' | 'Ed25519'

/**
 * Every {@link JwtAlgorithm} Weft can pin, in the order it suggests them.
 *
 * @example
 * ```ts
 * import { jwtAlgorithms } from 'weft-sdk'
 * jwtAlgorithms.includes('EdDSA') // true
 * ```
 */
export const jwtAlgorithms: readonly JwtAlgorithm[] = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519']

/**
 * Where a {@link JwtAuthenticator} finds its verification keys: a JWK set given
 * in code (`{ keys: [...] }`), or the URL of a remote JWKS (an identity
 * provider's `jwks_uri`) fetched, cached and refetched when a token names an
 * unknown `kid` (at most once per `cooldown`).
 *
 * @example
 * ```ts
 * import type { JwtKeySource } from 'weft-sdk'
 * const remote: JwtKeySource = { url: 'https://login.example.com/.well-known/jwks.json', cooldown: '30 s', timeout: '5 s' }
 * ```
 */
export type JwtKeySource =
  | {
      /** The public JWKs (`generateJwtKeys(...).publicJwks.keys`, or an identity provider's set); never a private key. */
      readonly keys: JSONWebKeySet['keys']
    }
  | {
      /** The JWKS URL (`https:`, or `http:` on a loopback address for tests). */
      readonly url: string | URL
      /** How long a fetched set is used before it is fetched again. @defaultValue `'10 m'` */
      readonly cacheMaxAge?: Duration
      /** After a fetch, how long an unknown `kid` waits before it may trigger another. @defaultValue `'30 s'` */
      readonly cooldown?: Duration
      /** How long a fetch may take before the key source counts as unavailable. @defaultValue `'5 s'` */
      readonly timeout?: Duration
    }

/**
 * The options of a {@link JwtAuthenticator}. `algorithms`, `issuer`,
 * `audience` and `keys` are required; the rest have defaults.
 *
 * @example
 * ```ts
 * import type { JwtAuthenticatorOptions } from 'weft-sdk'
 * const options: JwtAuthenticatorOptions = {
 *   algorithms: ['EdDSA'],
 *   issuer: 'https://auth.example.com',
 *   audience: 'weft',
 *   keys: { url: 'https://auth.example.com/.well-known/jwks.json' },
 *   clockSkew: '30 s',
 * }
 * ```
 */
export interface JwtAuthenticatorOptions {
  /** The algorithms accepted; a token's own `alg` is only compared against them, never trusted. Non-empty, asymmetric only. */
  readonly algorithms: readonly JwtAlgorithm[]
  /** The expected `iss` (one, or several accepted ones). */
  readonly issuer: string | readonly string[]
  /** The expected `aud`: the token's `aud` must contain one of them. */
  readonly audience: string | readonly string[]
  /** The verification keys: a local JWK set or a remote JWKS URL. */
  readonly keys: JwtKeySource
  /**
   * The required `typ` header (compared case-insensitively, without `application/`).
   * `'JWT'` is what most issuers and {@link JwtIssuer} write; use `'at+jwt'` for RFC 9068 access tokens.
   * @defaultValue `'JWT'`
   */
  readonly typ?: string
  /** Tolerance for `exp` and `nbf` between this clock and the issuer's. At most 5 minutes. @defaultValue `'30 s'` */
  readonly clockSkew?: Duration
  /**
   * Refuse tokens without an `nbf` claim. Weft's own issuer writes one; set
   * `false` for an identity provider that writes none. @defaultValue `true`
   */
  readonly requireNotBefore?: boolean
  /** Tokens longer than this many bytes are refused before any parsing. @defaultValue `8192` */
  readonly maxTokenBytes?: number
  /** The claim holding the roles: an array of strings, or one space-separated string. @defaultValue `'roles'` */
  readonly rolesClaim?: string
  /** The claim holding the tenant (a string). @defaultValue `'tenant'` */
  readonly tenantClaim?: string
  /**
   * How long a verified token is remembered (keyed by its SHA-256, never the
   * token), and so the bound on how late a revocation is seen: a cached token
   * is accepted until `min(exp, verification + cacheTtl)`. `0` turns the cache off.
   * @defaultValue `'30 s'`
   */
  readonly cacheTtl?: Duration
  /** How many verified tokens the cache holds; the least recently used go first. @defaultValue `10000` */
  readonly cacheSize?: number
  /** The clock, in milliseconds since the epoch (tests pass their own). @defaultValue `Date.now` */
  readonly now?: () => number
  /** Called on every refusal with its reason and detail (never the token), for logs and metrics. */
  readonly onRejected?: (reason: AuthenticationFailure, detail: string) => void
  /**
   * Sessions (a `SessionManager`): a token with a `sid` claim is refused as
   * `revoked` once its session is logged out or revoked, checked on every
   * call, cached verifications included (within the session check's own cache TTL).
   * @defaultValue none: `sid` is not checked
   */
  readonly sessions?: SessionCheck
}

/** The options after validation, in the units the authenticator uses. @internal */
export interface JwtSettings {
  readonly algorithms: JwtAlgorithm[]
  readonly issuer: string[]
  readonly audience: string[]
  readonly typ: string
  readonly clockSkewSeconds: number
  readonly requiredClaims: string[]
  readonly maxTokenBytes: number
  readonly rolesClaim: string
  readonly tenantClaim: string
  readonly cacheTtlMs: number
  readonly cacheSize: number
  readonly now: () => number
  readonly onRejected: ((reason: AuthenticationFailure, detail: string) => void) | undefined
}

const maxClockSkewMs = 5 * 60_000

/**
 * Validates a {@link JwtAuthenticatorOptions} (all but the key source) into settings.
 * @throws `SecurityConfigError` naming the option and the fix.
 * @internal
 */
export function parseJwtOptions(options: JwtAuthenticatorOptions): JwtSettings {
  if (typeof options !== 'object' || options === null) throw new SecurityConfigError('JwtAuthenticator needs options: { algorithms, issuer, audience, keys }')
  return {
    algorithms: parseAlgorithms(options.algorithms),
    issuer: parseNames('issuer', options.issuer, "the issuer's URL, e.g. 'https://auth.example.com'"),
    audience: parseNames('audience', options.audience, "this API's identifier, e.g. 'weft'"),
    typ: parseTyp(options.typ),
    clockSkewSeconds: parseDuration('clockSkew', options.clockSkew ?? '30 s', maxClockSkewMs) / 1000,
    requiredClaims: options.requireNotBefore === false ? ['exp', 'sub'] : ['exp', 'sub', 'nbf'],
    maxTokenBytes: parseCount('maxTokenBytes', options.maxTokenBytes ?? 8192, 256),
    rolesClaim: parseClaimName('rolesClaim', options.rolesClaim ?? 'roles'),
    tenantClaim: parseClaimName('tenantClaim', options.tenantClaim ?? 'tenant'),
    cacheTtlMs: parseDuration('cacheTtl', options.cacheTtl ?? '30 s', Number.MAX_SAFE_INTEGER),
    cacheSize: parseCount('cacheSize', options.cacheSize ?? 10_000, 1),
    now: parseFunction('now', options.now) ?? Date.now,
    onRejected: parseFunction('onRejected', options.onRejected),
  }
}

function parseAlgorithms(algorithms: unknown): JwtAlgorithm[] {
  if (!Array.isArray(algorithms) || algorithms.length === 0) {
    throw new SecurityConfigError('jwt algorithms is missing or empty: pin at least one algorithm, e.g. algorithms: ["EdDSA"] (never taken from the token)')
  }
  for (const alg of algorithms) {
    if (typeof alg === 'string' && alg.toLowerCase() === 'none') throw new SecurityConfigError('jwt algorithms contains "none": unsigned tokens are never accepted; remove it')
    if (typeof alg === 'string' && /^HS\d+$/.test(alg)) {
      throw new SecurityConfigError(`jwt algorithms contains the shared-secret algorithm "${alg}": a JWK set holds public keys; pin an asymmetric one (${jwtAlgorithms.join(', ')})`)
    }
    if (!jwtAlgorithms.includes(alg as JwtAlgorithm)) throw new SecurityConfigError(`jwt algorithms contains unknown algorithm ${JSON.stringify(alg)}: use one of ${jwtAlgorithms.join(', ')}`)
  }
  return [...new Set(algorithms as JwtAlgorithm[])]
}

function parseNames(option: string, value: unknown, example: string): string[] {
  const names = typeof value === 'string' ? [value] : value
  if (!Array.isArray(names) || names.length === 0 || names.some((name) => typeof name !== 'string' || name.length === 0)) {
    throw new SecurityConfigError(`jwt ${option} is missing or empty: give the expected value (or a non-empty list of them), e.g. ${example}`)
  }
  return [...names] as string[]
}

function parseTyp(typ: unknown): string {
  if (typ === undefined) return 'JWT'
  if (typeof typ !== 'string' || typ.trim().length === 0) throw new SecurityConfigError(`jwt typ must be a non-empty string such as 'JWT' or 'at+jwt', got ${JSON.stringify(typ)}`)
  return typ
}

function parseDuration(option: string, value: Duration, maxMs: number): number {
  let ms: number
  try {
    ms = toMillis(value, `jwt ${option}`)
  } catch (error) {
    throw new SecurityConfigError((error as Error).message)
  }
  if (ms > maxMs) throw new SecurityConfigError(`jwt ${option} is ${ms} ms, more than the ${maxMs} ms allowed: lower it (a wide window accepts expired tokens)`)
  return ms
}

function parseCount(option: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new SecurityConfigError(`jwt ${option} must be a whole number ≥ ${min}, got ${JSON.stringify(value)}`)
  }
  return value
}

function parseClaimName(option: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) throw new SecurityConfigError(`jwt ${option} must be a claim's name, e.g. 'roles', got ${JSON.stringify(value)}`)
  return value
}

function parseFunction<F>(option: string, value: F | undefined): F | undefined {
  if (value !== undefined && typeof value !== 'function') throw new SecurityConfigError(`jwt ${option} must be a function, got ${typeof value}`)
  return value
}
