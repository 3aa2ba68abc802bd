// The base of every Weft error (code, tag, brand, retryability) and how
// messages print a thrown value.

import { renderValue } from './rendered-value.js'

const weftErrorBrand: unique symbol = Symbol.for('weft/error') as never

/**
 * Options every {@link WeftError} accepts.
 *
 * @example
 * ```ts
 * import { StorageError, type WeftErrorOptions } from 'weft-sdk'
 * declare const driverError: Error
 * const options: WeftErrorOptions = { cause: driverError }
 * throw new StorageError('connection-lost', 'the database went away while saving run r-1', options)
 * ```
 */
export interface WeftErrorOptions {
  /** The error that caused this one. */
  readonly cause?: unknown
}

/**
 * Every {@link WeftError.code}: a `switch` over it is checked for exhaustiveness
 * by the compiler, so a handler learns of a new code when it upgrades.
 *
 * @example
 * ```ts
 * import { isWeftError, type WeftErrorCode } from 'weft-sdk'
 * function retryable(code: WeftErrorCode): boolean {
 *   switch (code) {
 *     case 'WEFT_TASK_TIMEOUT':
 *     case 'WEFT_CIRCUIT_OPEN':
 *     case 'WEFT_RATE_LIMITED':
 *     case 'WEFT_BULKHEAD_FULL':
 *       return true
 *     default:
 *       return false
 *   }
 * }
 * const error: unknown = new Error('x')
 * if (isWeftError(error)) console.log(retryable(error.code))
 * ```
 */
export type WeftErrorCode =
  // A workflow's definition, rejected before any run.
  | 'WEFT_CYCLE'
  | 'WEFT_UNKNOWN_DEPENDENCY'
  | 'WEFT_DUPLICATE_TASK'
  | 'WEFT_EMPTY_WORKFLOW'
  | 'WEFT_INVALID_OPTIONS'
  | 'WEFT_INVALID_WORKFLOW'
  | 'WEFT_INVALID_INPUT'
  | 'WEFT_INVALID_RESULT'
  // A task's attempt, refused or cut short by a policy or a wait.
  | 'WEFT_TASK_TIMEOUT'
  | 'WEFT_CIRCUIT_OPEN'
  | 'WEFT_RATE_LIMITED'
  | 'WEFT_BULKHEAD_FULL'
  | 'WEFT_EVENT_TIMEOUT'
  | 'WEFT_UNINSPECTABLE_THROW'
  | 'WEFT_CONTEXT_CLOSED'
  | 'WEFT_MAP_ITEMS_FAILED'
  | 'WEFT_FALLBACK_FAILED'
  // A run and the engine's API.
  | 'WEFT_RUN_CANCELLED'
  | 'WEFT_RUN_FAILED'
  | 'WEFT_WORKFLOW_NOT_REGISTERED'
  | 'WEFT_RUN_NOT_FOUND'
  | 'WEFT_NO_OUTPUT'
  | 'WEFT_ENGINE_CLOSED'
  | 'WEFT_RUN_FINISHED'
  | 'WEFT_WRONG_WORKFLOW'
  | 'WEFT_INVALID_EVENT_PAYLOAD'
  | 'WEFT_RECORDED_PAYLOAD_UNDECODABLE'
  | 'WEFT_RUN_CONFLICT'
  | 'WEFT_LEASE_LOST'
  // The store and what is written to it.
  | 'WEFT_STORAGE'
  | 'WEFT_NOT_A_WEFT_DATABASE'
  | 'WEFT_NEWER_SCHEMA'
  | 'WEFT_SERIALIZATION'
  | 'WEFT_PAYLOAD_TOO_LARGE'
  | 'WEFT_SQLITE_DRIVER_MISSING'
  | 'WEFT_INVALID_STEP_PATH'
  // Adapters (integration).
  | 'WEFT_HTTP_STATUS'
  | 'WEFT_HTTP_NETWORK'
  | 'WEFT_HTTP_DECODE'
  | 'WEFT_HTTP_RESPONSE_TOO_LARGE'
  | 'WEFT_ADAPTER_CLOSED'
  | 'WEFT_LLM_RESPONSE'
  | 'WEFT_LLM_OUTPUT'
  | 'WEFT_BUDGET_EXCEEDED'
  // Object storage (weft-sdk/object-storage).
  | 'WEFT_OBJECT_NOT_FOUND'
  | 'WEFT_OBJECT_KEY_INVALID'
  | 'WEFT_OBJECT_METADATA_INVALID'
  | 'WEFT_OBJECT_CHECKSUM_MISMATCH'
  | 'WEFT_OBJECT_ACCESS_DENIED'
  | 'WEFT_OBJECT_DECODE'
  | 'WEFT_OBJECT_STORAGE_IO'
  | 'WEFT_AMQP_UNAVAILABLE'
  | 'WEFT_AMQP_PUBLISH'
  | 'WEFT_AMQP_TOPOLOGY'
  | 'WEFT_AMQP_INVALID_MESSAGE'
  | 'WEFT_AMQP_START_EXHAUSTED'
  // SQL (weft-sdk/sql).
  | 'WEFT_SQL_CONNECTION'
  | 'WEFT_SQL_TRANSIENT'
  | 'WEFT_SQL_CONSTRAINT'
  | 'WEFT_SQL_STATEMENT'
  | 'WEFT_SQL_DRIVER_MISSING'
  // The durable outbox.
  | 'WEFT_OUTBOX_UNAVAILABLE'
  | 'WEFT_OUTBOX_PAYLOAD'
  // Metrics.
  | 'WEFT_METRICS_UNAVAILABLE'
  // Alerts.
  | 'WEFT_INVALID_ALERT'
  | 'WEFT_ALERT_DELIVERY'
  // Security.
  | 'WEFT_INVALID_PRINCIPAL'
  | 'WEFT_UNAUTHENTICATED'
  | 'WEFT_FORBIDDEN'
  | 'WEFT_INVALID_PERMISSION'
  | 'WEFT_SECURITY_CONFIG'
  | 'WEFT_DECRYPTION_FAILED'
  | 'WEFT_UNKNOWN_KEY'
  | 'WEFT_AUDIT_TAMPERED'
  // The command line.
  | 'WEFT_CLI_USAGE'
  | 'WEFT_CLI_FAILED'

