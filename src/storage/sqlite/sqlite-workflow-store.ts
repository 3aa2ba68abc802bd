import { statSync } from 'node:fs'
import { resolve } from 'node:path'
import { Kysely, Migrator } from 'kysely'
import { InvalidOptionsError, LeaseLostError, NotAWeftDatabaseError, StorageError } from '../../core/errors.js'
import type { RunId } from '../../core/ids.js'
import { decideAction, isFinished } from '../run-rules.js'
import { defaultSerializationLimits, serialize, type SerializationLimits } from '../serialization.js'
import { runPatchSql as sharedRunPatchSql } from '../sql/run-patch.js'
import { assertKnownMigrations, migrationTable, probeBytes, unfinishedRuns, weftMigrationProvider } from '../sql/migrations.js'
import { errorText, stepKind, toRunRecord, toStepRecord, toStoredEvent, type EventRow, type RunRow, type StepRow } from '../sql/rows.js'
import type {
  ClaimRequest,
  CreateRunResult,
  EventNotice,
  Fence,
  NewEvent,
  NewRun,
  ReleaseOptions,
  RenewResult,
  RequestedAction,
  RunPatch,
  RunQuery,
  RunRecord,
  StepRecord,
  StoredEvent,
  WorkflowStore,
  WorkflowVersion,
} from '../workflow-store.js'
import { configureSqlite, ImmediateSqliteDialect, openSqliteFile, type SqliteDatabaseLike, type SqliteStatementLike } from './sqlite-database.js'
import { withStoreRetry } from '../store-retry.js'
import { jitteredMs, sqliteBusyRetry } from './sqlite-errors.js'
import { asStorageError, SqliteWriteQueue } from './write-queue.js'

/** Options of {@link sqliteStore}. */
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

const unfinished = unfinishedRuns

/** `unclaimableMessage(workflow, version)` written in SQL (the conformance suite checks they agree). */
export const unclaimableMessageSql = `'waiting for a worker with workflow "' || workflow || '" version ' || version || ' registered'`

/**
 * The embedded {@link WorkflowStore}: one SQLite file in WAL mode, no server.
 * Several processes may share the file: leases and fencing work as with
 * PostgreSQL, and writes of tasks finishing together share one commit.
 *
 * @example
 * ```ts
 * import { createEngine, sqliteStore } from 'weft'
 * const engine = createEngine({ store: sqliteStore({ path: 'data/runs.sqlite' }) })
 * ```
 */
export class SqliteWorkflowStore implements WorkflowStore {
  readonly durable = true
  private readonly db: SqliteDatabaseLike
  private readonly ownsDatabase: boolean
  private readonly limits: SerializationLimits
  private readonly writes: SqliteWriteQueue
  private readonly statements = new Map<string, SqliteStatementLike>()
  private initialized: Promise<void> | undefined
  /** The file this store opened, to notice when it is deleted or replaced (undefined for `:memory:` or a connection of the user's). */
  private readonly file: OpenedFile | undefined
  /** Set once the store can no longer be used safely (its file is gone): every operation then fails with it. */
  private stopped: StorageError | undefined

  constructor(private readonly options: SqliteStoreOptions = {}) {
    const path = options.path ?? '.weft/weft.sqlite'
    if (path.includes('\u0000')) {
      throw new InvalidOptionsError(`sqliteStore path ${JSON.stringify(path)} contains a NUL character, where the file name would end; remove it`)
    }
    this.ownsDatabase = options.database === undefined
    const readOnly = options.readOnly === true
    this.db = opening(path, () => options.database ?? openSqliteFile(path, readOnly))
    const opened = options.database === undefined && path !== ':memory:' ? openedFile(resolve(path)) : undefined
    this.file = opened === 'unknown' ? undefined : opened
    opening(path, () => configureSqlite(this.db, options.busyTimeoutMs ?? 200, options.synchronous ?? 'normal', readOnly))
    this.limits = options.limits ?? defaultSerializationLimits
    this.writes = new SqliteWriteQueue(this.db, options.maxBusyWaitMs ?? 30_000, () => this.checkFile())
  }

