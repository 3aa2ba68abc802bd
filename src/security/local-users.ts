// Optional local users: user names with scrypt password hashes in Weft's store, checked in constant time, with a
// lockout that grows exponentially after repeated failures, counted in the store so it holds across processes.
// An unknown name and a wrong password get the same error after the same work (a scrypt against a dummy hash).
// Every check is recorded in the audit log with its real reason (see audit-trail.ts), which the caller never sees;
// on the store's own log, a user saved or deleted and a password accepted commit with their entry.
import { randomBytes } from 'node:crypto'
import { Redacted } from 'effect'
import { AuthenticationError, SecurityConfigError } from '../core/security-errors.js'
import type { AuditStore } from '../storage/audit-store.js'
import type { AuditEntriesOf, LocalUserRecord, LocalUserStore, LockoutPolicy } from '../storage/session-store.js'
import type { WorkflowStore } from '../storage/workflow-store.js'
import { AuditTrail, type AuditTrailOptions } from './audit-trail.js'
import { lockedOutReason, passwordAccepted, passwordRefused, userDeleted, userSaved } from './auth-audit.js'
import { checkScryptParameters, defaultScryptParameters, hashPassword, needsRehash, verifyPasswordHash, type ScryptParameters } from './password-hash.js'
import { principal, type Principal } from './principal.js'

/**
 * Options of {@link LocalUsers}. Given the engine's whole store, it keeps
 * users in `store.localUsers` and audits to `store.audit`; given only
 * `store.localUsers`, it audits to `audit` if given, else nowhere.
 *
 * @example
 * ```ts
 * import type { LocalUsersOptions } from 'weft-sdk'
 * import type { WorkflowStore } from 'weft-sdk/store'
 * declare const store: WorkflowStore
 * const options: LocalUsersOptions = { store, minPasswordLength: 15, lockout: { maxFailures: 5, baseLockMs: 60_000 } }
 * ```
 */
export interface LocalUsersOptions extends AuditTrailOptions {
  /**
   * Where users and attempt counters live: the engine's store (its audit log
   * becomes the default `audit`), or its `store.localUsers` alone.
   */
  readonly store: LocalUserStore | Pick<WorkflowStore, 'localUsers' | 'audit'>
  /** scrypt's parameters for new hashes (old hashes keep theirs and are upgraded at their next login). @defaultValue {@link defaultScryptParameters} */
  readonly scrypt?: ScryptParameters
  /** When repeated failures lock a name. @defaultValue `{ maxFailures: 5, baseLockMs: 30_000, maxLockMs: 3_600_000 }` */
  readonly lockout?: Partial<LockoutPolicy>
  /** The shortest password accepted, in characters. @defaultValue `12` */
  readonly minPasswordLength?: number
  /** The longest password accepted, in characters (bounds the work of one login). @defaultValue `1024` */
  readonly maxPasswordLength?: number
  /** The clock (epoch milliseconds). @defaultValue `Date.now` */
  readonly now?: () => number
}

/**
 * A local user to create or replace.
 *
 * @example
 * ```ts
 * import { Redacted } from 'effect'
 * import type { NewLocalUser } from 'weft-sdk'
 * const ada: NewLocalUser = { name: 'ada', roles: ['analyst'], tenant: 'acme', password: Redacted.make('correct horse battery staple') }
 * ```
 */
export interface NewLocalUser {
  /** The login name. */
  readonly name: string
  /** The principal's subject. @defaultValue `user:<name>` */
  readonly subject?: string
  /** The principal's roles. */
  readonly roles: readonly string[]
  /** The principal's tenant. */
  readonly tenant?: string | undefined
  /** The password; kept only as its scrypt hash. */
  readonly password: Redacted.Redacted<string> | string
}

const defaultLockout: LockoutPolicy = { maxFailures: 5, baseLockMs: 30_000, maxLockMs: 3_600_000 }
const refusal = 'the user name or the password is wrong'

