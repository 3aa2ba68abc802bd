import { Clock, Duration, Effect, Random } from 'effect'
import { FallbackFailedError, TaskTimeoutError } from '../../core/errors.js'
import type { ErrorClassName, RecoveryStrategyKind } from '../../graph/recovery-options.js'
import type { CircuitBreakerPolicy, Dependency, FallbackRun, RecoveryPolicy, RecoveryStrategy, RetryPolicy, TaskPolicies } from '../../graph/workflow-graph.js'
import { TaskThrew, thrownValue, type AttemptFailure } from '../attempt-failure.js'
import type { CircuitBreakers } from '../circuit-breakers.js'
import type { PolicyServices } from '../policy-services.js'
import { retryDelay, retryDelayBound, shouldRetry, type RetryListener } from '../retry.js'
import { withTimeout } from '../timeout.js'
import { ErrorClassifier } from './error-classifier.js'
import type { RecoveryListener, RecoveryReport, RecoveryStats } from './recovery-stats.js'

/** One attempt of a task (n from 1), or all of them once wrapped (as `policy-wrappers.ts` has it). */
type Attempt<A> = (n: number) => Effect.Effect<A, AttemptFailure, PolicyServices>

/** One call of a `fallbackWith` fallback, as recovery asks the runtime to make it. */
export interface FallbackCall {
  /** The method or function to call. */
  readonly run: FallbackRun
  /** What the task's last attempt failed with. */
  readonly error: unknown
  /** The task's arguments (a loop's: the iteration's state, then the rest). */
  readonly args: readonly unknown[]
  /** The class of that failure. */
  readonly errorClass: ErrorClassName
  /** How many attempts the task made. */
  readonly attempts: number
}

/**
 * Makes a fallback call: the runtime's part, which holds the workflow
 * instance and the run. Interrupting it fires the fallback's signal; it fails
 * with what the fallback threw.
 */
export type FallbackRunner = (call: FallbackCall) => Effect.Effect<unknown, TaskThrew>

/** What recovery uses besides its policy: the task, its arguments, the engine's breakers and counters, the retry listener. */
export interface RecoveryContext {
  readonly task: { readonly name: string; readonly policies: TaskPolicies; readonly dependsOn?: readonly Dependency[] | undefined }
  readonly args: readonly unknown[]
  readonly breakers: CircuitBreakers
  readonly stats: RecoveryStats
  readonly onRetry: RetryListener
  /** Told of every classified failure, after the counters. */
  readonly onRecovery?: RecoveryListener | undefined
  /** Runs a `fallbackWith` fallback (a task's runtime gives one; without it such a fallback is a defect). */
  readonly runFallback?: FallbackRunner | undefined
}

/** Classifiers by compiled policy (frozen with their task node): built once per task, not per failure. */
const classifiers = new WeakMap<RecoveryPolicy, ErrorClassifier>()

/** The classifier of a policy: its rules, then the built-in ones. */
export function classifierOf(policy: RecoveryPolicy): ErrorClassifier {
  let classifier = classifiers.get(policy)
  if (classifier === undefined) classifiers.set(policy, (classifier = new ErrorClassifier(policy.rules)))
  return classifier
}

/**
 * The retry schedule that governs a failure met by `strategy`: none for
 * `fail-fast`, the class's own for `retry`, else the task's `@Retry` (so
 * fallback, compensation and escalation act once `@Retry` has given up).
 */
export function governingRetry(strategy: RecoveryStrategy | undefined, taskRetry: RetryPolicy | undefined): RetryPolicy | undefined {
  if (strategy === undefined) return taskRetry
  if (strategy.kind === 'fail-fast') return undefined
  return strategy.kind === 'retry' ? strategy.retry : taskRetry
}

/** The class and strategy of the last failure of a task execution, and when its first failure was. */
interface Episode {
  firstFailureAt: number
  errorClass: ErrorClassName
  strategy: RecoveryStrategyKind
}

/**
 * `@Recover` around all of a task's attempts (it takes `@Retry`'s place,
 * see `policy-wrappers.ts`): each failed attempt is classified and met by
 * its class's strategy — retried on the governing schedule
 * ({@link governingRetry}), else settled: a fallback completes the task (a
 * `fallbackWith` one by running its work, under the task's `@Timeout`), any
 * other strategy fails it (escalation reported as such). Only a failure
 * costs anything: a first attempt that succeeds passes straight through.
 * `@Retry`'s `deadline` bounds the whole, fallback included, as it does
 * without `@Recover`; a failing execution it cuts counts as not recovered.
 */