  /**
   * Whether the file at the path is still the one this store has open. If it
   * was deleted or replaced, writes would go to a file nobody can see any
   * more: the store stops, and every operation fails with a `StorageError`.
   */
  private checkFile(): StorageError | undefined {
    if (this.stopped !== undefined || this.file === undefined) return this.stopped
    const now = openedFile(this.file.path)
    if (now === 'unknown' || (now?.dev === this.file.dev && now.ino === this.file.ino)) return undefined
    const what = now === undefined ? 'was deleted' : 'was replaced by another file'
    this.stopped = new StorageError(
      'file-replaced',
      `the database file ${this.file.path} ${what} while Weft had it open; Weft stopped writing so that nothing goes to a file nobody can see: ` +
        'restore the file (runs resume from it), then start a new engine',
    )
    return this.stopped
  }

  /** The migrations applied to the database (none when it is new). */
  private appliedMigrations(): string[] {
    const table = this.db.prepare(`select 1 from sqlite_master where type = 'table' and name = ?`).get(migrationTable)
    if (table === undefined) return []
    return (this.db.prepare(`select name from ${migrationTable}`).all() as { name: string }[]).map((row) => row.name)
  }

  /** Where the database is, for messages. */
  private get location(): string {
    return this.file?.path ?? (this.options.database === undefined ? ':memory:' : 'the connection given to sqliteStore')
  }

  /** Throws the failure that stopped the store, if any (reads of a stopped store fail like writes). */
  private assertUsable(): void {
    if (this.stopped !== undefined) throw this.stopped
  }

  /**
   * Runs the migrations (in one immediate transaction, so concurrent starts
   * are safe); a store opened with `readOnly` or `migrate: false` only checks
   * that the file is a Weft database no newer than this version.
   */
  init(): Promise<void> {
    const migrate = this.options.migrate ?? this.options.readOnly !== true
    this.initialized ??= migrate ? this.migrate() : this.read('checking the schema', () => this.verifySchema())
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
  }

  createRun(run: NewRun): Promise<CreateRunResult> {
    const input = serialize(run.input, `input of run ${run.id}`, this.limits)
    return this.writes.run(() => {
      const claim = run.claimBy
      const inserted = this.statement(
        `insert into weft_runs (id, workflow, version, input, status, principal, created_at, started_at, lease_owner, lease_expires_at, epoch, input_digest)
         values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict (id) do nothing`,
      ).run(
        run.id,
        run.workflow,
        run.version,
        input,
        claim === undefined ? 'pending' : 'running',
        run.principal ?? null,
        run.createdAt,
        claim === undefined ? null : run.createdAt,
        claim?.owner ?? null,
        claim === undefined ? null : run.createdAt + claim.leaseMs,
        claim === undefined ? 0 : 1,
        run.inputDigest ?? null,
      )
      return { run: this.readRun(run.id)!, created: Number(inserted.changes) === 1 }
    })
  }

  getRun(runId: RunId): Promise<RunRecord | undefined> {
    return this.read('reading a run', () => {
      return this.readRun(runId)
    })
  }

  listRuns(query: RunQuery = {}): Promise<RunRecord[]> {
    return this.read('listing runs', () => {
      const where: string[] = []
      const params: unknown[] = []
      if (query.status !== undefined) {
        where.push('status = ?')
        params.push(query.status)
      }
      if (query.workflow !== undefined) {
        where.push('workflow = ?')
        params.push(query.workflow)
      }
      if (query.before !== undefined) {
        where.push('(created_at, id) < (select created_at, id from weft_runs where id = ?)')
        params.push(query.before)
      }
      const sql = `select * from weft_runs ${where.length > 0 ? `where ${where.join(' and ')}` : ''} order by created_at desc, id desc limit ?`
      return (this.statement(sql).all(...params, query.limit ?? 100) as RunRow[]).map(toRunRecord)
    })
  }

  claimRuns(request: ClaimRequest): Promise<RunRecord[]> {
    if (request.workflows.length === 0 || request.limit <= 0) return Promise.resolve([])
    return this.writes.run(() => {
      const versions = versionFilter(request.workflows)
      const dead = request.deadOwners ?? []
      const deadList = dead.length === 0 ? '' : ` or lease_owner in (${dead.map(() => '?').join(', ')})`
      const candidates = this.statement(
        `select id from weft_runs
         where (${versions.sql}) and ${unfinished} and (status = 'pending' or lease_owner is null or lease_expires_at <= ?${deadList})
         order by created_at, id limit ?`,
      ).all(...versions.params, request.now, ...dead, request.limit) as { id: string }[]
      const claim = this.statement(
        `update weft_runs set
           status = case when status = 'pending' then 'running' else status end,
           status_message = null,
           started_at = coalesce(started_at, ?),
           recoveries = recoveries + case when lease_owner is not null then 1 else 0 end,
           epoch = epoch + 1, lease_owner = ?, lease_expires_at = ?
         where id = ?`,
      )
      return candidates.map(({ id }) => {
        claim.run(request.now, request.owner, request.now + request.leaseMs, id)
        return this.readRun(id)!
      })
    })
  }

