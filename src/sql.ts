/**
 * Weft's SQL adapter: a typed `Kysely<DB>` on PostgreSQL (`pg`), MySQL/MariaDB
 * (`mysql2`) or SQLite (`better-sqlite3`), behind an adapter's resilience,
 * health and counters, with drivers' errors classified by what a retry can
 * do about them. A separate entry point so that applications that do not use
 * it never load a driver; each dialect loads only its own driver.
 *
 * @example
 * ```ts
 * import { SqlAdapter } from 'weft-sdk/sql'
 *
 * interface DB { orders: { id: string; total: number } }
 * const orders = new SqlAdapter<DB>({ name: 'orders', dialect: 'postgres', url: process.env['ORDERS_DB_URL'], retry: { maxAttempts: 3 } })
 * const big = await orders.query('big-orders', (db) => db.selectFrom('orders').selectAll().where('total', '>', 100).execute(), { idempotent: true })
 * ```
 *
 * @packageDocumentation
 */
export {
  SqlAdapter,
  type SqlAdapterOptions,
  type SqlPostgresOptions,
  type SqlMysqlOptions,
  type SqlSqliteOptions,
  type SqlCustomDialectOptions,
  type SqlCall,
  type SqlTaskCall,
  type SqlQueryOptions,
  type SqlTransactionOptions,
  type SqlClient,
} from './integration/sql/sql-adapter.js'
export type { SqlPoolOptions, SqlDialectName } from './integration/sql/sql-dialects.js'
export {
  SqlError,
  SqlConnectionError,
  SqlTransientError,
  SqlConstraintError,
  SqlStatementError,
  SqlDriverMissingError,
  type SqlPhase,
  type SqlCallShape,
  type SqlTransientReason,
  type SqlConstraintKind,
  type SqlStatementReason,
} from './core/sql-errors.js'
