import type { Context } from 'effect'
import { TaskTimeoutError } from '../core/errors.js'
import { AttemptCut } from './attempt-cut.js'
import { Deadlines, type Deadline } from './deadlines.js'
import type { ClosedAdmission } from './circuit-breakers.js'
import type { PolicyState, PolicyTarget } from './policy-wrappers.js'
import type { PolicyServices } from './policy-services.js'
import { consumeNow } from './rate-limiters.js'
import { retryDelay, retryDelayBound, shouldRetry } from './retry.js'

/** One attempt of a call: `cut` fires when the attempt is cut (its timeout, or the caller's signal); `undefined` when nothing can cut it. */
export type DirectAttempt<A> = (cut: AttemptCut | undefined, attempt: number) => Promise<A>

/** Runs attempt `n` through the Effect composition of the per-attempt policies other than the rate limit (bulkhead, breaker, timeout). */
export type EffectAttempt<A> = (n: number) => Promise<A>

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
 * Why: the Effect composition costs ~60–80 µs per call (a fiber, two for the
 * timeout's race, the breaker's scope and generator), 10–15% of a local HTTP
 * round trip; the target for an adapter call is ≤ 10% in all.
 *
 * Only for the in-memory stores (they answer synchronously), policies
 * without a cache and without a retry deadline, and callers that need no
 * retry hooks (adapters: they count attempts themselves).
 */
export class DirectPolicies {
  /** The timeouts of this target's attempts, on one timer. */
  private deadlines: Deadlines | undefined

  private constructor(
    private readonly target: PolicyTarget,
    private readonly state: PolicyState,
    private readonly services: Context.Context<PolicyServices>,
  ) {}

  /** The direct runner of `target`, or `undefined` when its policies need the Effect composition (a cache, a retry deadline). */
  static of(target: PolicyTarget, state: PolicyState, services: Context.Context<PolicyServices>): DirectPolicies | undefined {
    const { cache, retry } = target.policies
    if (cache !== undefined || retry?.deadlineMs !== undefined) return undefined
    return new DirectPolicies(target, state, services)
  }

  /**
   * Runs the attempts of one call; `signal` (the caller's) cuts it, rejecting
   * with its reason. `answered(error)` tells an error the dependency answered
   * with (a refused request): the breaker records it as a success, as the
   * Effect composition does for `Answered` values.
   */
  run<A>(signal: AbortSignal | undefined, attempt: DirectAttempt<A>, viaEffect: EffectAttempt<A>, answered: (error: unknown) => boolean = never): Promise<A> {
    // The first attempt's promise is the call's when it succeeds (no frame or await of its own: bench section 3b).
    const first = this.attempt(1, signal, attempt, viaEffect, answered)
    return this.target.policies.retry === undefined ? first : first.catch((error: unknown) => this.retryAfter(error, 1, signal, attempt, viaEffect, answered))
  }

  /** Retries after attempt `failed` threw `error`, while the retry policy allows. */
  private async retryAfter<A>(error: unknown, failed: number, signal: AbortSignal | undefined, attempt: DirectAttempt<A>, viaEffect: EffectAttempt<A>, answered: (error: unknown) => boolean): Promise<A> {
    const retry = this.target.policies.retry!
    let last = error
    for (let n = failed; ; n++) {
      if (signal?.aborted || !shouldRetry(retry, last, n)) throw last
      await sleep(retryDelay(retry, retryDelayBound(retry, n), last, Math.random()), signal)
      try {
        return await this.attempt(n + 1, signal, attempt, viaEffect, answered)
      } catch (next) {
        last = next
      }
    }
  }

