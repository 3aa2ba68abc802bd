import type { CircuitBreakerOptions, ErrorClass, RetryOptions } from './policy-options.js'

/**
 * The classes of error Weft's built-in rules sort failures into.
 *
 * - `connection`: the other side could not be reached or hung up (refused,
 *   reset, DNS, an HTTP 5xx, an open circuit, PostgreSQL SQLSTATE class 08).
 * - `timeout`: an attempt or a call ran out of time (`TaskTimeoutError`,
 *   `ETIMEDOUT`, HTTP 408/504, SQLSTATE 57014).
 * - `rate-limited`: the other side asked to slow down (HTTP 429,
 *   `RateLimitedError`, a full bulkhead).
 * - `validation`: the request itself is wrong and will fail again unchanged
 *   (HTTP 4xx, invalid input or payload, a constraint: SQLSTATE class 23).
 * - `authorization`: not allowed (HTTP 401/403, SQLSTATE class 28 and 42501,
 *   Weft's authentication and authorization errors).
 * - `database`: the database refused for now (SQLite busy or locked,
 *   serialization failures and deadlocks, Weft's `StorageError`).
 * - `unknown`: no rule matched.
 *
 * @example
 * ```ts
 * import type { BuiltInErrorClass } from 'weft-sdk'
 * const transient: BuiltInErrorClass[] = ['connection', 'timeout', 'rate-limited', 'database']
 * ```
 */
export type BuiltInErrorClass = 'connection' | 'timeout' | 'rate-limited' | 'validation' | 'authorization' | 'database' | 'unknown'

/**
 * The name of an error class: a built-in one, or any name a user's rule gives.
 *
 * @example
 * ```ts
 * import type { ErrorClassName } from 'weft-sdk'
 * const classes: ErrorClassName[] = ['connection', 'quota-exhausted']
 * ```
 */
export type ErrorClassName = BuiltInErrorClass | (string & {})

/**
 * What a rule sees of an error: the same for a live error and for a stored
 * `ErrorRecord` (then `error` is `undefined`, so `instanceOf` rules never
 * match a record).
 *
 * @example
 * ```ts
 * import type { ErrorFacts } from 'weft-sdk'
 * const isTeapot = (facts: ErrorFacts): boolean => facts.status === 418
 * ```
 */
export interface ErrorFacts {
  /** The error's name (`error.name`, or the record's `name`). */
  readonly name: string
  /** The error's message. */
  readonly message: string
  /** Its string `code` (a Weft code, a Node errno like `ECONNREFUSED`, a SQLSTATE, `SQLITE_BUSY`), if any. */
  readonly code: string | undefined
  /** An HTTP status it carries (`HttpStatusError.status`, a numeric `status` or `statusCode`), if any. */
  readonly status: number | undefined
  /** The live value, or `undefined` for a stored record. */
  readonly error: unknown
  /** How deep in the cause chain it is: 0 for the error itself, 1 for its `cause`, … */
  readonly depth: number
}

/**
 * A rule sorting errors into a class. Every matcher given must match (a rule
 * with none is refused); the first rule that matches wins. A string `message`
 * matches as a case-insensitive substring; a string `name` or `code` matches
 * exactly.
 *
 * @example
 * ```ts
 * import type { ErrorRule } from 'weft-sdk'
 * const rules: ErrorRule[] = [
 *   { message: /connection refused/i, as: 'connection' },
 *   { code: ['QUOTA', 'BUDGET'], as: 'quota-exhausted', description: 'the vendor quota' },
 *   { when: (facts) => facts.status === 418, as: 'validation' },
 * ]
 * ```
 */
export interface ErrorRule {
  /** The class an error matching this rule is in. */
  readonly as: ErrorClassName
  /** Matches the error's name (its class name). */
  readonly name?: string | RegExp
  /** Matches live errors of this class (never a stored record). */
  readonly instanceOf?: ErrorClass
  /** Matches the error's `code`: exactly, one of a list, or a pattern. */
  readonly code?: string | readonly string[] | RegExp
  /** Matches the message: a case-insensitive substring, or a pattern. */
  readonly message?: string | RegExp
  /** Matches an HTTP status: exactly, or an inclusive range `[low, high]`. */
  readonly status?: number | readonly [number, number]
  /** Matches when it returns true. */
  readonly when?: (facts: ErrorFacts) => boolean
  /** What the rule stands for, shown where the classification is reported. */
  readonly description?: string
}

