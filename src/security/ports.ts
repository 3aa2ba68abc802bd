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
export type AccessDecision =
  | {
      /** The principal may do what it asked. */
      readonly allowed: true
    }
  | {
      /** The principal may not do what it asked. */
      readonly allowed: false
      /** Why not, for a person reading the error or the audit log (the rule that denied it, or what is missing). */
      readonly reason: string
    }

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
  /**
   * A digest of the rules, which changes when they do (never the rules
   * themselves). The engine records it in the store and audits a
   * `policy.changed` entry when it opens the store with other rules than
   * the last engine did. Without it, changes of rules are not audited.
   */
  readonly fingerprint?: string | undefined
}

/**
 * What the secure path did, or refused to do: one entry per audited operation.
 *
 * @example
 * ```ts
 * import type { AuditRecord } from 'weft-sdk'
 * const entry: AuditRecord = { at: Date.now(), action: 'run.cancel', outcome: 'denied', subject: 'user:bob', resource: 'orders', runId: 'r-1', reason: 'not its run' }
 * ```
 */
export interface AuditRecord {
  /** When (epoch milliseconds). */
  readonly at: number
  /** What: `auth.failed`, `run.start`, `run.read`, `run.list`, `run.cancel`, `run.pause`, `run.resume`, `run.signal`, `event.emit`, `task.execute`, `keys.rotated`... */
  readonly action: string
  /** How it ended: `succeeded`, `denied` (authentication, authorization or a rate limit refused it), `failed` (allowed, then failed). */
  readonly outcome: AuditOutcome
  /** The principal's subject; absent when none could be established. */
  readonly subject?: string | undefined
  /** Its tenant. */
  readonly tenant?: string | undefined
  /** The resource: a workflow's name, an event's name, a task. */
  readonly resource: string
  /** The run concerned, if any. */
  readonly runId?: string | undefined
  /** Why it was denied or failed (never a credential or a payload). */
  readonly reason?: string | undefined
}

/**
 * How an audited operation ended.
 *
 * @example
 * ```ts
 * import type { AuditOutcome } from 'weft-sdk'
 * const refused: AuditOutcome = 'denied'
 * ```
 */
export type AuditOutcome = 'succeeded' | 'denied' | 'failed'

/**
 * Where the secure path writes its audit entries. Weft's own is the store's
 * hash-chained audit log; a user's implementation (a SIEM forwarder) can replace it.
 *
 * @example
 * ```ts
 * import type { AuditRecord, AuditSink } from 'weft-sdk'
 * const entries: AuditRecord[] = []
 * const sink: AuditSink = { record: async (entry) => void entries.push(entry) }
 * ```
 */
export interface AuditSink {
  /** Records one entry; resolves once it is durable. */
  record(entry: AuditRecord): Promise<void>
}

/**
 * Per-principal rate limits of the secure path (Weft's: `PrincipalLimits`):
 * takes a permit for an operation of a principal.
 *
 * @example
 * ```ts
 * import { RateLimitedError, type PrincipalLimiter } from 'weft-sdk'
 * const none: PrincipalLimiter = { take: async () => undefined }
 * ```
 */
export interface PrincipalLimiter {
  /**
   * Resolves when `principal` may perform `operation` (`start`, `emit`...) now.
   * @throws `RateLimitedError` with the time until its next permit.
   */
  take(principal: Principal, operation: string): Promise<void>
}
