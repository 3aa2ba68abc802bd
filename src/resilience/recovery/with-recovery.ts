import { Clock, Duration, Effect, Random } from 'effect'
import { TaskTimeoutError } from '../../core/errors.js'
import type { ErrorClassName, RecoveryStrategyKind } from '../../graph/recovery-options.js'
import type { CircuitBreakerPolicy, Dependency, RecoveryPolicy, RecoveryStrategy, RetryPolicy, TaskPolicies } from '../../graph/workflow-graph.js'
import { thrownValue, type AttemptFailure } from '../attempt-failure.js'
import type { CircuitBreakers } from '../circuit-breakers.js'
import type { PolicyServices } from '../policy-services.js'
import { retryDelay, retryDelayBound, shouldRetry, type RetryListener } from '../retry.js'
import { ErrorClassifier } from './error-classifier.js'
import type { RecoveryListener, RecoveryReport, RecoveryStats } from './recovery-stats.js'

/** One attempt of a task (n from 1), or all of them once wrapped (as `policy-wrappers.ts` has it). */
type Attempt<A> = (n: number) => Effect.Effect<A, AttemptFailure, PolicyServices>

/** What recovery uses besides its policy: the task, its arguments, the engine's breakers and counters, the retry listener. */
export interface RecoveryContext {
  readonly task: { readonly name: string; readonly policies: TaskPolicies; readonly dependsOn?: readonly Dependency[] | undefined }
  readonly args: readonly unknown[]
  readonly breakers: CircuitBreakers
  readonly stats: RecoveryStats
  readonly onRetry: RetryListener
  /** Told of every classified failure, after the counters. */
  readonly onRecovery?: RecoveryListener | undefined
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
 * ({@link governingRetry}), else settled: a fallback completes the task, any
 * other strategy fails it (escalation reported as such). Only a failure
 * costs anything: a first attempt that succeeds passes straight through.
 * `@Retry`'s `deadline` bounds the whole, as it does without `@Recover`.
 */
export function withRecovery<A>(inner: Attempt<A>, policy: RecoveryPolicy, context: RecoveryContext): Attempt<A> {
  const guarded = withClassBreakers(inner, policy, context.breakers)
  const taskRetry = context.task.policies.retry
  const recovering = () => Effect.suspend(() => new Recovery(guarded, policy, context).attempt(1))
  const deadlineMs = taskRetry?.deadlineMs
  if (deadlineMs === undefined) return recovering
  return () =>
    Effect.timeoutOrElse(recovering(), {
      duration: Duration.millis(deadlineMs),
      orElse: () => Effect.fail(new TaskTimeoutError(context.task.name, deadlineMs)),
    })
}

/** One execution of a task under `@Recover`: its attempts and the episode of failures they make. */
class Recovery<A> {
  private episode: Episode | undefined
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

  private recovered<T>(value: T, now: number): T {
    const { errorClass, strategy, firstFailureAt } = this.episode!
    this.stats.recovered(errorClass, strategy, now - firstFailureAt)
    return value
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

  /** No attempt follows: a fallback gives the task its output, anything else fails it. */
  private settle(strategy: RecoveryStrategy | undefined, failure: AttemptFailure, n: number, now: number): ReturnType<Attempt<A>> {
    const { errorClass, strategy: kind, firstFailureAt } = this.episode!
    const report = { task: this.context.task.name, attempt: n, errorClass, strategy: kind, error: thrownValue(failure) }
    if (strategy?.kind === 'fallback') {
      this.report({ ...report, outcome: 'recovered' })
      this.stats.recovered(errorClass, kind, now - firstFailureAt)
      return Effect.succeed(this.fallbackValue(strategy) as A)
    }
    this.report({ ...report, outcome: kind === 'escalate' ? 'escalated' : 'failed' })
    this.stats.notRecovered(errorClass, kind)
    return Effect.fail(failure)
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
