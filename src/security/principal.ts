// Who performs an operation: the principal every secured operation carries, and the credential it may be proven by.
import type { Redacted } from 'effect'
import { InvalidPrincipalError } from '../core/security-errors.js'

/**
 * Who performs an operation: a subject (a user or a service), its roles, the
 * tenant it acts in, and the claims it was authenticated with. Frozen once
 * made by {@link principal} or an `Authenticator`.
 *
 * @example
 * ```ts
 * import { principal, type Principal } from 'weft-sdk'
 * const ada: Principal = principal({ subject: 'user:ada', roles: ['analyst'], tenant: 'acme' })
 * ada.roles // ['analyst']
 * ```
 */
export interface Principal {
  /** Who: a user id, a service name (`sub` of a token). Non-empty, at most 256 characters. */
  readonly subject: string
  /** The roles it holds; permissions come from them (see `Rbac`). */
  readonly roles: readonly string[]
  /** The tenant it acts in, if the application has tenants: runs of the same tenant are shared. */
  readonly tenant?: string | undefined
  /** The claims it was authenticated with (a token's payload), for the user's own policies. Never holds a secret. */
  readonly claims?: Readonly<Record<string, unknown>> | undefined
}

/**
 * A proof of identity given to an operation instead of a principal: a bearer
 * token (JWT or session access token), checked by the engine's `Authenticator`.
 * Keep it `Redacted` so it never prints.
 *
 * @example
 * ```ts
 * import { Redacted } from 'effect'
 * import type { Credentials } from 'weft-sdk'
 * declare const header: string
 * const credentials: Credentials = { token: Redacted.make(header.replace(/^Bearer /, '')) }
 * ```
 */
export interface Credentials {
  /** The bearer token. */
  readonly token: Redacted.Redacted<string> | string
}

/**
 * The longest subject, role or tenant Weft accepts (they are recorded with runs and audit entries).
 *
 * @example
 * ```ts
 * import { maxPrincipalFieldLength, principal } from 'weft-sdk'
 * principal({ subject: 'u'.repeat(maxPrincipalFieldLength + 1), roles: [] }) // throws InvalidPrincipalError
 * ```
 */
export const maxPrincipalFieldLength = 256

/**
 * Makes a principal, checking its fields: a non-empty subject, roles and
 * tenant as non-empty strings without control characters, at most 256 characters each.
 *
 * @example
 * ```ts
 * import { principal } from 'weft-sdk'
 * const service = principal({ subject: 'svc:billing', roles: ['service'] })
 * ```
 * @throws `InvalidPrincipalError` naming the field and what is wrong with it.
 */
export function principal(fields: { readonly subject: string; readonly roles?: readonly string[]; readonly tenant?: string | undefined; readonly claims?: Readonly<Record<string, unknown>> | undefined }): Principal {
  const subject = checkedField('subject', fields.subject)
  const roles = (fields.roles ?? []).map((role, i) => checkedField(`roles[${i}]`, role))
  const tenant = fields.tenant === undefined ? undefined : checkedField('tenant', fields.tenant)
  return Object.freeze({
    subject,
    roles: Object.freeze([...new Set(roles)]),
    ...(tenant === undefined ? {} : { tenant }),
    ...(fields.claims === undefined ? {} : { claims: Object.freeze({ ...fields.claims }) }),
  })
}

/**
 * Tells a principal from other values (a `Credentials` object, a string).
 *
 * @example
 * ```ts
 * import { isPrincipal } from 'weft-sdk'
 * isPrincipal({ subject: 'user:ada', roles: [] }) // true
 * isPrincipal({ token: 'ey...' }) // false
 * ```
 */
export function isPrincipal(value: unknown): value is Principal {
  return typeof value === 'object' && value !== null && typeof (value as Principal).subject === 'string' && Array.isArray((value as Principal).roles)
}

function checkedField(field: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) throw new InvalidPrincipalError(field, 'it must be a non-empty string')
  if (value.length > maxPrincipalFieldLength) throw new InvalidPrincipalError(field, `it has ${value.length} characters, more than ${maxPrincipalFieldLength}`)
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) throw new InvalidPrincipalError(field, 'it contains a control character')
  return value
}
