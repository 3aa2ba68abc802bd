import type { ErrorClass, LoopOptions } from './policy-options.js'
import type { ErrorRule } from './recovery-options.js'
import type { PayloadSchema } from './task-context.js'

/**
 * How a task takes part in the run.
 *
 * @example
 * ```ts
 * import type { TaskKind, WorkflowGraph } from 'weft-sdk'
 * declare const graph: WorkflowGraph
 * const cleanups = graph.tasks.filter((task) => task.kind === ('always' satisfies TaskKind))
 * ```
 */
export type TaskKind =
  /** An ordinary task: runs once its dependencies completed. */
  | 'task'
  /** A `@Loop` task: runs its body until its condition fails or the cap is hit. */
  | 'loop'
  /** An `@OnFailure` handler: runs only when the task it handles failed. */
  | 'on-failure'
  /** An `@Always` task: runs whatever happened to the rest of the run. */
  | 'always'

/**
 * A dependency edge of a task.
 *
 * @example
 * ```ts
 * import type { Dependency, TaskNode } from 'weft-sdk'
 * declare const task: TaskNode
 * const required: Dependency[] = task.dependsOn.filter((dep) => !dep.optional)
 * ```
 */
export interface Dependency {
  /** The task depended on. */
  readonly task: string
  /** An optional dependency passes `undefined` when the task was skipped or failed. */
  readonly optional: boolean
}

/**
 * A retry policy with every default filled in and durations in milliseconds.
 *
 * @example
 * ```ts
 * import type { RetryPolicy, TaskNode } from 'weft-sdk'
 * declare const task: TaskNode
 * const retry: RetryPolicy | undefined = task.policies.retry
 * if (retry) console.log(`${retry.maxAttempts} attempts, first delay up to ${retry.initialDelayMs} ms`)
 * ```
 */
export interface RetryPolicy {
  /** Attempts in all, counting the first call; an integer ≥ 1. */
  readonly maxAttempts: number
  /** Delay bound before the first retry, in milliseconds (`backoff.initial`, 100 when not given). */
  readonly initialDelayMs: number
  /** Largest delay bound, in milliseconds (`backoff.max`, 30 000 when not given). */
  readonly maxDelayMs: number
  /** Growth of the delay bound per retry, ≥ 1 (`backoff.factor`, 2 when not given). */
  readonly factor: number
  /** `'full'` draws each delay uniformly from `[0, bound]`, `'none'` waits the bound (`'full'` when not given). */
  readonly jitter: 'full' | 'none'
  /** The user's retry check, asked after the built-in ones; `undefined` retries every other error. */
  readonly retryIf: ((error: unknown, attempt: number) => boolean) | undefined
  /** Error classes that fail the task without another attempt (empty when not given). */
  readonly nonRetryable: readonly ErrorClass[]
  /** Time budget for all attempts and the waits between them, in milliseconds; `undefined` for none. */
  readonly deadlineMs: number | undefined
}

/**
 * A circuit breaker policy with defaults filled in.
 *
 * @example
 * ```ts
 * import type { CircuitBreakerPolicy, TaskNode } from 'weft-sdk'
 * declare const task: TaskNode
 * const breaker: CircuitBreakerPolicy | undefined = task.policies.circuitBreaker
 * if (breaker) console.log(`${breaker.name} probes again after ${breaker.halfOpenAfterMs} ms`)
 * ```
 */
export interface CircuitBreakerPolicy {
  /** Circuit name; tasks with the same name share one circuit (`'<workflow>.<task>'` when not given). */
  readonly name: string
  /** Failures in a row that open the circuit; `undefined` when only the failure rate trips it. */
  readonly consecutiveFailures: number | undefined
  /** The failure-rate trip; `undefined` when only consecutive failures trip the circuit. */
  readonly failureRate: {
    /** Fraction of failures, in `(0, 1]`, that opens the circuit. */
    readonly threshold: number
    /** Number of most recent calls considered. */
    readonly window: number
    /** Calls needed before the rate is judged, ≤ `window` (`window` when not given). */
    readonly minimumCalls: number
  } | undefined
  /** How long the circuit stays open before it lets one probe call through, in milliseconds. */
  readonly halfOpenAfterMs: number
}

