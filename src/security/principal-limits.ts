// Per-principal rate limits of the secure path: a token bucket per principal
// (or tenant) and per operation, kept in a PolicyStateStore, the same port and
// the same Effect RateLimiter as the limits of tasks and adapters, so the
// buckets are shared by every worker process when the state is (SQLite on one
// machine, PostgreSQL or Redis across machines).
import { Cause, Context, Effect, Exit, Scope } from 'effect'
import { toMillis, type Duration } from '../core/duration.js'
import { InvalidPrincipalError, SecurityConfigError } from '../core/security-errors.js'
import type { RateLimitPolicy } from '../graph/workflow-graph.js'
import { makePolicyServices, memoryPolicyState, type PolicyServices, type PolicyStateStore } from '../resilience/policy-services.js'
import { consumeNow, withRateLimit } from '../resilience/rate-limiters.js'
import { isPrincipal, type Principal } from './principal.js'

/**
 * One operation's limit: a token bucket holding `limit` permits, refilled one
 * permit every `window / limit`. A principal may use `limit` at once, and
 * sustains `limit` per `window`; from its first take, over any stretch of
 * time T it gets at most `limit + floor(T / (window / limit))` permits.
 *
 * @example
 * ```ts
 * import type { PrincipalLimit } from 'weft-sdk'
 * const starts: PrincipalLimit = { limit: 10, window: '1 m' } // 10 at once, then one every 6 s
 * ```
 */
export interface PrincipalLimit {
  /** Permits per window, and the most usable at once: a whole number ≥ 1. */
  readonly limit: number
  /** The window (> 0): `'1 m'`, `'10 s'`, or milliseconds. */
  readonly window: Duration
}

/**
 * Limits by operation name (`start`, `emit`, or any name the application
 * takes with); `'*'` applies to operations not listed; `'unlimited'` lifts
 * the limit of one operation. An operation with no entry and no `'*'` is not
 * limited.
 *
 * @example
 * ```ts
 * import type { OperationLimits } from 'weft-sdk'
 * const limits: OperationLimits = { start: { limit: 10, window: '1 m' }, emit: { limit: 100, window: '1 m' }, '*': { limit: 300, window: '1 m' } }
 * ```
 */
export type OperationLimits = Readonly<Record<string, PrincipalLimit | 'unlimited'>>

/**
 * Configuration of {@link PrincipalLimits}.
 *
 * @example
 * ```ts
 * import { memoryPolicyState, type PrincipalLimitsConfig } from 'weft-sdk'
 * const config: PrincipalLimitsConfig = {
 *   limits: { start: { limit: 10, window: '1 m' }, emit: { limit: 100, window: '1 m' } },
 *   roles: { admin: { start: 'unlimited' }, batch: { start: { limit: 1000, window: '1 h' } } },
 *   state: memoryPolicyState(),
 * }
 * ```
 */
export interface PrincipalLimitsConfig {
  /** The limits of every principal, by operation. */
  readonly limits: OperationLimits
  /**
   * Overrides by role, by operation (a role's `'*'` covers its other
   * operations). A principal with several roles that set a limit for an
   * operation gets the most generous of them (`'unlimited'` first, then the
   * highest rate `limit / window`, then the highest `limit`); with none, the
   * common limit applies.
   */
  readonly roles?: Readonly<Record<string, OperationLimits>>
  /**
   * Whose bucket a take counts against: `'principal'`, one bucket per
   * subject (within its tenant: `alice` of two tenants is two principals), or
   * `'tenant'`, one bucket per tenant shared by its principals (a principal
   * with no tenant counts alone, as with `'principal'`).
   * @defaultValue `'principal'`
   */
  readonly per?: 'principal' | 'tenant'
  /**
   * Where the buckets are kept. Shared by processes when the state is:
   * `sqlitePolicyState` (one machine), `postgresPolicyState` or
   * `redisPolicyState` (several). It is not closed by {@link PrincipalLimits.close}.
   * @defaultValue `memoryPolicyState()`: each process counts for itself
   */
  readonly state?: PolicyStateStore
}

/** A validated limit: its window in milliseconds. */
interface Rule {
  readonly limit: number
  readonly windowMs: number
}

type RuleTable = ReadonlyMap<string, Rule | 'unlimited'>

/** Operation names: letters, digits, `.`, `_`, `-`, `:` (or `'*'`). */
const operationPattern = /^(\*|[A-Za-z][\w.:-]{0,63})$/

/**
 * Rate limits per principal and per operation, for the secure path
 * (authenticate → authorize → limit → execute → audit) and for any operation
 * an application wants to limit per caller. {@link PrincipalLimits.take}
 * resolves when the principal may go on, or throws `RateLimitedError` with
 * the time until its next permit. Buckets live in a `PolicyStateStore`, so
 * worker processes sharing a SQLite file, a PostgreSQL database or a Redis
 * server share each principal's limit.
 *
 * @example
 * ```ts
 * import { principal, PrincipalLimits, RateLimitedError, sqlitePolicyState } from 'weft-sdk'
 * const limits = new PrincipalLimits({ limits: { start: { limit: 10, window: '1 m' } }, state: sqlitePolicyState({ path: './data/limits.db' }) })
 * try {
 *   await limits.take(principal({ subject: 'alice', roles: ['user'] }), 'start')
 * } catch (error) {
 *   if (error instanceof RateLimitedError) console.log(`try again in ${error.retryAfterMs} ms`)
 * }
 * ```
 */
