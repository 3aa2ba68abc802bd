import { Kysely, sql, type AccessMode, type Dialect, type IsolationLevel, type KyselyPlugin, type PluginTransformQueryArgs, type PluginTransformResultArgs, type QueryResult, type RootOperationNode, type Transaction, type UnknownRow } from 'kysely'
import { isWeftError } from '../../core/errors.js'
import type { SqlCallShape } from '../../core/sql-errors.js'
import type { CallContext } from '../../graph/call-context.js'
import { AdapterBase, type AdapterBaseOptions, type CallOptions } from '../adapter-base.js'
import type { CallBody } from '../adapter-policies.js'
import { asCommitFailure, phaseOf, phaseTaggingDialect } from './phase-tagging-dialect.js'
import { buildDialect, type SqlDialectName, type SqlPoolOptions } from './sql-dialects.js'
import { classifySqlError } from './sql-error-classifier.js'

/**
 * An {@link SqlAdapter} on PostgreSQL, through a `pg` pool the adapter
 * creates (install `pg`).
 *
 * @example
 * ```ts
 * import { SqlAdapter, type SqlPostgresOptions } from 'weft-sdk/sql'
 * const options: SqlPostgresOptions = { name: 'orders', dialect: 'postgres', url: 'postgres://app@127.0.0.1:5432/orders', poolSize: 5, timeout: '5 s' }
 * const orders = new SqlAdapter(options)
 * ```
 */
export interface SqlPostgresOptions extends AdapterBaseOptions {
  /** PostgreSQL. */
  readonly dialect: 'postgres'
  /** `postgres://user:password@host:port/database` (its password is redacted from errors and events). */
  readonly url?: string
  /** The server and login, instead of or over the URL. */
  readonly pool?: SqlPoolOptions
  /** Connections in the pool at most. @defaultValue 10 */
  readonly poolSize?: number
}

/**
 * An {@link SqlAdapter} on MySQL or MariaDB, through a `mysql2` pool the
 * adapter creates (install `mysql2`).
 *
 * @example
 * ```ts
 * import { SqlAdapter, type SqlMysqlOptions } from 'weft-sdk/sql'
 * const options: SqlMysqlOptions = { name: 'legacy', dialect: 'mysql', pool: { host: '127.0.0.1', port: 3306, user: 'root', database: 'test' }, poolSize: 4 }
 * const legacy = new SqlAdapter(options)
 * ```
 */
export interface SqlMysqlOptions extends AdapterBaseOptions {
  /** MySQL or MariaDB. */
  readonly dialect: 'mysql'
  /** `mysql://user:password@host:port/database` (its password is redacted from errors and events). */
  readonly url?: string
  /** The server and login, instead of or over the URL. */
  readonly pool?: SqlPoolOptions
  /** Connections in the pool at most. @defaultValue 10 */
  readonly poolSize?: number
}

/**
 * An {@link SqlAdapter} on a SQLite file, through `better-sqlite3` (one
 * connection; statements run one at a time). The file is opened at the
 * first statement.
 *
 * @example
 * ```ts
 * import { SqlAdapter, type SqlSqliteOptions } from 'weft-sdk/sql'
 * const options: SqlSqliteOptions = { name: 'cache', dialect: 'sqlite', file: 'data/cache.sqlite' }
 * const cache = new SqlAdapter(options)
 * ```
 */
export interface SqlSqliteOptions extends AdapterBaseOptions {
  /** SQLite. */
  readonly dialect: 'sqlite'
  /** The database file, or `':memory:'`. */
  readonly file: string
}

/**
 * An {@link SqlAdapter} on a kysely `Dialect` you built (your own pool, a
 * dialect from another package). `close()` destroys it, pool included.
 *
 * @example
 * ```ts
 * import pg from 'pg'
 * import { PostgresDialect } from 'kysely'
 * import { SqlAdapter, type SqlCustomDialectOptions } from 'weft-sdk/sql'
 * const options: SqlCustomDialectOptions = { name: 'reports', dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: process.env['REPORTS_URL'] }) }) }
 * const reports = new SqlAdapter(options)
 * ```
 */
export interface SqlCustomDialectOptions extends AdapterBaseOptions {
  /** A kysely dialect. */
  readonly dialect: Dialect
}

/**
 * Options of {@link SqlAdapter}: its name, its database (one of the four
 * shapes), and the resilience of its calls ({@link AdapterBaseOptions}).
 *
 * @example
 * ```ts
 * import type { SqlAdapterOptions } from 'weft-sdk/sql'
 * const options: SqlAdapterOptions = {
 *   name: 'orders',
 *   dialect: 'postgres',
 *   url: process.env['ORDERS_DB_URL'],
 *   retry: { maxAttempts: 3, backoff: { initial: '50 ms', max: '1 s' } },
 *   timeout: '10 s',
 *   operations: { 'monthly-report': { timeout: '2 m' } },
 * }
 * ```
 */