  noteUnclaimable(workflows: readonly WorkflowVersion[], now: number): Promise<number> {
    return this.writes.run(() => {
      const versions = versionFilter(workflows)
      const result = this.statement(
        `update weft_runs set status_message = ${unclaimableMessageSql}, status = case when status = 'running' then 'pending' else status end
         where not (${versions.sql}) and ${unfinished} and (status = 'pending' or lease_owner is null or lease_expires_at <= ?)
           and (status_message is null or status_message <> ${unclaimableMessageSql} or status = 'running')`,
      ).run(...versions.params, now)
      return Number(result.changes)
    })
  }

  renewLeases(owner: string, fences: readonly Fence[], leaseMs: number, now: number): Promise<RenewResult> {
    return this.writes.run(() => {
      const renew = this.statement(`update weft_runs set lease_expires_at = ? where id = ? and epoch = ? and lease_owner = ? and ${unfinished}`)
      const action = this.statement(`select requested_action from weft_runs where id = ?`)
      const lost: RunId[] = []
      const requested: { runId: RunId; action: RequestedAction }[] = []
      for (const fence of fences) {
        if (Number(renew.run(now + leaseMs, fence.runId, fence.epoch, owner).changes) === 0) {
          lost.push(fence.runId)
          continue
        }
        const row = action.get(fence.runId) as { requested_action: string | null }
        if (row.requested_action !== null) requested.push({ runId: fence.runId, action: row.requested_action as RequestedAction })
      }
      return { lost, requested }
    })
  }

  releaseRuns(owner: string, fences: readonly Fence[], options: ReleaseOptions = {}): Promise<void> {
    const { failure } = options
    return this.writes.run(() => {
      if (failure === undefined) {
        const release = this.statement(`update weft_runs set lease_owner = null, lease_expires_at = null where id = ? and epoch = ? and lease_owner = ?`)
        for (const fence of fences) release.run(fence.runId, fence.epoch, owner)
        return
      }
      const giveBack = this.statement(`update weft_runs set lease_expires_at = 0, status_message = ? where id = ? and epoch = ? and lease_owner = ?`)
      for (const fence of fences) giveBack.run(failure, fence.runId, fence.epoch, owner)
    })
  }

  leaseOwners(now: number): Promise<string[]> {
    return this.read('reading lease owners', () => {
      const rows = this.statement(`select distinct lease_owner from weft_runs where lease_owner is not null and lease_expires_at > ? and ${unfinished}`).all(now) as {
        lease_owner: string
      }[]
      return rows.map((row) => row.lease_owner)
    })
  }

  updateRun(fence: Fence, patch: RunPatch): Promise<void> {
    return this.writes.run(() => {
      const { sql, params } = runPatchSql(patch)
      const result = this.statement(`update weft_runs set ${sql} where id = ? and epoch = ?`).run(...params, fence.runId, fence.epoch)
      if (Number(result.changes) === 0) throw new LeaseLostError(fence.runId, fence.epoch)
    })
  }

  requestAction(runId: RunId, action: RequestedAction, now: number): Promise<RunRecord | undefined> {
    return this.writes.run(() => {
      const run = this.readRun(runId)
      if (run === undefined) return undefined
      const decision = decideAction(run, action, now)
      if (decision.kind === 'cancel-now') {
        const { sql, params } = runPatchSql(decision.patch)
        this.statement(`update weft_runs set ${sql} where id = ?`).run(...params, runId)
      } else if (decision.kind === 'revive') {
        this.statement(`update weft_runs set status = 'pending', status_message = null, recoveries = 0, finished_at = null where id = ?`).run(runId)
      } else if (decision.kind === 'ask-worker') {
        this.statement(`update weft_runs set requested_action = ? where id = ?`).run(action, runId)
      }
      return this.readRun(runId)
    })
  }

  clearAction(fence: Fence): Promise<void> {
    return this.writes.run(() => {
      const result = this.statement(`update weft_runs set requested_action = null where id = ? and epoch = ?`).run(fence.runId, fence.epoch)
      if (Number(result.changes) === 0) throw new LeaseLostError(fence.runId, fence.epoch)
    })
  }

