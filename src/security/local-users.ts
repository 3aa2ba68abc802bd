// Optional local users: user names with scrypt password hashes in Weft's store, checked in constant time, with a
// lockout that grows exponentially after repeated failures, counted in the store so it holds across processes.
// An unknown name and a wrong password get the same error after the same work (a scrypt against a dummy hash).
import { randomBytes } from 'node:crypto'
import { Redacted } from 'effect'
import { AuthenticationError, SecurityConfigError } from '../core/security-errors.js'
import type { LocalUserStore, LockoutPolicy } from '../storage/session-store.js'
import { checkScryptParameters, defaultScryptParameters, hashPassword, needsRehash, verifyPasswordHash, type ScryptParameters } from './password-hash.js'
import { principal, type Principal } from './principal.js'

/**
 * Options of {@link LocalUsers}.
 *
 * @example
 * ```ts
 * import type { LocalUsersOptions } from 'weft-sdk'
 * import type { WorkflowStore } from 'weft-sdk/store'
 * declare const store: WorkflowStore
 * const options: LocalUsersOptions = { store: store.localUsers!, minPasswordLength: 15, lockout: { maxFailures: 5, baseLockMs: 60_000 } }
 * ```
 */
export interface LocalUsersOptions {
  /** Where users and attempt counters live: `store.localUsers` of the engine's store. */
  readonly store: LocalUserStore
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
 * @example
 * ```ts
 * import { Redacted } from 'effect'
 * import { LocalUsers } from 'weft-sdk'
 * import type { WorkflowStore } from 'weft-sdk/store'
 * declare const store: WorkflowStore
 * const users = new LocalUsers({ store: store.localUsers! })
 * await users.saveUser({ name: 'ada', roles: ['analyst'], password: Redacted.make('correct horse battery staple') })
 * const ada = await users.verifyPassword('ada', Redacted.make('correct horse battery staple'))
 * ada.subject // 'user:ada'
 * ```
 * @throws `SecurityConfigError` from the constructor for bad scrypt parameters, lockout or length limits.
 */
export class LocalUsers {
  private readonly parameters: ScryptParameters
  private readonly lockout: LockoutPolicy
  private readonly minLength: number
  private readonly maxLength: number
  private readonly now: () => number
  private dummyHash: Promise<string> | undefined

  constructor(private readonly options: LocalUsersOptions) {
    this.parameters = options.scrypt ?? defaultScryptParameters
    checkScryptParameters(this.parameters)
    this.lockout = { ...defaultLockout, ...options.lockout }
    this.minLength = options.minPasswordLength ?? 12
    this.maxLength = options.maxPasswordLength ?? 1024
    this.now = options.now ?? Date.now
    checkLimits(this.lockout, this.minLength, this.maxLength)
  }

  /**
   * Creates a user or replaces one of the same name (a new password, new roles).
   * @throws `SecurityConfigError` for a password shorter or longer than the limits (never quoting it); `InvalidPrincipalError` for a bad name, subject, role or tenant.
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
    const existing = await this.options.store.getLocalUser(user.name)
    const passwordHash = await hashPassword(password, this.parameters)
    await this.options.store.putLocalUser({ name: user.name, subject: who.subject, roles: who.roles, tenant: who.tenant, passwordHash, createdAt: existing?.createdAt ?? now, updatedAt: now })
  }

  /** Removes a user; false when there was none. Its open sessions stay until revoked (see `SessionManager.revokeSubject`). */
  deleteUser(name: string): Promise<boolean> {
    return this.options.store.deleteLocalUser(name)
  }

  /**
   * The principal of a user whose password matches.
   * @throws `AuthenticationError`: `invalid-credentials` for an unknown name and for a wrong password alike
   * (same message, same work); `locked` with `retryAfterMs` while the name is locked.
   */
  async verifyPassword(name: string, password: Redacted.Redacted<string> | string): Promise<Principal> {
    const decision = await this.options.store.claimLoginAttempt(name, this.now(), this.lockout)
    if (decision.kind === 'locked') {
      throw new AuthenticationError('locked', `too many failed attempts: try again in ${Math.ceil(decision.retryAfterMs / 1000)} s`, decision.retryAfterMs)
    }
    const user = await this.options.store.getLocalUser(name)
    const given = readPassword(password)
    const matches = await verifyPasswordHash(user?.passwordHash ?? (await this.dummy()), [...given].length > this.maxLength ? '' : given)
    if (user === undefined || !matches) throw new AuthenticationError('invalid-credentials', refusal)
    await this.options.store.clearLoginAttempts(name)
    if (needsRehash(user.passwordHash, this.parameters)) {
      await this.options.store.putLocalUser({ ...user, passwordHash: await hashPassword(given, this.parameters), updatedAt: this.now() })
    }
    return principal({ subject: user.subject, roles: user.roles, tenant: user.tenant, claims: { amr: ['pwd'] } })
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