/**
 * How to recover from an error of one class, as authored.
 *
 * - `'fail-fast'`: fail at once, never retried (even under `@Retry`).
 * - `{ retry }`: retry on this schedule instead of `@Retry`'s.
 * - `{ fallbackValue }`: after `@Retry` gives up, complete with this value.
 * - `{ fallbackTo }`: after `@Retry` gives up, complete with the output of
 *   that task (one of this task's dependencies).
 * - `{ fallbackWith }`: after `@Retry` gives up, run other work and complete
 *   with what it returns: a private or protected method of the workflow
 *   class, by name (`@Recover`), or a function (`defineWorkflow`), called with
 *   the error, the task's arguments and a `FallbackContext`. Its output is
 *   journaled like the task's own; if it throws, the task fails with a
 *   `FallbackFailedError`. Only in a task's own options (`F` says what it
 *   takes: `never`, the default, leaves it out).
 * - `{ circuitBreak }`: a circuit breaker of its own that counts only this
 *   class's failures and, while open, refuses attempts (`CircuitOpenError`).
 * - `'compensate'`: after `@Retry` gives up, fail so that the task's
 *   `@OnFailure` handler runs (the task must have one).
 * - `'escalate'`: after `@Retry` gives up, fail and report the failure as
 *   escalated (counted, told to the engine's recovery listener as
 *   `task.error-classified` with outcome `escalated`, and alerted at once
 *   by an `escalations` alert rule). The run ends `failed`.
 *
 * @example
 * ```ts
 * import type { RecoveryStrategyOptions } from 'weft-sdk'
 * const onConnection: RecoveryStrategyOptions = { retry: { maxAttempts: 5, backoff: { initial: '200 ms' } } }
 * const onValidation: RecoveryStrategyOptions = 'fail-fast'
 * const onDatabase: RecoveryStrategyOptions<string> = { fallbackWith: 'readReplica' }
 * ```
 *
 * @typeParam F - what `fallbackWith` takes: a method's name (`string`) in
 * `@Recover`, a typed function in `defineWorkflow`; `never` (the default)
 * where it is not allowed, such as a workflow's options for every task.
 */
export type RecoveryStrategyOptions<F = never> =
  | 'fail-fast'
  | 'compensate'
  | 'escalate'
  | {
      /** Retry on this schedule instead of `@Retry`'s (without a `deadline`: the task's is `@Retry`'s). */
      readonly retry: RetryOptions
    }
  | {
      /** Complete the task with this value once `@Retry` gives up. */
      readonly fallbackValue: unknown
    }
  | {
      /** Complete the task with the output of this dependency once `@Retry` gives up. */
      readonly fallbackTo: string
    }
  | {
      /** Once `@Retry` gives up, run this (a method's name, or a function) and complete the task with what it returns. */
      readonly fallbackWith: F
    }
  | {
      /** A circuit breaker of the class's own (named `'<workflow>.<task>:<class>'` unless named). */
      readonly circuitBreak: CircuitBreakerOptions
    }

/**
 * Options of `@Recover` (and of the `recover` task option): how errors are
 * classified and what is done about each class.
 *
 * @example
 * ```ts
 * import type { RecoverOptions } from 'weft-sdk'
 * const recover: RecoverOptions = {
 *   rules: [{ message: 'database', as: 'database' }],
 *   strategies: { connection: { retry: { maxAttempts: 4 } }, validation: 'fail-fast', database: { fallbackValue: [] } },
 * }
 * ```
 *
 * @typeParam F - what a strategy's `fallbackWith` takes (see {@link RecoveryStrategyOptions}); `never`, the default, allows none.
 */
export interface RecoverOptions<F = never> {
  /** Rules tried before the built-in ones, in order (first match wins). @defaultValue `[]` */
  readonly rules?: readonly ErrorRule[]
  /** The strategy of each class; a class without one is left to `@Retry` (and counted as `none`). */
  readonly strategies: RecoveryStrategies<F>
}

/**
 * The strategy of each error class: the built-in classes by name, and any
 * class a user's rule names (a strategy for a class no rule gives is refused
 * as a likely typo).
 *
 * @example
 * ```ts
 * import type { RecoverOptions, RecoveryStrategies } from 'weft-sdk'
 * const strategies: RecoveryStrategies = { connection: { retry: { maxAttempts: 5 } }, 'quota-exhausted': 'escalate' }
 * const recover: RecoverOptions = { rules: [{ code: 'QUOTA', as: 'quota-exhausted' }], strategies }
 * ```
 *
 * @typeParam F - what a strategy's `fallbackWith` takes (see {@link RecoveryStrategyOptions}).
 */
export interface RecoveryStrategies<F = never> {
  /** Unreachable or hung-up dependencies. */
  readonly connection?: RecoveryStrategyOptions<F>
  /** Calls that ran out of time. */
  readonly timeout?: RecoveryStrategyOptions<F>
  /** The other side asked to slow down. */
  readonly 'rate-limited'?: RecoveryStrategyOptions<F>
  /** Requests that will fail again unchanged. */
  readonly validation?: RecoveryStrategyOptions<F>
  /** Refused for lack of rights. */
  readonly authorization?: RecoveryStrategyOptions<F>
  /** The database refused for now. */
  readonly database?: RecoveryStrategyOptions<F>
  /** Errors no rule matched. */
  readonly unknown?: RecoveryStrategyOptions<F>
  /** A class a user's rule names. */
  readonly [errorClass: string]: RecoveryStrategyOptions<F> | undefined
}

/**
 * The name of a recovery strategy, as statistics and events report it;
 * `none` for a class the policy gives no strategy.
 *
 * @example
 * ```ts
 * import type { RecoveryStrategyKind } from 'weft-sdk'
 * const contained: RecoveryStrategyKind[] = ['compensate', 'escalate']
 * ```
 */
export type RecoveryStrategyKind = 'retry' | 'fallback' | 'circuit-break' | 'compensate' | 'escalate' | 'fail-fast' | 'none'