export type SqlAdapterOptions = SqlPostgresOptions | SqlMysqlOptions | SqlSqliteOptions | SqlCustomDialectOptions

/**
 * What a call's callback receives besides the database: the signal of the
 * attempt (it fires on a timeout or when the task is cancelled), the call's
 * idempotency key, and the attempt's number (1 for the first).
 *
 * @example
 * ```ts
 * import type { SqlCall } from 'weft-sdk/sql'
 * const describe = (call: SqlCall) => `attempt ${call.attempt}, key ${call.idempotencyKey ?? 'none'}`
 * ```
 */
export interface SqlCall {
  /** The attempt's signal; `undefined` when the call has no timeout and no caller signal. */
  readonly signal: AbortSignal | undefined
  /** The key given with the call (`ctx.use(adapter)` gives one per call); the same for every attempt of the call. */
  readonly idempotencyKey: string | undefined
  /** The attempt, from 1. */
  readonly attempt: number
}

/**
 * What a callback receives through `ctx.use(sql)`: {@link SqlCall} with the
 * task's idempotency key for this call (`<ctx.idempotencyKey>:<adapter>:<n>`,
 * the same when the task is retried) and the attempt's signal.
 *
 * @example
 * ```ts
 * import type { SqlTaskCall } from 'weft-sdk/sql'
 * const keyOf = (call: SqlTaskCall): string => call.idempotencyKey // always set
 * ```
 */
export interface SqlTaskCall extends SqlCall {
  /** The attempt's signal. */
  readonly signal: AbortSignal
  /** This call's idempotency key. */
  readonly idempotencyKey: string
}

/**
 * Options of one `query`.
 *
 * @example
 * ```ts
 * import type { SqlQueryOptions } from 'weft-sdk/sql'
 * const read: SqlQueryOptions = { idempotent: true } // a read: retried even if the connection drops mid-statement
 * ```
 */
export interface SqlQueryOptions {
  /**
   * Repeating the call does no harm (a read, an upsert, an insert that skips
   * an existing idempotency key): a connection lost while a statement or a
   * COMMIT was in flight is then retried too. @defaultValue false
   */
  readonly idempotent?: boolean
}

/**
 * Options of one `transaction`.
 *
 * @example
 * ```ts
 * import type { SqlTransactionOptions } from 'weft-sdk/sql'
 * const options: SqlTransactionOptions = { isolationLevel: 'serializable', idempotent: true }
 * ```
 */
export interface SqlTransactionOptions extends SqlQueryOptions {
  /** The transaction's isolation level. @defaultValue the database's */
  readonly isolationLevel?: IsolationLevel
  /** `'read only'` or `'read write'`. @defaultValue the database's */
  readonly accessMode?: AccessMode
}

/**
 * What `ctx.use(sql)` returns: the adapter's calls bound to the task
 * attempt. Each call carries the attempt's signal and an idempotency key of
 * its own, given to the callback; results keep kysely's types.
 *
 * @example
 * ```ts
 * import type { SqlClient } from 'weft-sdk/sql'
 * interface DB { payments: { key: string; amount: number } }
 * declare const db: SqlClient<DB> // ctx.use(this.sql) in a task
 * await db.transaction('record-payment', async (trx, call) => {
 *   await trx.insertInto('payments').values({ key: call.idempotencyKey, amount: 5 }).execute()
 * })
 * const rows = await db.query('list-payments', (q) => q.selectFrom('payments').selectAll().execute(), { idempotent: true })
 * ```
 */
export interface SqlClient<DB> {
  /** Like {@link SqlAdapter.query}, bound to the attempt. */
  query<R>(operation: string, run: (db: Kysely<DB>, call: SqlTaskCall) => Promise<R>, options?: SqlQueryOptions): Promise<R>
  /** Like {@link SqlAdapter.transaction}, bound to the attempt. */
  transaction<R>(operation: string, run: (trx: Transaction<DB>, call: SqlTaskCall) => Promise<R>, options?: SqlTransactionOptions): Promise<R>
}

/** A settled attempt, kept so that a retry never overlaps the attempt it replaces. */
type Settled<R> = { readonly ok: true; readonly value: R } | { readonly ok: false; readonly error: unknown }

