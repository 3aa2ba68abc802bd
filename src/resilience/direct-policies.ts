import type { Context } from 'effect'
import { TaskTimeoutError } from '../core/errors.js'
import type { CircuitBreakerPolicy, RetryPolicy } from '../graph/workflow-graph.js'
import { AttemptCut } from './attempt-cut.js'
import type { BreakerGate, ClosedAdmission, ClosedOutcome } from './breaker-gates.js'
import type { BulkheadSlots } from './bulkheads.js'
import { Deadlines, type Deadline } from './deadlines.js'
import type { PolicyState, PolicyTarget } from './policy-wrappers.js'
import type { PolicyServices } from './policy-services.js'
import { tokenTaker } from './rate-limiters.js'
import { retryDelay, retryDelayBound, shouldRetry } from './retry.js'

/** One attempt of a call: `cut` fires when the attempt is cut (its timeout, or the caller's signal); `undefined` when nothing can cut it. */
export type DirectAttempt<A> = (cut: AttemptCut | undefined, attempt: number) => Promise<A>

/** What a caller of the direct path gives once for all its calls (not per call). */
export interface DirectHooks {
  /** Runs attempt `n` of `attempt` through the Effect composition of the per-attempt policies other than the rate limit (bulkhead, breaker, timeout), cut by `signal`. */
  readonly viaEffect: <A>(attempt: DirectAttempt<A>, n: number, signal: AbortSignal | undefined) => Promise<A>
  /** Whether an error is the dependency's answer (a refused request): the breaker records it as a success, as the Effect composition does for `Answered` values. */
  readonly answered?: ((error: unknown) => boolean) | undefined
  /** Told of each attempt that runs on the direct path, past every policy, with the time its rate-limit token was taken (epoch milliseconds); attempts through Effect are the caller's to count. */
  readonly admitted?: ((now: number) => void) | undefined
}

/**
 * The policies of an adapter operation run without Effect while none of them
 * acts: `retry( rateLimit( bulkhead( breaker( timeout( attempt )))))`, the
 * order and the shared state of the Effect composition (`TaskPolicyRunner`),
 * with the same decisions:
 *
 * - the rate limit takes its token from the same store, synchronously; a
 *   delay is slept here, a refusal fails the attempt with the same error;
 * - an attempt whose bulkhead has a free slot (nobody waiting) and whose
 *   circuits are all closed runs here: its slot is taken and its outcome
 *   recorded in the breaker's store as `execute` records it, and its timeout
 *   is a deadline on one timer per target that cuts the attempt
 *   (`AttemptCut`: its signal, made only if asked for) and fails it with
 *   `TaskTimeoutError`;
 * - any other attempt (a full bulkhead, an open or probing circuit) runs
 *   through the Effect composition, so queueing, rejections and probes
 *   behave exactly as they do for tasks;
 * - retries follow the retry policy's `shouldRetry` and delays (with a
 *   `Retry-After` floor).
 *
 * Why: the Effect composition costs a few hundred µs per call (a fiber, two
 * for the timeout's race, the breaker's scope and generator), more than a
 * local HTTP round trip; the target for an adapter call is ≤ 10% in
 * all. What a call holds is resolved here once per target (the limiter's
 * taker, the bulkhead, the breaker's gate, the deadline queue), and a call is
 * one object ({@link DirectCall}): bench section 3b found each lookup by name
 * and each closure of a call costing µs in a real round trip, where the code
 * runs with cold caches and, for its first few thousand calls, unoptimized.
 *
 * Only for the in-memory stores (they answer synchronously), policies
 * without a cache and without a retry deadline, and callers that need no
 * retry hooks (adapters: they count attempts themselves).
 */
export class DirectPolicies {
  private constructor(private readonly plan: DirectPlan) {}

  /** The direct runner of `target`, or `undefined` when its policies need the Effect composition (a cache, a retry deadline). */
  static of(target: PolicyTarget, state: PolicyState, services: Context.Context<PolicyServices>): DirectPolicies | undefined {
    const { cache, retry } = target.policies
    if (cache !== undefined || retry?.deadlineMs !== undefined) return undefined
    return new DirectPolicies(new DirectPlan(target, state, services))
  }

  /**
   * Runs the attempts of one call; `signal` (the caller's) cuts it, rejecting
   * with its reason.
   */
  run<A>(signal: AbortSignal | undefined, attempt: DirectAttempt<A>, hooks: DirectHooks): Promise<A> {
    const plan = this.plan
    // A rate limit alone (or nothing: an operation's cache, for a call without a key) and no signal: nothing to settle, cut or retry, so the attempt's own promise.
    if (plan.limitOnly && signal === undefined) return limitedAttempt(plan, attempt, hooks)
    return new DirectCall(plan, signal, attempt, hooks).promise
  }
}

