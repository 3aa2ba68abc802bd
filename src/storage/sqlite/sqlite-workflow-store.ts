import type { OutboxStore } from '../outbox-store.js'
import type { LocalUserStore, SessionStore } from '../session-store.js'
import { SqliteSessions } from './sqlite-sessions.js'
import { SqliteSettings } from './sqlite-settings.js'
import { SqliteHistory } from './sqlite-history.js'
import type { HistoryStore } from '../history-store.js'
import { backlogOf, backlogSql, type BacklogRow, type BacklogStore } from '../backlog-store.js'
import type { SettingsStore } from '../settings-store.js'
import type { AuditStore } from '../audit-store.js'
import { resolve } from 'node:path'
import { Kysely, Migrator } from 'kysely'
import { InvalidOptionsError, NotAWeftDatabaseError } from '../../core/errors.js'
import { ComposedWorkflowStore } from '../composed-workflow-store.js'
import { defaultSerializationLimits, type SerializationLimits } from '../serialization.js'
import { assertKnownMigrations, migrationTable, probeBytes, weftMigrationProvider } from '../sql/migrations.js'
import { withStoreRetry } from '../store-retry.js'
import type { ValueCodec } from '../value-codec.js'
import { recordKeyIds } from '../key-ids-setting.js'
import { reencryptValues, valueKeyUsage, type KeyUsage, type ReencryptOptions, type RotationDriver, type RotationProgress } from '../sql/value-rotation.js'
import { DatabaseFile } from './database-file.js'
import { shared, SqliteContext } from './sqlite-context.js'
import { configureSqlite, ImmediateSqliteDialect, openSqliteFile, type SqliteDatabaseLike } from './sqlite-database.js'
import { jitteredMs, sqliteBusyRetry } from './sqlite-errors.js'
import { SqliteEvents } from './sqlite-events.js'
import { SqliteJournal } from './sqlite-journal.js'
import { SqliteLeases } from './sqlite-leases.js'
import { SqliteOutbox } from './sqlite-outbox.js'
import { SqliteAudit } from './sqlite-audit.js'
import { SqliteRuns } from './sqlite-runs.js'
import { asStorageError } from './write-queue.js'

/**
 * Options of {@link sqliteStore}.
 *
 * @example
 * ```ts
 * import { sqliteStore } from 'weft-sdk'
 * const store = sqliteStore({ path: '.weft/orders.sqlite', synchronous: 'full', busyTimeoutMs: 500 })
 * ```
 */
export interface SqliteStoreOptions {
  /** The database file; `':memory:'` for a throwaway database. @defaultValue `'.weft/weft.sqlite'` in the working directory */
  readonly path?: string
  /** Bring your own better-sqlite3 compatible connection instead of a path (Weft does not close it). */
  readonly database?: SqliteDatabaseLike
  /** How long one statement waits for another process's lock before the write is retried later. @defaultValue `200` */
  readonly busyTimeoutMs?: number
  /** How long writes keep retrying while another process holds the write lock. @defaultValue `30000` */
  readonly maxBusyWaitMs?: number
  /**
   * `'normal'` (with WAL, a commit survives a crash of the process, not of the
   * machine's power) or `'full'` (survives both, about 5× slower per commit).
   * @defaultValue `'normal'`
   */
  readonly synchronous?: 'normal' | 'full'
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
   * Open an existing Weft database for reading only: nothing is written to
   * the file (it is not migrated, nor switched to WAL), writes fail, and
   * `init()` only checks that it is a Weft database this version can read.
   * @defaultValue `false`
   */
  readonly readOnly?: boolean
  /**
   * Whether `init()` migrates the database to this version's schema; when
   * false it only checks that the file is a Weft database no newer than this
   * version (commands that change a run but must not change the schema).
   * @defaultValue `true` (`false` when `readOnly`)
   */
  readonly migrate?: boolean
}

/**
 * The embedded {@link store!WorkflowStore}: one SQLite file in WAL mode, no server.
 * Several processes may share the file: leases and fencing work as with
 * PostgreSQL, and writes of tasks finishing together share one commit.
 * Each role of the port is a file of its own (sqlite-runs, sqlite-leases,
 * sqlite-journal, sqlite-events); this class opens, migrates, probes and
 * closes the database.
 *
 * @example
 * ```ts
 * import { createEngine, sqliteStore } from 'weft-sdk'
 * const engine = createEngine({ store: sqliteStore({ path: 'data/runs.sqlite' }) })
 * ```
 */