/**
 * A typed `Kysely<DB>` on PostgreSQL (`pg`), MySQL/MariaDB (`mysql2`) or
 * SQLite (`better-sqlite3`) behind the adapter port: counters per
 * operation, `health()` as a real `select 1`, the task policies (retry,
 * timeout, breaker, rate limit, bulkhead) per adapter and per operation,
 * and drivers' errors classified into {@link SqlError}s.
 *
 * Retries happen only where they are safe:
 * - a `transaction` is retried from its start (the callback runs again, on a
 *   new connection) after a deadlock, a serialization failure, a lock
 *   timeout, or a connection lost before its COMMIT: the server rolled it back;
 * - a `query` (autocommitted) is retried after errors that say its
 *   statement did not apply: the connection refused, a deadlock, a
 *   serialization failure, a lock timeout. A connection lost while its
 *   statement, or a transaction's COMMIT, was in flight is retried only when
 *   the call is declared `idempotent`;
 * - constraint violations, bad SQL, bad data and refused access are never
 *   retried;
 * - an attempt cut by its timeout may still be running: the retry waits for
 *   it to settle (the wait counts against the retry's own timeout), returns
 *   its result if it succeeded after all (a statement that completed, a
 *   COMMIT that was in flight), and stops if its failure is not safe to
 *   repeat; so a cut attempt and its retry never both apply.
 *
 * Cancellation: the attempt's signal (task cancelled, timeout) stops the
 * call before its next statement, and a transaction whose callback returns
 * after it fired rolls back instead of committing. A
 * statement already sent runs to its end on the server (kysely 0.28 has no
 * way to cancel it) and its result is discarded; a COMMIT already sent
 * completes. Errors your callback throws itself pass through unchanged and
 * follow the retry policy like a task's errors: a `query` callback should
 * make one write (reads before it are fine); put several writes in a
 * `transaction`.
 *
 * @example
 * ```ts
 * import { createEngine, defineWorkflow } from 'weft-sdk'
 * import { SqlAdapter } from 'weft-sdk/sql'
 *
 * interface DB { orders: { id: string; total: number; status: string } }
 * const sql = new SqlAdapter<DB>({ name: 'orders', dialect: 'sqlite', file: ':memory:', retry: { maxAttempts: 3 } })
 * await sql.db.schema.createTable('orders').ifNotExists().addColumn('id', 'text', (c) => c.primaryKey()).addColumn('total', 'integer').addColumn('status', 'text').execute()
 *
 * const PlaceOrder = defineWorkflow<{ total: number }>({ name: 'place-order', version: 1 })
 *   .services({ sql: SqlAdapter<DB> })
 *   .task('insert', async (input, ctx) =>
 *     ctx.use(ctx.services.sql).transaction('place', async (trx, call) => {
 *       await trx.insertInto('orders').values({ id: call.idempotencyKey, total: input.total, status: 'new' }).onConflict((c) => c.doNothing()).execute()
 *       return call.idempotencyKey
 *     }),
 *   )
 *   .build()
 *
 * const engine = createEngine({ adapters: [sql] })
 * const result = await engine.run(PlaceOrder, { total: 42 })
 * await engine.close() // closes the adapter and its pool
 * ```
 */
export class SqlAdapter<DB> extends AdapterBase<SqlClient<DB>> {
  readonly kind = 'sql'
  /** The dialect: `postgres`, `mysql`, `sqlite`, or `custom` for a kysely `Dialect` you gave. */
  readonly dialect: SqlDialectName
  /**
   * The typed kysely instance itself, outside the adapter's policies: for
   * migrations and set-up. Calls through it are not counted, retried,
   * classified or bound to a task; use `query` and `transaction` for those.
   */
  readonly db: Kysely<DB>

  /** @throws SqlDriverMissingError when the dialect's driver is not installed; TypeError or InvalidOptionsError for bad options. */
  constructor(options: SqlAdapterOptions) {
    super(options)
    const built = buildDialect(options)
    for (const secret of built.secrets) this.addSecret(secret)
    this.dialect = built.name
    this.db = new Kysely<DB>({ dialect: phaseTaggingDialect(built.dialect) })
  }

  /**
   * Runs `run(db, call)` under the policies of `operation`: autocommitted
   * statements (one write per call; see the class's retry rule).
   * @throws an {@link SqlError} (classified), what `run` threw, a policy's error, `AdapterClosedError` after `close()`.
   */
  query<R>(operation: string, run: (db: Kysely<DB>, call: SqlCall) => Promise<R>, options: SqlQueryOptions = {}, call: CallOptions = {}): Promise<R> {
    const shape: SqlCallShape = { kind: 'query', idempotent: options.idempotent === true }
    return this.call(operation, call, this.attempts(operation, shape, async (signal, attempt) => run(this.guarded(signal), { signal, idempotencyKey: call.idempotencyKey, attempt })))
  }

