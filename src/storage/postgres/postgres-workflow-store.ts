import { randomBytes } from 'node:crypto'
import { Kysely, Migrator, PostgresDialect } from 'kysely'
import { withoutPassword } from '../../core/connection-url.js'
import { LeaseLostError, NotAWeftDatabaseError } from '../../core/errors.js'
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
  RunWithSteps,
  StepRecord,
  StoredEvent,
  StoreNotification,
  WorkflowStore,
  WorkflowVersion,
} from '../workflow-store.js'
import { toStorageError } from '../storage-failure.js'
import { createPgPool, prepared, type forceGenericPlans, type PgClientLike, type PgPoolLike, type PgQueryable, type PgQueryConfig } from './pg-client.js'
import { classifyPgError } from './pg-errors.js'
import { PgStepWriter } from './step-writer.js'

/** Options of {@link postgresStore}: a connection string, or a pool of your own. */
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
   * Whether `init()` migrates the database to this version's schema; when
   * false it only checks that it is a Weft database no newer than this
   * version (commands that read or change runs but must not change the schema).
   * @defaultValue `true`
   */
  readonly migrate?: boolean
}

const unfinished = unfinishedRuns
const unclaimableMessageSql = `'waiting for a worker with workflow "' || workflow || '" version ' || version || ' registered'`
const channel = 'weft'

/**
 * Locks the runs of the fences `$1` (ids) and `$2` (epochs) that match
 * `condition`, in the order of their ids, for an update. Every statement that
 * locks several runs does so in that order (see PgStepWriter), or two of them
 * can deadlock.
 */
function lockInIdOrder(condition: string): string {
  // `r.id = any($1)` lets even a cached generic plan find the rows by primary key.
  return `select r.id from weft_runs r join unnest($1::text[], $2::int[]) as f(id, epoch) on r.id = f.id and r.epoch = f.epoch
    where r.id = any($1::text[]) and ${condition} order by r.id for no key update of r`
}

/** Sends a notification on Weft's channel, inside the statement (so it is delivered on commit). */
function notify(payload: string): string {
  return `pg_notify('${channel}', ${payload})`
}

/**
 * The {@link WorkflowStore} for many workers on many machines sharing one
 * PostgreSQL database. Runs are claimed with `FOR UPDATE SKIP LOCKED` in a
 * CTE, held by leases, and every write of a worker is fenced by the epoch of
 * its claim, checked by the database in the same statement. Step records of
 * runs finishing tasks together share one statement and one commit.
 * LISTEN/NOTIFY wakes idle workers and waiting handles.
 *
 * @example
 * ```ts
 * import { createEngine } from 'weft'
 * import { postgresStore } from 'weft/postgres'
 * const engine = createEngine({ store: postgresStore({ connectionString: process.env.DATABASE_URL! }) })
 * ```
 */
export class PostgresWorkflowStore implements WorkflowStore {
  readonly durable = true
  private readonly pool: PgPoolLike
  /** The pool as the store's statements use it: a failed query is a `StorageError`. */
  private readonly db: PgQueryable
  private readonly ownsPool: boolean
  /** The database, for messages: its URL without the password, or the pool it was given. */
  private readonly location: string
  private readonly limits: SerializationLimits
  private readonly steps: PgStepWriter
  private initialized: Promise<void> | undefined

  constructor(private readonly options: PostgresStoreOptions) {
    this.ownsPool = options.pool === undefined
    this.pool = options.pool ?? createPgPool(options.connectionString, options.maxConnections ?? 10)
    this.limits = options.limits ?? defaultSerializationLimits
    this.db = classifyingQueries(this.pool)
    this.location = options.connectionString === undefined ? 'the pool given to postgresStore' : withoutPassword(options.connectionString)
    this.steps = new PgStepWriter(this.db)
  }

