import { Effect } from 'effect'
import pg from 'pg'
import { toMillis, type Duration as WeftDuration } from '../../core/duration.js'
import type { PolicyStateStore } from '../../resilience/policy-services.js'
import { PolicyRowsError, rowPolicyState, type PolicyRows, type RowChange } from './row-policy-stores.js'

/**
 * Options of {@link postgresPolicyState}: the database (a connection string,
 * or a pool you own), the table and the probe lease.
 *
 * @example
 * ```ts
 * import type { PostgresPolicyStateOptions } from 'weft-sdk/postgres'
 * const options: PostgresPolicyStateOptions = { connectionString: 'postgres://127.0.0.1/app', maxConnections: 4 }
 * ```
 */
export interface PostgresPolicyStateOptions {
  /** `postgres://…`; Weft opens a pool and closes it on `close()`. */
  readonly connectionString?: string
  /** A `pg` pool you own (Weft leaves closing it to you). */
  readonly pool?: pg.Pool
  /** Connections of the pool Weft opens. @defaultValue `4` */
  readonly maxConnections?: number
  /** The table (created when missing). @defaultValue `'weft_policy_state'` */
  readonly table?: string
  /** How long a half-open circuit's probe holds the circuit; a probe whose process died frees it after this. @defaultValue `'30 s'` */
  readonly probeLease?: WeftDuration
}

/**
 * Limiter and breaker state in a PostgreSQL table, shared by every process
 * that uses the same database: the engine's own PostgreSQL serves (no other
 * server to run). Each limiter take and breaker admission is one short
 * transaction that locks the limiter's or circuit's row (an upsert that
 * returns it), applies the same transition Effect's stores apply, and writes
 * it back; times come from the database's clock, so the workers' clocks need
 * not agree. Expect ~1 ms per limited or guarded call on a local server
 * (Redis: ~0.2 ms).
 *
 * A half-open circuit lets one probe through and holds it for `probeLease`;
 * a probe that runs longer lets a second one in (the Redis state renews its
 * lease). When the database cannot be reached, a limited call fails with a
 * retryable `StorageError` and a breaker lets the call through unrecorded.
 *
 * @example
 * ```ts
 * import { createEngine } from 'weft-sdk'
 * import { postgresPolicyState, postgresStore } from 'weft-sdk/postgres'
 * const url = process.env.DATABASE_URL!
 * const engine = createEngine({ store: postgresStore({ connectionString: url }), policyState: postgresPolicyState({ connectionString: url }) })
 * ```
 */
export function postgresPolicyState(options: PostgresPolicyStateOptions): PolicyStateStore {
  const table = new PolicyTable(options)
  const leaseMs = toMillis(options.probeLease ?? '30 s', 'probeLease')
  return rowPolicyState({ kind: 'postgres', rows: rowsOf(table), leaseMs, close: () => table.close(), pruneIdle: (idleForMs) => table.pruneIdle(idleForMs) })
}

/** The table of rows, one per circuit or bucket, each changed under its row lock. */
class PolicyTable {
  private readonly pool: pg.Pool
  private readonly owned: boolean
  private readonly name: string
  private ready: Promise<void> | undefined
  private closed = false

  constructor(options: PostgresPolicyStateOptions) {
    this.name = options.table ?? 'weft_policy_state'
    if (!/^[a-z_][a-z0-9_]*$/.test(this.name)) throw new TypeError(`postgresPolicyState: table "${this.name}" must be a plain lower-case SQL name`)
    if (options.pool !== undefined) {
      this.pool = options.pool
      this.owned = false
    } else if (options.connectionString !== undefined) {
      this.pool = new pg.Pool({ connectionString: options.connectionString, max: options.maxConnections ?? 4 })
      // An idle connection the server ends is an 'error' event of the pool: the pool drops it; queries report their own errors.
      this.pool.on('error', () => undefined)
      this.owned = true
    } else {
      throw new TypeError('postgresPolicyState needs a connectionString or a pool')
    }
  }

  /** Applies `change` to the row of `key` (created empty when missing) in one transaction, with the database's time in milliseconds. */
  async update<S, A>(key: string, change: RowChange<S, A>): Promise<A> {
    await this.ensureTable()
    const client = await this.pool.connect()
    let broken: unknown
    try {
      await client.query('begin')
      // The upsert locks the row and returns what it holds (null for a new one) with the clock.
      const { rows } = await client.query<{ state: S | null; now: number }>({
        name: `weft-policy-lock-${this.name}`,
        text: `insert into ${this.name} (key, state) values ($1, null) on conflict (key) do update set key = excluded.key returning state, (extract(epoch from clock_timestamp()) * 1000)::float8 as now`,
        values: [key],
      })
      const row = rows[0]!
      const { state, answer } = change(row.state ?? undefined, row.now)
      if (state !== (row.state ?? undefined)) {
        await client.query({ name: `weft-policy-write-${this.name}`, text: `update ${this.name} set state = $2, updated_at = now() where key = $1`, values: [key, JSON.stringify(state ?? null)] })
      }
      await client.query('commit')
      return answer
    } catch (error) {
      broken = error
      await client.query('rollback').catch(() => undefined)
      throw error
    } finally {
      client.release(broken instanceof Error && !('code' in broken) ? broken : undefined)
    }
  }

  /** The row of `key` and the database's time, without locking. */
  async read<S>(key: string): Promise<{ state: S | undefined; now: number }> {
    await this.ensureTable()
    const { rows } = await this.pool.query<{ state: S | null; now: number }>({
      name: `weft-policy-read-${this.name}`,
      text: `select (select state from ${this.name} where key = $1) as state, (extract(epoch from clock_timestamp()) * 1000)::float8 as now`,
      values: [key],
    })
    return { state: rows[0]?.state ?? undefined, now: rows[0]!.now }
  }

  /** Deletes the rows untouched for `idleForMs` by the database's clock; how many. */
  async pruneIdle(idleForMs: number): Promise<number> {
    await this.ensureTable()
    const result = await this.pool.query(`delete from ${this.name} where updated_at < clock_timestamp() - make_interval(secs => $1::float8 / 1000)`, [idleForMs])
    return result.rowCount ?? 0
  }

  /** Ends the pool Weft opened (once; later calls do nothing). */
  async close(): Promise<void> {
    if (!this.owned || this.closed) return
    this.closed = true
    await this.pool.end()
  }

  private ensureTable(): Promise<void> {
    this.ready ??= this.createTable().catch((error: unknown) => {
      this.ready = undefined
      throw error
    })
    return this.ready
  }

  /** Creates the table once per database: two processes creating it at once would collide, so under an advisory lock. */
  private async createTable(): Promise<void> {
    const client = await this.pool.connect()
    try {
      await client.query('begin')
      await client.query(`select pg_advisory_xact_lock(hashtext('weft:${this.name}'))`)
      await client.query(`create table if not exists ${this.name} (key text primary key, state jsonb, updated_at timestamptz not null default now())`)
      await client.query('commit')
    } catch (error) {
      await client.query('rollback').catch(() => undefined)
      throw error
    } finally {
      client.release()
    }
  }
}

/** The table as {@link PolicyRows}: each query a Promise of the pool, its failure the driver's error. */
function rowsOf(table: PolicyTable): PolicyRows {
  const attempt = <A>(query: () => Promise<A>) => Effect.tryPromise({ try: query, catch: (cause) => new PolicyRowsError({ cause }) })
  return {
    where: 'PostgreSQL',
    update: (key, change) => attempt(() => table.update(key, change)),
    read: (key) => attempt(() => table.read(key)),
  }
}