/**
 * Local users with passwords: `saveUser` stores a scrypt hash (never the
 * password), `verifyPassword` turns a name and a password into a principal.
 * After `maxFailures` attempts in a row a name is locked for
 * `baseLockMs · 2^(n − maxFailures)` (at most `maxLockMs`), counted in the
 * store per name (known or not), each attempt counted before its password is
 * checked so parallel guesses cannot slip past the limit.
 *
 * Audit (see the `audit` and `onAuditError` options): each `verifyPassword` records
 * `auth.succeeded` or `auth.failed` with the real reason (`wrong password`,
 * `unknown user`, `locked out until <ISO time>`) that the caller is never
 * told; `saveUser` records `user.saved` (`created` or `replaced`) and a
 * `deleteUser` that removed a user `user.deleted`. An entry names the login
 * name (`user:<name>`) and the user's principal when there is one, never a
 * password. On the store's own log (the default given the whole store),
 * `user.saved`, `user.deleted` and `auth.succeeded` are inserted in the
 * transaction of the write they record (the user's row; the name's failed
 * attempts cleared), so both commit or neither: when the entry cannot be
 * written the operation throws the store's `StorageError` and changes
 * nothing (no one is let in). A refusal's `auth.failed` is written after
 * it (the attempt was counted before the password was checked); on a sink
 * given as `audit`, every entry is. Such a write that fails is reported to
 * `onAuditError` and changes no outcome. `close()` closes the default log.
 *
 * @example
 * ```ts
 * import { Redacted } from 'effect'
 * import { LocalUsers } from 'weft-sdk'
 * import type { WorkflowStore } from 'weft-sdk/store'
 * declare const store: WorkflowStore
 * const users = new LocalUsers({ store }) // audited to store.audit
 * await users.saveUser({ name: 'ada', roles: ['analyst'], password: Redacted.make('correct horse battery staple') })
 * const ada = await users.verifyPassword('ada', Redacted.make('correct horse battery staple'))
 * ada.subject // 'user:ada'
 * await users.close() // the audit log's last checkpoint
 * ```
 * @throws `SecurityConfigError` from the constructor for bad scrypt parameters, lockout or length limits, or a store that keeps no local users.
 */
export class LocalUsers {
  private readonly parameters: ScryptParameters
  private readonly lockout: LockoutPolicy
  private readonly minLength: number
  private readonly maxLength: number
  private readonly now: () => number
  private readonly store: LocalUserStore
  private readonly audit: AuditTrail
  private dummyHash: Promise<string> | undefined

  constructor(private readonly options: LocalUsersOptions) {
    const { users, audit } = storesOf(options.store)
    this.store = users
    this.parameters = options.scrypt ?? defaultScryptParameters
    checkScryptParameters(this.parameters)
    this.lockout = { ...defaultLockout, ...options.lockout }
    this.minLength = options.minPasswordLength ?? 12
    this.maxLength = options.maxPasswordLength ?? 1024
    this.now = options.now ?? Date.now
    checkLimits(this.lockout, this.minLength, this.maxLength)
    this.audit = AuditTrail.of('local-users', options, audit, this.now)
  }

  /**
   * Creates a user or replaces one of the same name (a new password, new roles).
   * @throws `SecurityConfigError` for a password shorter or longer than the limits (never quoting it); `InvalidPrincipalError` for a bad name, subject, role or tenant;
   * `StorageError` when the user (or, on the store's own log, its entry) cannot be written: nothing is saved.
   */
  async saveUser(user: NewLocalUser): Promise<void> {
    checkedName(user.name)
    const password = readPassword(user.password)
    const length = [...password].length
    if (length < this.minLength || length > this.maxLength) {
      throw new SecurityConfigError(`the password of "${user.name}" has ${length} characters; it must have ${this.minLength} to ${this.maxLength}`)
    }
    const who = principal({ subject: user.subject ?? `user:${user.name}`, roles: user.roles, tenant: user.tenant })
    const now = this.now()
    const existing = await this.store.getLocalUser(user.name)
    const passwordHash = await hashPassword(password, this.parameters)
    const record = { name: user.name, subject: who.subject, roles: who.roles, tenant: who.tenant, passwordHash, createdAt: existing?.createdAt ?? now, updatedAt: now }
    await this.audit.with(userSaved(user.name, who, existing !== undefined, now), (audit) => this.store.putLocalUser(record, audit))
  }

  /**
   * Removes a user; false when there was none. Its open sessions stay until revoked (see `SessionManager.revokeSubject`).
   * @throws `StorageError` when the deletion (or, on the store's own log, its entry) cannot be written: the user stays.
   */
  async deleteUser(name: string): Promise<boolean> {
    const user = this.audit.enabled ? await this.store.getLocalUser(name).catch(() => undefined) : undefined
    const now = this.now()
    const remove = (audit: AuditEntriesOf<boolean> | undefined) => this.store.deleteLocalUser(name, audit)
    return this.audit.decided(remove, (deleted) => (deleted ? [userDeleted(name, user, now)] : []))
  }