  /** Attempt `n`: its rate limit's token (or wait), then the rest. Not an async function: one promise less per call. */
  private attempt<A>(n: number, signal: AbortSignal | undefined, attempt: DirectAttempt<A>, viaEffect: EffectAttempt<A>, answered: (error: unknown) => boolean): Promise<A> {
    try {
      if (signal?.aborted) return Promise.reject(signal.reason)
      const rateLimit = this.target.policies.rateLimit
      if (rateLimit !== undefined) {
        const delayMs = consumeNow(rateLimit, this.services)
        if (delayMs > 0) return sleep(delayMs, signal).then(() => this.admitted(n, signal, attempt, viaEffect, answered))
      }
      return this.admitted(n, signal, attempt, viaEffect, answered)
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /** Attempt `n` past its rate limit: run here when its bulkhead has a slot and its circuits are closed, else through Effect. */
  private admitted<A>(n: number, signal: AbortSignal | undefined, attempt: DirectAttempt<A>, viaEffect: EffectAttempt<A>, answered: (error: unknown) => boolean): Promise<A> {
    const { bulkhead, circuitBreaker, timeoutMs } = this.target.policies
    const release = bulkhead === undefined ? undefined : this.state.bulkheads.enterNow(bulkhead)
    if (release === undefined && bulkhead !== undefined) return viaEffect(n)
    let admission: ClosedAdmission | undefined
    if (circuitBreaker !== undefined) {
      try {
        admission = this.state.breakers.admitClosed(circuitBreaker, this.services)
      } catch (error) {
        release?.()
        throw error
      }
      if (admission === undefined) {
        release?.()
        return viaEffect(n)
      }
    }
    const deadlines = timeoutMs === undefined ? undefined : (this.deadlines ??= new Deadlines(timeoutMs))
    // Nothing to settle, nothing can cut it: the attempt's own promise.
    if (release === undefined && admission === undefined && deadlines === undefined && signal === undefined) return attempt(undefined, n)
    return cut(n, attempt, deadlines, signal, this.target.name, release, admission, answered)
  }
}

const never = (): boolean => false

/**
 * Runs one attempt: with a cut of its own when something can cut it, fired
 * (and the attempt abandoned) at its deadline or when the caller's signal
 * fires; its outcome recorded in the breaker (as the Effect breaker
 * classifies: a call cut by the caller says nothing about the dependency, an
 * answered refusal is a success) and its bulkhead slot released, as soon as
 * it is settled.
 */
function cut<A>(
  n: number,
  attempt: DirectAttempt<A>,
  deadlines: Deadlines | undefined,
  signal: AbortSignal | undefined,
  name: string,
  release: (() => void) | undefined,
  admission: ClosedAdmission | undefined,
  answered: (error: unknown) => boolean,
): Promise<A> {
  // No AbortController unless the attempt asks for a signal (AttemptCut: a signal given to fetch costs ~6% of a local HTTP call).
  const own = deadlines === undefined && signal === undefined ? undefined : AttemptCut.make()
  return new Promise<A>((resolve, reject) => {
    let settled = false
    let deadline: Deadline | undefined
    const finish = (): boolean => {
      if (settled) return false
      settled = true
      if (deadline !== undefined) deadlines!.finish(deadline)
      signal?.removeEventListener('abort', onAbort)
      return true
    }
    const fail = (error: unknown, outcome: 'Failure' | 'Ignored' | 'Success'): void => {
      admission?.settle(outcome)
      release?.()
      reject(error)
    }
    const onAbort = (): void => {
      if (!finish()) return
      own!.cut()
      fail(signal!.reason, 'Ignored')
    }
    if (deadlines !== undefined) {
      deadline = deadlines.add(() => {
        if (!finish()) return
        own!.cut()
        fail(new TaskTimeoutError(name, deadlines.timeoutMs), 'Failure')
      })
    }
    signal?.addEventListener('abort', onAbort, { once: true })
    let running: Promise<A>
    try {
      running = attempt(own, n)
    } catch (error) {
      running = Promise.reject(error)
    }
    running.then(
      (value) => {
        if (!finish()) return
        admission?.settle('Success')
        release?.()
        resolve(value)
      },
      (error: unknown) => void (finish() && fail(error, admission !== undefined && answered(error) ? 'Success' : 'Failure')),
    )
  })
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
