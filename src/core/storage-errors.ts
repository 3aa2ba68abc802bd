// Store errors: a store operation that failed, a database Weft cannot use,
// and what is refused on the way to a store (durability).
import { WeftError, type WeftErrorOptions } from './weft-error.js'

/**
 * Why a store operation failed, as {@link StorageError} reports it.
 *
 * @example
 * ```ts
 * import { StorageError } from 'weft-sdk'
 * declare const error: unknown
 * if (error instanceof StorageError && error.reason === 'disk-full') console.error('free some disk space, then resume the run')
 * ```
 */
export type StorageFailureReason =
  /** Another connection or process held a lock too long (SQLite's busy timeout, PostgreSQL's lock waits). */
  | 'busy'
  /** The database chose this transaction as a deadlock victim. */
  | 'deadlock'
  /** A serializable transaction conflicted with another one. */
  | 'serialization-conflict'
  /** The connection to the database server was lost or refused. */
  | 'connection-lost'
  /** A constraint of the schema rejected the write. */
  | 'constraint'
  /** The disk (or the database's size limit) is full. */
  | 'disk-full'
  /** The operating system failed a read or write (an I/O error, a file-size limit). */
  | 'io'
  /** The database file was deleted or replaced by another file while it was open. */
  | 'file-replaced'
  /** The store was closed. */
  | 'closed'
  /** The file is not a database, or its content is damaged. */
  | 'corrupt'
  /** The database accepts no writes (a read-only file, or a read-only replica). */
  | 'read-only'
  /** Anything else the driver reported. */
  | 'unknown'

/** The reasons after which trying the same operation again, a little later, can succeed. */
const transientStorageReasons: ReadonlySet<StorageFailureReason> = new Set(['busy', 'deadlock', 'serialization-conflict', 'connection-lost'])

/**
 * A store could not read or write: the database, not the workflow, failed.
 * A run whose store fails under it is given up for recovery (never failed):
 * its lease runs out and a worker resumes it from its checkpoints. `reason`
 * says what happened; `isRetryable` whether waiting can help (a lock, a
 * deadlock, a lost connection) or an operator must act (a full disk, a
 * deleted file). `cause` is the driver's error.
 *
 * @example
 * ```ts
 * import { StorageError, type WorkflowRun } from 'weft-sdk'
 * declare const run: WorkflowRun
 * try {
 *   await run.result()
 * } catch (error) {
 *   if (error instanceof StorageError && !error.isRetryable) console.error(`the store needs an operator: ${error.reason}`)
 * }
 * ```
 */
export class StorageError extends WeftError {
  readonly code = 'WEFT_STORAGE'
  readonly _tag = 'StorageError'
  override readonly isRetryable: boolean
  constructor(
    /** What went wrong. */
    readonly reason: StorageFailureReason,
    message: string,
    options: WeftErrorOptions = {},
  ) {
    super(message, options)
    this.isRetryable = transientStorageReasons.has(reason)
  }
}

/**
 * A database that holds no Weft schema: it was not created by a Weft engine
 * (a command that only reads was pointed at another database).
 *
 * @example
 * ```ts
 * import { NotAWeftDatabaseError, sqliteStore } from 'weft-sdk'
 * try {
 *   await sqliteStore({ path: 'other.sqlite', readOnly: true }).init()
 * } catch (error) {
 *   if (error instanceof NotAWeftDatabaseError) console.error(error.location)
 * }
 * ```
 */
export class NotAWeftDatabaseError extends WeftError {
  readonly code = 'WEFT_NOT_A_WEFT_DATABASE'
  readonly _tag = 'NotAWeftDatabaseError'
  constructor(
    /** The database (a file path, or a URL without its password). */
    readonly location: string,
  ) {
    super(`${location} is not a Weft database (it has no weft_runs table); pass the path or URL of a database a Weft engine created`)
  }
}

/**
 * The database was migrated by a newer version of Weft than this one: its
 * schema has migrations this version does not know, so it is not opened.
 *
 * @example
 * ```ts
 * import { NewerSchemaError, sqliteStore } from 'weft-sdk'
 * try {
 *   await sqliteStore({ path: 'runs.sqlite' }).init()
 * } catch (error) {
 *   if (error instanceof NewerSchemaError) console.error(error.unknownMigrations)
 * }
 * ```
 */
export class NewerSchemaError extends WeftError {
  readonly code = 'WEFT_NEWER_SCHEMA'
  readonly _tag = 'NewerSchemaError'
  constructor(
    /** The database (a file path, or a URL without its password). */
    readonly location: string,
    /** The applied migrations this version does not know. */
    readonly unknownMigrations: readonly string[],
    /** The newest migration this version knows. */
    readonly newestKnown: string,
  ) {
    super(
      `the database at ${location} was migrated by a newer version of Weft (it has migration ${unknownMigrations.map((m) => `"${m}"`).join(', ')}; ` +
        `this version knows migrations up to "${newestKnown}"): upgrade Weft to use it`,
    )
  }
}