export class SqliteWorkflowStore extends ComposedWorkflowStore {
  /** Runs survive the process (and, with `synchronous: 'full'`, a power loss). */
  readonly durable = true
  private readonly sqlite: SqliteContext
  private readonly ownsDatabase: boolean
  private initialized: Promise<void> | undefined
  /** The durable outbox (see `OutboxStore`): entries inserted with their steps, claimed in the write queue. */
  readonly outbox: OutboxStore
  /** Sessions and refresh tokens (see `SessionStore`): rotations in the write queue's transactions. */
  readonly sessions: SessionStore
  /** Local users and login attempts (see `LocalUserStore`). */
  readonly localUsers: LocalUserStore
  /** The append-only audit log (see `AuditStore`); `insertAuditEntry` writes entries inside a write of the queue. */
  readonly audit: AuditStore
  /** Database-wide settings (see `SettingsStore`), e.g. that security is enabled. */
  readonly settings: SettingsStore
  /** Historical metrics (see `HistoryStore`): aggregates and percentiles computed by SQLite. */
  readonly history: HistoryStore
  /** Pending and dead-lettered runs per workflow (see `BacklogStore`): one grouped read over the (status, created_at) index. */
  readonly backlog: BacklogStore

  constructor(private readonly options: SqliteStoreOptions = {}) {
    const sqlite = openContext(options)
    const runs = new SqliteRuns(sqlite)
    const events = new SqliteEvents(sqlite)
    const outbox = new SqliteOutbox(sqlite)
    super({ runs, leases: new SqliteLeases(sqlite), journal: new SqliteJournal(sqlite, runs, outbox), inbox: events, feed: events })
    this.outbox = outbox
    this.sessions = this.localUsers = new SqliteSessions(sqlite)
    this.audit = new SqliteAudit(sqlite)
    this.settings = new SqliteSettings(sqlite)
    this.history = new SqliteHistory(sqlite)
    this.backlog = { backlog: () => sqlite.read('reading the backlog of runs', () => backlogOf(sqlite.statement(backlogSql).all() as BacklogRow[])) }
    this.sqlite = sqlite
    this.ownsDatabase = options.database === undefined
  }

  private get db(): SqliteDatabaseLike {
    return this.sqlite.db
  }

  /** The migrations applied to the database (none when it is new). */
  private appliedMigrations(): string[] {
    const table = this.db.prepare(`select 1 from sqlite_master where type = 'table' and name = ?`).get(migrationTable)
    if (table === undefined) return []
    return (this.db.prepare(`select name from ${migrationTable}`).all() as { name: string }[]).map((row) => row.name)
  }

  /** Where the database is, for messages. */
  private get location(): string {
    return this.sqlite.file.path ?? (this.options.database === undefined ? ':memory:' : 'the connection given to sqliteStore')
  }

  /**
   * Runs the migrations (in one immediate transaction, so concurrent starts
   * are safe) and records the key ids of the codec, if it exposes them (see
   * `keysSettingName`); a store opened with `readOnly` or `migrate: false`
   * only checks that the file is a Weft database no newer than this version.
   */
  init(): Promise<void> {
    const migrate = this.options.migrate ?? this.options.readOnly !== true
    this.initialized ??= migrate ? this.migrate() : this.sqlite.read('checking the schema', () => this.verifySchema())
    return this.initialized
  }

  private verifySchema(): void {
    const runs = this.db.prepare(`select 1 from sqlite_master where type = 'table' and name = 'weft_runs'`).get()
    if (runs === undefined) throw new NotAWeftDatabaseError(this.location)
    assertKnownMigrations(this.appliedMigrations(), this.location)
  }

  private async migrate(): Promise<void> {
    assertKnownMigrations(this.appliedMigrations(), this.location)
    const kysely = new Kysely<unknown>({ dialect: new ImmediateSqliteDialect(this.db) })
    const migrator = new Migrator({ db: kysely, provider: weftMigrationProvider('sqlite') })
    await withStoreRetry(async () => {
      const { error } = await migrator.migrateToLatest()
      if (error !== undefined) throw error
    }, sqliteBusyRetry(this.options.maxBusyWaitMs ?? 30_000, jitteredMs(10, 40)))
    await recordKeyIds(this.settings, this.options.codec, Date.now())
  }

