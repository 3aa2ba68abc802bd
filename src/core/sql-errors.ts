// Errors of the SQL adapter (weft-sdk/sql): a driver's error classified by
// what retrying can do about it, and a driver that is not installed.
import { WeftError, type WeftErrorOptions } from './weft-error.js'

/**
 * Where in a call a statement failed: `connect` (checking a connection out
 * of the pool: nothing was sent), `begin` (opening a transaction), `statement`,
 * `commit` (the transaction's COMMIT was sent: its outcome may be unknown),
 * `rollback`.
 *
 * @example
 * ```ts
 * import { SqlConnectionError, type SqlPhase } from 'weft-sdk/sql'
 * declare const error: SqlConnectionError
 * const phase: SqlPhase = error.phase
 * if (phase === 'commit') console.warn('the commit may have applied: check before writing again')
 * ```
 */
export type SqlPhase = 'connect' | 'begin' | 'statement' | 'commit' | 'rollback'

/**
 * What a failed SQL call was: one statement outside a transaction (`query`)
 * or a whole transaction (`transaction`), and whether its operation was
 * declared idempotent. The retry rule depends on it (see {@link SqlConnectionError}).
 *
 * @example
 * ```ts
 * import type { SqlCallShape } from 'weft-sdk/sql'
 * const shape: SqlCallShape = { kind: 'query', idempotent: true }
 * ```
 */
export interface SqlCallShape {
  /** `query`: autocommitted statements; `transaction`: one transaction, retried from its start. */
  readonly kind: 'query' | 'transaction'
  /** The caller declared that repeating the call does no harm (a read, an upsert, an insert keyed by the idempotency key). */
  readonly idempotent: boolean
}

/**
 * What every SQL error of the adapter carries: the adapter, the operation,
 * the driver's own code (`ECONNRESET`, `40P01`, `ER_DUP_ENTRY`,
 * `SQLITE_BUSY`) and the driver's message; `cause` is the driver's error.
 * Catch the base class to handle any of them.
 *
 * @example
 * ```ts
 * import { SqlError } from 'weft-sdk/sql'
 * declare const error: unknown
 * if (error instanceof SqlError) console.error(error.adapter, error.operation, error.driverCode, error.isRetryable)
 * ```
 */
export abstract class SqlError extends WeftError {
  constructor(
    /** The adapter's name. */
    readonly adapter: string,
    /** The operation that failed. */
    readonly operation: string,
    /** The driver's code: a Node.js system code, a SQLSTATE (PostgreSQL), a MySQL `ER_*` name or a SQLite extended code; `undefined` when it gave none. */
    readonly driverCode: string | undefined,
    /** The driver's message, secrets redacted. */
    readonly detail: string,
    message: string,
    options: WeftErrorOptions,
  ) {
    super(message, options)
  }
}

/**
 * The connection to the database could not be made or was lost: refused,
 * reset, timed out, the server shutting down, the session killed. Whether
 * it is retried depends on what may have been applied:
 *
 * - nothing was sent (`phase` `connect` or `begin`): retryable;
 * - in a transaction, before its COMMIT: retryable (the server rolls back a
 *   transaction whose connection is gone; the retry runs it from its start);
 * - a statement outside a transaction, or a COMMIT, in flight when the
 *   connection went: it may have been applied, so it is retryable only when
 *   the call was declared `idempotent` (`mayHaveApplied` says so).
 *
 * @example
 * ```ts
 * import { SqlConnectionError } from 'weft-sdk/sql'
 * declare const error: unknown
 * if (error instanceof SqlConnectionError && error.mayHaveApplied) console.warn(`${error.operation}: check whether it was applied before repeating it`)
 * ```
 */
export class SqlConnectionError extends SqlError {
  readonly code = 'WEFT_SQL_CONNECTION'
  readonly _tag = 'SqlConnectionError'
  override readonly isRetryable: boolean
  /** The write may have reached the database before the connection went (a statement outside a transaction, or a COMMIT, in flight). */
  readonly mayHaveApplied: boolean

