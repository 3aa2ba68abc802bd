import { mkdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, resolve } from 'node:path'
import { CompiledQuery, SqliteAdapter, SqliteDriver, SqliteIntrospector, SqliteQueryCompiler, type DatabaseConnection, type Dialect, type Kysely } from 'kysely'
import { SqliteDriverMissingError } from '../../core/errors.js'
import { withStoreRetrySync, type StoreRetryPolicy } from '../store-retry.js'
import { sqliteBusyRetry } from './sqlite-errors.js'

/** The result of running a statement. */
export interface SqliteRunResult {
  /** Rows the statement inserted, updated or deleted. */
  readonly changes: number | bigint
  /** The rowid of the last row inserted. */
  readonly lastInsertRowid: number | bigint
}

/** A prepared statement: the part of better-sqlite3's `Statement` Weft uses. */
export interface SqliteStatementLike {
  /** Whether the statement returns rows. */
  readonly reader: boolean
  /** Runs a statement that returns no rows, with these parameters. */
  run(...parameters: unknown[]): SqliteRunResult
  /** Runs the statement and returns its first row, or `undefined` when there is none. */
  get(...parameters: unknown[]): unknown
  /** Runs the statement and returns every row. */
  all(...parameters: unknown[]): unknown[]
  /** Runs the statement and iterates its rows one by one. */
  iterate(...parameters: unknown[]): IterableIterator<unknown>
}

/**
 * A SQLite connection: the part of better-sqlite3's `Database` Weft uses,
 * so a user can bring their own (configured, instrumented) connection.
 */
export interface SqliteDatabaseLike {
  /** Compiles one SQL statement. */
  prepare(sql: string): SqliteStatementLike
  /** Runs SQL text (one or more statements) without parameters. */
  exec(sql: string): unknown
  /** Closes the connection. */
  close(): unknown
}

const require = createRequire(import.meta.url)

/**
 * Opens a better-sqlite3 database file (creating its folder), or `:memory:`;
 * `readOnly` opens an existing file for reading only (nothing is created).
 */
export function openSqliteFile(path: string, readOnly = false, load: (id: string) => unknown = require): SqliteDatabaseLike {
  const Database = loadingDriver(() => load('better-sqlite3') as BetterSqlite3)
  if (readOnly) return loadingDriver(() => new Database(path, { readonly: true, fileMustExist: true }))
  if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true })
  return loadingDriver(() => new Database(path))
}

/** better-sqlite3's `Database` constructor, as Weft calls it. */
type BetterSqlite3 = new (file: string, options?: { readonly?: boolean; fileMustExist?: boolean }) => SqliteDatabaseLike

/**
 * Runs `step`, turning a failure to load better-sqlite3 or its native addon
 * (which it loads on the first `new Database`) into a `SqliteDriverMissingError`;
 * any other error (a file that cannot be opened) goes through unchanged.
 */
function loadingDriver<T>(step: () => T): T {
  try {
    return step()
  } catch (error) {
    if (isDriverLoadFailure(error)) throw new SqliteDriverMissingError(error.message, { cause: error })
    throw error
  }
}

/** The package is missing, its addon was never built, or was built for another Node.js. */
function isDriverLoadFailure(error: unknown): error is Error {
  if (!(error instanceof Error)) return false
  const code = (error as { code?: unknown }).code
  if (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') return /better-sqlite3|better_sqlite3/.test(error.message)
  return code === 'ERR_DLOPEN_FAILED' || /Could not locate the bindings file|NODE_MODULE_VERSION/.test(error.message)
}

/**
 * Settings applied to every connection: a busy timeout, WAL, synchronous level, foreign keys.
 * The busy timeout comes first: switching a new file to WAL takes a lock that
 * another process opening the file at the same moment must wait for.
 */
export function configureSqlite(db: SqliteDatabaseLike, busyTimeoutMs: number, synchronous: 'normal' | 'full', readOnly = false): void {
  db.exec(`pragma busy_timeout = ${Math.floor(busyTimeoutMs)}`)
  if (readOnly) {
    // A reader changes nothing: not even the journal mode (switching to WAL writes the file).
    db.exec('pragma query_only = on')
    return
  }
  withStoreRetrySync(() => db.exec(`pragma journal_mode = wal`), walSwitchRetry(busyTimeoutMs))
  db.exec(`pragma synchronous = ${synchronous}`)
  db.exec(`pragma foreign_keys = on`)
}

/**
 * Switching a new file to WAL while another process opens the same file can
 * fail with SQLITE_BUSY at once, without SQLite calling its busy handler (the
 * busy timeout does not cover it): retried for up to the busy timeout, with
 * waits that block the thread briefly (this runs once, when a store opens).
 */
function walSwitchRetry(busyTimeoutMs: number): StoreRetryPolicy {
  return sqliteBusyRetry(busyTimeoutMs, (attempt) => Math.min(2 ** (attempt - 1), 50))
}

/** Kysely's SQLite driver, but transactions take the write lock at once (`begin immediate`). */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'))
  }
}

/**
 * Kysely's SQLite adapter says SQLite has no transactional DDL, so its
 * Migrator would run migrations outside any transaction, and two processes
 * starting on a new file would both create the tables ("table weft_runs
 * already exists"). SQLite does roll back DDL: migrations run in one transaction.
 */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true
  }
}

/**
 * Kysely's SQLite dialect with immediate transactions. Migrations run in one:
 * a second process starting at the same moment waits for the first to finish
 * instead of both reading "not applied" and one of them failing with SQLITE_BUSY.
 */
export class ImmediateSqliteDialect implements Dialect {
  constructor(private readonly database: SqliteDatabaseLike) {}

  createDriver() {
    return new ImmediateSqliteDriver({ database: this.database as never })
  }

  createQueryCompiler() {
    return new SqliteQueryCompiler()
  }

  createAdapter() {
    return new TransactionalDdlSqliteAdapter()
  }

  createIntrospector(db: Kysely<unknown>) {
    return new SqliteIntrospector(db)
  }
}
