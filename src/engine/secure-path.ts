// The secure path every operation on runs goes through once security is configured:
// authenticate → authorize → per-principal limit → execute → audit. Without security it hands the caller's
// principal through unchanged (Weft behaves as it did); with it, it is deny by default.
import { Redacted } from 'effect'
import { isWeftError, RunNotFoundError } from '../core/errors.js'
import { AuthenticationError, AuthorizationError, SecurityConfigError } from '../core/security-errors.js'
import type { TaskNode, WorkflowGraph } from '../graph/workflow-graph.js'
import type { RunStarter, TaskGuard } from '../runtime/run-execution.js'
import { principal as makePrincipal, type Credentials, type Principal } from '../security/principal.js'
import type { AccessRequest, AuditOutcome, AuditRecord, AuditSink, Authenticator, Authorizer, PrincipalLimiter, RunOwner } from '../security/ports.js'
import { requiredAccess } from '../security/required-permissions.js'
import { VerificationCache } from '../security/verification-cache.js'
import type { RunId } from '../core/ids.js'
import type { RunEvent } from '../runtime/run-events.js'
import type { RunOutcome, TaskSummary } from '../runtime/run-outcome.js'
import type { AuditEntry } from '../storage/audit-store.js'
import type { RunRecord, RunStatus } from '../storage/workflow-store.js'
import type { RunBackend } from './workflow-run.js'
import type { AuditLogSettings } from './store-audit.js'

/**
 * Who asks for an operation: a principal the application already
 * authenticated, a subject alone (a principal without roles), or credentials
 * the engine's `Authenticator` checks.
 *
 * @example
 * ```ts
 * import { principal, type Caller } from 'weft-sdk'
 * const admin: Caller = principal({ subject: 'user:ada', roles: ['admin'] })
 * const withToken: Caller = { token: 'eyJhbGciOi...' }
 * ```
 */
export type Caller = Principal | Credentials | string

/**
 * Who performs an operation of the engine's API (start, read, list, emit, and
 * the handles' cancel, pause, resume, signal): `principal` or `credentials`.
 * On a secured engine one of them is required; `engine.as(caller)` fills them in.
 *
 * @example
 * ```ts
 * import { principal, type AccessOptions } from 'weft-sdk'
 * const options: AccessOptions = { principal: principal({ subject: 'user:ada', roles: ['analyst'] }) }
 * ```
 */
export interface AccessOptions {
  /** An authenticated principal (or its subject alone). */
  readonly principal?: Principal | string | undefined
  /** Credentials the engine's `Authenticator` turns into a principal. */
  readonly credentials?: Credentials | undefined
}

/**
 * The security of an engine: its policies, registered in the engine's
 * container under {@link securityTokens} (a user's own implementation
 * registered there replaces Weft's). Once given, every operation is denied
 * unless the authorizer allows it.
 *
 * @example
 * ```ts
 * import { createEngine, type SecurityConfig } from 'weft-sdk'
 * const security: SecurityConfig = {
 *   authorizer: { authorize: (p) => (p.roles.includes('admin') ? { allowed: true } : { allowed: false, reason: 'admins only' }) },
 * }
 * const engine = createEngine({ security })
 * ```
 */
export interface SecurityConfig {
  /** Decides every operation (Weft's `Rbac`, or your own). Required: security is deny by default. */
  readonly authorizer: Authorizer
  /** Turns credentials into principals (Weft's `JwtAuthenticator`, or your own). Without it, only principals are accepted. */
  readonly authenticator?: Authenticator | undefined
  /** Per-principal rate limits of `start` and `emit` (Weft's `PrincipalLimits`). @defaultValue none */
  readonly limits?: PrincipalLimiter | undefined
  /** Where audit entries go. @defaultValue the store's hash-chained audit log (`auditLog` configures its checkpoints) */
  readonly audit?: AuditSink | undefined
  /** Signed checkpoints (and lanes) of the store's audit log, the default `audit`. @defaultValue no checkpoints */
  readonly auditLog?: AuditLogSettings | undefined
}

/** An operation as the secure path sees it. */
export interface SecuredOperation {
  /** The audit action (`run.start`, `run.cancel`, `event.emit`...). */
  readonly audit: string
  /** The authorization request: the action and the resource, and the run's owner for an operation on a run. */
  readonly request: AccessRequest
  /** Admits any authenticated principal (a listing, whose rows are filtered one by one instead). @defaultValue false */
  readonly authenticateOnly?: boolean | undefined
  /** Further permissions required (a workflow's and its tasks' `requires`). */
  readonly requires?: readonly string[] | undefined
  /** The run concerned, if any. */
  readonly runId?: string | undefined
  /** The per-principal limit that applies (`start`, `emit`), if any. */
  readonly limit?: string | undefined
  /** Whether a success is audited too (a read is audited only when denied). @defaultValue true */
  readonly auditSuccess?: boolean | undefined
}