  saveStep(fence: Fence, step: StepRecord): Promise<StepRecord> {
    const output = this.outputText(step)
    return this.writes.run(() => {
      this.checkFence(fence)
      return this.insertStep(step, output)
    })
  }

  /** Records a run's last step and its end in one transaction. */
  saveFinalStep(fence: Fence, step: StepRecord, patch: RunPatch): Promise<StepRecord> {
    const output = this.outputText(step)
    const { sql, params } = runPatchSql(patch)
    return this.writes.run(() => {
      this.checkFence(fence)
      const stored = this.insertStep(step, output)
      this.statement(`update weft_runs set ${sql} where id = ? and epoch = ?`).run(...params, fence.runId, fence.epoch)
      return stored
    })
  }

  loadSteps(runId: RunId): Promise<StepRecord[]> {
    return this.read('reading steps', () => {
      return (this.statement(`select * from weft_steps where run_id = ?`).all(runId) as StepRow[]).map(toStepRecord)
    })
  }

  timer(fence: Fence, key: string, wakeAt: number): Promise<number> {
    return this.writes.run(() => {
      this.checkFence(fence)
      this.statement(`insert into weft_timers (run_id, key, wake_at) values (?, ?, ?) on conflict do nothing`).run(fence.runId, key, wakeAt)
      const row = this.statement(`select wake_at from weft_timers where run_id = ? and key = ?`).get(fence.runId, key) as { wake_at: number }
      return Number(row.wake_at)
    })
  }

  sendEvent(event: NewEvent): Promise<number> {
    const payload = serialize(event.payload, `payload of event "${event.name}"`, this.limits)
    return this.writes.run(() => {
      const result = this.statement(`insert into weft_events (name, run_id, payload, sent_at) values (?, ?, ?, ?)`).run(event.name, event.runId ?? null, payload, event.sentAt)
      return Number(result.lastInsertRowid)
    })
  }

  eventsAfter(afterId: number, limit: number): Promise<EventNotice[]> {
    return this.read('reading events', () => {
      const rows = this.statement(`select id, name, run_id from weft_events where id > ? order by id limit ?`).all(afterId, limit) as Omit<EventRow, 'payload' | 'sent_at'>[]
      return rows.map((row) => ({ id: Number(row.id), name: row.name, runId: row.run_id ?? undefined }))
    })
  }

  latestEventId(): Promise<number> {
    return this.read('reading events', () => {
      const row = this.statement(`select coalesce(max(id), 0) as id from weft_events`).get() as { id: number }
      return Number(row.id)
    })
  }

  pendingEvents(runId: RunId, name: string, since: number): Promise<StoredEvent[]> {
    return this.read('reading events', () => {
      const rows = this.statement(
        `select id, name, run_id, payload, sent_at from weft_events e
         where name = ? and ((run_id = ? and consumed_at is null)
           or (run_id is null and sent_at >= ? and not exists (select 1 from weft_event_takes t where t.event_id = e.id and t.run_id = ?)))
         order by id`,
      ).all(name, runId, since, runId) as EventRow[]
      return rows.map(toStoredEvent)
    })
  }

  takeEvent(fence: Fence, event: StoredEvent, step: StepRecord): Promise<boolean> {
    const output = this.outputText(step)
    return this.writes.run(() => {
      this.checkFence(fence)
      const took = this.statement(`insert into weft_event_takes (event_id, run_id) values (?, ?) on conflict do nothing`).run(event.id, fence.runId)
      if (Number(took.changes) === 0) return false
      if (event.runId !== undefined) {
        const consumed = this.statement(`update weft_events set consumed_at = ? where id = ? and consumed_at is null`).run(step.finishedAt, event.id)
        if (Number(consumed.changes) === 0) throw new AlreadyTaken()
      }
      this.insertStep(step, output)
      return true
    }).catch((error: unknown) => {
      if (error instanceof AlreadyTaken) return false
      throw error
    })
  }

  /**
   * Writes a row as large as the largest value a step may store
   * (`limits.maxBytes`, at least 64 KiB) and deletes it, each in a commit of
   * its own (so the write reaches the file, and its failure takes no other write with it).
   */
  async probe(): Promise<void> {
    const bytes = Math.max(probeBytes, this.limits.maxBytes)
    await this.writes.run(() => this.statement(`insert into weft_probe (data) values (zeroblob(?))`).run(bytes), { alone: true })
    await this.writes.run(() => this.statement(`delete from weft_probe`).run(), { alone: true })
  }

