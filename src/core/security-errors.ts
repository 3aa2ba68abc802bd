// Errors of the security layer: a principal or permission that is malformed, a credential refused, an operation
// denied, a payload that does not decrypt, an audit log that was tampered with. None carries a secret.
import { WeftError } from './weft-error.js'

/**
 * A principal's field is malformed (empty, too long, a control character).
 *
 * @example
 * ```ts
 * import { InvalidPrincipalError } from 'weft-sdk'
 * const error = new InvalidPrincipalError('subject', 'it must be a non-empty string')
 * error.code // 'WEFT_INVALID_PRINCIPAL'
 * ```
 */
export class InvalidPrincipalError extends WeftError {
  readonly code = 'WEFT_INVALID_PRINCIPAL'
  readonly _tag = 'InvalidPrincipalError'
  constructor(
    /** The field: `subject`, `roles[2]`, `tenant`. */
    readonly field: string,
    /** What is wrong with it. */
    readonly problem: string,
  ) {
    super(`invalid principal: ${field}: ${problem}`)
  }
}

/**
 * Why a credential was refused. Logged and audited; the credential itself never is.
 *
 * @example
 * ```ts
 * import type { AuthenticationFailure } from 'weft-sdk'
 * const retry = (reason: AuthenticationFailure) => reason === 'key-source-unavailable'
 * ```
 */
export type AuthenticationFailure =
  /** No credential and no principal, on an engine that requires one. */
  | 'missing'
  /** Not a compact JWS, or its header or payload is not JSON. */
  | 'malformed'
  /** Larger than the configured limit (checked before any parsing). */
  | 'too-large'
  /** Its `alg` is not one the configuration pins (`none` included). */
  | 'algorithm'
  /** The signature does not verify with the key. */
  | 'signature'
  /** Its `kid` names no key of the key set (after a refresh of a remote set). */
  | 'unknown-key'
  /** `exp` is past (beyond the clock skew). */
  | 'expired'
  /** `nbf` (or `iat`) is in the future (beyond the clock skew). */
  | 'not-yet-valid'
  /** A required claim is missing or wrong (`iss`, `aud`, `exp`, `sub`, `typ`...). */
  | 'claim'
  /** The session or token was revoked (logout, revocation, a reused refresh token). */
  | 'revoked'
  /** A refresh token that was already used: the whole session family is revoked. */
  | 'refresh-reused'
  /** A user name or password that does not match. */
  | 'invalid-credentials'
  /** Too many failed attempts: locked until `retryAfterMs`. */
  | 'locked'
  /** The key set (a remote JWKS) could not be fetched: retryable. */
  | 'key-source-unavailable'

/**
 * A credential was refused: the operation runs nothing. `reason` says why (the
 * token never appears in the message, the error or the audit log).
 *
 * @example
 * ```ts
 * import { AuthenticationError } from 'weft-sdk'
 * const error = new AuthenticationError('expired', 'the token expired at 2026-12-06T10:00:00.000Z')
 * error.code // 'WEFT_UNAUTHENTICATED'
 * ```
 */
export class AuthenticationError extends WeftError {
  readonly code = 'WEFT_UNAUTHENTICATED'
  readonly _tag = 'AuthenticationError'
  override readonly isRetryable: boolean
  constructor(
    /** Why it was refused. */
    readonly reason: AuthenticationFailure,
    /** A sentence for people: what was wrong (never the credential). */
    readonly detail: string,
    /** For `locked`: milliseconds until another attempt is accepted. */
    readonly retryAfterMs?: number,
  ) {
    super(`authentication failed (${reason}): ${detail}`)
    this.isRetryable = reason === 'key-source-unavailable'
  }
}

/**
 * An operation was denied: nothing was created, changed or run, and one audit
 * entry records the denial.
 *
 * @example
 * ```ts
 * import { AuthorizationError } from 'weft-sdk'
 * const error = new AuthorizationError('user:bob', 'cancel', 'reports', 'it holds no permission "cancel:reports"')
 * error.code // 'WEFT_FORBIDDEN'
 * ```
 */