/**
 * Wraps the write that performs an operation so that its audit entry is
 * written in the same transaction: `write` receives the sealed entries to
 * store with it (`undefined` when the entry is written separately).
 */
export type AuditedWrite = <T>(write: (audit: readonly AuditEntry[] | undefined) => Promise<T>) => Promise<T>

/** An audit sink that seals an entry into a write of the caller's (the store's audit log: {@link StoreAuditSink}). */
interface JoinableAuditSink extends AuditSink {
  recordWith<T>(entry: AuditRecord, write: (sealed: AuditEntry) => Promise<T>): Promise<T>
}

function isJoinable(sink: AuditSink): sink is JoinableAuditSink {
  return typeof (sink as Partial<JoinableAuditSink>).recordWith === 'function'
}

const noCheck = async (): Promise<void> => undefined

/** How long a token's successful authentication is not audited again by the same engine. */
const authenticatedTokenTtlMs = 5 * 60_000

/** The policies in force, resolved once from the engine's container. */
interface Policies {
  readonly authorizer: Authorizer
  readonly authenticator: Authenticator | undefined
  readonly limits: PrincipalLimiter | undefined
  readonly audit: AuditSink
}

/** How the secure path reaches the engine's container and clock. */
export interface SecurePathWiring {
  /** The policy registered under a token, if any. */
  lookup<T>(token: string): T | undefined
  /** The audit sink used when none is configured (the store's audit log). */
  defaultAudit(): AuditSink
  now(): number
  /** Reports an audit entry that could not be written (the operation it records stands). */
  reportError(error: unknown): void
}

/**
 * The container tokens the engine registers its security policies under
 * (`createEngine({ security })` registers them; registering your own
 * implementation under a token before the engine's first operation replaces it).
 *
 * @example
 * ```ts
 * import { createEngine, securityTokens, type Authorizer } from 'weft-sdk'
 * const engine = createEngine()
 * const mine: Authorizer = { authorize: () => ({ allowed: false, reason: 'maintenance' }) }
 * engine.container.register(securityTokens.authorizer, { useValue: mine })
 * ```
 */
export const securityTokens = {
  /** The `Authorizer`'s token: with nothing registered under it, security is off. */
  authorizer: 'weft:security:authorizer',
  /** The `Authenticator`'s token (optional: without one, only principals are accepted). */
  authenticator: 'weft:security:authenticator',
  /** The `PrincipalLimiter`'s token (optional: without one, no per-principal limit applies). */
  limits: 'weft:security:limits',
  /** The `AuditSink`'s token (optional: without one, entries go to the store's audit log). */
  audit: 'weft:security:audit',
} as const

/** The access options of a caller: a principal (or subject) as `principal`, credentials as `credentials`. */
export function accessOf(caller: Caller): AccessOptions {
  return typeof caller === 'object' && 'token' in caller ? { credentials: caller } : { principal: caller }
}

/** The owner of a stored run, for the object-level rule. */
export function ownerOf(run: Pick<RunRecord, 'principal' | 'tenant'>): RunOwner {
  return { subject: run.principal, tenant: run.tenant }
}

/**
 * Authenticates, authorizes, limits and audits operations; a task guard for
 * runs' tasks. Policies are looked up in the container at the first
 * operation, so a user's registration after `createEngine` counts.
 */
export class SecurePath {
  private policies: Policies | undefined
  /** Tokens whose authentication was audited lately (their SHA-256 only). */
  private readonly authenticated = new VerificationCache(authenticatedTokenTtlMs, 10_000)

  constructor(private readonly wiring: SecurePathWiring) {}

  /** The audit sink in force (`undefined` without security). */
  get auditSink(): AuditSink | undefined {
    return this.resolve()?.audit
  }

  /** The audit entry of an operation (for a sink that writes it with the operation). */
  entryOf(operation: SecuredOperation, who: Principal | undefined, outcome: AuditOutcome, reason?: string): AuditRecord {
    return { at: this.wiring.now(), action: operation.audit, outcome, subject: who?.subject, tenant: who?.tenant, resource: operation.request.resource, runId: operation.runId, reason }
  }