/** What the calls of one target hold, resolved once. */
class DirectPlan {
  readonly name: string
  readonly retry: RetryPolicy | undefined
  readonly take: ((now: number) => number) | undefined
  readonly slots: BulkheadSlots | undefined
  /** The timeouts of this target's attempts, on one timer. */
  readonly deadlines: Deadlines | undefined
  /** Whether a rate limit is all there is, if that (no retry, bulkhead, breaker or timeout). */
  readonly limitOnly: boolean
  private readonly breaker: CircuitBreakerPolicy | undefined
  private gate: BreakerGate | undefined

  constructor(
    target: PolicyTarget,
    private readonly state: PolicyState,
    private readonly services: Context.Context<PolicyServices>,
  ) {
    const { retry, rateLimit, bulkhead, circuitBreaker, timeoutMs } = target.policies
    this.name = target.name
    this.retry = retry
    this.take = rateLimit === undefined ? undefined : tokenTaker(rateLimit, services)
    this.slots = bulkhead === undefined ? undefined : state.bulkheads.slotsOf(bulkhead)
    this.deadlines = timeoutMs === undefined ? undefined : new Deadlines(timeoutMs)
    this.limitOnly = retry === undefined && bulkhead === undefined && circuitBreaker === undefined && timeoutMs === undefined
    this.breaker = circuitBreaker
  }

  /** Whether attempts pass a breaker. */
  get guarded(): boolean {
    return this.breaker !== undefined
  }

  /** The breaker's gate: `undefined` until its circuits are built (at its first call, through Effect). */
  gateNow(): BreakerGate | undefined {
    return (this.gate ??= this.state.breakers.gateOf(this.breaker!, this.services))
  }
}

/** The attempt of a call whose only policy is a rate limit, if any (and which has no signal). */
function limitedAttempt<A>(plan: DirectPlan, attempt: DirectAttempt<A>, hooks: DirectHooks): Promise<A> {
  try {
    const now = Date.now()
    const delayMs = plan.take === undefined ? 0 : plan.take(now)
    if (delayMs > 0) {
      return sleep(delayMs, undefined).then(() => {
        hooks.admitted?.(Date.now())
        return attempt(undefined, 1)
      })
    }
    hooks.admitted?.(now)
    return attempt(undefined, 1)
  } catch (error) {
    return Promise.reject(error)
  }
}

/**
 * One call on the direct path: its attempts one at a time, each through the
 * rate limit, the bulkhead, the breaker and the timeout, retried as the
 * retry policy says; its one promise settles with the first success or the
 * last failure. The caller's signal cuts the attempt running here and fails
 * the call with its reason (a sleep and an attempt through Effect are cut by
 * the signal themselves and fail the call with the same reason).
 */
class DirectCall<A> {
  readonly promise: Promise<A>
  private resolve!: (value: A) => void
  private reject!: (error: unknown) => void
  private done = false
  /** The attempt running on the direct path (0 while none does: sleeping, or through Effect); a settlement of one already ended is ignored. */
  private current = 0
  private cut: AttemptCut | undefined
  private deadline: Deadline | undefined
  private release: (() => void) | undefined
  private admission: ClosedAdmission | undefined
  private readonly onAbort: (() => void) | undefined

  constructor(
    private readonly plan: DirectPlan,
    private readonly signal: AbortSignal | undefined,
    private readonly attempt: DirectAttempt<A>,
    private readonly hooks: DirectHooks,
  ) {
    this.promise = new Promise<A>((resolve, reject) => {
      this.resolve = resolve
      this.reject = reject
    })
    if (signal !== undefined) {
      this.onAbort = () => this.aborted()
      signal.addEventListener('abort', this.onAbort, { once: true })
    }
    this.start(1)
  }

  /** Attempt `n`: its rate limit's token (or a wait for it), then the rest. */
  private start(n: number): void {
    if (this.done) return
    const signal = this.signal
    if (signal?.aborted) return this.fail(signal.reason)
    const now = Date.now()
    let delayMs = 0
    try {
      if (this.plan.take !== undefined) delayMs = this.plan.take(now)
    } catch (error) {
      return this.failed(n, error)
    }
    if (delayMs <= 0) return this.admit(n, now)
    sleep(delayMs, signal).then(
      () => this.admit(n, Date.now()),
      (error: unknown) => this.failed(n, error),
    )
  }

