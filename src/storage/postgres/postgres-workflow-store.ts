import type { OutboxStore } from '../outbox-store.js'
import type { LocalUserStore, SessionStore } from '../session-store.js'
import { PgSessions } from './pg-sessions.js'
import { PgSettings } from './pg-settings.js'
import { PgHistory } from './pg-history.js'
import { completeStepHistory, stepHistoryBatch, type StepHistoryCompletion } from './pg-step-history.js'
import type { HistoryStore } from '../history-store.js'
import { backlogOf, backlogSql, type BacklogRow, type BacklogStore } from '../backlog-store.js'
import type { SettingsStore } from '../settings-store.js'
import type { AuditStore } from '../audit-store.js'
import { randomBytes } from 'node:crypto'
import { Kysely, Migrator, PostgresDialect } from 'kysely'
import { withoutPassword } from '../../core/connection-url.js'
import { NotAWeftDatabaseError } from '../../core/errors.js'
import { ComposedWorkflowStore } from '../composed-workflow-store.js'
import { defaultSerializationLimits, type SerializationLimits } from '../serialization.js'
import { assertKnownMigrations, migrationTable, probeBytes, weftMigrationProvider } from '../sql/migrations.js'
import type { ValueCodec } from '../value-codec.js'
import { recordKeyIds } from '../key-ids-setting.js'
import { reencryptValues, valueKeyUsage, type KeyUsage, type ReencryptOptions, type RotationDriver, type RotationProgress } from '../sql/value-rotation.js'
import { createPgPool, type forceGenericPlans, type PgPoolLike } from './pg-client.js'
import { PgContext, shared } from './pg-context.js'
import { PgEvents } from './pg-events.js'
import { PgOutbox } from './pg-outbox.js'
import { PgAudit } from './pg-audit.js'
import { PgJournal } from './pg-journal.js'
import { PgLeases } from './pg-leases.js'
import { PgRuns } from './pg-runs.js'

/**
 * Options of {@link postgresStore}: a connection string, or a pool of your own.
 *
 * @example
 * ```ts
 * import { postgresStore } from 'weft-sdk/postgres'
 * const store = postgresStore({ connectionString: process.env.DATABASE_URL!, maxConnections: 20, limits: { warnBytes: 64_000, maxBytes: 1_000_000 } })
 * const readOnly = postgresStore({ connectionString: process.env.DATABASE_URL!, migrate: false })
 * ```
 */
export type PostgresStoreOptions = (
  | {
      /**
       * The database to connect to, e.g. `postgres://user:secret@db.internal:5432/weft`.
       * Weft's pool sets `plan_cache_mode` through the `options` startup
       * parameter ({@link forceGenericPlans}); a proxy that refuses it
       * (PgBouncer without `ignore_startup_parameters = options`) needs a pool of your own.
       */
      readonly connectionString: string
      /** Not given with a connection string. */
      readonly pool?: undefined
    }
  | {
      /**
       * A `pg` pool (or compatible) you configured; Weft does not end it.
       * Give its connections `options: forceGenericPlans` for the fastest
       * path (see {@link forceGenericPlans}).
       */
      readonly pool: PgPoolLike
      /** Not given with a pool. */
      readonly connectionString?: undefined
    }
) & {
  /** Connections in the pool Weft creates. @defaultValue `10` */
  readonly maxConnections?: number
  /** Size limits of stored inputs, outputs and event payloads. @defaultValue warn at 256 KiB, fail at 2 MiB */
  readonly limits?: SerializationLimits
  /**
   * How stored values are encoded: give the payload codec of your keys
   * (`createPayloadCodec(envKeyProvider())`) to encrypt run inputs, step
   * outputs and attempt histories, event payloads, outbox payloads, error
   * records and recorded roles. Limits apply to the clear text. The key ids
   * of a codec that exposes them (never the keys) are recorded in the store's
   * settings when `init()` migrates (see `keysSettingName`).
   * @defaultValue values stored as serialized (clear); an encrypted value then fails to read with a `SecurityConfigError`
   */
  readonly codec?: ValueCodec
  /**
   * Whether `init()` migrates the database to this version's schema; when
   * false it only checks that it is a Weft database no newer than this
   * version (commands that read or change runs but must not change the schema).
   * @defaultValue `true`
   */
  readonly migrate?: boolean
}