  /** The fingerprint of the authorizer's rules, when it gives one (see `Authorizer.fingerprint`). */
  get policyFingerprint(): string | undefined {
    return this.resolve()?.authorizer.fingerprint
  }

  /** Audits a change of the security policy in force (`policy.changed`), made by no principal: by the engine that opened the store. */
  async policyChanged(reason: string): Promise<void> {
    await this.record({ audit: 'policy.changed', request: { action: 'admin', resource: 'security' } }, undefined, 'succeeded', reason)
  }

  /** Whether security is configured (an authorizer is registered). */
  get enabled(): boolean {
    return this.resolve() !== null
  }

  /**
   * Admits an operation: the principal it runs as (recorded with a new run),
   * or `undefined` on an engine without security (then a given principal is
   * passed through). A refusal is audited once and thrown.
   * @throws `AuthenticationError`, `AuthorizationError`, `RateLimitedError`, `SecurityConfigError`.
   */
  admit(operation: SecuredOperation, access: AccessOptions | undefined): Promise<Principal | undefined> {
    return this.admitChecked(operation, access, noCheck)
  }

  /**
   * Admits an operation in two steps, for a caller that must check
   * something between them: authenticated and authorized first (`check`
   * then runs as the principal, and may refuse), its per-principal limit
   * taken only if `check` passed — a refused operation spends no permit.
   */
  async admitChecked(operation: SecuredOperation, access: AccessOptions | undefined, check: (who: Principal) => Promise<void>): Promise<Principal | undefined> {
    const policies = this.resolve()
    if (policies === null) return givenPrincipal(access)
    const who = await this.authenticate(policies, operation, access)
    await this.authorize(policies, who, operation)
    await check(who)
    await this.takeLimit(policies, who, operation)
    // Only once admitted: a refused operation writes exactly one entry, its refusal.
    if (access?.credentials !== undefined) await this.recordAuthenticated(operation, access.credentials, who)
    return who
  }

  private async takeLimit(policies: Policies, who: Principal, operation: SecuredOperation): Promise<void> {
    if (operation.limit === undefined || policies.limits === undefined) return
    try {
      await policies.limits.take(who, operation.limit)
    } catch (error) {
      await this.record(operation, who, 'denied', reasonOf(error))
      throw error
    }
  }

  /** Audits a refusal decided outside the path (after admission), as `denied`. */
  async deny(operation: SecuredOperation, who: Principal, reason: string): Promise<void> {
    await this.record(operation, who, 'denied', reason)
  }

  /** Audits the end of an admitted operation (nothing on an engine without security). */
  async done(operation: SecuredOperation, who: Principal | undefined, error?: unknown, runId?: string): Promise<void> {
    if (this.resolve() === null || who === undefined) return
    if (error === undefined && operation.auditSuccess === false) return
    await this.record(runId === undefined ? operation : { ...operation, runId }, who, error === undefined ? 'succeeded' : 'failed', error === undefined ? undefined : reasonOf(error))
  }

  /**
   * Runs an admitted operation and audits how it ended. `execute` gets an
   * {@link AuditedWrite}: the write that performs the operation, wrapped in
   * it, commits with the operation's audit entry where the sink can join it
   * (the store's log); otherwise, or when `execute` does not use it, the
   * entry is written after the operation.
   * @throws what admission or the operation throws.
   */
  async run<A>(operation: SecuredOperation, access: AccessOptions | undefined, execute: (who: Principal | undefined, audited: AuditedWrite) => Promise<A>): Promise<A> {
    const who = await this.admit(operation, access)
    const joined = { committed: false }
    let result: A
    try {
      result = await execute(who, (write) => this.joinedWrite(operation, who, joined, write))
    } catch (error) {
      if (!joined.committed) await this.done(operation, who, error)
      throw error
    }
    if (!joined.committed) await this.done(operation, who)
    return result
  }

  /**
   * The audit entry of an admitted operation, sealed and handed to `write`
   * (which stores it in the operation's transaction), once per operation;
   * `write(undefined)` when there is nothing to join (no security, a sink
   * that cannot join a write, or an entry joined already).
   */
  private async joinedWrite<T>(operation: SecuredOperation, who: Principal | undefined, joined: { committed: boolean }, write: (audit: readonly AuditEntry[] | undefined) => Promise<T>): Promise<T> {
    const sink = this.resolve()?.audit
    if (who === undefined || sink === undefined || !isJoinable(sink) || joined.committed || operation.auditSuccess === false) return write(undefined)
    const result = await sink.recordWith(this.entryOf(operation, who, 'succeeded'), (sealed) => write([sealed]))
    joined.committed = true
    return result
  }

