// Issuing JWTs: a JwtIssuer signs tokens a JwtAuthenticator accepts (for examples, tests and service-to-service
// calls), with a pinned algorithm and key id, and generateJwtKeys makes a key pair and its public JWK set so that
// nothing has to be read from files to start.
import type { AccessTokenSigner } from './sessions.js'
import { randomUUID, type KeyObject } from 'node:crypto'
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, SignJWT, type CryptoKey, type JSONWebKeySet, type JWK } from 'jose'
import { toMillis, type Duration } from '../core/duration.js'
import { SecurityConfigError } from '../core/security-errors.js'
import { jwtAlgorithms, type JwtAlgorithm } from './jwt-options.js'
import { principal } from './principal.js'

/**
 * The options of a {@link JwtIssuer}.
 *
 * @example
 * ```ts
 * import { generateJwtKeys, type JwtIssuerOptions } from 'weft-sdk'
 * const keys = await generateJwtKeys('ES256')
 * const options: JwtIssuerOptions = { privateKey: keys.privateJwk, kid: keys.kid, algorithm: 'ES256', issuer: 'svc:billing', audience: 'weft' }
 * ```
 */
export interface JwtIssuerOptions {
  /** The signing key: a private JWK, a `KeyObject` or a `CryptoKey`. Keep it out of logs. */
  readonly privateKey: JWK | KeyObject | CryptoKey
  /** The key id written in every token's header, so verifiers pick the right key of their set. */
  readonly kid: string
  /** The algorithm, pinned (asymmetric only). */
  readonly algorithm: JwtAlgorithm
  /** The `iss` of every token. */
  readonly issuer: string
  /** The `aud` of every token (unless a call overrides it). */
  readonly audience: string | readonly string[]
  /** The `typ` header. @defaultValue `'JWT'` */
  readonly typ?: string
  /** How long a token is valid (`exp` = now + lifetime). @defaultValue `'15 m'` */
  readonly lifetime?: Duration
  /** The claim the roles are written to. @defaultValue `'roles'` */
  readonly rolesClaim?: string
  /** The claim the tenant is written to. @defaultValue `'tenant'` */
  readonly tenantClaim?: string
  /** The clock, in milliseconds since the epoch. @defaultValue `Date.now` */
  readonly now?: () => number
}

/**
 * What a token is issued for: its subject, roles, tenant, extra claims.
 *
 * @example
 * ```ts
 * import type { JwtSubject } from 'weft-sdk'
 * const ada: JwtSubject = { subject: 'user:ada', roles: ['analyst'], tenant: 'acme', claims: { email: 'ada@example.com' } }
 * ```
 */
export interface JwtSubject {
  /** The `sub` claim. */
  readonly subject: string
  /** Written to the roles claim. */
  readonly roles?: readonly string[]
  /** Written to the tenant claim. */
  readonly tenant?: string
  /** Other claims (not the registered ones: `iss`, `sub`, `aud`, `exp`, `nbf`, `iat`, `jti`). */
  readonly claims?: Readonly<Record<string, unknown>>
  /** Overrides the issuer's lifetime for this token. */
  readonly lifetime?: Duration
}

const registeredClaims = ['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti']

/**
 * Signs JWTs that a {@link JwtAuthenticator} configured with the same issuer,
 * audience, algorithm and the public key accepts. Every token has `iss`, `sub`,
 * `aud`, `iat`, `nbf`, `exp`, a random `jti`, and the roles and tenant claims.
 *
 * @example
 * ```ts
 * import { JwtIssuer, generateJwtKeys } from 'weft-sdk'
 * const keys = await generateJwtKeys('EdDSA')
 * const issuer = new JwtIssuer({ privateKey: keys.privateKey, kid: keys.kid, algorithm: 'EdDSA', issuer: 'svc:scheduler', audience: 'weft', lifetime: '5 m' })
 * const token = await issuer.issue({ subject: 'svc:scheduler', roles: ['service'] })
 * ```
 * @throws `SecurityConfigError` from the constructor for a bad option.
 */