/**
 * The {@link store!WorkflowStore} for many workers on many machines sharing one
 * PostgreSQL database. Runs are claimed with `FOR UPDATE SKIP LOCKED` in a
 * CTE, held by leases, and every write of a worker is fenced by the epoch of
 * its claim, checked by the database in the same statement. Step records of
 * runs finishing tasks together share one statement and one commit.
 * LISTEN/NOTIFY wakes idle workers and waiting handles. Each role of the port
 * is a file of its own (pg-runs, pg-leases, pg-journal, pg-events); this
 * class migrates, probes and closes the database.
 *
 * @example
 * ```ts
 * import { createEngine } from 'weft-sdk'
 * import { postgresStore } from 'weft-sdk/postgres'
 * const engine = createEngine({ store: postgresStore({ connectionString: process.env.DATABASE_URL! }) })
 * ```
 */
export class PostgresWorkflowStore extends ComposedWorkflowStore {
  /** Runs survive the process: they are in the database. */
  readonly durable = true
  /** The durable outbox (see `OutboxStore`): entries inserted with their steps, claimed with `FOR UPDATE SKIP LOCKED`. */
  readonly outbox: OutboxStore
  /** Sessions and refresh tokens (see `SessionStore`): a rotation is one transaction racing on `used_at is null`. */
  readonly sessions: SessionStore
  /** Local users and login attempts (see `LocalUserStore`). */
  readonly localUsers: LocalUserStore
  /** The append-only audit log (see `AuditStore`); `insertAuditEntryOn` writes entries in a transaction's client. */
  readonly audit: AuditStore
  /** Database-wide settings (see `SettingsStore`), e.g. that security is enabled. */
  readonly settings: SettingsStore
  /** Historical metrics (see `HistoryStore`): aggregates and `percentile_disc` / `percentile_cont` computed by PostgreSQL. */
  readonly history: HistoryStore
  /** Pending and dead-lettered runs per workflow (see `BacklogStore`): one grouped query over the (status, created_at) index. */
  readonly backlog: BacklogStore
  private readonly pg: PgContext
  private readonly ownsPool: boolean
  /** The database, for messages: its URL without the password, or the pool it was given. */
  private readonly location: string
  private initialized: Promise<void> | undefined
  /** The steps' history's completion started by `init()`, if any (see `historyReady`). */
  private history$: Promise<StepHistoryCompletion> | undefined
  private readonly stopping = new AbortController()

  /** The pool the store runs on (ended by `close` when the store created it). */
  private get pool(): PgPoolLike {
    return this.pg.pool
  }

  constructor(private readonly options: PostgresStoreOptions) {
    const pool = options.pool ?? createPgPool(options.connectionString, options.maxConnections ?? 10)
    const pg = new PgContext(pool, options.limits ?? defaultSerializationLimits, options.codec)
    const events = new PgEvents(pg)
    super({ runs: new PgRuns(pg), leases: new PgLeases(pg), journal: new PgJournal(pg), inbox: events, feed: events })
    this.outbox = new PgOutbox(pg)
    this.sessions = this.localUsers = new PgSessions(pg)
    this.audit = new PgAudit(pg)
    this.settings = new PgSettings(pg)
    this.history = new PgHistory(pg)
    this.backlog = { backlog: async () => backlogOf((await pg.db.query<BacklogRow>(backlogSql)).rows) }
    this.pg = pg
    this.ownsPool = options.pool === undefined
    this.location = options.connectionString === undefined ? 'the pool given to postgresStore' : withoutPassword(options.connectionString)
  }

