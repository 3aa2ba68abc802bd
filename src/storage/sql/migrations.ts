import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely'
import { NewerSchemaError } from '../../core/errors.js'
import { createSessionTables } from './session-tables.js'
import { createAuditTable } from './audit-migration.js'

/** The SQL condition that selects unfinished runs (the statuses a worker may still act on). */
export const unfinishedRuns = `status not in ('completed', 'failed', 'cancelled', 'dead-lettered')`

/** The SQL dialects Weft's schema is written for. */
export type SqlDialect = 'sqlite' | 'postgres'

/**
 * Weft's schema, one migration list for both dialects. Column types differ
 * only where the databases do: times are epoch milliseconds (`integer` in
 * SQLite, `double precision` in PostgreSQL, which `pg` returns as numbers),
 * event ids auto-increment.
 */
export function weftMigrations(dialect: SqlDialect): Record<string, Migration> {
  const time = dialect === 'postgres' ? 'double precision' : 'integer'
  return {
    '2026_11_28_001_core': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('weft_runs')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('workflow', 'text', (c) => c.notNull())
          .addColumn('version', 'integer', (c) => c.notNull())
          .addColumn('input', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('status_message', 'text')
          .addColumn('principal', 'text')
          .addColumn('created_at', time, (c) => c.notNull())
          .addColumn('started_at', time)
          .addColumn('finished_at', time)
          .addColumn('error', 'text')
          .addColumn('lease_owner', 'text')
          .addColumn('lease_expires_at', time)
          .addColumn('epoch', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('recoveries', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('requested_action', 'text')
          .execute()
        await db.schema.createIndex('weft_runs_by_created').on('weft_runs').columns(['created_at', 'id']).execute()
        await db.schema.createIndex('weft_runs_by_workflow').on('weft_runs').columns(['workflow', 'created_at']).execute()
        await db.schema.createIndex('weft_runs_by_status').on('weft_runs').columns(['status', 'created_at']).execute()
        // Claims, lease checks and renewals only look at unfinished runs: a partial index keeps them
        // independent of how many finished runs the table holds.
        await sql`create index weft_runs_unfinished on weft_runs (created_at, id) where ${sql.raw(unfinishedRuns)}`.execute(db)
        await db.schema
          .createTable('weft_steps')
          .addColumn('run_id', 'text', (c) => c.notNull().references('weft_runs.id').onDelete('cascade'))
          .addColumn('key', 'text', (c) => c.notNull())
          .addColumn('task', 'text', (c) => c.notNull())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('output', 'text')
          .addColumn('error', 'text')
          .addColumn('attempts', 'integer', (c) => c.notNull())
          .addColumn('started_at', time)
          .addColumn('finished_at', time, (c) => c.notNull())
          .addPrimaryKeyConstraint('weft_steps_pk', ['run_id', 'key'])
          // SQLite: rows clustered by their key, so a step costs one b-tree (one page write), not a table and an index.
          .$call((table) => (dialect === 'sqlite' ? table.modifyEnd(sql`without rowid`) : table))
          .execute()
        await db.schema
          .createTable('weft_timers')
          .addColumn('run_id', 'text', (c) => c.notNull().references('weft_runs.id').onDelete('cascade'))
          .addColumn('key', 'text', (c) => c.notNull())
          .addColumn('wake_at', time, (c) => c.notNull())
          .addPrimaryKeyConstraint('weft_timers_pk', ['run_id', 'key'])
          .$call((table) => (dialect === 'sqlite' ? table.modifyEnd(sql`without rowid`) : table))
          .execute()
        await db.schema
          .createTable('weft_events')
          .addColumn('id', dialect === 'postgres' ? 'bigserial' : 'integer', (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('run_id', 'text')
          .addColumn('payload', 'text', (c) => c.notNull())
          .addColumn('sent_at', time, (c) => c.notNull())
          .addColumn('consumed_at', time)
          .execute()
        await db.schema.createIndex('weft_events_by_run').on('weft_events').columns(['run_id', 'name', 'id']).execute()
        await sql`create index weft_events_broadcast on weft_events (name, sent_at) where run_id is null`.execute(db)
        await db.schema
          .createTable('weft_event_takes')
          .addColumn('event_id', dialect === 'postgres' ? 'bigint' : 'integer', (c) => c.notNull())
          .addColumn('run_id', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('weft_event_takes_pk', ['event_id', 'run_id'])
          .execute()
      },
    },
    '2026_11_28_002_claim_index': {
      async up(db: Kysely<unknown>) {
        // A claim asks for the oldest unfinished runs of the workflow versions a worker has. Ordered
        // by time alone, the partial index left the planner a choice it got wrong as finished runs
        // piled up (weft_runs_by_workflow, whose scan reads every run the workflow ever had). Led by
        // (workflow, version), the partial index answers a claim from unfinished runs only.
        await sql`create index weft_runs_claimable on weft_runs (workflow, version, created_at, id) where ${sql.raw(unfinishedRuns)}`.execute(db)
        await db.schema.dropIndex('weft_runs_unfinished').execute()
      },
    },
    '2026_12_04_003_input_digest': {
      async up(db: Kysely<unknown>) {
        // A keyed digest of the canonical serialized input: idempotent starts compare it instead of the
        // stored input, which may read back in another form (and will be encrypted with random nonces).
        await db.schema.alterTable('weft_runs').addColumn('input_digest', 'text').execute()
      },
    },
    '2026_12_04_004_probe': {
      async up(db: Kysely<unknown>) {
        // Health probes write a row that needs new space here and delete it (WorkflowStore.probe).
        await db.schema
          .createTable('weft_probe')
          .addColumn('id', dialect === 'postgres' ? 'bigserial' : 'integer', (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
          .addColumn('data', dialect === 'postgres' ? 'bytea' : 'blob', (c) => c.notNull())
          .execute()
      },
    },
    '2026_12_05_005_attempt_history': {
      async up(db: Kysely<unknown>) {
        // A step's attempts before its last (AttemptHistory as JSON), written with the step; null for one attempt.
        await db.schema.alterTable('weft_steps').addColumn('history', 'text').execute()
      },
    },
    '2026_12_06_006_step_usage': {
      async up(db: Kysely<unknown>) {
        // What a step's metered calls spent (StepUsage as JSON: tokens, cost), written with the step; null when none.
        await db.schema.alterTable('weft_steps').addColumn('usage', 'text').execute()
      },
    },
    '2026_12_07_007_outbox': {
      async up(db: Kysely<unknown>) {
        // The durable outbox: entries inserted with their step (same transaction), claimed by deliverers
        // under leases like runs, kept after delivery (delivered_at) or when given up (status 'dead').
        await db.schema
          .createTable('weft_outbox')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('run_id', 'text', (c) => c.notNull().references('weft_runs.id').onDelete('cascade'))
          .addColumn('step_key', 'text', (c) => c.notNull())
          .addColumn('adapter', 'text', (c) => c.notNull())
          .addColumn('payload', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('created_at', time, (c) => c.notNull())
          .addColumn('available_at', time, (c) => c.notNull())
          .addColumn('lease_owner', 'text')
          .addColumn('lease_expires_at', time)
          .addColumn('delivered_at', time)
          .addColumn('last_error', 'text')
          .execute()
        // Claims only look at pending entries: a partial index keeps them independent of how many were delivered.
        await sql`create index weft_outbox_pending on weft_outbox (available_at, id) where status = 'pending'`.execute(db)
        await db.schema.createIndex('weft_outbox_by_run').on('weft_outbox').columns(['run_id']).execute()
      },
    },
    '2026_12_08_008_run_principal': {
      async up(db: Kysely<unknown>) {
        // The principal that started a run, beyond its subject (\`principal\`): its tenant, for the object-level rule
        // and for listing a tenant's runs, and its roles (JSON), for re-checking a resumed run's task requirements.
        await db.schema.alterTable('weft_runs').addColumn('tenant', 'text').execute()
        await db.schema.alterTable('weft_runs').addColumn('roles', 'text').execute()
        await db.schema.createIndex('weft_runs_by_principal').on('weft_runs').columns(['principal', 'created_at']).execute()
        await db.schema.createIndex('weft_runs_by_tenant').on('weft_runs').columns(['tenant', 'created_at']).execute()
      },
    },
    '2026_12_08_009_audit': {
      async up(db: Kysely<unknown>) {
        // The append-only audit log (see AuditStore), hash-chained per writer; UPDATE and DELETE refused by triggers.
        await createAuditTable(db, dialect)
      },
    },
    '2026_12_08_010_sessions': {
      async up(db: Kysely<unknown>) {
        // Sessions with refresh tokens (SHA-256 hashes only) and optional local users (scrypt hashes), see SessionStore.
        await createSessionTables(db, dialect)
      },
    },
    '2026_12_08_011_settings': {
      async up(db: Kysely<unknown>) {
        // Database-wide settings (see SettingsStore), e.g. that security is enabled: the CLI honours it before reading runs.
        await db.schema
          .createTable('weft_settings')
          .addColumn('name', 'text', (c) => c.primaryKey())
          .addColumn('value', 'text', (c) => c.notNull())
          .addColumn('updated_at', time, (c) => c.notNull())
          .execute()
      },
    },
    '2026_12_09_013_trace': {
      async up(db: Kysely<unknown>) {
        // The W3C trace context (traceparent) a run was started under, so a worker that resumes it continues its trace.
        await db.schema.alterTable('weft_runs').addColumn('trace_context', 'text').execute()
      },
    },
    '2026_12_10_014_history_index': {
      async up(db: Kysely<unknown>) {
        // The history's index (store.history, weft stats): every column its run aggregates read, led by (workflow,
        // created_at), so a workflow's runs in a window are one range of one b-tree, read without visiting the table
        // (an index-only scan), in the order the workflows are reported; the run id last, for joining the steps. It
        // replaces weft_runs_by_workflow (workflow, created_at), its prefix, which served the same lookups. Building it
        // on 1,000,000 runs takes seconds (guides/observability.md).
        await db.schema.createIndex('weft_runs_history').on('weft_runs').columns(historyIndexColumns).execute()
        await db.schema.dropIndex('weft_runs_by_workflow').execute()
      },
    },
    '2026_12_11_015_step_history': {
      async up(db: Kysely<unknown>) {
        // PostgreSQL: the steps' history (store.history's task rows, weft stats). Each step carries its run's workflow
        // and creation time, so that a task's steps in a window are one range of one index (weft_steps_history),
        // read without visiting the runs or the table; before, every task query joined each run to its steps and
        // sorted them all by task. Every statement that writes a step fills both columns from the run row its fence
        // reads; the trigger fills them for a writer that does not (a worker of an earlier version still running
        // after the upgrade), and costs the others a null test. This migration only adds them: adding nullable
        // columns is instant, so the steps table is locked for a moment. The steps recorded before it are filled,
        // and the index built, online after the migrations (postgres/pg-step-history.ts): filling them here, in the
        // migrations' transaction, held the table's lock for 70 s on 1,000,000 runs, and every worker waited.
        // SQLite has none of it: its commit writes every page it changed, so a second b-tree per step cost a page per
        // commit (a 100-task chain +40% per task on bench section 4); it reads the task rows by joining each run to
        // its steps and folding them in one pass (sqlite/sqlite-history-aggregates.ts).
        if (dialect !== 'postgres') return
        await db.schema.alterTable('weft_steps').addColumn('workflow', 'text').execute()
        await db.schema.alterTable('weft_steps').addColumn('run_created_at', time).execute()
        await sql`create function weft_steps_fill_history() returns trigger language plpgsql as $$
          begin
            select r.workflow, r.created_at into new.workflow, new.run_created_at from weft_runs r where r.id = new.run_id;
            return new;
          end $$`.execute(db)
        await sql`create trigger weft_steps_fill_history before insert on weft_steps for each row when (new.workflow is null)
          execute function weft_steps_fill_history()`.execute(db)
        // A database without steps yet (a new one) has nothing to fill: its index is built here, at no cost.
        const { rows } = await sql<{ empty: boolean }>`select not exists (select 1 from weft_steps) as empty`.execute(db)
        if (rows[0]?.empty === true) await sql.raw(stepHistoryIndexSql(false)).execute(db)
      },
    },
  }
}

/**
 * The condition of a task's own step (not a map item or a sub-step), PostgreSQL's steps' history index's predicate, on the
 * table named `alias` ('' for none). Written `(key = task) is true`, not `key = task`: PostgreSQL merges `key =
 * task` with a query's `task = $1` into `key = $1` and `task = $1`, and then cannot prove that the query only wants
 * rows of the partial index (it read the whole table instead); a test of the comparison is not merged.
 */
export function ownStepCondition(alias: string): string {
  const column = (name: string) => (alias === '' ? name : `${alias}.${name}`)
  return `(${column('key')} = ${column('task')}) is true`
}

/**
 * The statement that builds PostgreSQL's steps' history index (weft_steps_history): keyed by (workflow, task,
 * run_created_at), covering the columns the task rows read so that they read only the index, over a task's own
 * steps; `concurrently` builds it without blocking writes (outside a transaction).
 */
export function stepHistoryIndexSql(concurrently: boolean): string {
  return `create index ${concurrently ? 'concurrently ' : ''}if not exists weft_steps_history on weft_steps (workflow, task, run_created_at)
    include (status, started_at, finished_at, attempts, usage) where ${ownStepCondition('')}`
}

/** The columns of the runs' history index, in order (the history queries name it: weft_runs_history). */
export const historyIndexColumns = ['workflow', 'created_at', 'status', 'started_at', 'finished_at', 'recoveries', 'id']

/** How many bytes a health probe writes (and removes): more than a typical step, so a store that passes can take steps. */
export const probeBytes = 64 * 1024

/** The migration table kysely's Migrator keeps (its default name). */
export const migrationTable = 'kysely_migration'

/**
 * Refuses a database migrated by a newer Weft: one whose applied migrations
 * include names this version does not have. (Kysely would call it "corrupted
 * migrations", which sends the reader the wrong way.)
 * @throws {@link NewerSchemaError}
 */
export function assertKnownMigrations(applied: readonly string[], location: string): void {
  const known = Object.keys(weftMigrations('sqlite'))
  const unknown = applied.filter((name) => !known.includes(name)).sort()
  if (unknown.length > 0) throw new NewerSchemaError(location, unknown, known.at(-1)!)
}

/** A kysely migration provider over {@link weftMigrations}. */
export function weftMigrationProvider(dialect: SqlDialect): MigrationProvider {
  return { getMigrations: async () => weftMigrations(dialect) }
}