export class JwtIssuer {
  private readonly lifetimeMs: number
  private signingKey: Promise<KeyObject | CryptoKey | Uint8Array> | undefined

  constructor(private readonly options: JwtIssuerOptions) {
    if (!jwtAlgorithms.includes(options.algorithm)) throw new SecurityConfigError(`JwtIssuer algorithm ${JSON.stringify(options.algorithm)} is not supported: use one of ${jwtAlgorithms.join(', ')}`)
    for (const name of ['kid', 'issuer'] as const) {
      if (typeof options[name] !== 'string' || options[name].length === 0) throw new SecurityConfigError(`JwtIssuer ${name} must be a non-empty string`)
    }
    if (options.privateKey === undefined || options.privateKey === null) throw new SecurityConfigError('JwtIssuer privateKey is missing: give a private JWK or KeyObject (see generateJwtKeys)')
    this.lifetimeMs = lifetimeOf(options.lifetime ?? '15 m')
  }

  /**
   * This issuer as the access-token signer of a `SessionManager`: tokens carry
   * the session's id as `sid` and live as long as the session asks.
   *
   * @example
   * ```ts
   * import { JwtIssuer, SessionManager, generateJwtKeys, sqliteStore } from 'weft-sdk'
   * const keys = await generateJwtKeys('EdDSA')
   * const issuer = new JwtIssuer({ privateKey: keys.privateKey, kid: keys.kid, algorithm: 'EdDSA', issuer: 'https://auth.example.com', audience: 'weft' })
   * const store = sqliteStore()
   * await store.init()
   * const sessions = new SessionManager({ store: store.sessions!, signer: issuer.sessionSigner() })
   * ```
   */
  sessionSigner(): AccessTokenSigner {
    return { sign: (claims) => this.issue({ subject: claims.sub, roles: claims.roles, tenant: claims.tenant, claims: { sid: claims.sid }, lifetime: claims.lifetimeMs }) }
  }

  /**
   * Signs a token for `subject`.
   *
   * @example
   * ```ts
   * import type { JwtIssuer } from 'weft-sdk'
   * declare const issuer: JwtIssuer
   * const token = await issuer.issue({ subject: 'user:ada', roles: ['admin'], tenant: 'acme' })
   * ```
   * @throws `InvalidPrincipalError` for a malformed subject, role or tenant; `SecurityConfigError` for a registered claim in `claims`.
   */
  async issue(subject: JwtSubject): Promise<string> {
    const checked = principal({ subject: subject.subject, roles: subject.roles ?? [], tenant: subject.tenant })
    const claims = this.claimsOf(subject, checked.roles, checked.tenant)
    const nowSeconds = Math.floor((this.options.now ?? Date.now)() / 1000)
    const lifetimeMs = subject.lifetime === undefined ? this.lifetimeMs : lifetimeOf(subject.lifetime)
    return new SignJWT(claims)
      .setProtectedHeader({ alg: this.options.algorithm, kid: this.options.kid, typ: this.options.typ ?? 'JWT' })
      .setIssuer(this.options.issuer)
      .setSubject(checked.subject)
      .setAudience([...(typeof this.options.audience === 'string' ? [this.options.audience] : this.options.audience)])
      .setIssuedAt(nowSeconds)
      .setNotBefore(nowSeconds)
      .setExpirationTime(nowSeconds + Math.ceil(lifetimeMs / 1000))
      .setJti(randomUUID())
      .sign(await this.key())
  }

  private claimsOf(subject: JwtSubject, roles: readonly string[], tenant: string | undefined): Record<string, unknown> {
    const extra = subject.claims ?? {}
    const clash = registeredClaims.find((claim) => Object.hasOwn(extra, claim))
    if (clash !== undefined) throw new SecurityConfigError(`JwtIssuer claims.${clash} is set by the issuer itself: remove it from claims`)
    return {
      ...extra,
      [this.options.rolesClaim ?? 'roles']: [...roles],
      ...(tenant === undefined ? {} : { [this.options.tenantClaim ?? 'tenant']: tenant }),
    }
  }