export class AuthorizationError extends WeftError {
  readonly code = 'WEFT_FORBIDDEN'
  readonly _tag = 'AuthorizationError'
  constructor(
    /** The principal's subject. */
    readonly subject: string,
    /** The action it tried (`start`, `cancel`, a task's required permission's action...). */
    readonly action: string,
    /** The resource (a workflow's name, a run id, a task). */
    readonly resource: string,
    /** Why: the permission it lacks, the deny rule that matched, the run it does not own. */
    readonly reason: string,
  ) {
    super(`"${subject}" may not ${action} ${resource}: ${reason}`)
  }
}

/**
 * A permission does not follow the grammar `action:resource` (see `parsePermission`);
 * reported at configuration, naming the permission and where it goes wrong.
 *
 * @example
 * ```ts
 * import { InvalidPermissionError } from 'weft-sdk'
 * const error = new InvalidPermissionError('execute', 'it has no ":" between the action and the resource')
 * error.code // 'WEFT_INVALID_PERMISSION'
 * ```
 */
export class InvalidPermissionError extends WeftError {
  readonly code = 'WEFT_INVALID_PERMISSION'
  readonly _tag = 'InvalidPermissionError'
  constructor(
    /** The permission as written. */
    readonly permission: string,
    /** What is wrong with it. */
    readonly problem: string,
  ) {
    super(`invalid permission "${permission}": ${problem}`)
  }
}

/**
 * The security configuration cannot work (no algorithm pinned, a key too short,
 * a store that records security as enabled opened without credentials...).
 *
 * @example
 * ```ts
 * import { SecurityConfigError } from 'weft-sdk'
 * const error = new SecurityConfigError('jwt.algorithms is empty: pin at least one algorithm, e.g. ["EdDSA"]')
 * error.code // 'WEFT_SECURITY_CONFIG'
 * ```
 */
export class SecurityConfigError extends WeftError {
  readonly code = 'WEFT_SECURITY_CONFIG'
  readonly _tag = 'SecurityConfigError'
  constructor(
    /** What is wrong and how to fix it. */
    readonly problem: string,
  ) {
    super(`security configuration: ${problem}`)
  }
}

/**
 * An encrypted value could not be decrypted: altered, copied from another row
 * (its authenticated data names the row it belongs to), or truncated. Names the
 * row, never the value.
 *
 * @example
 * ```ts
 * import { DecryptionError } from 'weft-sdk'
 * const error = new DecryptionError('run r-1, step load, output', 'the authentication tag does not match')
 * error.code // 'WEFT_DECRYPTION_FAILED'
 * ```
 */
export class DecryptionError extends WeftError {
  readonly code = 'WEFT_DECRYPTION_FAILED'
  readonly _tag = 'DecryptionError'
  constructor(
    /** Where the value was read from (run, step, field). */
    readonly location: string,
    /** What failed. */
    readonly problem: string,
  ) {
    super(`cannot decrypt ${location}: ${problem}`)
  }
}

/**
 * A ciphertext names a key id the key provider does not have (a key removed
 * too early, or the wrong key file).
 *
 * @example
 * ```ts
 * import { UnknownKeyError } from 'weft-sdk'
 * const error = new UnknownKeyError('k2026-01', 'run r-1, input')
 * error.code // 'WEFT_UNKNOWN_KEY'
 * ```
 */
export class UnknownKeyError extends WeftError {
  readonly code = 'WEFT_UNKNOWN_KEY'
  readonly _tag = 'UnknownKeyError'
  constructor(
    /** The key id the value names. */
    readonly keyId: string,
    /** Where the value was read from. */
    readonly location: string,
  ) {
    super(`cannot decrypt ${location}: key "${keyId}" is not in the key provider; give the provider every key id still in use (see weft keys status)`)
  }
}

/**
 * The audit log does not verify: an entry was edited, deleted, inserted or
 * reordered, or a checkpoint's signature fails.
 *
 * @example
 * ```ts
 * import { AuditIntegrityError } from 'weft-sdk'
 * const error = new AuditIntegrityError('worker-1', 41, 'its hash does not match its content')
 * error.code // 'WEFT_AUDIT_TAMPERED'
 * ```
 */
export class AuditIntegrityError extends WeftError {
  readonly code = 'WEFT_AUDIT_TAMPERED'
  readonly _tag = 'AuditIntegrityError'
  constructor(
    /** The chain (one per writer). */
    readonly chain: string,
    /** The entry's index in its chain. */
    readonly index: number,
    /** What does not verify. */
    readonly problem: string,
  ) {
    super(`audit chain "${chain}" does not verify at entry ${index}: ${problem}`)
  }
}
