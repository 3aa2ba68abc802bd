// The ports of the secure path: who the caller is (Authenticator), what it may do (Authorizer), what is recorded
// (AuditSink). The engine resolves them from its container; Weft's implementations are JwtAuthenticator, Rbac and the
// store's audit table, and a user's own implementation of a port replaces Weft's.
import type { Credentials, Principal } from './principal.js'

/**
 * Turns a credential into a principal, or refuses it.
 *
 * @example
 * ```ts
 * import { AuthenticationError, principal, type Authenticator } from 'weft-sdk'
 * const apiKeys: Authenticator = {
 *   async authenticate(credentials) {
 *     if (credentials.token === process.env.ADMIN_KEY) return principal({ subject: 'svc:admin', roles: ['admin'] })
 *     throw new AuthenticationError('invalid-credentials', 'unknown API key')
 *   },
 * }
 * ```
 */
export interface Authenticator {
  /**
   * The principal the credential proves.
   * @throws `AuthenticationError` saying why it was refused (never quoting the credential).
   */
  authenticate(credentials: Credentials): Promise<Principal>
}

/**
 * What an operation asks to do: an action on a resource, and for an operation
 * on an existing run, who owns it.
 *
 * @example
 * ```ts
 * import type { AccessRequest } from 'weft-sdk'
 * const cancelRun: AccessRequest = { action: 'cancel', resource: 'order-fulfilment', owner: { subject: 'user:ada', tenant: 'acme' } }
 * ```
 */
export interface AccessRequest {
  /** `start`, `read`, `cancel`, `pause`, `resume`, `signal`, `emit`, or a required permission's action. */
  readonly action: string
  /** A workflow's name (or an event's name for `emit`, or a required permission's resource). */
  readonly resource: string
  /** The run's owner, for an operation on an existing run (object-level rule). */
  readonly owner?: RunOwner | undefined
}

/**
 * Who started a run: its principal's subject and tenant, as recorded with it.
 *
 * @example
 * ```ts
 * import type { RunOwner } from 'weft-sdk'
 * const owner: RunOwner = { subject: 'user:ada', tenant: 'acme' }
 * ```
 */
export interface RunOwner {
  /** The subject that started the run (absent for a run started without security). */
  readonly subject?: string | undefined
  /** Its tenant, if it had one. */
  readonly tenant?: string | undefined
}

/**
 * The answer to an {@link AccessRequest}.
 *
 * @example
 * ```ts
 * import type { AccessDecision } from 'weft-sdk'
 * const denied: AccessDecision = { allowed: false, reason: 'deny rule "cancel:*" of role "viewer"' }
 * ```
 */
export type AccessDecision = { readonly allowed: true } | { readonly allowed: false; readonly reason: string }

/**
 * Decides whether a principal may do something. Synchronous: it runs on every
 * secured operation and before every task of a secured run.
 *
 * @example
 * ```ts
 * import type { Authorizer } from 'weft-sdk'
 * const onlyAdmins: Authorizer = {
 *   authorize: (principal) => (principal.roles.includes('admin') ? { allowed: true } : { allowed: false, reason: 'admins only' }),
 * }
 * ```
 */
export interface Authorizer {
  /** Whether `principal` may do `request`; a denial says why. */
  authorize(principal: Principal, request: AccessRequest): AccessDecision
}