  /** Whether `who` may `action` the run `run` (the object-level rule included); for filtering listings. */
  mayRead(who: Principal, run: Pick<RunRecord, 'workflow' | 'principal' | 'tenant'>): boolean {
    const policies = this.resolve()
    if (policies === null) return true
    return policies.authorizer.authorize(who, { action: 'read', resource: run.workflow, owner: ownerOf(run) }).allowed
  }

  /** Whether `who` may read every run of `workflow` (`*` for all): then a listing needs no owner filter. */
  readsAll(who: Principal, workflow: string): boolean {
    const policies = this.resolve()
    return policies === null || policies.authorizer.authorize(who, { action: 'admin', resource: workflow }).allowed
  }

  /** The task guard of secured runs: a task's required permissions, checked against the run's recorded starter. */
  readonly taskGuard: TaskGuard = (starter, task, runId) => {
    const policies = this.resolve()
    if (policies === null) return undefined
    const refusal = this.taskRefusal(policies, starter, task)
    if (refusal === undefined) return undefined
    void this.record({ audit: 'task.execute', request: { action: 'execute', resource: task.name }, runId }, starterPrincipal(starter), 'denied', refusal.reason)
    return refusal
  }

  /** The permissions starting `graph` needs: its own `requires` and every task's. */
  static startRequirements(graph: WorkflowGraph): string[] {
    return [...new Set([...graph.requires, ...graph.tasks.flatMap((task) => task.requires)])]
  }

  private taskRefusal(policies: Policies, starter: RunStarter, task: TaskNode): AuthorizationError | undefined {
    if (starter.subject === undefined) return new AuthorizationError('(none)', 'execute', task.name, 'the run has no recorded principal (it was started before security was configured); start it again as a principal')
    const who = starterPrincipal(starter)!
    for (const permission of task.requires) {
      const decision = policies.authorizer.authorize(who, requiredAccess(permission))
      if (!decision.allowed) return new AuthorizationError(who.subject, 'execute', `task "${task.name}"`, `it requires "${permission}": ${decision.reason}`)
    }
    return undefined
  }

  private async authenticate(policies: Policies, operation: SecuredOperation, access: AccessOptions | undefined): Promise<Principal> {
    try {
      if (access?.credentials !== undefined) {
        if (policies.authenticator === undefined) throw new SecurityConfigError('credentials were given but no authenticator is configured: add one to createEngine({ security: { authenticator } })')
        return makePrincipal(await policies.authenticator.authenticate(access.credentials))
      }
      const given = givenPrincipal(access)
      if (given === undefined) throw new AuthenticationError('missing', 'this engine is secured: pass a principal or credentials (options.principal, options.credentials, or engine.as(caller))')
      return given
    } catch (error) {
      await this.record({ ...operation, audit: 'auth.failed' }, undefined, 'denied', reasonOf(error))
      throw error
    }
  }

  /**
   * Audits a successful authentication by credentials as `auth.succeeded`,
   * once per token per process within {@link authenticatedTokenTtlMs}: the
   * operations it then performs are audited as that subject, so a token
   * used for every request of a session writes one such entry, not one per request.
   */
  private async recordAuthenticated(operation: SecuredOperation, credentials: Credentials, who: Principal): Promise<void> {
    const key = this.authenticated.keyOf(Redacted.isRedacted(credentials.token) ? Redacted.value(credentials.token) : credentials.token)
    const now = this.wiring.now()
    if (this.authenticated.get(key, now) !== undefined) return
    this.authenticated.set(key, who, Number.POSITIVE_INFINITY, now)
    await this.record({ ...operation, audit: 'auth.succeeded', runId: undefined }, who, 'succeeded')
  }

  private async authorize(policies: Policies, who: Principal, operation: SecuredOperation): Promise<void> {
    const requests = [...(operation.authenticateOnly === true ? [] : [operation.request]), ...(operation.requires ?? []).map(requiredAccess)]
    for (const request of requests) {
      const decision = policies.authorizer.authorize(who, request)
      if (decision.allowed) continue
      const refusal = new AuthorizationError(who.subject, request.action, request === operation.request ? describeResource(operation) : request.resource, decision.reason)
      await this.record(operation, who, 'denied', refusal.reason)
      throw refusal
    }
  }