/**
 * Base class of every error Weft throws. Each subclass has a stable string
 * `code`, a `_tag` equal to its class name (for Effect's typed error channel)
 * and says whether retrying the failed operation can help.
 *
 * @example
 * ```ts
 * import { isWeftError } from 'weft-sdk'
 * try {
 *   // ... engine.start(...)
 * } catch (error) {
 *   if (isWeftError(error)) console.error(error.code, error.message)
 * }
 * ```
 */
export abstract class WeftError extends Error {
  /** Stable, machine-readable code, for example `WEFT_CYCLE`; one of {@link WeftErrorCode}. */
  abstract readonly code: WeftErrorCode
  /** Equal to the class name; lets Effect's `catchTag` select the error. */
  abstract readonly _tag: string
  /** Whether trying the same operation again can succeed. */
  readonly isRetryable: boolean = false
  /** @internal */
  readonly [weftErrorBrand] = true

  constructor(message: string, options: WeftErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = new.target.name
  }
}

/**
 * Tells whether a value is a {@link WeftError}, even one thrown by another copy
 * of the package.
 *
 * @example
 * ```ts
 * import { isWeftError } from 'weft-sdk'
 * isWeftError(new Error('x')) // false
 * ```
 */
export function isWeftError(value: unknown): value is WeftError {
  if (typeof value !== 'object' || value === null) return false
  try {
    return (value as Record<symbol, unknown>)[weftErrorBrand] === true
  } catch {
    // A Proxy whose traps throw (a revoked one): not ours.
    return false
  }
}

/**
 * Renders an unknown thrown value in one line for messages: an Error's
 * message, a string as itself, anything else as bounded JSON (at most 4,096
 * characters, cycles and BigInts included; see the error records' `value`).
 * Never throws, whatever was thrown: an object without a prototype, a
 * `toString` or a `message` getter that throws, a revoked Proxy.
 *
 * @example
 * ```ts
 * import { describeCause } from 'weft-sdk'
 * describeCause(new Error('boom')) // 'boom'
 * describeCause({ status: 503 }) // '{"status":503}'
 * describeCause(Object.create(null)) // '{}'
 * ```
 */
export function describeCause(cause: unknown): string {
  try {
    if (cause instanceof Error) return String(cause.message)
    if (typeof cause === 'string') return cause
  } catch {
    return unprintable(cause)
  }
  return renderValue(cause)
}

/** What a value that cannot be printed is called in messages. */
export function unprintable(value: unknown): string {
  return `[a thrown ${typeof value} that cannot be printed]`
}