  constructor(
    adapter: string,
    operation: string,
    driverCode: string | undefined,
    detail: string,
    /** Where the call was when the connection failed. */
    readonly phase: SqlPhase,
    /** What the call was. */
    readonly shape: SqlCallShape,
    options: WeftErrorOptions = {},
  ) {
    const mayHaveApplied = phase === 'commit' || (phase === 'statement' && shape.kind === 'query')
    const retryable = !mayHaveApplied || shape.idempotent
    super(adapter, operation, driverCode, detail, `adapter "${adapter}": operation "${operation}" ${connectionStory(phase, shape)} (${driverCode ?? detail})${retryAdvice(mayHaveApplied, retryable)}`, options)
    this.mayHaveApplied = mayHaveApplied
    this.isRetryable = retryable
  }
}

function connectionStory(phase: SqlPhase, shape: SqlCallShape): string {
  switch (phase) {
    case 'connect':
      return 'could not connect to the database'
    case 'begin':
      return 'lost its connection while opening its transaction'
    case 'commit':
      return 'lost its connection while committing its transaction'
    case 'rollback':
      return 'lost its connection while rolling back its transaction'
    case 'statement':
      return shape.kind === 'transaction' ? 'lost its connection inside its transaction (the server rolls it back)' : 'lost its connection while a statement was running outside a transaction'
  }
}

function retryAdvice(mayHaveApplied: boolean, retryable: boolean): string {
  if (!mayHaveApplied) return '; retryable: check that the database is up and reachable'
  if (retryable) return '; it may have been applied, and is retried because the call was declared idempotent'
  return '; it may have been applied, so it is not retried: make the write idempotent and declare it ({ idempotent: true }), or run it in a transaction whose commit you can check'
}

/**
 * Why the database gave up a statement it will accept later: a deadlock, a
 * serialization failure (another transaction won), a lock wait or statement
 * timeout, SQLite's busy database.
 *
 * @example
 * ```ts
 * import type { SqlTransientReason } from 'weft-sdk/sql'
 * const reason: SqlTransientReason = 'serialization'
 * ```
 */
export type SqlTransientReason = 'deadlock' | 'serialization' | 'lock-timeout' | 'statement-timeout'

/**
 * The database refused a statement for now and rolled it back (with its
 * transaction for a deadlock or a serialization failure): nothing of it was
 * applied, and the same call may succeed later. Always retryable: a
 * transaction is retried from its start.
 *
 * @example
 * ```ts
 * import { SqlTransientError } from 'weft-sdk/sql'
 * declare const error: unknown
 * if (error instanceof SqlTransientError && error.reason === 'deadlock') console.warn('lock rows in one order to avoid deadlocks')
 * ```
 */
export class SqlTransientError extends SqlError {
  readonly code = 'WEFT_SQL_TRANSIENT'
  readonly _tag = 'SqlTransientError'
  override readonly isRetryable = true

  constructor(
    adapter: string,
    operation: string,
    driverCode: string | undefined,
    detail: string,
    /** What the database gave up on. */
    readonly reason: SqlTransientReason,
    options: WeftErrorOptions = {},
  ) {
    super(adapter, operation, driverCode, detail, `adapter "${adapter}": operation "${operation}" was rolled back by the database (${reason}, ${driverCode ?? 'no code'}: ${detail}); retryable: nothing of it was applied`, options)
  }
}

/**
 * Which kind of constraint a write broke.
 *
 * @example
 * ```ts
 * import type { SqlConstraintKind } from 'weft-sdk/sql'
 * const kind: SqlConstraintKind = 'unique'
 * ```
 */
export type SqlConstraintKind = 'unique' | 'foreign-key' | 'not-null' | 'check' | 'exclusion' | 'other'

/**
 * A write broke a constraint (a duplicate key, a missing referenced row, a
 * null in a NOT NULL column, a CHECK). Not retryable: the same write will
 * break it again. A duplicate of the call's idempotency key means the write
 * was already made.
 *
 * @example
 * ```ts
 * import { SqlConstraintError } from 'weft-sdk/sql'
 * declare const error: unknown
 * if (error instanceof SqlConstraintError && error.kind === 'unique') console.log('already recorded', error.constraint)
 * ```
 */
