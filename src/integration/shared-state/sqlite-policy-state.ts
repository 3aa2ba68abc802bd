// Limiter and breaker state in a SQLite file, shared by the processes of one
// machine: each take or admission is one `begin immediate` transaction that
// reads the row, applies the pure transition and writes it back (the same rows
// and transitions as the PostgreSQL state, through row-policy-stores.ts).
import { mkdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, resolve } from 'node:path'
import { Effect } from 'effect'
import { SqliteDriverMissingError } from '../../core/errors.js'
import { toMillis, type Duration as WeftDuration } from '../../core/duration.js'
import type { PolicyStateStore } from '../../resilience/policy-services.js'
import { PolicyRowsError, rowPolicyState, type PolicyRows, type RowChange } from './row-policy-stores.js'

/**
 * Options of {@link sqlitePolicyState}: the file, the table, how long to wait
 * for another process's transaction, and the probe lease.
 *
 * @example
 * ```ts
 * import type { SqlitePolicyStateOptions } from 'weft-sdk'
 * const options: SqlitePolicyStateOptions = { path: './data/limits.db', busyTimeout: '2 s' }
 * ```
 */
export interface SqlitePolicyStateOptions {
  /**
   * The SQLite file (created with its folder when missing). Give it a file of
   * its own, not the engine's database: every take is a write, and writes of
   * one file take turns, so on the engine's file the takes would queue behind
   * step commits and delay them.
   */
  readonly path: string
  /** The table (created when missing). @defaultValue `'weft_policy_state'` */
  readonly table?: string
  /** How long a take waits for another process's transaction on the file before it fails with a retryable `StorageError`. @defaultValue `'5 s'` */
  readonly busyTimeout?: WeftDuration
  /** How long a half-open circuit's probe holds the circuit; a probe whose process died frees it after this. @defaultValue `'30 s'` */
  readonly probeLease?: WeftDuration
}

/**
 * Limiter and breaker state in a SQLite file, shared by every process of one
 * machine that opens the same file: rate limits and circuit breakers of tasks
 * and adapters, and the security layer's per-principal limits, count once for
 * all of them, with no server to run. Each take or admission is one
 * `begin immediate` transaction on the limiter's or circuit's row, applying
 * the same transitions as Effect's stores (and as `postgresPolicyState`);
 * times come from the Effect `Clock` (the machine's clock, which every
 * process on it shares). Expect ~50–100 µs per take on a local disk (a
 * transaction that writes, without an fsync: WAL with `synchronous = normal`).
 *
 * The file is its own, not the engine's: its tables are created by this
 * state, not by Weft's migrations (see {@link SqlitePolicyStateOptions.path}).
 * For processes on several machines use `postgresPolicyState` or
 * `redisPolicyState`.
 *
 * @example
 * ```ts
 * import { createEngine, sqlitePolicyState, sqliteStore } from 'weft-sdk'
 * const engine = createEngine({ store: sqliteStore({ path: './data/weft.db' }), policyState: sqlitePolicyState({ path: './data/weft-limits.db' }) })
 * ```
 * @throws `SqliteDriverMissingError` when better-sqlite3 cannot be loaded; `TypeError` for a table name that is not a plain SQL name.
 */
export function sqlitePolicyState(options: SqlitePolicyStateOptions): PolicyStateStore {
  const table = new SqlitePolicyTable(options)
  const leaseMs = toMillis(options.probeLease ?? '30 s', 'probeLease')
  return rowPolicyState({ kind: 'sqlite', rows: rowsOf(table), leaseMs, synchronous: true, close: async () => table.close(), pruneIdle: async (idleForMs) => table.pruneIdle(Date.now() - idleForMs) })
}

/** The part of better-sqlite3 this state uses. */
interface Connection {
  prepare(sql: string): { get(...parameters: unknown[]): unknown; run(...parameters: unknown[]): unknown }
  exec(sql: string): unknown
  transaction<A>(fn: () => A): { immediate(): A }
  close(): unknown
}

type BetterSqlite3 = new (file: string, options?: { timeout?: number }) => Connection

const require = createRequire(import.meta.url)