/**
 * A rate-limit policy with defaults filled in.
 *
 * @example
 * ```ts
 * import type { RateLimitPolicy, TaskNode } from 'weft-sdk'
 * declare const task: TaskNode
 * const limit: RateLimitPolicy | undefined = task.policies.rateLimit
 * if (limit) console.log(`${limit.name}: ${limit.limit} calls per ${limit.windowMs} ms (${limit.algorithm})`)
 * ```
 */
export interface RateLimitPolicy {
  /** Limiter name; tasks with the same name share one limiter (`'<workflow>.<task>'` when not given). */
  readonly name: string
  /** Calls allowed per window; an integer ≥ 1. */
  readonly limit: number
  /** Window length, in milliseconds (> 0). */
  readonly windowMs: number
  /** `'wait'` delays a call over the limit until it fits, `'fail'` fails it with `RateLimitedError` (`'wait'` when not given). */
  readonly onLimit: 'wait' | 'fail'
  /** How calls are counted against the limit (`'fixed-window'` when not given). */
  readonly algorithm: 'fixed-window' | 'token-bucket'
}

/**
 * A cache policy with defaults filled in.
 *
 * @example
 * ```ts
 * import type { CachePolicy, TaskNode } from 'weft-sdk'
 * declare const task: TaskNode
 * const cache: CachePolicy | undefined = task.policies.cache
 * if (cache) console.log(`${cache.name} keeps ${cache.capacity} results for ${cache.ttlMs} ms`)
 * ```
 */
export interface CachePolicy {
  /** Cache name, always `'<workflow>.<task>'`: the cache is shared by every run of that task. */
  readonly name: string
  /** How long a result stays fresh, in milliseconds. */
  readonly ttlMs: number
  /** Most entries kept (1000 when not given). */
  readonly capacity: number
  /** Computes the cache key from the task's arguments (`JSON.stringify` of them when not given). */
  readonly key: (...args: readonly unknown[]) => string
}

/**
 * A bulkhead policy with defaults filled in.
 *
 * @example
 * ```ts
 * import type { BulkheadPolicy, TaskNode } from 'weft-sdk'
 * declare const task: TaskNode
 * const bulkhead: BulkheadPolicy | undefined = task.policies.bulkhead
 * if (bulkhead) console.log(`${bulkhead.name}: ${bulkhead.maxConcurrent} at once, ${bulkhead.maxQueue} waiting`)
 * ```
 */
export interface BulkheadPolicy {
  /** Bulkhead name; tasks with the same name share its slots (`'<workflow>.<task>'` when not given). */
  readonly name: string
  /** Calls running at once; an integer ≥ 1. */
  readonly maxConcurrent: number
  /** Calls waiting for a slot before further ones are rejected (`Infinity` when not given). */
  readonly maxQueue: number
}

/**
 * A validated recovery strategy, as the graph carries it.
 *
 * @example
 * ```ts
 * import type { RecoveryStrategy } from 'weft-sdk'
 * const retriesItself = (strategy: RecoveryStrategy): boolean => strategy.kind === 'retry' || strategy.kind === 'fail-fast'
 * ```
 */
export type RecoveryStrategy =
  | {
      /** Retry on the class's own schedule. */
      readonly kind: 'retry'
      /** The class's schedule. */
      readonly retry: RetryPolicy
    }
  | {
      /** Complete with a value once `@Retry` gives up. */
      readonly kind: 'fallback'
      /** The value. */
      readonly value: unknown
      /** No task: the value is given. */
      readonly task: undefined
      /** No work runs. */
      readonly run: undefined
    }
  | {
      /** Complete with a dependency's output once `@Retry` gives up. */
      readonly kind: 'fallback'
      /** No value: the dependency's output is used. */
      readonly value: undefined
      /** The dependency. */
      readonly task: string
      /** No work runs. */
      readonly run: undefined
    }
  | {
      /** Complete with what other work returns once `@Retry` gives up (`fallbackWith`). */
      readonly kind: 'fallback'
      /** No value: the work's output is used. */
      readonly value: undefined
      /** No dependency. */
      readonly task: undefined
      /** The work. */
      readonly run: FallbackRun
    }
  | {
      /** A circuit breaker of the class's own. */
      readonly kind: 'circuit-break'
      /** Its policy. */
      readonly breaker: CircuitBreakerPolicy
    }
  | {
      /** Fail so the task's `@OnFailure` handler runs. */
      readonly kind: 'compensate'
    }
  | {
      /** Fail and report the failure as escalated. */
      readonly kind: 'escalate'
    }
  | {
      /** Fail at once, never retried. */
      readonly kind: 'fail-fast'
    }

