import type { Duration } from '../core/duration.js'
import type {
  BulkheadOptions,
  CacheOptions,
  CircuitBreakerOptions,
  LoopOptions,
  RateLimitOptions,
  RetryOptions,
} from './policy-options.js'
import type { FallbackWithOption } from './fallback-options.js'
import type { RecoverOptions } from './recovery-options.js'
import type { TaskCondition, TaskKind } from './workflow-graph.js'

/** A dependency as written by a user: a task name, or `{ task, optional }`. */
export type DependencySpec = string | { readonly task: string; readonly optional?: boolean }

/**
 * Policies a task may carry; each decorator sets one, `@Task(options)` may set any.
 * Each key is a policy kind: a new kind is a key here, a field of
 * `TaskPolicies`, and an entry in each policy-kind table (the graph's and the
 * runtime's), which the compiler then asks for.
 */
export interface TaskPolicyOptions {
  /** Retries the task when it fails, as {@link Retry} does. @defaultValue no retries */
  readonly retry?: RetryOptions
  /** Time limit of each attempt, as {@link Timeout} sets. @defaultValue no time limit */
  readonly timeout?: Duration
  /** Guards the task with a circuit breaker, as {@link CircuitBreaker} does. @defaultValue no circuit breaker */
  readonly circuitBreaker?: CircuitBreakerOptions
  /** Limits how often the task runs, as {@link RateLimit} does. @defaultValue no rate limit */
  readonly rateLimit?: RateLimitOptions
  /** Caches the task's results, as {@link Cache} does. @defaultValue no cache */
  readonly cache?: CacheOptions<never>
  /** Limits how many calls of the task run at once, as {@link Bulkhead} does. @defaultValue no bulkhead */
  readonly bulkhead?: BulkheadOptions
  /** Classifies the task's errors and recovers from each class, as {@link Recover} does (`fallbackWith` unchecked yet: a method's name or a function). @defaultValue no recovery strategies */
  readonly recover?: RecoverOptions<FallbackWithOption>
}

/** One task as authored, before validation. */
export interface TaskDraft extends TaskPolicyOptions {
  readonly name: string
  readonly kind: TaskKind
  readonly description?: string | undefined
  readonly dependsOn: readonly DependencySpec[]
  readonly handles?: string | undefined
  readonly when?: TaskCondition | undefined
  readonly loop?: LoopOptions<never> | undefined
  /** Property of the workflow instance holding the task function. */
  readonly method: string
  /** Permissions the run's principal must hold for the task to execute (`@RequiresPermission`, the `requires` option); unvalidated. */
  readonly requires?: readonly string[] | undefined
}

/** A workflow as authored (by decorators or `defineWorkflow`), before validation. */
export interface WorkflowDraft {
  readonly name: string
  readonly version: number
  readonly description?: string | undefined
  readonly input?: unknown
  readonly trigger?: string | undefined
  /** The declared result: a task (name or `{ task, optional }`), or a record of them; unvalidated. */
  readonly result?: unknown
  /** The declared events: names to Effect `Schema`s; unvalidated. */
  readonly events?: unknown
  readonly tasks: readonly TaskDraft[]
  /** Permissions a principal must hold to start a run (`@Workflow({ requires })`); unvalidated. */
  readonly requires?: readonly string[] | undefined
  /** The workflow's `@Recover` options, folded into each of its ordinary and loop tasks' (the task's own win per class). */
  readonly recover?: RecoverOptions<FallbackWithOption> | undefined
  readonly source: object
  /** How it was authored, so refusals name what the author wrote (`@When` or the `when` option). @defaultValue `'decorators'` */
  readonly authoredWith?: 'decorators' | 'defineWorkflow' | undefined
}
