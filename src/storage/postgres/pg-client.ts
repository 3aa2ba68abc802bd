import { createHash } from 'node:crypto'
import { createRequire } from 'node:module'

/**
 * A query result: the part of `pg`'s `QueryResult` Weft uses.
 *
 * @example
 * ```ts
 * import type { PgQueryable, PgResult } from 'weft-sdk/postgres'
 * declare const db: PgQueryable
 * const result: PgResult<{ n: number }> = await db.query('SELECT 1 AS n')
 * console.log(result.rows[0]?.n, result.rowCount)
 * ```
 */
export interface PgResult<R = Record<string, unknown>> {
  /** The rows returned. */
  readonly rows: R[]
  /** Rows the command processed; `null` for commands that report none. */
  readonly rowCount: number | null
}

/**
 * A query with a statement name: the server parses and plans it once per connection, then reuses the plan.
 *
 * @example
 * ```ts
 * import type { PgQueryable, PgQueryConfig } from 'weft-sdk/postgres'
 * declare const db: PgQueryable
 * const byStatus: PgQueryConfig = { name: 'runs_by_status', text: 'SELECT id FROM weft_runs WHERE status = $1', values: ['failed'] }
 * const result = await db.query(byStatus)
 * ```
 */
export interface PgQueryConfig {
  /** The prepared statement's name. */
  readonly name: string
  /** The SQL text with `$1`-style parameters. */
  readonly text: string
  /** The parameters. */
  readonly values: readonly unknown[]
}

/**
 * Something that runs a parameterized query: a `pg` pool or client.
 *
 * @example
 * ```ts
 * import type { PgQueryable } from 'weft-sdk/postgres'
 * declare const db: PgQueryable
 * const { rows } = await db.query<{ id: string }>('SELECT id FROM weft_runs WHERE workflow = $1', ['orders'])
 * ```
 */
export interface PgQueryable {
  /** Runs a query with `$1`-style parameters. */
  query<R = Record<string, unknown>>(text: string, values?: readonly unknown[]): Promise<PgResult<R>>
  /** Runs a named (prepared) query. */
  query<R = Record<string, unknown>>(config: PgQueryConfig): Promise<PgResult<R>>
}

const statementNames = new Map<string, string>()

/**
 * A named query for `text`: the same text always gets the same name, so each
 * connection prepares it once. Planning Weft's hot statements every time cost
 * as much server time as running them.
 */
export function prepared(text: string, values: readonly unknown[]): PgQueryConfig {
  let name = statementNames.get(text)
  if (name === undefined) {
    name = `weft_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`
    statementNames.set(text, name)
  }
  return { name, text, values }
}

/**
 * A pooled connection: the part of `pg`'s `PoolClient` Weft uses.
 *
 * @example
 * ```ts
 * import type { PgPoolLike } from 'weft-sdk/postgres'
 * declare const pool: PgPoolLike
 * const client = await pool.connect()
 * try { await client.query('SELECT 1') } finally { client.release() }
 * ```
 */
export interface PgClientLike extends PgQueryable {
  /** Returns the connection to the pool; given an error (or `true`), the pool discards it instead. */
  release(error?: Error | boolean): void
  /** Listens for LISTEN/NOTIFY notifications on this connection. */
  on(event: 'notification', listener: (message: { channel: string; payload?: string }) => void): unknown
  /** Listens for errors of this connection. */
  on(event: 'error', listener: (error: Error) => void): unknown
}

/**
 * A connection pool: the part of `pg`'s `Pool` Weft uses, so a user can bring
 * their own (configured, instrumented) pool.
 *
 * @example
 * ```ts
 * import pg from 'pg'
 * import { postgresStore, type PgPoolLike } from 'weft-sdk/postgres'
 * const pool: PgPoolLike = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 5 })
 * const store = postgresStore({ pool })
 * ```
 */
export interface PgPoolLike extends PgQueryable {
  /** Checks a connection out of the pool. */
  connect(): Promise<PgClientLike>
  /** Closes every connection of the pool. */
  end(): Promise<void>
}

const require = createRequire(import.meta.url)

/**
 * The connection option Weft's own pools set (and that a pool of your own
 * should set for the fastest path): prepared statements always run their
 * generic plan. Left to choose, the server replans a statement whose array
 * parameters it can size only in a custom plan (a claim, a batch of steps)
 * on every call, which costs as much as running it. Weft's statements are
 * written so that their generic plans are index lookups whatever the
 * tables' sizes (lateral primary-key probes, partial indexes).
 *
 * @example
 * ```ts
 * import pg from 'pg'
 * import { forceGenericPlans, postgresStore } from 'weft-sdk/postgres'
 *
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, options: forceGenericPlans })
 * const store = postgresStore({ pool })
 * ```
 */
export const forceGenericPlans = '-c plan_cache_mode=force_generic_plan'

/** Creates a `pg` pool for a connection string (`pg` is an optional dependency). */
export function createPgPool(connectionString: string, max: number): PgPoolLike {
  let pg: { Pool: new (config: object) => PgPoolLike & { on(event: 'error', listener: (error: Error) => void): unknown } }
  try {
    pg = require('pg') as typeof pg
  } catch (error) {
    throw new Error('the PostgreSQL store needs the "pg" package: npm install pg', { cause: error })
  }
  const pool = new pg.Pool({ connectionString, max, options: forceGenericPlans })
  // An idle connection the server ends (a restart, a failover, a terminated
  // backend) is an 'error' event of the pool, and an 'error' event nobody
  // listens to ends the process. The pool drops that connection and opens
  // another when a query needs one; the queries themselves report their errors.
  pool.on('error', () => undefined)
  return pool
}