  /** Runs the migrations under kysely's advisory lock, so concurrent starts apply them once. */
  init(): Promise<void> {
    this.initialized ??= (async () => {
      if (this.options.migrate === false) return this.verifySchema()
      assertKnownMigrations(await this.appliedMigrations(), this.location)
      const kysely = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: this.pool as never }) })
      const { error } = await new Migrator({ db: kysely, provider: weftMigrationProvider('postgres') }).migrateToLatest()
      if (error !== undefined) throw error
    })()
    return this.initialized
  }

  private async verifySchema(): Promise<void> {
    const { rows } = await this.db.query<{ exists: boolean }>(`select to_regclass('weft_runs') is not null as exists`)
    if (rows[0]?.exists !== true) throw new NotAWeftDatabaseError(this.location)
    assertKnownMigrations(await this.appliedMigrations(), this.location)
  }

  /** The migrations applied to the database (none when it is new). */
  private async appliedMigrations(): Promise<string[]> {
    const { rows } = await this.db.query<{ exists: boolean }>(`select to_regclass($1) is not null as exists`, [migrationTable])
    if (rows[0]?.exists !== true) return []
    return (await this.db.query<{ name: string }>(`select name from ${migrationTable}`)).rows.map((row) => row.name)
  }

  async createRun(run: NewRun): Promise<CreateRunResult> {
    const input = serialize(run.input, `input of run ${run.id}`, this.limits)
    const claim = run.claimBy
    const { rows } = await this.db.query<RunRow & { n: unknown }>(prepared(
      `with inserted as (
         insert into weft_runs (id, workflow, version, input, status, principal, created_at, started_at, lease_owner, lease_expires_at, epoch, input_digest)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) on conflict (id) do nothing returning *
       ), notified as (
         select ${notify(`'{"type":"run-created"}'`)} as n from inserted where status = 'pending'
       )
       select inserted.*, (select count(*) from notified) as n from inserted`,
      [
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
      ],
    ))
    if (rows[0] !== undefined) return { run: toRunRecord(rows[0]), created: true }
    return { run: (await this.getRun(run.id))!, created: false }
  }

  async getRun(runId: RunId): Promise<RunRecord | undefined> {
    const { rows } = await this.db.query<RunRow>(prepared(`select * from weft_runs where id = $1`, [runId]))
    return rows[0] === undefined ? undefined : toRunRecord(rows[0])
  }

  async listRuns(query: RunQuery = {}): Promise<RunRecord[]> {
    const { rows } = await this.db.query<RunRow>(prepared(
      `select * from weft_runs where ($1::text is null or status = $1) and ($2::text is null or workflow = $2)
         and ($4::text is null or (created_at, id) < (select created_at, id from weft_runs where id = $4))
       order by created_at desc, id desc limit $3`,
      [query.status ?? null, query.workflow ?? null, query.limit ?? 100, query.before ?? null],
    ))
    return rows.map(toRunRecord)
  }

  async claimRuns(request: ClaimRequest): Promise<RunRecord[]> {
    if (request.workflows.length === 0 || request.limit <= 0) return []
    const { rows } = await this.db.query<RunRow>(prepared(
      // Per workflow version, the oldest claimable runs from the partial index weft_runs_claimable,
      // in its order (a lateral subquery with its own lock leaves the planner no seq scan to cache).
      `with candidates as (
         select c.id from (select distinct * from unnest($1::text[], $2::int[])) as w(workflow, version)
         cross join lateral (
           select id, created_at from weft_runs
           where workflow = w.workflow and version = w.version
             and ${unfinished} and (status = 'pending' or lease_owner is null or lease_expires_at <= $3 or lease_owner = any($4::text[]))
           order by created_at, id
           limit $5
           for update skip locked
         ) c
         order by c.created_at, c.id
         limit $5
       )
       update weft_runs r set
         status = case when r.status = 'pending' then 'running' else r.status end,
         status_message = null,
         started_at = coalesce(r.started_at, $3),
         recoveries = r.recoveries + case when r.lease_owner is not null then 1 else 0 end,
         epoch = r.epoch + 1, lease_owner = $6, lease_expires_at = $3 + $7
       from candidates c where r.id = c.id
       returning r.*`,
      [
        request.workflows.map((w) => w.name),
        request.workflows.map((w) => w.version),
        request.now,
        request.deadOwners ?? [],
        request.limit,
        request.owner,
        request.leaseMs,
      ],
    ))
    return rows.map(toRunRecord).sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1))
  }

  async noteUnclaimable(workflows: readonly WorkflowVersion[], now: number): Promise<number> {
    const result = await this.db.query(prepared(
      `with locked as (
         select id from weft_runs
         where (workflow, version) not in (select * from unnest($1::text[], $2::int[]))
           and ${unfinished} and (status = 'pending' or lease_owner is null or lease_expires_at <= $3)
           and (status_message is distinct from ${unclaimableMessageSql} or status = 'running')
         order by id
         for no key update skip locked
       )
       update weft_runs r set status_message = ${unclaimableMessageSql}, status = case when r.status = 'running' then 'pending' else r.status end
       from locked l where r.id = l.id`,
      [workflows.map((w) => w.name), workflows.map((w) => w.version), now],
    ))
    return result.rowCount ?? 0
  }

  async renewLeases(owner: string, fences: readonly Fence[], leaseMs: number, now: number): Promise<RenewResult> {
    const { rows } = await this.db.query<{ id: string; requested_action: string | null }>(prepared(
      `with locked as (${lockInIdOrder('r.lease_owner = $4 and r.' + unfinished)})
       update weft_runs r set lease_expires_at = $3 from locked l where r.id = l.id
       returning r.id, r.requested_action`,
      [fences.map((f) => f.runId), fences.map((f) => f.epoch), now + leaseMs, owner],
    ))
    const renewed = new Set(rows.map((row) => row.id))
    return {
      lost: fences.filter((f) => !renewed.has(f.runId)).map((f) => f.runId),
      requested: rows.filter((row) => row.requested_action !== null).map((row) => ({ runId: row.id, action: row.requested_action as RequestedAction })),
    }
  }

  async releaseRuns(owner: string, fences: readonly Fence[], options: ReleaseOptions = {}): Promise<void> {
    if (fences.length === 0) return
    // A failed start keeps the owner (the next claim counts a recovery) and only ends the lease.
    const release = options.failure === undefined ? 'lease_owner = null, lease_expires_at = null' : 'lease_expires_at = 0, status_message = $4'
    await this.db.query(prepared(
      `with locked as (${lockInIdOrder('r.lease_owner = $3')}),
       released as (
         update weft_runs r set ${release} from locked l where r.id = l.id
         returning r.id
       )
       select ${notify(`'{"type":"run-created"}'`)} from released limit 1`,
      [fences.map((f) => f.runId), fences.map((f) => f.epoch), owner, ...(options.failure === undefined ? [] : [options.failure])],
    ))
  }

  async leaseOwners(now: number): Promise<string[]> {
    const { rows } = await this.db.query<{ lease_owner: string }>(prepared(
      `select distinct lease_owner from weft_runs where lease_owner is not null and lease_expires_at > $1 and ${unfinished}`,
      [now],
    ))
    return rows.map((row) => row.lease_owner)
  }

  async updateRun(fence: Fence, patch: RunPatch): Promise<void> {
    const { sets, params } = runPatchSql(patch, 3)
    const finished = patch.status !== undefined && isFinished(patch.status)
    const result = await this.db.query(prepared(
      `with updated as (update weft_runs set ${sets} where id = $1 and epoch = $2 returning id)
       select id${finished ? `, ${notify(`json_build_object('type', 'run-finished', 'runId', id)::text`)}` : ''} from updated`,
      [fence.runId, fence.epoch, ...params],
    ))
    if (result.rows.length === 0) throw new LeaseLostError(fence.runId, fence.epoch)
  }

  async requestAction(runId: RunId, action: RequestedAction, now: number): Promise<RunRecord | undefined> {
    return this.transaction(async (client) => {
      const { rows } = await client.query<RunRow>(`select * from weft_runs where id = $1 for update`, [runId])
      if (rows[0] === undefined) return undefined
      const decision = decideAction(toRunRecord(rows[0]), action, now)
      if (decision.kind === 'cancel-now') {
        const { sets, params } = runPatchSql(decision.patch, 2)
        await client.query(`update weft_runs set ${sets} where id = $1`, [runId, ...params])
        await client.query(`select ${notify(`json_build_object('type', 'run-finished', 'runId', $1::text)::text`)}`, [runId])
      } else if (decision.kind === 'revive') {
        await client.query(`update weft_runs set status = 'pending', status_message = null, recoveries = 0, finished_at = null where id = $1`, [runId])
        await client.query(`select ${notify(`'{"type":"run-created"}'`)}`)
      } else if (decision.kind === 'ask-worker') {
        await client.query(`update weft_runs set requested_action = $2 where id = $1`, [runId, action])
        await client.query(`select ${notify(`json_build_object('type', 'action', 'runId', $1::text)::text`)}`, [runId])
      }
      return this.getRunWith(client, runId)
    })
  }

  async clearAction(fence: Fence): Promise<void> {
    const result = await this.db.query(prepared(`update weft_runs set requested_action = null where id = $1 and epoch = $2`, [fence.runId, fence.epoch]))
    if ((result.rowCount ?? 0) === 0) throw new LeaseLostError(fence.runId, fence.epoch)
  }

  saveStep(fence: Fence, step: StepRecord): Promise<StepRecord> {
    const output = step.status === 'completed' ? serialize(step.output, `output of step "${step.key}" of run ${step.runId}`, this.limits) : null
    return this.steps.write(fence, step, output)
  }

  /** Records a run's last step and its end in one statement (one round trip, one commit). */
  async saveFinalStep(fence: Fence, step: StepRecord, patch: RunPatch): Promise<StepRecord> {
    const output = step.status === 'completed' ? serialize(step.output, `output of step "${step.key}" of run ${step.runId}`, this.limits) : null
    const { sets, params } = runPatchSql(patch, 13)
    const finished = patch.status !== undefined && isFinished(patch.status)
    const { rows } = await this.db.query<{ fenced: string; inserted: string }>(
      prepared(
        `with updated as (update weft_runs set ${sets} where id = $1 and epoch = $2 returning id),
         inserted as (
           insert into weft_steps (run_id, key, task, kind, status, output, error, attempts, started_at, finished_at)
           select $1, $3, $4, $5, $6, $7, $8, $9, $10, $11 from updated
           on conflict (run_id, key) do nothing returning key
         ), notified as (
           select ${finished ? notify(`json_build_object('type', 'run-finished', 'runId', id)::text`) : 'null'} from updated where $12::boolean
         )
         select (select count(*) from updated) as fenced, (select count(*) from inserted) as inserted, (select count(*) from notified) as notified`,
        [fence.runId, fence.epoch, step.key, step.task, stepKind(step.key), step.status, output, errorText(step.error), step.attempts, step.startedAt ?? null, step.finishedAt, finished, ...params],
      ),
    )
    if (Number(rows[0]!.fenced) === 0) throw new LeaseLostError(fence.runId, fence.epoch)
    if (Number(rows[0]!.inserted) === 1) return step
    const existing = await this.db.query<StepRow>(prepared(`select * from weft_steps where run_id = $1 and key = $2`, [step.runId, step.key]))
    return toStepRecord(existing.rows[0]!)
  }

  async loadSteps(runId: RunId): Promise<StepRecord[]> {
    const { rows } = await this.db.query<StepRow>(prepared(`select * from weft_steps where run_id = $1`, [runId]))
    return rows.map(toStepRecord)
  }

  async getRunWithSteps(runId: RunId): Promise<RunWithSteps | undefined> {
    const { rows } = await this.db.query<RunRow & { steps: StepRow[] | null }>(prepared(
      `select r.*, case when r.status in ('completed', 'failed', 'cancelled')
         then (select coalesce(json_agg(s), '[]'::json) from weft_steps s where s.run_id = r.id) end as steps
       from weft_runs r where r.id = $1`,
      [runId],
    ))
    const row = rows[0]
    if (row === undefined) return undefined
    return { run: toRunRecord(row), steps: row.steps?.map(toStepRecord) }
  }

  async timer(fence: Fence, key: string, wakeAt: number): Promise<number> {
    const { rows } = await this.db.query<{ fenced: string; wake_at: number | null }>(prepared(
      `with f as (select id from weft_runs where id = $1 and epoch = $2 for share),
       inserted as (insert into weft_timers (run_id, key, wake_at) select $1, $3, $4 from f on conflict do nothing returning wake_at)
       select (select count(*) from f) as fenced,
         coalesce((select wake_at from inserted), (select wake_at from weft_timers where run_id = $1 and key = $3)) as wake_at`,
      [fence.runId, fence.epoch, key, wakeAt],
    ))
    if (Number(rows[0]!.fenced) === 0) throw new LeaseLostError(fence.runId, fence.epoch)
    return Number(rows[0]!.wake_at)
  }

  async sendEvent(event: NewEvent): Promise<number> {
    const payload = serialize(event.payload, `payload of event "${event.name}"`, this.limits)
    const { rows } = await this.db.query<{ id: string }>(prepared(
      `with inserted as (insert into weft_events (name, run_id, payload, sent_at) values ($1, $2, $3, $4) returning id, name, run_id)
       select id, ${notify(`json_build_object('type', 'event', 'runId', run_id, 'name', name)::text`)} from inserted`,
      [event.name, event.runId ?? null, payload, event.sentAt],
    ))
    return Number(rows[0]!.id)
  }

  async eventsAfter(afterId: number, limit: number): Promise<EventNotice[]> {
    const { rows } = await this.db.query<{ id: string; name: string; run_id: string | null }>(
      prepared(`select id, name, run_id from weft_events where id > $1 order by id limit $2`, [afterId, limit]),
    )
    return rows.map((row) => ({ id: Number(row.id), name: row.name, runId: row.run_id ?? undefined }))
  }

  async latestEventId(): Promise<number> {
    const { rows } = await this.db.query<{ id: string }>(prepared(`select coalesce(max(id), 0) as id from weft_events`, []))
    return Number(rows[0]!.id)
  }

  async pendingEvents(runId: RunId, name: string, since: number): Promise<StoredEvent[]> {
    const { rows } = await this.db.query<EventRow>(prepared(
      `select id, name, run_id, payload, sent_at from weft_events e
       where name = $2 and ((run_id = $1 and consumed_at is null)
         or (run_id is null and sent_at >= $3 and not exists (select 1 from weft_event_takes t where t.event_id = e.id and t.run_id = $1)))
       order by id`,
      [runId, name, since],
    ))
    return rows.map(toStoredEvent)
  }

  async takeEvent(fence: Fence, event: StoredEvent, step: StepRecord): Promise<boolean> {
    const output = serialize(step.output, `output of step "${step.key}" of run ${step.runId}`, this.limits)
    const { rows } = await this.db.query<{ fenced: string; took: string }>(prepared(
      `with f as (select id from weft_runs where id = $1 and epoch = $2 for share),
       free as (select id from weft_events where id = $3 and (run_id is null or consumed_at is null) for update),
       took as (
         insert into weft_event_takes (event_id, run_id) select $3, $1 from f, free on conflict do nothing returning event_id
       ), consumed as (
         update weft_events set consumed_at = $12 where id = $3 and run_id is not null and exists (select 1 from took) returning id
       ), step as (
         insert into weft_steps (run_id, key, task, kind, status, output, error, attempts, started_at, finished_at)
         select $1, $4, $5, $6, $7, $8, $9, $10, $11, $12 where exists (select 1 from took)
         on conflict do nothing returning key
       )
       select (select count(*) from f) as fenced, (select count(*) from took) as took`,
      [fence.runId, fence.epoch, event.id, step.key, step.task, stepKind(step.key), step.status, output, errorText(step.error), step.attempts, step.startedAt ?? null, step.finishedAt],
    ))
    if (Number(rows[0]!.fenced) === 0) throw new LeaseLostError(fence.runId, fence.epoch)
    return Number(rows[0]!.took) === 1
  }

  /** LISTENs on Weft's channel with a dedicated connection. */
  async subscribe(listener: (notification: StoreNotification) => void): Promise<() => Promise<void>> {
    const client = await this.pool.connect()
    client.on('notification', (message) => {
      if (message.channel !== channel || message.payload === undefined) return
      try {
        listener(JSON.parse(message.payload) as StoreNotification)
      } catch {
        // A malformed payload from another program on the channel: ignore it.
      }
    })
    client.on('error', () => undefined)
    await client.query(`listen ${channel}`)
    return async () => {
      await client.query(`unlisten ${channel}`).catch(() => undefined)
      client.release()
    }
  }

  /**
   * Writes a row as large as the largest value a step may store
   * (`limits.maxBytes`, at least 64 KiB) of random bytes (PostgreSQL would
   * compress zeros to almost nothing) and deletes it, each in its own commit.
   * Left dead until vacuumed, the row's space is not reused by the next probe.
   */
  async probe(): Promise<void> {
    const data = randomBytes(Math.max(probeBytes, this.limits.maxBytes))
    const { rows } = await this.db.query<{ id: string }>(prepared(`insert into weft_probe (data) values ($1) returning id`, [data]))
    await this.db.query(prepared(`delete from weft_probe where id = $1`, [rows[0]!.id]))
  }

  async close(): Promise<void> {
    await this.initialized?.catch(() => undefined)
    if (this.ownsPool) await this.pool.end()
  }

  private async transaction<T>(work: (client: PgClientLike) => Promise<T>): Promise<T> {
    const client = await this.pool.connect().catch((error: unknown) => {
      throw toStorageError(error, classifyPgError, 'connecting to PostgreSQL')
    })
    try {
      await client.query('begin')
      const result = await work(client)
      await client.query('commit')
      return result
    } catch (error) {
      await client.query('rollback').catch(() => undefined)
      throw toStorageError(error, classifyPgError, 'a PostgreSQL transaction')
    } finally {
      client.release()
    }
  }

  private async getRunWith(db: PgQueryable, runId: RunId): Promise<RunRecord | undefined> {
    const { rows } = await db.query<RunRow>(`select * from weft_runs where id = $1`, [runId])
    return rows[0] === undefined ? undefined : toRunRecord(rows[0])
  }
}

/** `pool` whose failed queries reject with a `StorageError` (the one model of store failures) instead of the driver's error. */
function classifyingQueries(pool: PgQueryable): PgQueryable {
  const query = (textOrConfig: string | PgQueryConfig, values?: readonly unknown[]) =>
    pool.query(textOrConfig as never, values as never).catch((error: unknown) => {
      throw toStorageError(error, classifyPgError, 'a PostgreSQL query')
    })
  return { query } as PgQueryable
}

/** The `set` clause of a run update with `$n` placeholders numbered from `first`. */
function runPatchSql(patch: RunPatch, first: number): { sets: string; params: unknown[] } {
  const { sql: sets, params } = sharedRunPatchSql(patch, (index) => `$${first + index}`)
  return { sets, params }
}

/**
 * Creates the PostgreSQL store.
 *
 * @example
 * ```ts
 * import { postgresStore } from 'weft/postgres'
 * const store = postgresStore({ connectionString: 'postgres://localhost:5432/weft' })
 * ```
 */
export function postgresStore(options: PostgresStoreOptions): PostgresWorkflowStore {
  return new PostgresWorkflowStore(options)
}