/**
 * The work a `fallbackWith` strategy runs: a method of the workflow class,
 * by name (looked up on the run's workflow instance when it runs, like a
 * task's method), or a function; either is called with the workflow
 * instance as `this`.
 *
 * @example
 * ```ts
 * import type { FallbackRun } from 'weft-sdk'
 * const describe = (run: FallbackRun): string => (run.kind === 'method' ? `method ${run.method}` : 'a function')
 * ```
 */
export type FallbackRun =
  | {
      /** A method of the workflow class. */
      readonly kind: 'method'
      /** Its name. */
      readonly method: string
    }
  | {
      /** A function (`defineWorkflow`). */
      readonly kind: 'function'
      /** The function, called with the error, the task's arguments and a `FallbackContext`. */
      readonly fn: (error: unknown, ...args: unknown[]) => unknown
    }

/**
 * A task's validated recovery policy (`@Recover`).
 *
 * @example
 * ```ts
 * import type { TaskNode } from 'weft-sdk'
 * declare const task: TaskNode
 * const recover = task.policies.recover
 * if (recover) console.log(Object.entries(recover.strategies).map(([errorClass, s]) => `${errorClass}: ${s.kind}`))
 * ```
 */
export interface RecoveryPolicy {
  /** The user's rules, tried before the built-in ones. */
  readonly rules: readonly ErrorRule[]
  /** The strategy of each class that has one. */
  readonly strategies: { readonly [errorClass: string]: RecoveryStrategy }
}

/**
 * Every policy of one task, validated and normalized.
 *
 * @example
 * ```ts
 * import type { TaskNode } from 'weft-sdk'
 * declare const task: TaskNode
 * const { retry, timeoutMs, circuitBreaker } = task.policies
 * console.log(retry?.maxAttempts ?? 1, timeoutMs ?? 'no timeout', circuitBreaker?.name)
 * ```
 */
export interface TaskPolicies {
  /** Retries of a failing task (`@Retry`); `undefined` when it is not retried. */
  readonly retry: RetryPolicy | undefined
  /** Time limit of each attempt (`@Timeout`), in milliseconds; `undefined` for none. */
  readonly timeoutMs: number | undefined
  /** The circuit breaker guarding the task (`@CircuitBreaker`), if any. */
  readonly circuitBreaker: CircuitBreakerPolicy | undefined
  /** The rate limit on the task's calls (`@RateLimit`), if any. */
  readonly rateLimit: RateLimitPolicy | undefined
  /** The cache of the task's results (`@Cache`), if any. */
  readonly cache: CachePolicy | undefined
  /** The bulkhead bounding the task's concurrent calls (`@Bulkhead`), if any. */
  readonly bulkhead: BulkheadPolicy | undefined
  /** How the task's errors are classified and recovered from (`@Recover`), if at all. */
  readonly recover: RecoveryPolicy | undefined
}

/**
 * A condition deciding whether a task runs; it receives the task's arguments.
 *
 * @example
 * ```ts
 * import type { TaskNode } from 'weft-sdk'
 * declare const task: TaskNode
 * if (task.when !== undefined) console.log(`${task.name} runs only when its condition holds`)
 * ```
 */
export type TaskCondition = (...args: readonly unknown[]) => boolean | PromiseLike<boolean>

/**
 * One task of a compiled {@link WorkflowGraph}. Frozen.
 *
 * @example
 * ```ts
 * import type { WorkflowGraph } from 'weft-sdk'
 * declare const graph: WorkflowGraph
 * const charge = graph.taskByName.get('charge')
 * console.log(charge?.kind, charge?.dependsOn.map((dep) => dep.task), charge?.policies.retry?.maxAttempts)
 * ```
 */