export class SqlConstraintError extends SqlError {
  readonly code = 'WEFT_SQL_CONSTRAINT'
  readonly _tag = 'SqlConstraintError'

  constructor(
    adapter: string,
    operation: string,
    driverCode: string | undefined,
    detail: string,
    /** The kind of constraint. */
    readonly kind: SqlConstraintKind,
    /** The constraint's name, when the driver says it (PostgreSQL does). */
    readonly constraint: string | undefined,
    options: WeftErrorOptions = {},
  ) {
    const which = constraint === undefined ? `a ${kind} constraint` : `the ${kind} constraint "${constraint}"`
    super(adapter, operation, driverCode, detail, `adapter "${adapter}": operation "${operation}" broke ${which} (${driverCode ?? 'no code'}: ${detail}); not retryable: the data written must change`, options)
  }
}

/**
 * Why the database refused a statement for good: `syntax` (SQL it cannot
 * parse), `schema` (a table, column or database that does not exist),
 * `data` (a value of the wrong type, out of range, too long), `access`
 * (authentication or privileges), `other`.
 *
 * @example
 * ```ts
 * import type { SqlStatementReason } from 'weft-sdk/sql'
 * const reason: SqlStatementReason = 'schema'
 * ```
 */
export type SqlStatementReason = 'syntax' | 'schema' | 'data' | 'access' | 'other'

/**
 * The database refused a statement, and will refuse it again: bad SQL, a
 * missing table, bad data, no access. Not retryable: the statement, the
 * data, the schema or the credentials must change.
 *
 * @example
 * ```ts
 * import { SqlStatementError } from 'weft-sdk/sql'
 * declare const error: unknown
 * if (error instanceof SqlStatementError && error.reason === 'schema') console.error('run the migrations first:', error.detail)
 * ```
 */
export class SqlStatementError extends SqlError {
  readonly code = 'WEFT_SQL_STATEMENT'
  readonly _tag = 'SqlStatementError'

  constructor(
    adapter: string,
    operation: string,
    driverCode: string | undefined,
    detail: string,
    /** Why it was refused. */
    readonly reason: SqlStatementReason,
    options: WeftErrorOptions = {},
  ) {
    super(adapter, operation, driverCode, detail, `adapter "${adapter}": operation "${operation}" was refused by the database (${reason}, ${driverCode ?? 'no code'}: ${detail}); not retryable: ${statementFix(reason)}`, options)
  }
}

function statementFix(reason: SqlStatementReason): string {
  switch (reason) {
    case 'syntax':
      return 'fix the SQL'
    case 'schema':
      return 'create the table or column (run your migrations) or fix its name'
    case 'data':
      return 'fix the values written'
    case 'access':
      return 'fix the credentials or grant the privilege'
    case 'other':
      return 'the statement or the database must change'
  }
}

/**
 * The SQL adapter cannot load the driver of its dialect: `pg` for
 * PostgreSQL, `mysql2` for MySQL/MariaDB, `better-sqlite3` for SQLite. They
 * are optional dependencies of Weft; install the one you use.
 *
 * @example
 * ```ts
 * import { SqlAdapter, SqlDriverMissingError } from 'weft-sdk/sql'
 * try {
 *   new SqlAdapter({ name: 'orders', dialect: 'mysql', url: 'mysql://root@127.0.0.1:3306/test' })
 * } catch (error) {
 *   if (error instanceof SqlDriverMissingError) console.error(`run: npm install ${error.driver}`)
 * }
 * ```
 */
export class SqlDriverMissingError extends WeftError {
  readonly code = 'WEFT_SQL_DRIVER_MISSING'
  readonly _tag = 'SqlDriverMissingError'

  constructor(
    /** The adapter's name. */
    readonly adapter: string,
    /** The npm package it needs. */
    readonly driver: 'pg' | 'mysql2' | 'better-sqlite3',
    /** What the loader said. */
    readonly reason: string,
    options: WeftErrorOptions = {},
  ) {
    super(`adapter "${adapter}" needs the "${driver}" package, which could not be loaded (${reason}): run \`npm install ${driver}\``, options)
  }
}