  private key(): Promise<KeyObject | CryptoKey | Uint8Array> {
    const key = this.options.privateKey
    this.signingKey ??= isJwk(key) ? importJWK(key, this.options.algorithm) : Promise.resolve(key)
    return this.signingKey
  }
}

/**
 * A key pair made by {@link generateJwtKeys}, with its public JWK set for a
 * {@link JwtAuthenticator} and a key id.
 *
 * @example
 * ```ts
 * import { generateJwtKeys, type JwtKeyPair } from 'weft-sdk'
 * const keys: JwtKeyPair = await generateJwtKeys('EdDSA')
 * JSON.stringify(keys.publicJwks) // serve it as /.well-known/jwks.json
 * ```
 */
export interface JwtKeyPair {
  /** The algorithm the keys are for. */
  readonly algorithm: JwtAlgorithm
  /** The key id: the public key's JWK thumbprint (RFC 7638) unless one was given. */
  readonly kid: string
  /** The private key, for a {@link JwtIssuer}. Secret. */
  readonly privateKey: CryptoKey
  /** The private key as a JWK (to store in a secret manager). Secret. */
  readonly privateJwk: JWK
  /** The public key as a JWK, with `kid`, `alg` and `use: 'sig'`. */
  readonly publicJwk: JWK
  /** `{ keys: [publicJwk] }`: what a `JwtAuthenticator` takes as `keys`, or a JWKS endpoint serves. */
  readonly publicJwks: {
    /** The public keys of the set: `publicJwk` alone. */
    keys: JSONWebKeySet['keys']
  }
}

/**
 * Options of {@link generateJwtKeys}.
 *
 * @example
 * ```ts
 * import { generateJwtKeys, type JwtKeyOptions } from 'weft-sdk'
 * const options: JwtKeyOptions = { kid: 'k2026-12' }
 * const keys = await generateJwtKeys('ES256', options)
 * ```
 */
export interface JwtKeyOptions {
  /** The key id to use instead of the public key's JWK thumbprint (RFC 7638). */
  readonly kid?: string
}

/**
 * Generates a signing key pair for `algorithm` and its public JWK set, so that
 * examples, tests and services can issue and verify tokens without key files.
 *
 * @example
 * ```ts
 * import { generateJwtKeys, JwtAuthenticator } from 'weft-sdk'
 * const keys = await generateJwtKeys('EdDSA', { kid: 'k2026-12' })
 * const authenticator = new JwtAuthenticator({ algorithms: ['EdDSA'], issuer: 'svc:a', audience: 'weft', keys: keys.publicJwks })
 * ```
 * @throws `SecurityConfigError` for an unsupported algorithm.
 */
export async function generateJwtKeys(algorithm: JwtAlgorithm = 'EdDSA', options: JwtKeyOptions = {}): Promise<JwtKeyPair> {
  if (!jwtAlgorithms.includes(algorithm)) throw new SecurityConfigError(`generateJwtKeys: algorithm ${JSON.stringify(algorithm)} is not supported: use one of ${jwtAlgorithms.join(', ')}`)
  const { privateKey, publicKey } = await generateKeyPair(algorithm, { extractable: true })
  const publicBase = await exportJWK(publicKey)
  const kid = options.kid ?? (await calculateJwkThumbprint(publicBase))
  const publicJwk: JWK = { ...publicBase, kid, alg: algorithm, use: 'sig' }
  const privateJwk: JWK = { ...(await exportJWK(privateKey)), kid, alg: algorithm }
  return { algorithm, kid, privateKey, privateJwk, publicJwk, publicJwks: { keys: [publicJwk] } }
}

function lifetimeOf(lifetime: Duration): number {
  let ms: number
  try {
    ms = toMillis(lifetime, 'JwtIssuer lifetime')
  } catch (error) {
    throw new SecurityConfigError((error as Error).message)
  }
  if (ms < 1000) throw new SecurityConfigError(`JwtIssuer lifetime is ${ms} ms: give at least '1 s' (exp is counted in seconds)`)
  return ms
}

function isJwk(key: unknown): key is JWK {
  return typeof key === 'object' && key !== null && typeof (key as JWK).kty === 'string' && !('type' in key && 'asymmetricKeyType' in key)
}