/** The table of rows, one per circuit or bucket, each changed in an immediate transaction. */
class SqlitePolicyTable {
  private readonly db: Connection
  private readonly select: ReturnType<Connection['prepare']>
  private readonly write: ReturnType<Connection['prepare']>
  private readonly prune: ReturnType<Connection['prepare']>
  private closed = false

  constructor(options: SqlitePolicyStateOptions) {
    const name = options.table ?? 'weft_policy_state'
    if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new TypeError(`sqlitePolicyState: table "${name}" must be a plain lower-case SQL name`)
    const busyTimeoutMs = toMillis(options.busyTimeout ?? '5 s', 'busyTimeout')
    this.db = openFile(options.path, busyTimeoutMs)
    try {
      retryBusy(() => this.db.exec(`create table if not exists ${name} (key text primary key, state text, updated_at integer not null)`), busyTimeoutMs)
      this.select = this.db.prepare(`select state from ${name} where key = ?`)
      this.write = this.db.prepare(`insert into ${name} (key, state, updated_at) values (?, ?, ?) on conflict (key) do update set state = excluded.state, updated_at = excluded.updated_at`)
      this.prune = this.db.prepare(`delete from ${name} where updated_at < ?`)
    } catch (error) {
      this.db.close()
      throw error
    }
  }

  /** Applies `change` to the row of `key` in one immediate transaction (another process's waits on the file's write lock). */
  update<S, A>(key: string, now: number, change: RowChange<S, A>): A {
    return this.db
      .transaction(() => {
        const before = this.stateOf<S>(key)
        const { state, answer } = change(before, now)
        if (state !== before) this.write.run(key, JSON.stringify(state ?? null), Math.floor(now))
        return answer
      })
      .immediate()
  }

  /** Deletes the rows last written before `before` (epoch milliseconds); how many. */
  pruneIdle(before: number): number {
    return Number((this.prune.run(Math.floor(before)) as { changes: number }).changes)
  }

  /** The row of `key`, without a transaction. */
  read<S>(key: string): S | undefined {
    return this.stateOf<S>(key)
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    this.db.close()
  }

  private stateOf<S>(key: string): S | undefined {
    const row = this.select.get(key) as { state: string | null } | undefined
    return row?.state == null ? undefined : (JSON.parse(row.state) as S | null) ?? undefined
  }
}

/** The table as {@link PolicyRows}, on the Effect `Clock`. */
function rowsOf(table: SqlitePolicyTable): PolicyRows {
  return {
    where: 'SQLite',
    update: (key, change) => Effect.clockWith((clock) => Effect.try({ try: () => table.update(key, clock.currentTimeMillisUnsafe(), change), catch: (cause) => new PolicyRowsError({ cause }) })),
    read: <S>(key: string) => Effect.clockWith((clock) => Effect.try({ try: () => ({ state: table.read<S>(key), now: clock.currentTimeMillisUnsafe() }), catch: (cause) => new PolicyRowsError({ cause }) })),
  }
}

/** Opens the file with better-sqlite3 (loaded on first use, so applications without it load nothing), in WAL mode. */
function openFile(path: string, busyTimeoutMs: number): Connection {
  let Database: BetterSqlite3
  try {
    Database = require('better-sqlite3') as BetterSqlite3
  } catch (error) {
    throw new SqliteDriverMissingError((error as Error).message, { cause: error })
  }
  if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true })
  const db = new Database(path, { timeout: busyTimeoutMs })
  try {
    // Switching a new file to WAL while another process opens it can fail at once with SQLITE_BUSY (no busy handler).
    retryBusy(() => db.exec('pragma journal_mode = wal'), busyTimeoutMs)
    db.exec('pragma synchronous = normal')
    return db
  } catch (error) {
    db.close()
    throw error
  }
}

/** Runs `step` again while it fails with SQLITE_BUSY, for up to `maxWaitMs` (blocking briefly: this runs once, when the state opens). */
function retryBusy(step: () => unknown, maxWaitMs: number): void {
  const deadline = Date.now() + maxWaitMs
  for (let attempt = 1; ; attempt++) {
    try {
      step()
      return
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'SQLITE_BUSY' || Date.now() >= deadline) throw error
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Math.min(2 ** attempt, 50))
    }
  }
}