  async close(): Promise<void> {
    await this.initialized?.catch(() => undefined)
    // Writes already queued (possibly waiting for another process's lock) land before the connection closes.
    await this.writes.idle()
    if (this.ownsDatabase) this.db.close()
  }

  /** Runs a read: a stopped store refuses it, a driver failure becomes a `StorageError`. */
  private read<T>(operation: string, read: () => T): Promise<T> {
    try {
      this.assertUsable()
      return Promise.resolve(read())
    } catch (error) {
      return Promise.reject(asStorageError(error, operation))
    }
  }

  private readRun(runId: RunId): RunRecord | undefined {
    const row = this.statement(`select * from weft_runs where id = ?`).get(runId) as RunRow | undefined
    return row === undefined ? undefined : toRunRecord(row)
  }

  private checkFence(fence: Fence): void {
    const row = this.statement(`select epoch from weft_runs where id = ?`).get(fence.runId) as { epoch: number } | undefined
    if (row === undefined || Number(row.epoch) !== fence.epoch) throw new LeaseLostError(fence.runId, fence.epoch)
  }

  private insertStep(step: StepRecord, output: string | null): StepRecord {
    const inserted = this.statement(
      `insert into weft_steps (run_id, key, task, kind, status, output, error, attempts, started_at, finished_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict do nothing`,
    ).run(step.runId, step.key, step.task, stepKind(step.key), step.status, output, errorText(step.error), step.attempts, step.startedAt ?? null, step.finishedAt)
    if (Number(inserted.changes) === 1) return step
    return toStepRecord(this.statement(`select * from weft_steps where run_id = ? and key = ?`).get(step.runId, step.key) as StepRow)
  }

  private outputText(step: StepRecord): string | null {
    if (step.status !== 'completed') return null
    return serialize(step.output, `output of step "${step.key}" of run ${step.runId}`, this.limits)
  }

  private statement(sql: string): SqliteStatementLike {
    let statement = this.statements.get(sql)
    if (statement === undefined) {
      statement = this.db.prepare(sql)
      this.statements.set(sql, statement)
    }
    return statement
  }
}

/** Runs a step of opening the database; a driver failure becomes a `StorageError` naming the file. */
function opening<T>(path: string, step: () => T): T {
  try {
    return step()
  } catch (error) {
    throw asStorageError(error, `opening the SQLite database ${path}`)
  }
}

/** The identity of an opened file, to tell it from another file at the same path later. */
interface OpenedFile {
  readonly path: string
  readonly dev: number
  readonly ino: number
}

/**
 * The file at `path` now; `undefined` when there is none (or its folder was
 * replaced by a file); `'unknown'` when it cannot be looked at now. Never
 * throws (it runs in the write queue's background callback).
 */
function openedFile(path: string): OpenedFile | 'unknown' | undefined {
  try {
    const stats = statSync(path, { throwIfNoEntry: false })
    return stats === undefined ? undefined : { path, dev: stats.dev, ino: stats.ino }
  } catch (error) {
    // Its folder became a file: gone. Other errors (permissions, a stale network mount) say nothing either way.
    return (error as NodeJS.ErrnoException).code === 'ENOTDIR' ? undefined : 'unknown'
  }
}

/** Thrown inside a write to undo it: an event sent to one run was taken by another wait first. */
class AlreadyTaken extends Error {}

function versionFilter(workflows: readonly WorkflowVersion[]): { sql: string; params: unknown[] } {
  if (workflows.length === 0) return { sql: '0', params: [] }
  return { sql: workflows.map(() => '(workflow = ? and version = ?)').join(' or '), params: workflows.flatMap((w) => [w.name, w.version]) }
}

/** The `set` clause of a run update with `?` placeholders. */
function runPatchSql(patch: RunPatch): { sql: string; params: unknown[] } {
  return sharedRunPatchSql(patch, () => '?')
}

/**
 * Creates the embedded SQLite store (the default store of `createEngine`).
 *
 * @example
 * ```ts
 * import { createEngine, sqliteStore } from 'weft'
 * const engine = createEngine({ store: sqliteStore({ path: ':memory:' }) })
 * ```
 */
export function sqliteStore(options: SqliteStoreOptions = {}): SqliteWorkflowStore {
  return new SqliteWorkflowStore(options)
}