  /** Attempt `n` past its rate limit: run here when its bulkhead has a slot and its circuits are closed, else through Effect. */
  private admit(n: number, now: number): void {
    if (this.done) return
    // Aborted while it waited for its token (between the wait's end and now): no attempt.
    if (this.signal?.aborted) return this.fail(this.signal.reason)
    const plan = this.plan
    let release: (() => void) | undefined
    if (plan.slots !== undefined) {
      release = plan.slots.enterNow()
      if (release === undefined) return this.viaEffect(n)
    }
    let admission: ClosedAdmission | undefined
    if (plan.guarded) {
      try {
        admission = plan.gateNow()?.admit(now)
      } catch (error) {
        release?.()
        return this.failed(n, error)
      }
      if (admission === undefined) {
        release?.()
        return this.viaEffect(n)
      }
    }
    // No AbortController unless the attempt asks for a signal (AttemptCut: a signal given to fetch costs ~6% of a local HTTP call).
    const cut = plan.deadlines !== undefined || this.signal !== undefined ? AttemptCut.make() : undefined
    this.current = n
    this.cut = cut
    this.release = release
    this.admission = admission
    this.deadline = plan.deadlines?.add(() => this.expired(n))
    this.hooks.admitted?.(now)
    let running: Promise<A>
    try {
      running = this.attempt(cut, n)
    } catch (error) {
      running = Promise.reject(error)
    }
    running.then(
      (value) => this.succeeded(n, value),
      (error: unknown) => this.attemptFailed(n, error),
    )
  }

  private viaEffect(n: number): void {
    this.hooks.viaEffect(this.attempt, n, this.signal).then(
      (value) => this.succeed(value),
      (error: unknown) => this.failed(n, error),
    )
  }

  private succeeded(n: number, value: A): void {
    if (this.current !== n) return
    this.endAttempt('Success')
    this.succeed(value)
  }

  private attemptFailed(n: number, error: unknown): void {
    if (this.current !== n) return
    // A call cut by the caller says nothing about the dependency, an answered refusal is a success (as the Effect breaker classifies).
    this.endAttempt(this.admission !== undefined && this.hooks.answered?.(error) === true ? 'Success' : 'Failure')
    this.failed(n, error)
  }

  /** Attempt `n`'s deadline passed: it is cut and fails with `TaskTimeoutError`. */
  private expired(n: number): void {
    if (this.current !== n) return
    this.deadline = undefined
    this.cut!.cut()
    this.endAttempt('Failure')
    this.failed(n, new TaskTimeoutError(this.plan.name, this.plan.deadlines!.timeoutMs))
  }

  /** The caller's signal fired: the attempt running here is cut, and the call fails with the signal's reason. */
  private aborted(): void {
    if (this.current === 0) return
    this.cut!.cut()
    this.endAttempt('Ignored')
    this.fail(this.signal!.reason)
  }

  /** The attempt running here ended: its deadline, breaker admission and bulkhead slot are given back. */
  private endAttempt(outcome: ClosedOutcome): void {
    this.current = 0
    this.cut = undefined
    if (this.deadline !== undefined) this.plan.deadlines!.finish(this.deadline)
    this.deadline = undefined
    const { admission, release } = this
    this.admission = undefined
    this.release = undefined
    if (admission !== undefined) this.plan.gateNow()!.settle(admission, outcome)
    release?.()
  }

  /** Attempt `n` failed with `error`: another after the retry delay when the policy allows, else the call fails. */
  private failed(n: number, error: unknown): void {
    if (this.done) return
    const retry = this.plan.retry
    if (retry === undefined || this.signal?.aborted || !shouldRetry(retry, error, n)) return this.fail(error)
    sleep(retryDelay(retry, retryDelayBound(retry, n), error, Math.random()), this.signal).then(
      () => this.start(n + 1),
      (reason: unknown) => this.fail(reason),
    )
  }

  private succeed(value: A): void {
    if (this.settle()) this.resolve(value)
  }

  private fail(error: unknown): void {
    if (this.settle()) this.reject(error)
  }

  /** Marks the call settled (false when it already was) and drops its listener on the caller's signal. */
  private settle(): boolean {
    if (this.done) return false
    this.done = true
    if (this.onAbort !== undefined) this.signal!.removeEventListener('abort', this.onAbort)
    return true
  }
}

/** Waits `ms` (at once when 0); the caller's signal cuts the wait, rejecting with its reason. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason)
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(signal!.reason)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
