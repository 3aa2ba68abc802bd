import type { ErrorClass, LoopOptions } from './policy-options.js'

/** How a task takes part in the run. */
export type TaskKind =
  /** An ordinary task: runs once its dependencies completed. */
  | 'task'
  /** A `@Loop` task: runs its body until its condition fails or the cap is hit. */
  | 'loop'
  /** An `@OnFailure` handler: runs only when the task it handles failed. */
  | 'on-failure'
  /** An `@Always` task: runs whatever happened to the rest of the run. */
  | 'always'

/** A dependency edge of a task. */
export interface Dependency {
  /** The task depended on. */
  readonly task: string
  /** An optional dependency passes `undefined` when the task was skipped or failed. */
  readonly optional: boolean
}

/** A retry policy with every default filled in and durations in milliseconds. */
export interface RetryPolicy {
  readonly maxAttempts: number
  readonly initialDelayMs: number
  readonly maxDelayMs: number
  readonly factor: number
  readonly jitter: 'full' | 'none'
  readonly retryIf: ((error: unknown, attempt: number) => boolean) | undefined
  readonly nonRetryable: readonly ErrorClass[]
  readonly deadlineMs: number | undefined
}

/** A circuit breaker policy with defaults filled in. */
export interface CircuitBreakerPolicy {
  readonly name: string
  readonly consecutiveFailures: number | undefined
  readonly failureRate: { readonly threshold: number; readonly window: number; readonly minimumCalls: number } | undefined
  readonly halfOpenAfterMs: number
}

/** A rate-limit policy with defaults filled in. */
export interface RateLimitPolicy {
  readonly name: string
  readonly limit: number
  readonly windowMs: number
  readonly onLimit: 'wait' | 'fail'
  readonly algorithm: 'fixed-window' | 'token-bucket'
}

/** A cache policy with defaults filled in. */
export interface CachePolicy {
  readonly name: string
  readonly ttlMs: number
  readonly capacity: number
  readonly key: (...args: readonly unknown[]) => string
}

/** A bulkhead policy with defaults filled in. */
export interface BulkheadPolicy {
  readonly name: string
  readonly maxConcurrent: number
  readonly maxQueue: number
}

/** Every policy of one task, validated and normalized. */
export interface TaskPolicies {
  readonly retry: RetryPolicy | undefined
  readonly timeoutMs: number | undefined
  readonly circuitBreaker: CircuitBreakerPolicy | undefined
  readonly rateLimit: RateLimitPolicy | undefined
  readonly cache: CachePolicy | undefined
  readonly bulkhead: BulkheadPolicy | undefined
}

/** A condition deciding whether a task runs; it receives the task's arguments. */
export type TaskCondition = (...args: readonly unknown[]) => boolean | PromiseLike<boolean>

/** One task of a compiled {@link WorkflowGraph}. Frozen. */
export interface TaskNode {
  /** Unique name in the workflow; the method name for class workflows. */
  readonly name: string
  /** Position in {@link WorkflowGraph.tasks} (a topological order). */
  readonly id: number
  readonly kind: TaskKind
  readonly description: string | undefined
  /** Dependencies in parameter order. */
  readonly dependsOn: readonly Dependency[]
  /** Ids of `dependsOn`, same order. */
  readonly dependencyIds: readonly number[]
  /** Ids of the tasks that depend on this one (including its failure handlers). */
  readonly dependentIds: readonly number[]
  /** For an `on-failure` task: the task it handles. */
  readonly handles: string | undefined
  /** Ids of the `on-failure` tasks that handle this task. */
  readonly failureHandlerIds: readonly number[]
  readonly when: TaskCondition | undefined
  readonly loop: LoopOptions<unknown> | undefined
  readonly policies: TaskPolicies
  /** The property of the workflow instance that holds the task's function. */
  readonly method: string
}

/**
 * A validated, frozen workflow: what the interpreter runs. Produced by
 * `compileWorkflow` from a decorated class, or by `defineWorkflow`.
 */
export interface WorkflowGraph {
  readonly name: string
  readonly version: number
  readonly description: string | undefined
  /** Input schema checked when a run starts (an Effect `Schema`), if any. */
  readonly input: unknown
  /** Event name whose emission starts a run with the event payload as input. */
  readonly trigger: string | undefined
  /** Every task, in a topological order (dependencies first). */
  readonly tasks: readonly TaskNode[]
  readonly taskByName: ReadonlyMap<string, TaskNode>
  /** The class or definition object the graph was compiled from. */
  readonly source: object
}