export interface TaskNode {
  /** Unique name in the workflow; the method name for class workflows. */
  readonly name: string
  /** The key of the task's own step record (`formatStepKey` of the task): its name, escaped where the step-key grammar needs it. */
  readonly stepKey: string
  /** Position in {@link WorkflowGraph.tasks} (a topological order). */
  readonly id: number
  /** How the task takes part in the run. */
  readonly kind: TaskKind
  /** Free-text description from the task's options, if any. */
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
  /** The `@When` condition; `undefined` when the task does not have one. */
  readonly when: TaskCondition | undefined
  /** The `@Loop` options, for a `loop` task. */
  readonly loop: LoopOptions<unknown> | undefined
  /** The task's validated policies. */
  readonly policies: TaskPolicies
  /** The property of the workflow instance that holds the task's function. */
  readonly method: string
  /**
   * Permissions (`action:resource`) the run's principal must hold for the task
   * to execute, checked by a secured engine before the task starts (and at
   * the start of the run). Empty when none.
   */
  readonly requires: readonly string[]
}

/**
 * A task a declared result reads.
 *
 * @example
 * ```ts
 * import { compileWorkflow, type AnyWorkflow, type ResultTask } from 'weft-sdk'
 * function resultTasks(workflow: AnyWorkflow): readonly ResultTask[] {
 *   const spec = compileWorkflow(workflow).result
 *   return spec === undefined ? [] : spec.kind === 'task' ? [spec] : spec.fields
 * }
 * ```
 */
export interface ResultTask {
  /** The task whose output it is. */
  readonly task: string
  /** Whether the task may end without output (then the result holds `undefined` there). */
  readonly optional: boolean
}

/**
 * The result a workflow declares: one task's output, or a record of tasks'
 * outputs by key. Validated: every task exists, and a task that may end
 * without output is declared optional.
 *
 * @example
 * ```ts
 * import { compileWorkflow, defineWorkflow } from 'weft-sdk'
 * const Label = defineWorkflow({ name: 'label', version: 1 }).task('print', () => 'L-1').build({ result: 'print' })
 * const spec = compileWorkflow(Label).result // { kind: 'task', task: 'print', optional: false }
 * if (spec?.kind === 'record') for (const field of spec.fields) console.log(field.key, '←', field.task)
 * ```
 */
export type WorkflowResultSpec =
  | (ResultTask & {
      /** One task's output is the result. */
      readonly kind: 'task'
    })
  | {
      /** A record of outputs is the result. */
      readonly kind: 'record'
      /** Each key of the record and the task whose output it holds. */
      readonly fields: readonly (ResultTask & {
        /** The key in the result record. */
        readonly key: string
      })[]
    }

/**
 * A validated, frozen workflow: what the interpreter runs. Produced by
 * `compileWorkflow` from a decorated class, or by `defineWorkflow`.
 *
 * @example
 * ```ts
 * import { compileWorkflow, type AnyWorkflow } from 'weft-sdk'
 * declare const Orders: AnyWorkflow
 * const graph = compileWorkflow(Orders)
 * console.log(`${graph.name} v${graph.version}:`, graph.tasks.map((task) => task.name).join(' -> '))
 * ```
 */
export interface WorkflowGraph {
  /** The workflow's unique name; runs are recorded under it. */
  readonly name: string
  /** The workflow's version, an integer ≥ 1. */
  readonly version: number
  /** Free-text description from the workflow's options, if any. */
  readonly description: string | undefined
  /** Input schema checked when a run starts (an Effect `Schema`), if any. */
  readonly input: unknown
  /** Event name whose emission starts a run with the event payload as input. */
  readonly trigger: string | undefined
  /** The result the workflow declares (what `run.result()` resolves to), if any. */
  readonly result: WorkflowResultSpec | undefined
  /** The events the workflow declares, each with the Effect `Schema` its payloads must decode with. Empty when none. */
  readonly events: ReadonlyMap<string, PayloadSchema>
  /** Every task, in a topological order (dependencies first). */
  readonly tasks: readonly TaskNode[]
  /** Every task, by name. */
  readonly taskByName: ReadonlyMap<string, TaskNode>
  /**
   * Permissions (`action:resource`) a principal must hold to start a run, on
   * a secured engine, besides `start:<name>` and every task's `requires`. Empty when none.
   */
  readonly requires: readonly string[]
  /** The class or definition object the graph was compiled from. */
  readonly source: object
}