export function withRecovery<A>(inner: Attempt<A>, policy: RecoveryPolicy, context: RecoveryContext): Attempt<A> {
  const guarded = withClassBreakers(inner, policy, context.breakers)
  const deadlineMs = context.task.policies.retry?.deadlineMs
  if (deadlineMs === undefined) return () => Effect.suspend(() => new Recovery(guarded, policy, context).attempt(1))
  return () =>
    Effect.suspend(() => {
      const recovery = new Recovery(guarded, policy, context)
      return Effect.timeoutOrElse(recovery.attempt(1), {
        duration: Duration.millis(deadlineMs),
        orElse: () => Effect.suspend(() => (recovery.deadlinePassed(), Effect.fail(new TaskTimeoutError(context.task.name, deadlineMs)))),
      })
    })
}

/** One execution of a task under `@Recover`: its attempts and the episode of failures they make. */
class Recovery<A> {
  private episode: Episode | undefined
  /** The execution's end was counted (recovered or not): it is counted once. */
  private counted = false
  private readonly classifier: ErrorClassifier
  private readonly stats: RecoveryStats

  constructor(
    private readonly guarded: Attempt<A>,
    private readonly policy: RecoveryPolicy,
    private readonly context: RecoveryContext,
  ) {
    this.classifier = classifierOf(policy)
    this.stats = context.stats
  }

  attempt(n: number): ReturnType<Attempt<A>> {
    return Effect.matchEffect(this.guarded(n), {
      onSuccess: (value) => (this.episode === undefined ? Effect.succeed(value) : Effect.map(Clock.currentTimeMillis, (now) => this.recovered(value, now))),
      onFailure: (failure) => Effect.flatMap(Clock.currentTimeMillis, (now) => this.failed(failure, n, now)),
    })
  }

  /** `@Retry`'s deadline cut the execution (in a backoff, an attempt or a fallback): a failing one is not recovered. */
  deadlinePassed(): void {
    if (this.episode !== undefined) this.count(undefined)
  }

  private recovered<T>(value: T, now: number): T {
    this.count(now - this.episode!.firstFailureAt)
    return value
  }

  /** Counts the execution's end under its last failure's class and strategy: recovered `elapsedMs` after its first failure, or not recovered (`undefined`). */
  private count(elapsedMs: number | undefined): void {
    if (this.counted) return
    this.counted = true
    const { errorClass, strategy } = this.episode!
    if (elapsedMs === undefined) this.stats.notRecovered(errorClass, strategy)
    else this.stats.recovered(errorClass, strategy, elapsedMs)
  }

  private failed(failure: AttemptFailure, n: number, now: number): ReturnType<Attempt<A>> {
    const error = thrownValue(failure)
    const { errorClass } = this.classifier.classify(error)
    const strategy = this.policy.strategies[errorClass]
    const kind = strategy?.kind ?? 'none'
    this.episode ??= { firstFailureAt: now, errorClass, strategy: kind }
    this.episode.errorClass = errorClass
    this.episode.strategy = kind
    const retry = governingRetry(strategy, this.context.task.policies.retry)
    if (retry !== undefined && shouldRetry(retry, error, n)) return this.retry(retry, error, n, errorClass, kind)
    return this.settle(strategy, failure, n, now)
  }

  private retry(retry: RetryPolicy, error: unknown, n: number, errorClass: ErrorClassName, strategy: RecoveryStrategyKind): ReturnType<Attempt<A>> {
    return Effect.flatMap(Random.next, (random) => {
      const delayMs = retryDelay(retry, retryDelayBound(retry, n), error, random)
      this.report({ task: this.context.task.name, attempt: n, errorClass, strategy, outcome: 'retrying', error })
      this.context.onRetry(n, delayMs, error)
      return Effect.andThen(Effect.sleep(Duration.millis(delayMs)), Effect.suspend(() => this.attempt(n + 1)))
    })
  }

  /** No attempt follows: a fallback gives the task its output (a `fallbackWith` one, if its work succeeds), anything else fails it. */
  private settle(strategy: RecoveryStrategy | undefined, failure: AttemptFailure, n: number, now: number): ReturnType<Attempt<A>> {
    const { errorClass, strategy: kind } = this.episode!
    const report = { task: this.context.task.name, attempt: n, errorClass, strategy: kind, error: thrownValue(failure) }
    if (strategy?.kind === 'fallback' && strategy.run !== undefined) {
      this.report({ ...report, outcome: 'falling-back' })
      return this.fallBack(strategy.run, report)
    }
    if (strategy?.kind === 'fallback') {
      this.report({ ...report, outcome: 'recovered' })
      return Effect.succeed(this.recovered(this.fallbackValue(strategy) as A, now))
    }
    this.report({ ...report, outcome: kind === 'escalate' ? 'escalated' : 'failed' })
    this.count(undefined)
    return Effect.fail(failure)
  }

