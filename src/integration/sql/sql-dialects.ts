// Builds the kysely Dialect an SqlAdapter's options describe, loading the
// dialect's driver only then (createRequire: synchronous, so a missing driver
// fails the constructor, not the first call).
import { createRequire } from 'node:module'
import { MysqlDialect, PostgresDialect, SqliteDialect, type Dialect, type SqliteDatabase, type PostgresPool, type MysqlPool as KyselyMysqlPool } from 'kysely'
import { passwordsOf } from '../../core/connection-url.js'
import { toMillis, type Duration } from '../../core/duration.js'
import { SqlDriverMissingError } from '../../core/sql-errors.js'

/**
 * Where a PostgreSQL or MySQL/MariaDB server is and how to log in, when
 * not given as a URL (fields given here win over the URL's).
 *
 * @example
 * ```ts
 * import type { SqlPoolOptions } from 'weft-sdk/sql'
 * const pool: SqlPoolOptions = { host: 'db.internal', port: 5432, user: 'app', password: process.env['DB_PASSWORD'], database: 'orders', connectTimeout: '5 s' }
 * ```
 */
export interface SqlPoolOptions {
  /** The server's host name or address. @defaultValue the driver's (`localhost`) */
  readonly host?: string
  /** Its port. @defaultValue 5432 (PostgreSQL), 3306 (MySQL) */
  readonly port?: number
  /** The user to log in as. */
  readonly user?: string
  /** Its password: redacted from every error and event of the adapter. */
  readonly password?: string
  /** The database to use. */
  readonly database?: string
  /** TLS: `true`, or the driver's TLS options object (node:tls `ConnectionOptions`). @defaultValue off */
  readonly ssl?: boolean | Readonly<Record<string, unknown>>
  /** How long to wait for a new connection. @defaultValue `'10 s'` */
  readonly connectTimeout?: Duration
  /** How long an idle connection stays in the pool. @defaultValue `'30 s'` (PostgreSQL), `'60 s'` (MySQL) */
  readonly idleTimeout?: Duration
}

/**
 * Which database an {@link SqlAdapter} talks to: the three it builds itself,
 * or `custom` for a kysely `Dialect` given ready-made.
 *
 * @example
 * ```ts
 * import { SqlAdapter, type SqlDialectName } from 'weft-sdk/sql'
 * const sql = new SqlAdapter({ name: 'cache', dialect: 'sqlite', file: ':memory:' })
 * const dialect: SqlDialectName = sql.dialect // 'sqlite'
 * ```
 */
export type SqlDialectName = 'postgres' | 'mysql' | 'sqlite' | 'custom'

/** What the adapter needs to connect: the dialect's options, as {@link SqlAdapterOptions} carries them. */
export interface DialectOptions {
  readonly name: string
  readonly dialect: 'postgres' | 'mysql' | 'sqlite' | Dialect
  readonly url?: string
  readonly pool?: SqlPoolOptions
  readonly poolSize?: number
  readonly file?: string
}

/** A built dialect, its name, and the secrets its options hold. */
export interface BuiltDialect {
  readonly dialect: Dialect
  readonly name: SqlDialectName
  readonly secrets: readonly string[]
}

const require = createRequire(import.meta.url)

/** The Dialect for `options`, its driver loaded. @throws SqlDriverMissingError, TypeError for options that name no database */
export function buildDialect(options: DialectOptions, load: (id: string) => unknown = require): BuiltDialect {
  const { dialect } = options
  if (typeof dialect === 'object') return { dialect, name: 'custom', secrets: [] }
  const secrets = secretsOf(options)
  switch (dialect) {
    case 'postgres':
      return { dialect: new PostgresDialect({ pool: postgresPool(options, load) }), name: 'postgres', secrets }
    case 'mysql':
      return { dialect: new MysqlDialect({ pool: mysqlPool(options, load) }), name: 'mysql', secrets }
    case 'sqlite':
      return { dialect: sqliteDialect(options, load), name: 'sqlite', secrets }
    default:
      throw new TypeError(`adapter "${options.name}": dialect must be 'postgres', 'mysql', 'sqlite' or a kysely Dialect, got ${JSON.stringify(dialect)}`)
  }
}