export class PrincipalLimits {
  private readonly common: RuleTable
  private readonly roles: ReadonlyMap<string, RuleTable>
  private readonly per: 'principal' | 'tenant'
  private readonly state: PolicyStateStore
  private readonly scope = Effect.runSync(Scope.make())
  private readonly services: Context.Context<PolicyServices>
  /** Policies by limiter name and rule, reused so the limiter's per-policy caches hit (bounded: cleared when large). */
  private readonly policies = new Map<string, RateLimitPolicy>()

  /** @throws `SecurityConfigError` naming the entry that is wrong (a limit that is not a whole number ≥ 1, a bad window, an unknown field...). */
  constructor(config: PrincipalLimitsConfig) {
    if (typeof config !== 'object' || config === null) throw new SecurityConfigError('principal limits need a configuration object: { limits: { start: { limit: 10, window: "1 m" } } }')
    this.common = parseOperations(config.limits, 'limits')
    this.roles = parseRoles(config.roles)
    this.per = parsePer(config.per)
    this.state = config.state ?? memoryPolicyState()
    this.services = makePolicyServices(this.scope, this.state)
  }

  /**
   * Takes one permit of `operation` for `principal`: resolves when it may go
   * on (at once for an operation without a limit).
   *
   * @example
   * ```ts
   * import { principal, PrincipalLimits } from 'weft-sdk'
   * const limits = new PrincipalLimits({ limits: { emit: { limit: 100, window: '1 m' } } })
   * await limits.take(principal({ subject: 'svc-billing', roles: ['service'] }), 'emit')
   * ```
   * @throws `RateLimitedError` over the limit: `limiter` names the bucket (operation, tenant, subject), `retryAfterMs` the time until its next permit.
   * @throws `StorageError` (retryable) when a shared state cannot be reached; the operation should not run.
   * @throws `InvalidPrincipalError` for a value that is no principal; `SecurityConfigError` for an operation name that could not be configured.
   */
  async take(principal: Principal, operation: string): Promise<void> {
    assertTakeable(principal, operation)
    const rule = this.ruleFor(principal, operation)
    if (rule === 'unlimited') return
    const policy = this.policyOf(limiterName(principal, operation, this.per), rule)
    if (this.state.synchronous === true) {
      consumeNow(policy, this.services)
      return
    }
    const exit = await Effect.runPromiseExit(Effect.provideContext(withRateLimit(policy, Effect.void), this.services))
    if (Exit.isFailure(exit)) throw Cause.squash(exit.cause)
  }

  /**
   * The limit `principal` has for `operation` after role overrides:
   * `'unlimited'`, or its limit and window in milliseconds.
   *
   * @example
   * ```ts
   * import { principal, PrincipalLimits } from 'weft-sdk'
   * const limits = new PrincipalLimits({ limits: { start: { limit: 10, window: '1 m' } }, roles: { admin: { start: 'unlimited' } } })
   * limits.limitOf(principal({ subject: 'root', roles: ['admin'] }), 'start') // 'unlimited'
   * ```
   */
  limitOf(
    principal: Principal,
    operation: string,
  ):
    | {
        /** The bucket's size: permits usable at once, and per window. */
        readonly limit: number
        /** The window, in milliseconds (one permit comes back every `windowMs / limit`). */
        readonly windowMs: number
      }
    | 'unlimited' {
    return this.ruleFor(principal, operation)
  }

  /**
   * Releases the limiter's services. The state is left open: close it where
   * it was made (the engine closes the state it was given).
   *
   * @example
   * ```ts
   * import { PrincipalLimits } from 'weft-sdk'
   * const limits = new PrincipalLimits({ limits: {} })
   * await limits.close()
   * ```
   */
  async close(): Promise<void> {
    await Effect.runPromise(Scope.close(this.scope, Exit.void))
  }

  private ruleFor(principal: Principal, operation: string): Rule | 'unlimited' {
    const byRole: (Rule | 'unlimited')[] = []
    for (const role of principal.roles) {
      const table = this.roles.get(role)
      const rule = table?.get(operation) ?? table?.get('*')
      if (rule !== undefined) byRole.push(rule)
    }
    if (byRole.length > 0) return byRole.reduce(moreGenerous)
    return this.common.get(operation) ?? this.common.get('*') ?? 'unlimited'
  }