  /**
   * The principal of a user whose password matches.
   * @throws `AuthenticationError`: `invalid-credentials` for an unknown name and for a wrong password alike
   * (same message, same work); `locked` with `retryAfterMs` while the name is locked.
   * `StorageError` when, on the store's own log, the `auth.succeeded` entry cannot be written: no principal is returned and the attempt stays counted.
   */
  async verifyPassword(name: string, password: Redacted.Redacted<string> | string): Promise<Principal> {
    const now = this.now()
    const decision = await this.store.claimLoginAttempt(name, now, this.lockout)
    if (decision.kind === 'locked') throw await this.lockedOut(name, now, decision.retryAfterMs)
    const user = await this.store.getLocalUser(name)
    const given = readPassword(password)
    const matches = await verifyPasswordHash(user?.passwordHash ?? (await this.dummy()), [...given].length > this.maxLength ? '' : given)
    if (user === undefined || !matches) {
      await this.audit.record(passwordRefused(name, user, user === undefined ? 'unknown user' : 'wrong password', now))
      throw new AuthenticationError('invalid-credentials', refusal)
    }
    await this.upgradeHash(user, given)
    await this.audit.with(passwordAccepted(name, user, now), (audit) => this.store.clearLoginAttempts(name, audit))
    return principal({ subject: user.subject, roles: user.roles, tenant: user.tenant, claims: { amr: ['pwd'] } })
  }

  /** Closes the audit log these users opened on the store (a last checkpoint, when it signs them); a sink given as `audit` is left open. */
  close(): Promise<void> {
    return this.audit.close()
  }

  /** The refusal of a locked name, once its entry is recorded (with the user's principal, when the name has a user). */
  private async lockedOut(name: string, now: number, retryAfterMs: number): Promise<AuthenticationError> {
    const user = this.audit.enabled ? await this.store.getLocalUser(name).catch(() => undefined) : undefined
    await this.audit.record(passwordRefused(name, user, lockedOutReason(now + retryAfterMs), now))
    return new AuthenticationError('locked', `too many failed attempts: try again in ${Math.ceil(retryAfterMs / 1000)} s`, retryAfterMs)
  }

  /** Re-hashes a password whose hash has older scrypt parameters than the current ones. */
  private async upgradeHash(user: LocalUserRecord, given: string): Promise<void> {
    if (!needsRehash(user.passwordHash, this.parameters)) return
    await this.store.putLocalUser({ ...user, passwordHash: await hashPassword(given, this.parameters), updatedAt: this.now() })
  }

  /** A hash of a random password with the current parameters: an unknown name costs the same scrypt as a known one. */
  private dummy(): Promise<string> {
    this.dummyHash ??= hashPassword(randomBytes(24).toString('base64url'), this.parameters)
    return this.dummyHash
  }
}

/**
 * Local users made from options.
 *
 * @example
 * ```ts
 * import { createLocalUsers } from 'weft-sdk'
 * import type { WorkflowStore } from 'weft-sdk/store'
 * declare const store: WorkflowStore
 * const users = createLocalUsers({ store: store.localUsers!, minPasswordLength: 15 })
 * ```
 * @throws `SecurityConfigError` like the constructor.
 */
export function createLocalUsers(options: LocalUsersOptions): LocalUsers {
  return new LocalUsers(options)
}

function readPassword(password: Redacted.Redacted<string> | string): string {
  const value: unknown = Redacted.isRedacted(password) ? Redacted.value(password) : password
  return typeof value === 'string' ? value : ''
}

/** The local-user role of the store given, and its audit log when it is a whole store. */
function storesOf(store: LocalUsersOptions['store']): { readonly users: LocalUserStore; readonly audit: AuditStore | undefined } {
  if ('getLocalUser' in store) return { users: store, audit: undefined }
  if (store.localUsers === undefined) throw new SecurityConfigError('this store keeps no local users: give LocalUsers a memory, SQLite or PostgreSQL store, or a LocalUserStore of your own')
  return { users: store.localUsers, audit: store.audit }
}

function checkedName(name: string): string {
  if (typeof name !== 'string' || name.length === 0) throw new SecurityConfigError('a local user needs a non-empty name')
  return name
}

function checkLimits(lockout: LockoutPolicy, minLength: number, maxLength: number): void {
  const problems = [
    Number.isInteger(lockout.maxFailures) && lockout.maxFailures >= 1 ? undefined : `lockout.maxFailures must be an integer ≥ 1, got ${lockout.maxFailures}`,
    lockout.baseLockMs > 0 && lockout.maxLockMs >= lockout.baseLockMs ? undefined : `lockout needs 0 < baseLockMs ≤ maxLockMs, got ${lockout.baseLockMs} and ${lockout.maxLockMs}`,
    Number.isInteger(minLength) && minLength >= 8 && maxLength >= minLength ? undefined : `password lengths need 8 ≤ minPasswordLength ≤ maxPasswordLength, got ${minLength} and ${maxLength}`,
  ].filter((problem) => problem !== undefined)
  if (problems.length > 0) throw new SecurityConfigError(problems.join('; '))
}