  /**
   * Runs a `fallbackWith` fallback, under the task's `@Timeout` (a limit of
   * its own, as long as an attempt's): its output is the task's (recovered
   * when it returns); if it fails, the task fails with a
   * {@link FallbackFailedError} whose cause is the task's own failure (not
   * recovered).
   */
  private fallBack(run: FallbackRun, failed: { readonly error: unknown; readonly errorClass: ErrorClassName; readonly attempt: number }): ReturnType<Attempt<A>> {
    const { task, runFallback } = this.context
    const call: FallbackCall = { run, error: failed.error, args: this.context.args, errorClass: failed.errorClass, attempts: failed.attempt }
    const work = runFallback === undefined ? Effect.die(new Error(`task "${task.name}": no runner for its fallbackWith`)) : runFallback(call)
    const limited = task.policies.timeoutMs === undefined ? work : withTimeout(work, task.policies.timeoutMs, task.name)
    return Effect.matchEffect(limited, {
      onSuccess: (value) => Effect.map(Clock.currentTimeMillis, (now) => this.recovered(value as A, now)),
      onFailure: (fallbackFailure) => {
        this.count(undefined)
        const method = run.kind === 'method' ? run.method : undefined
        return Effect.fail(new TaskThrew(new FallbackFailedError(task.name, method, failed.errorClass, failed.error, thrownValue(fallbackFailure))))
      },
    })
  }

  private report(report: RecoveryReport): void {
    this.stats.failed(report)
    this.context.onRecovery?.(report)
  }

  /** A fallback's value: its own, or the output of the dependency it names (the task's argument in that position). */
  private fallbackValue(strategy: Extract<RecoveryStrategy, { kind: 'fallback' }>): unknown {
    if (strategy.task === undefined) return strategy.value
    const at = this.context.task.dependsOn?.findIndex((dependency) => dependency.task === strategy.task) ?? -1
    return at < 0 ? undefined : this.context.args[at]
  }
}

/** A failure of another class, passed through a class's breaker as a value so the breaker does not count it. */
class OtherClass {
  constructor(readonly failure: AttemptFailure) {}
}

/**
 * Each attempt through the breakers of the classes whose strategy is
 * `circuit-break`: a class's breaker counts only that class's failures
 * (another class's failure is an answer from the dependency, recorded as a
 * success) and, while open, refuses the attempt with `CircuitOpenError`.
 */
function withClassBreakers<A>(inner: Attempt<A>, policy: RecoveryPolicy, breakers: CircuitBreakers): Attempt<A> {
  const guards = classBreakersOf(policy)
  if (guards.length === 0) return inner
  const classifier = classifierOf(policy)
  return (n) => guards.reduce((call, { errorClass, breaker }) => guardClass(call, errorClass, breaker, classifier, breakers), inner(n))
}

/** The `circuit-break` classes of a policy and their breakers, by compiled policy: worked out once per task, not per call. */
const classBreakers = new WeakMap<RecoveryPolicy, readonly { readonly errorClass: string; readonly breaker: CircuitBreakerPolicy }[]>()

function classBreakersOf(policy: RecoveryPolicy): readonly { readonly errorClass: string; readonly breaker: CircuitBreakerPolicy }[] {
  let guards = classBreakers.get(policy)
  if (guards === undefined) {
    guards = Object.entries(policy.strategies).flatMap(([errorClass, strategy]) => (strategy.kind === 'circuit-break' ? [{ errorClass, breaker: strategy.breaker }] : []))
    classBreakers.set(policy, guards)
  }
  return guards
}

function guardClass<A>(call: ReturnType<Attempt<A>>, errorClass: string, breaker: CircuitBreakerPolicy, classifier: ErrorClassifier, breakers: CircuitBreakers): ReturnType<Attempt<A>> {
  const counted = Effect.catch(call, (failure) => (classifier.classify(thrownValue(failure)).errorClass === errorClass ? Effect.fail(failure) : Effect.succeed(new OtherClass(failure))))
  return Effect.flatMap(breakers.guard(breaker, counted), (value) => (value instanceof OtherClass ? Effect.fail(value.failure) : Effect.succeed(value as A)))
}