  /**
   * Runs `run(trx, call)` in one transaction under the policies of
   * `operation`: committed when it resolves, rolled back when it throws;
   * a retry runs it again from its start on a new connection.
   * @throws an {@link SqlError} (classified), what `run` threw, a policy's error, `AdapterClosedError` after `close()`.
   */
  transaction<R>(operation: string, run: (trx: Transaction<DB>, call: SqlCall) => Promise<R>, options: SqlTransactionOptions = {}, call: CallOptions = {}): Promise<R> {
    const shape: SqlCallShape = { kind: 'transaction', idempotent: options.idempotent === true }
    return this.call(operation, call, this.attempts(operation, shape, (signal, attempt) => this.runTransaction(options, signal, (trx) => run(trx, { signal, idempotencyKey: call.idempotencyKey, attempt }))))
  }

  bind(call: CallContext): SqlClient<DB> {
    const bound = (): CallOptions => ({ signal: call.signal, idempotencyKey: call.nextIdempotencyKey(this.name) })
    // The bound calls always carry a signal and a key, so the callback's SqlCall is a SqlTaskCall.
    return {
      query: (operation, run, options) => this.query(operation, run as (db: Kysely<DB>, call: SqlCall) => Promise<never>, options, bound()),
      transaction: (operation, run, options) => this.transaction(operation, run as (trx: Transaction<DB>, call: SqlCall) => Promise<never>, options, bound()),
    }
  }

  protected async ping(signal: AbortSignal): Promise<void> {
    const shape: SqlCallShape = { kind: 'query', idempotent: true }
    await this.classified('health', shape, () => untilAborted(sql`select 1`.execute(this.db), signal))
  }

  protected override async closeConnections(): Promise<void> {
    await this.db.destroy()
  }

  /**
   * The body of a call's attempts. An attempt starts only once the one before
   * it has settled (a timeout abandons an attempt that may still run): if that
   * one succeeded after all, its result is the call's; if it failed in a way
   * that is not safe to repeat, the call fails with that.
   */
  private attempts<R>(operation: string, shape: SqlCallShape, once: CallBody<R>): CallBody<R> {
    let previous: Promise<Settled<R>> | undefined
    return async (signal, attempt) => {
      signal?.throwIfAborted()
      if (previous !== undefined) {
        const settled = await previous
        if (settled.ok) return settled.value
        if (isWeftError(settled.error) && !settled.error.isRetryable) throw settled.error
      }
      const running = this.classified(operation, shape, () => once(signal, attempt))
      previous = running.then(
        (value): Settled<R> => ({ ok: true, value }),
        (error: unknown): Settled<R> => ({ ok: false, error }),
      )
      return running
    }
  }

  /** Runs `step`, turning a driver's error into the adapter's classified error. */
  private async classified<R>(operation: string, shape: SqlCallShape, step: () => Promise<R>): Promise<R> {
    try {
      return await step()
    } catch (error) {
      throw classifySqlError(error, { adapter: this.name, operation, shape, phase: phaseOf(error) ?? 'statement', redact: (text) => this.redact(text) })
    }
  }

  /**
   * One transaction, rolled back instead of committed when the attempt was
   * cut while its callback ran. A failure after the callback returned is the COMMIT's
   * (its outcome may be unknown); when the rollback after a failed callback
   * fails too, the callback's error is the one reported.
   */
  private async runTransaction<R>(options: SqlTransactionOptions, signal: AbortSignal | undefined, run: (trx: Transaction<DB>) => Promise<R>): Promise<R> {
    let builder = this.guarded(signal).transaction()
    if (options.isolationLevel !== undefined) builder = builder.setIsolationLevel(options.isolationLevel)
    if (options.accessMode !== undefined) builder = builder.setAccessMode(options.accessMode)
    let body: { readonly done: true } | { readonly error: unknown } | undefined
    try {
      return await builder.execute(async (trx) => {
        try {
          const value = await run(trx)
          // An attempt cut while its callback ran (timeout, cancellation) rolls back instead of committing late.
          signal?.throwIfAborted()
          body = { done: true }
          return value
        } catch (error) {
          body = { error }
          throw error
        }
      })
    } catch (error) {
      if (body !== undefined && 'done' in body) throw asCommitFailure(error)
      throw body?.error ?? error
    }
  }

  /** The kysely instance for one attempt: a statement that would start after `signal` fired throws its reason instead. */
  private guarded(signal: AbortSignal | undefined): Kysely<DB> {
    return signal === undefined ? this.db : this.db.withPlugin(new AbortBeforeStatement(signal))
  }
}

/** Stops a statement from starting once the attempt's signal has fired. */
class AbortBeforeStatement implements KyselyPlugin {
  constructor(private readonly signal: AbortSignal) {}

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    this.signal.throwIfAborted()
    return args.node
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result
  }
}

/** `work`, or the signal's reason as soon as it fires (the work itself goes on). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}
