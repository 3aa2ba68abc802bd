import { isWeftError, LeaseLostError, PayloadTooLargeError, SerializationError, StorageError, type StorageFailureReason } from '../core/errors.js'

/** What a database driver's error means for Weft: a reason, and what to say about it. */
export interface Classified {
  readonly reason: StorageFailureReason
  /** A sentence for the message: what happened and what to do. */
  readonly explanation: string
}

/** A database's classifier: what its driver's errors mean. */
export type StorageErrorClassifier = (error: unknown) => Classified

/**
 * Turns whatever a store's driver threw into a {@link StorageError} (the one
 * model of store failures); Weft's own errors (a lost lease, a value that
 * cannot be stored) pass through unchanged, since they are not the store's.
 */
export function toStorageError(error: unknown, classify: StorageErrorClassifier, operation: string): unknown {
  if (isWeftError(error)) return error
  const { reason, explanation } = classify(error)
  return new StorageError(reason, `${operation} failed (${reason}): ${explanation}`, { cause: error })
}

/** Why an operation failed: a `StorageError`'s reason, or what `classify` makes of a driver's error. */
export function failureReason(error: unknown, classify: StorageErrorClassifier): StorageFailureReason {
  return error instanceof StorageError ? error.reason : classify(error).reason
}

/** The driver's error code (`SQLITE_BUSY`, `40P01`, `ECONNRESET`), if it has one. */
export function driverCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  try {
    const code = (error as { code?: unknown }).code
    return typeof code === 'string' ? code : undefined
  } catch {
    return undefined
  }
}

/** The driver's message, or the value as text. */
export function driverMessage(error: unknown): string {
  try {
    return error instanceof Error ? error.message : String(error)
  } catch {
    return 'an error that cannot be printed'
  }
}

/** How a store failure affects a run (see `RunExecution`): the value was refused, the lease was lost, or the store failed. */
export type WriteFailure = 'value' | 'lease' | 'store'

/**
 * Whose failure a store operation's error is: the value's (it cannot be
 * serialized, or is too large: the task fails), the lease's (another worker
 * owns the run), or the store's (anything else: the run is given up for recovery).
 */
export function writeFailure(error: unknown): WriteFailure {
  if (error instanceof SerializationError || error instanceof PayloadTooLargeError) return 'value'
  if (error instanceof LeaseLostError) return 'lease'
  return 'store'
}

/**
 * A store operation's failure as an `Error` a run can be given up with: the
 * error itself, or, when a store (of the user's) threw something else, a
 * `StorageError` of reason `unknown` that carries it as its cause.
 */
export function storeFailureError(error: unknown): Error {
  return error instanceof Error ? error : new StorageError('unknown', `the store failed: ${driverMessage(error)}`, { cause: error })
}

/**
 * Whether a store failure will not pass by itself (a full disk, a deleted
 * file, a closed store): waiting for the store to recover is pointless.
 * Errors a store did not classify (a store of the user's that throws plain
 * errors) are not judged persistent: handles keep following the run.
 */
export function isPersistentStoreFailure(error: unknown): boolean {
  return error instanceof StorageError && !error.isRetryable
}

/** Failures of the store as a whole, which say nothing about the run that met them (a corrupt row or a violated constraint do). */
const storeWideReasons: ReadonlySet<StorageFailureReason> = new Set([
  'busy',
  'deadlock',
  'serialization-conflict',
  'connection-lost',
  'disk-full',
  'io',
  'file-replaced',
  'closed',
  'read-only',
])

/** Whether a failure is the store's as a whole (a lock, a lost connection, a full disk), not the run's that met it. */
export function isStoreWideFailure(error: unknown): boolean {
  return error instanceof StorageError && storeWideReasons.has(error.reason)
}

/** Failures of the store as a whole that will not pass by themselves: the store takes no writes until someone acts. */
const blockingReasons: ReadonlySet<StorageFailureReason> = new Set(['disk-full', 'io', 'file-replaced', 'read-only'])

/** Whether a failure means the store takes no writes until someone acts (a full disk, a file-size limit, a deleted file, a read-only mount). */
export function isBlockingStoreFailure(error: unknown): boolean {
  return error instanceof StorageError && blockingReasons.has(error.reason)
}