  /**
   * Runs the migrations under kysely's advisory lock, so concurrent starts
   * apply them once; starts completing the steps' history after an upgrade
   * in the background (fills the steps recorded before it and builds its
   * index without blocking any worker: minutes on a million runs, once; see
   * `historyReady` and guides/observability.md); and records the key ids of the codec, if it
   * exposes them (see `keysSettingName`). With `migrate: false` it only
   * checks the schema.
   */
  init(): Promise<void> {
    this.initialized ??= (async () => {
      if (this.options.migrate === false) return this.verifySchema()
      assertKnownMigrations(await this.appliedMigrations(), this.location)
      const kysely = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: this.pool as never }) })
      const { error } = await new Migrator({ db: kysely, provider: weftMigrationProvider('postgres') }).migrateToLatest()
      if (error !== undefined) throw error
      this.completeHistoryInBackground()
      await recordKeyIds(this.settings, this.options.codec, Date.now())
    })()
    return this.initialized
  }

  private async verifySchema(): Promise<void> {
    const { rows } = await this.pg.db.query<{ exists: boolean }>(`select to_regclass('weft_runs') is not null as exists`)
    if (rows[0]?.exists !== true) throw new NotAWeftDatabaseError(this.location)
    assertKnownMigrations(await this.appliedMigrations(), this.location)
  }

  /** The migrations applied to the database (none when it is new). */
  private async appliedMigrations(): Promise<string[]> {
    const { rows } = await this.pg.db.query<{ exists: boolean }>(`select to_regclass($1) is not null as exists`, [migrationTable])
    if (rows[0]?.exists !== true) return []
    return (await this.pg.db.query<{ name: string }>(`select name from ${migrationTable}`)).rows.map((row) => row.name)
  }

  /**
   * Writes a row as large as the largest value a step may store
   * (`limits.maxBytes`, at least 64 KiB) of random bytes (PostgreSQL would
   * compress zeros to almost nothing) and deletes it, each in its own commit.
   * Left dead until vacuumed, the row's space is not reused by the next probe.
   */
  async probe(): Promise<void> {
    const data = randomBytes(Math.max(probeBytes, this.pg.limits.maxBytes))
    const [row] = await this.pg.rows(shared.insertProbe, { data })
    await this.pg.run(shared.deleteProbe, { id: row!.id })
  }

  /**
   * How many stored values each key id encrypts, per table and column
   * (`'clear'` for values stored unencrypted): a key may be removed from the
   * provider once no value names it. Needs no key.
   *
   * @example
   * ```ts
   * import { postgresStore } from 'weft-sdk/postgres'
   * const store = postgresStore({ connectionString: process.env.DATABASE_URL! })
   * for (const { table, column, keyId, values } of await store.valueKeyUsage()) console.log(table, column, keyId, values)
   * ```
   */
  valueKeyUsage(): Promise<KeyUsage[]> {
    const pg = this.pg
    return valueKeyUsage({
      placeholders: '$',
      select: async ({ sql, parameters }) => (await pg.db.query<Record<string, unknown>>(sql, parameters as unknown[])).rows,
    })
  }

  /**
   * Re-encrypts every stored value not written with the codec's newest key
   * (after a key rotation), in batches of one transaction each; run it again
   * to resume after a crash (values already re-encrypted are skipped). Safe
   * beside running workers: a value that changed meanwhile is left as written.
   *
   * @throws {@link index!InvalidOptionsError} when the store has no encrypting codec.
   * @example
   * ```ts
   * import { createPayloadCodec, envKeyProvider } from 'weft-sdk'
   * import { postgresStore } from 'weft-sdk/postgres'
   * const store = postgresStore({ connectionString: process.env.DATABASE_URL!, codec: createPayloadCodec(envKeyProvider()) })
   * await store.reencryptValues({ batchSize: 1000 })
   * ```
   */
  reencryptValues(options: ReencryptOptions = {}): Promise<RotationProgress> {
    const pg = this.pg
    const driver: RotationDriver = {
      placeholders: '$',
      select: async ({ sql, parameters }) => (await pg.db.query<Record<string, unknown>>(sql, parameters as unknown[])).rows,
      updateAll: (statements) =>
        pg.transaction(async (client) => {
          const counts: number[] = []
          for (const { sql, parameters } of statements) counts.push((await client.query(sql, parameters as unknown[])).rowCount ?? 0)
          return counts
        }),
    }
    return reencryptValues(driver, pg.rowCodec.codec, options)
  }

  /**
   * Settles once the steps' history this store's `init()` set out to complete
   * after an upgrade is complete (filled and indexed, see
   * guides/observability.md), or when another process holds that work, or
   * it stopped (the store closed; a failure, which the next store that
   * migrates retries). Resolves at once when nothing was to be done or
   * `init()` did not migrate. Never rejects.
   *
   * @example
   * ```ts
   * import { postgresStore } from 'weft-sdk/postgres'
   * const store = postgresStore({ connectionString: process.env.DATABASE_URL! })
   * await store.init()
   * console.log(await store.historyReady) // 'complete', 'completed', 'busy', 'stopped' or 'failed'
   * ```
   */
  get historyReady(): Promise<StepHistoryCompletion> {
    return this.history$ ?? Promise.resolve('complete')
  }

  /** Starts completing the steps' history without holding `init()` up: on a big history it takes minutes. */
  private completeHistoryInBackground(): void {
    this.history$ = completeStepHistory(this.pool, stepHistoryBatch, this.stopping.signal).catch((): StepHistoryCompletion => 'failed')
  }

  /** Ends the pool (unless it was given by the user), after stopping the steps' history's completion between two batches. */
  async close(): Promise<void> {
    await this.initialized?.catch(() => undefined)
    this.stopping.abort()
    await this.history$
    if (this.ownsPool) await this.pool.end()
  }
}

/**
 * Creates the PostgreSQL store.
 *
 * @example
 * ```ts
 * import { postgresStore } from 'weft-sdk/postgres'
 * const store = postgresStore({ connectionString: 'postgres://localhost:5432/weft' })
 * ```
 */
export function postgresStore(options: PostgresStoreOptions): PostgresWorkflowStore {
  return new PostgresWorkflowStore(options)
}