/**
 * The embedded SQLite store cannot load its driver: `better-sqlite3`, an
 * optional dependency whose native addon is downloaded or compiled when it is
 * installed, is missing or was built for another Node.js. `cause` is the
 * loader's error. Install a compiler (Python 3, make, a C++ compiler) and run
 * `npm rebuild better-sqlite3`, or use a store that needs no addon.
 *
 * @example
 * ```ts
 * import { createEngine, MemoryWorkflowStore, sqliteStore, SqliteDriverMissingError } from 'weft-sdk'
 * let store
 * try {
 *   store = sqliteStore({ path: 'runs.sqlite' })
 * } catch (error) {
 *   if (!(error instanceof SqliteDriverMissingError)) throw error
 *   store = new MemoryWorkflowStore() // runs do not survive the process
 * }
 * const engine = createEngine({ store })
 * ```
 */
export class SqliteDriverMissingError extends WeftError {
  readonly code = 'WEFT_SQLITE_DRIVER_MISSING'
  readonly _tag = 'SqliteDriverMissingError'
  constructor(
    /** What the loader said, e.g. `Cannot find module 'better-sqlite3'`. */
    readonly reason: string,
    options: WeftErrorOptions = {},
  ) {
    super(
      `the SQLite store needs the better-sqlite3 package and its native addon, which could not be loaded (${reason}). It builds when installed: ` +
        "install Python 3, make and a C++ compiler, then run `npm rebuild better-sqlite3`; without them, use postgresStore from 'weft-sdk/postgres' " +
        'or new MemoryWorkflowStore() (runs do not survive the process)',
      options,
    )
  }
}

// ---------------------------------------------------------------------------
// Durability errors.

/**
 * A value cannot be stored losslessly; `path` says where the bad value is.
 *
 * @example
 * ```ts
 * import { RunFailedError, SerializationError, type WorkflowRun } from 'weft-sdk'
 * declare const run: WorkflowRun
 * try {
 *   await run.result()
 * } catch (error) {
 *   if (error instanceof RunFailedError && error.cause instanceof SerializationError) console.error(error.cause.path, error.cause.reason)
 * }
 * ```
 */
export class SerializationError extends WeftError {
  readonly code = 'WEFT_SERIALIZATION'
  readonly _tag = 'SerializationError'
  constructor(
    /** Where the value is, e.g. `output.items[2].callback`; `(value)` for the value itself. */
    readonly path: string,
    /** Why it cannot be stored. */
    readonly reason: string,
  ) {
    super(`cannot store ${path}: ${reason}`)
  }
}

/**
 * A value is larger than the store accepts; nothing was written.
 *
 * @example
 * ```ts
 * import { PayloadTooLargeError, RunFailedError, type WorkflowRun } from 'weft-sdk'
 * declare const run: WorkflowRun
 * try {
 *   await run.result()
 * } catch (error) {
 *   if (error instanceof RunFailedError && error.cause instanceof PayloadTooLargeError) {
 *     console.error(`${error.cause.what}: ${error.cause.bytes} of at most ${error.cause.limitBytes} bytes`)
 *   }
 * }
 * ```
 */
export class PayloadTooLargeError extends WeftError {
  readonly code = 'WEFT_PAYLOAD_TOO_LARGE'
  readonly _tag = 'PayloadTooLargeError'
  constructor(
    /** What was being stored, e.g. `output of task "fetch"`. */
    readonly what: string,
    /** Its serialized size in bytes. */
    readonly bytes: number,
    /** The limit in bytes. */
    readonly limitBytes: number,
  ) {
    super(`${what} is ${bytes} bytes, over the ${limitBytes}-byte limit; store large data elsewhere and pass a reference, or raise the store's limits.maxBytes`)
  }
}

/**
 * A run id is already used by a run of another workflow or with another input.
 *
 * @example
 * ```ts
 * import { createEngine, defineWorkflow, RunConflictError } from 'weft-sdk'
 * const Orders = defineWorkflow<{ orderId: string }>({ name: 'orders', version: 1 })
 *   .task('load', (input) => input.orderId)
 *   .build()
 * const engine = createEngine()
 * await engine.start(Orders, { orderId: 'o-1' }, { runId: 'order-1' })
 * try {
 *   await engine.start(Orders, { orderId: 'o-2' }, { runId: 'order-1' })
 * } catch (error) {
 *   if (error instanceof RunConflictError) console.error(error.conflict) // 'input'
 * }
 * ```
 */
export class RunConflictError extends WeftError {
  readonly code = 'WEFT_RUN_CONFLICT'
  readonly _tag = 'RunConflictError'
  constructor(
    /** The run id asked for. */
    readonly runId: string,
    /** What differs: `input` or `workflow`. */
    readonly conflict: 'input' | 'workflow',
  ) {
    super(`run id "${runId}" is already used by a run with a different ${conflict}; start with another id, or with the same ${conflict} to get the existing run`)
  }
}

/**
 * This process no longer holds the lease of a run (it expired and another
 * worker claimed the run); the write was rejected and the run is abandoned here.
 *
 * @example
 * ```ts
 * import { LeaseLostError, type WorkflowRun } from 'weft-sdk'
 * declare const run: WorkflowRun
 * try {
 *   await run.result()
 * } catch (error) {
 *   if (error instanceof LeaseLostError) console.log(`run ${error.runId} continues in another worker`)
 * }
 * ```
 */
export class LeaseLostError extends WeftError {
  readonly code = 'WEFT_LEASE_LOST'
  readonly _tag = 'LeaseLostError'
  constructor(
    /** The run whose lease was lost. */
    readonly runId: string,
    /** The fencing epoch this process held. */
    readonly epoch: number,
  ) {
    super(`lost the lease of run ${runId} (epoch ${epoch}): another worker owns it now; this worker stops writing to it`)
  }
}