  private async record(operation: SecuredOperation, who: Principal | undefined, outcome: AuditOutcome, reason?: string): Promise<void> {
    const policies = this.resolve()
    if (policies === null) return
    const entry = this.entryOf(operation, who, outcome, reason)
    try {
      await policies.audit.record(entry)
    } catch (error) {
      this.wiring.reportError(error)
    }
  }

  /** The policies in the container; `null` when no authorizer is registered (security off). */
  private resolve(): Policies | null {
    if (this.policies !== undefined) return this.policies
    const authorizer = this.wiring.lookup<Authorizer>(securityTokens.authorizer)
    // "Off" is not remembered: an authorizer registered later (even after the engine opened) turns security on at once.
    if (authorizer === undefined) return null
    this.policies = {
      authorizer,
      authenticator: this.wiring.lookup<Authenticator>(securityTokens.authenticator),
      limits: this.wiring.lookup<PrincipalLimiter>(securityTokens.limits),
      audit: this.wiring.lookup<AuditSink>(securityTokens.audit) ?? this.wiring.defaultAudit(),
    }
    return this.policies
  }
}

/**
 * The principal the caller gave (a subject alone makes a principal without roles).
 * @internal
 */
export function givenPrincipal(access: AccessOptions | undefined): Principal | undefined {
  const given = access?.principal
  if (given === undefined) return undefined
  // Always through principal(): a hand-made object's fields are checked (they are recorded with runs and audit entries).
  return typeof given === 'string' ? makePrincipal({ subject: given }) : makePrincipal(given)
}

/** The principal recorded with a run, for re-checks of its tasks. */
function starterPrincipal(starter: RunStarter): Principal | undefined {
  return starter.subject === undefined ? undefined : makePrincipal({ subject: starter.subject, roles: starter.roles ?? [], tenant: starter.tenant })
}

/** A refusal's reason for the audit log: a Weft error's message (which never carries a credential), else its class. */
function reasonOf(error: unknown): string {
  if (error instanceof AuthenticationError) return `${error.reason}: ${error.detail}`
  if (error instanceof AuthorizationError) return error.reason
  if (isWeftError(error)) return error.message
  return error instanceof Error ? error.name : 'failed'
}

function describeResource(operation: SecuredOperation): string {
  return operation.runId === undefined ? operation.request.resource : `run ${operation.runId} of ${operation.request.resource}`
}

/**
 * A run handle's backend whose control operations (pause, resume, cancel,
 * signal) go through the secure path as the caller that obtained the handle.
 */
export class SecuredRunBackend implements RunBackend {
  constructor(
    private readonly inner: RunBackend,
    private readonly path: SecurePath,
    private readonly owner: RunOwner,
    private readonly access: AccessOptions | undefined,
  ) {}

  get runId(): RunId {
    return this.inner.runId
  }

  get workflow(): string {
    return this.inner.workflow
  }

  get version(): number {
    return this.inner.version
  }

  status(): RunStatus {
    return this.inner.status()
  }

  outcome(): Promise<RunOutcome> {
    return this.inner.outcome()
  }

  tasks(): TaskSummary[] {
    return this.inner.tasks()
  }

  events(): AsyncIterable<RunEvent> {
    return this.inner.events()
  }

  // Each request is written with its audit entry (one transaction) where the audit sink can join the write.

  pause(): Promise<boolean> {
    return this.request(this.operation('pause'), (audit) => this.inner.pause(audit))
  }

  resume(): Promise<boolean> {
    return this.request(this.operation('resume'), (audit) => this.inner.resume(audit))
  }

  cancel(reason?: string): Promise<boolean> {
    return this.request(this.operation('cancel'), (audit) => this.inner.cancel(reason, audit))
  }

  signal(name: string, payload: unknown): Promise<void> {
    return this.path.run({ ...this.operation('signal'), limit: 'emit' }, this.access, (_who, audited) => audited((audit) => this.inner.signal(name, payload, audit)))
  }

  /** A control request through the secure path; a run gone from the store (audited as failed) is a request that did not apply. */
  private async request(operation: SecuredOperation, write: (audit: readonly AuditEntry[] | undefined) => Promise<boolean>): Promise<boolean> {
    try {
      return await this.path.run(operation, this.access, (_who, audited) => audited(write))
    } catch (error) {
      if (error instanceof RunNotFoundError && error.runId === this.inner.runId) return false
      throw error
    }
  }

  private operation(action: 'pause' | 'resume' | 'cancel' | 'signal'): SecuredOperation {
    return { audit: `run.${action}`, request: { action, resource: this.inner.workflow, owner: this.owner }, runId: this.inner.runId }
  }
}