  /**
   * Writes a row as large as the largest value a step may store
   * (`limits.maxBytes`, at least 64 KiB) and deletes it, each in a commit of
   * its own (so the write reaches the file, and its failure takes no other write with it).
   */
  async probe(): Promise<void> {
    const data = Buffer.alloc(Math.max(probeBytes, this.sqlite.limits.maxBytes))
    const { writes } = this.sqlite
    const row = await writes.run(() => this.sqlite.get(shared.insertProbe, { data })!, { alone: true })
    await writes.run(() => this.sqlite.run(shared.deleteProbe, { id: row.id }), { alone: true })
  }

  /**
   * How many stored values each key id encrypts, per table and column
   * (`'clear'` for values stored unencrypted): a key may be removed from the
   * provider once no value names it. Needs no key.
   *
   * @example
   * ```ts
   * import { sqliteStore } from 'weft-sdk'
   * const store = sqliteStore({ path: 'runs.sqlite' })
   * for (const { table, column, keyId, values } of await store.valueKeyUsage()) console.log(table, column, keyId, values)
   * ```
   */
  valueKeyUsage(): Promise<KeyUsage[]> {
    const sqlite = this.sqlite
    return valueKeyUsage({
      placeholders: '?',
      select: ({ sql, parameters }) => sqlite.read('reading values to re-encrypt', () => sqlite.statement(sql).all(...parameters) as Record<string, unknown>[]),
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
   * import { createPayloadCodec, envKeyProvider, sqliteStore } from 'weft-sdk'
   * const store = sqliteStore({ path: 'runs.sqlite', codec: createPayloadCodec(envKeyProvider()) })
   * const done = await store.reencryptValues({ onBatch: (p) => console.log(`${p.table}: ${p.rewritten} re-encrypted`) })
   * ```
   */
  reencryptValues(options: ReencryptOptions = {}): Promise<RotationProgress> {
    const sqlite = this.sqlite
    const driver: RotationDriver = {
      placeholders: '?',
      select: ({ sql, parameters }) => sqlite.read('reading values to re-encrypt', () => sqlite.statement(sql).all(...parameters) as Record<string, unknown>[]),
      updateAll: (statements) => sqlite.writes.run(() => statements.map(({ sql, parameters }) => Number(sqlite.statement(sql).run(...parameters).changes))),
    }
    return reencryptValues(driver, sqlite.rowCodec.codec, options)
  }

  /** Lets queued writes land, then closes the connection (unless it was given by the user). */
  async close(): Promise<void> {
    await this.initialized?.catch(() => undefined)
    // Writes already queued (possibly waiting for another process's lock) land before the connection closes.
    await this.sqlite.writes.idle()
    if (this.ownsDatabase) this.db.close()
  }
}

/** Opens and configures the connection of `options`, and what the store's roles share. */
function openContext(options: SqliteStoreOptions): SqliteContext {
  const path = options.path ?? '.weft/weft.sqlite'
  if (path.includes('\u0000')) {
    throw new InvalidOptionsError(`sqliteStore path ${JSON.stringify(path)} contains a NUL character, where the file name would end; remove it`)
  }
  const readOnly = options.readOnly === true
  const db = opening(path, () => options.database ?? openSqliteFile(path, readOnly))
  const file = new DatabaseFile(options.database === undefined && path !== ':memory:' ? resolve(path) : undefined)
  opening(path, () => configureSqlite(db, options.busyTimeoutMs ?? 200, options.synchronous ?? 'normal', readOnly))
  // With a codec (encryption at rest), a value rewritten or deleted leaves no old bytes in the file's free space:
  // re-encryption under a new key, or encrypting a store that was clear, overwrites what it replaces.
  if (options.codec !== undefined && !readOnly) opening(path, () => db.exec('pragma secure_delete = on'))
  return new SqliteContext(db, file, options.limits ?? defaultSerializationLimits, options.maxBusyWaitMs ?? 30_000, options.codec)
}

/** Runs a step of opening the database; a driver failure becomes a `StorageError` naming the file. */
function opening<T>(path: string, step: () => T): T {
  try {
    return step()
  } catch (error) {
    throw asStorageError(error, `opening the SQLite database ${path}`)
  }
}

/**
 * Creates the embedded SQLite store (the default store of `createEngine`).
 *
 * @example
 * ```ts
 * import { createEngine, sqliteStore } from 'weft-sdk'
 * const engine = createEngine({ store: sqliteStore({ path: ':memory:' }) })
 * ```
 */
export function sqliteStore(options: SqliteStoreOptions = {}): SqliteWorkflowStore {
  return new SqliteWorkflowStore(options)
}