  private policyOf(name: string, rule: Rule): RateLimitPolicy {
    const id = `${rule.limit}/${rule.windowMs}/${name}`
    let policy = this.policies.get(id)
    if (policy === undefined) {
      if (this.policies.size >= 10_000) this.policies.clear()
      policy = Object.freeze({ name, limit: rule.limit, windowMs: rule.windowMs, onLimit: 'fail', algorithm: 'token-bucket' } as const)
      this.policies.set(id, policy)
    }
    return policy
  }
}

/** Refuses what no bucket can be named for: a value that is no principal, an operation name outside the grammar (`'*'` included: it is no operation). */
function assertTakeable(principal: Principal, operation: string): void {
  if (!isPrincipal(principal)) throw new InvalidPrincipalError('principal', 'PrincipalLimits.take needs a principal (see principal())')
  if (typeof operation !== 'string' || operation === '*' || !operationPattern.test(operation)) {
    throw new SecurityConfigError(`PrincipalLimits.take: operation ${describe(operation)} is not a valid name (a letter, then letters, digits, '.', '_', '-' or ':', at most 64)`)
  }
}

/**
 * The bucket's name, also its key in the state: the operation and whose it
 * is, values URI-encoded so no two principals share one
 * (`principal-limit:start:tenant=acme,subject=alice`: the last `:` ends the
 * operation, as encoded values hold none). Names no secret: a subject and a
 * tenant are identifiers.
 */
function limiterName(principal: Principal, operation: string, per: 'principal' | 'tenant'): string {
  const subject = `subject=${encodeURIComponent(principal.subject)}`
  if (principal.tenant === undefined) return `principal-limit:${operation}:${subject}`
  const tenant = `tenant=${encodeURIComponent(principal.tenant)}`
  return `principal-limit:${operation}:${per === 'tenant' ? tenant : `${tenant},${subject}`}`
}

/** The more generous of two rules: unlimited, else the higher rate, else the larger burst. */
function moreGenerous(a: Rule | 'unlimited', b: Rule | 'unlimited'): Rule | 'unlimited' {
  if (a === 'unlimited' || b === 'unlimited') return 'unlimited'
  // Rates compared without dividing, so equal rates compare equal.
  const rateA = a.limit * b.windowMs
  const rateB = b.limit * a.windowMs
  if (rateA !== rateB) return rateA > rateB ? a : b
  return a.limit >= b.limit ? a : b
}

function parseOperations(value: unknown, path: string): RuleTable {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SecurityConfigError(`${path} must be an object of limits by operation, e.g. { start: { limit: 10, window: '1 m' } }, got ${describe(value)}`)
  }
  const table = new Map<string, Rule | 'unlimited'>()
  for (const [operation, rule] of Object.entries(value)) {
    if (!operationPattern.test(operation)) {
      throw new SecurityConfigError(`${path}: operation "${operation}" is not a valid name (a letter, then letters, digits, '.', '_', '-' or ':', at most 64; or '*' for every other operation)`)
    }
    table.set(operation, parseRule(rule, `${path}.${operation}`))
  }
  return table
}

function parseRule(value: unknown, path: string): Rule | 'unlimited' {
  if (value === 'unlimited') return value
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new SecurityConfigError(`${path} must be { limit, window } or 'unlimited', got ${describe(value)}`)
  const unknown = Object.keys(value).filter((key) => key !== 'limit' && key !== 'window')
  if (unknown.length > 0) throw new SecurityConfigError(`${path} has unknown field ${unknown.map((key) => `"${key}"`).join(', ')}; a limit has only "limit" and "window"`)
  const { limit, window } = value as Partial<PrincipalLimit>
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 1) throw new SecurityConfigError(`${path}.limit must be a whole number ≥ 1, got ${describe(limit)}`)
  if (window === undefined) throw new SecurityConfigError(`${path}.window is missing: give a duration such as '1 m' or '10 s'`)
  let windowMs: number
  try {
    windowMs = toMillis(window, `${path}.window`)
  } catch (error) {
    throw new SecurityConfigError((error as Error).message)
  }
  if (windowMs <= 0) throw new SecurityConfigError(`${path}.window must be longer than 0, got ${describe(window)}`)
  return Object.freeze({ limit, windowMs })
}

function parseRoles(value: unknown): ReadonlyMap<string, RuleTable> {
  if (value === undefined) return new Map()
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new SecurityConfigError(`roles must be an object of limits by role, e.g. { admin: { start: 'unlimited' } }, got ${describe(value)}`)
  const roles = new Map<string, RuleTable>()
  for (const [role, limits] of Object.entries(value)) {
    if (role.length === 0) throw new SecurityConfigError('roles: a role name is empty')
    roles.set(role, parseOperations(limits, `roles.${role}`))
  }
  return roles
}

function parsePer(value: unknown): 'principal' | 'tenant' {
  if (value === undefined || value === 'principal' || value === 'tenant') return value ?? 'principal'
  throw new SecurityConfigError(`per must be 'principal' or 'tenant', got ${describe(value)}`)
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'number' || typeof value === 'boolean' || value === undefined || value === null) return String(value)
  return Array.isArray(value) ? 'an array' : typeof value
}