/** The passwords in the options: the pool's, and the URL's as written (percent-encoded) and decoded. */
function secretsOf(options: DialectOptions): string[] {
  const secrets: string[] = []
  if (options.pool?.password) secrets.push(options.pool.password)
  if (options.url !== undefined) {
    if (!URL.canParse(options.url)) throw new TypeError(`adapter "${options.name}": url is not a URL; write it as <dialect>://user:password@host:port/database`)
    secrets.push(...passwordsOf(options.url))
  }
  return secrets
}

function loadDriver<T>(adapter: string, driver: 'pg' | 'mysql2' | 'better-sqlite3', load: (id: string) => unknown): T {
  try {
    return load(driver) as T
  } catch (error) {
    throw new SqlDriverMissingError(adapter, driver, error instanceof Error ? error.message : String(error), { cause: error })
  }
}

/** The part of `pg` the adapter uses. */
interface PgModule {
  readonly Pool: new (config: object) => PgPool
}
type PgPool = PostgresPool & {
  on(event: 'error', listener: (error: Error) => void): unknown
  on(event: 'connect', listener: (client: { on(event: 'error', listener: (error: Error) => void): unknown }) => void): unknown
}

function postgresPool(options: DialectOptions, load: (id: string) => unknown): PgPool {
  const pg = loadDriver<PgModule>(options.name, 'pg', load)
  const pool = options.pool ?? {}
  const created = new pg.Pool({
    ...(options.url === undefined ? {} : { connectionString: options.url }),
    ...definedOnly({ host: pool.host, port: pool.port, user: pool.user, password: pool.password, database: pool.database, ssl: pool.ssl }),
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: toMillis(pool.connectTimeout ?? '10 s', 'pool.connectTimeout'),
    idleTimeoutMillis: toMillis(pool.idleTimeout ?? '30 s', 'pool.idleTimeout'),
  })
  // A connection the server ends (a restart, pg_terminate_backend) is an 'error' event of its client, idle or checked
  // out, and an 'error' event nobody listens to ends the process. The statement that next uses the client fails
  // ("not queryable"), is classified as a lost connection, and the pool replaces the client.
  created.on('error', ignore)
  created.on('connect', (client) => client.on('error', ignore))
  return created
}

/** The part of `mysql2` the adapter uses. */
interface MysqlModule {
  createPool(config: object): MysqlPool
}
type MysqlPool = KyselyMysqlPool & {
  on(event: 'connection', listener: (connection: { on(event: 'error', listener: (error: Error) => void): unknown }) => void): unknown
}

function mysqlPool(options: DialectOptions, load: (id: string) => unknown): MysqlPool {
  const mysql = loadDriver<MysqlModule>(options.name, 'mysql2', load)
  const pool = options.pool ?? {}
  const created = mysql.createPool({
    ...(options.url === undefined ? {} : { uri: options.url }),
    ...definedOnly({ host: pool.host, port: pool.port, user: pool.user, password: pool.password, database: pool.database, ssl: pool.ssl === true ? {} : pool.ssl || undefined }),
    connectionLimit: options.poolSize ?? 10,
    connectTimeout: toMillis(pool.connectTimeout ?? '10 s', 'pool.connectTimeout'),
    idleTimeout: toMillis(pool.idleTimeout ?? '60 s', 'pool.idleTimeout'),
  })
  // As for pg: a session the server kills is an 'error' event of its connection; the next statement reports it.
  created.on('connection', (connection) => connection.on('error', ignore))
  return created
}

/** better-sqlite3's `Database` constructor, as the adapter calls it. */
type BetterSqlite3 = new (file: string) => SqliteDatabase

function sqliteDialect(options: DialectOptions, load: (id: string) => unknown): Dialect {
  if (typeof options.file !== 'string' || options.file === '') throw new TypeError(`adapter "${options.name}": the sqlite dialect needs a file (or ':memory:')`)
  const Database = loadDriver<BetterSqlite3>(options.name, 'better-sqlite3', load)
  const file = options.file
  // Opened at the first statement: a file that cannot be opened is reported by health() and the call, not the constructor.
  return new SqliteDialect({ database: async () => new Database(file) })
}

function definedOnly(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined))
}

function ignore(): void {}
