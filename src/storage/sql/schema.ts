import type { ColumnType, Generated, Selectable } from 'kysely'
import type { SqlDialect } from './migrations.js'

/**
 * Weft's tables as the migrations (migrations.ts) leave them, for kysely's
 * typed query builder: every statement and every row read is checked against
 * these types, so a column renamed here fails `tsc` wherever it is used. A
 * test migrates real SQLite and PostgreSQL databases and compares their
 * columns with {@link weftColumns}, which is typed by these interfaces: the
 * types and the comparison share one source.
 *
 * Times are epoch milliseconds (`integer` in SQLite, `double precision` in
 * PostgreSQL; both drivers return numbers).
 */
export interface RunsTable {
  readonly id: string
  readonly workflow: string
  readonly version: number
  readonly input: string
  readonly status: string
  readonly status_message: string | null
  readonly principal: string | null
  readonly created_at: number
  readonly started_at: number | null
  readonly finished_at: number | null
  readonly error: string | null
  readonly lease_owner: string | null
  readonly lease_expires_at: number | null
  readonly epoch: Generated<number>
  readonly recoveries: Generated<number>
  readonly requested_action: string | null
  readonly input_digest: string | null
  readonly tenant: string | null
  readonly roles: string | null
  readonly trace_context: string | null
}

/** `weft_steps`: one row a step, keyed by (run_id, key). */
export interface StepsTable {
  readonly run_id: string
  readonly key: string
  readonly task: string
  readonly kind: string
  readonly status: string
  readonly output: string | null
  readonly error: string | null
  readonly attempts: number
  readonly started_at: number | null
  readonly finished_at: number
  /** The step's `AttemptHistory` as JSON; null for a single attempt. */
  readonly history: string | null
  /** The step's `StepUsage` as JSON; null when its calls metered nothing. */
  readonly usage: string | null
  /** PostgreSQL only: its run's workflow, for the history (migration 015; the statement that writes the step fills it from the run). */
  readonly workflow: string | null
  /** PostgreSQL only: its run's creation time, for the history's windows (as `workflow`). */
  readonly run_created_at: number | null
}

/** `weft_timers`: a durable timer's first deadline, keyed by (run_id, key). */
export interface TimersTable {
  readonly run_id: string
  readonly key: string
  readonly wake_at: number
}

/** `weft_events`: the inbox. PostgreSQL returns the bigserial id as a string. */
export interface EventsTable {
  readonly id: ColumnType<number | string, never, never>
  readonly name: string
  readonly run_id: string | null
  readonly payload: string
  readonly sent_at: number
  readonly consumed_at: number | null
}

/** `weft_event_takes`: which run took which event sent to every run. */
export interface EventTakesTable {
  readonly event_id: number
  readonly run_id: string
}

/** `weft_probe`: rows a health probe writes and deletes again. */
export interface ProbeTable {
  readonly id: ColumnType<number | string, never, never>
  readonly data: Uint8Array
}

/** `weft_outbox`: messages recorded with their steps, delivered by workers under leases (see `OutboxStore`). */
export interface OutboxTable {
  readonly id: string
  readonly run_id: string
  readonly step_key: string
  readonly adapter: string
  readonly payload: string
  readonly status: string
  readonly attempts: number
  readonly created_at: number
  readonly available_at: number
  readonly lease_owner: string | null
  readonly lease_expires_at: number | null
  readonly delivered_at: number | null
  readonly last_error: string | null
}

/** `weft_audit`: the append-only audit log, hash-chained per writer (see `AuditStore`). */
export interface AuditTable {
  readonly chain: string
  readonly idx: number
  readonly at: number
  readonly subject: string | null
  readonly tenant: string | null
  readonly action: string
  readonly resource: string | null
  readonly run_id: string | null
  readonly outcome: string
  readonly reason: string | null
  readonly prev_hash: string
  readonly hash: string
}

/** `weft_sessions`: one row a session (a family of refresh tokens), with the principal it was opened for (see `SessionStore`). */
export interface SessionsTable {
  readonly id: string
  readonly subject: string
  /** The roles as a JSON array. */
  readonly roles: string
  readonly tenant: string | null
  readonly created_at: number
  readonly expires_at: number
  readonly revoked_at: number | null
  readonly revoke_reason: string | null
}

/** `weft_refresh_tokens`: refresh tokens by their SHA-256 hash (never the token), in their session's family. */
export interface RefreshTokensTable {
  readonly hash: string
  readonly session_id: string
  readonly parent: string | null
  readonly issued_at: number
  readonly expires_at: number
  readonly used_at: number | null
}

/** `weft_local_users`: local users, their password as a scrypt hash with its parameters and salt (see `LocalUserStore`). */
export interface LocalUsersTable {
  readonly name: string
  readonly subject: string
  /** The roles as a JSON array. */
  readonly roles: string
  readonly tenant: string | null
  readonly password_hash: string
  readonly created_at: number
  readonly updated_at: number
}

/** `weft_login_attempts`: failed login attempts in a row and the lock, per login name (known or not). */
export interface LoginAttemptsTable {
  readonly name: string
  readonly failures: number
  readonly locked_until: number | null
}

/** `weft_settings`: database-wide settings, one JSON value per name (see `SettingsStore`). */
export interface SettingsTable {
  readonly name: string
  /** The value as JSON. */
  readonly value: string
  readonly updated_at: number
}

/** Weft's database, as kysely sees it. */
export interface WeftDatabase {
  readonly weft_runs: RunsTable
  readonly weft_steps: StepsTable
  readonly weft_timers: TimersTable
  readonly weft_events: EventsTable
  readonly weft_event_takes: EventTakesTable
  readonly weft_probe: ProbeTable
  readonly weft_outbox: OutboxTable
  readonly weft_sessions: SessionsTable
  readonly weft_refresh_tokens: RefreshTokensTable
  readonly weft_local_users: LocalUsersTable
  readonly weft_login_attempts: LoginAttemptsTable
  readonly weft_audit: AuditTable
  readonly weft_settings: SettingsTable
}

/** A `weft_runs` row as both drivers return it. */
export type RunRow = Selectable<RunsTable>
/** A `weft_steps` row as Weft's code reads and writes it: without the history columns, which the store fills from the run. */
export type StepRow = Omit<Selectable<StepsTable>, 'workflow' | 'run_created_at'>
/** A `weft_events` row. */
export type EventRow = Selectable<EventsTable>
/** A `weft_outbox` row. */
export type OutboxRow = Selectable<OutboxTable>
/** A `weft_sessions` row. */
export type SessionRow = Selectable<SessionsTable>
/** A `weft_refresh_tokens` row. */
export type RefreshTokenRow = Selectable<RefreshTokensTable>
/** A `weft_local_users` row. */
export type LocalUserRow = Selectable<LocalUsersTable>
/** A `weft_audit` row. */
export type AuditRow = Selectable<AuditTable>

/**
 * What a column holds, in the migrations' terms: `time` is epoch milliseconds,
 * `serial` an auto-incremented id, `event-id` a reference to one (`bigint` in
 * PostgreSQL), `bytes` binary data.
 */
export type ColumnKind = 'text' | 'integer' | 'time' | 'serial' | 'event-id' | 'bytes'

/** A column as declared: what it holds and whether it may be null. */
export interface ColumnDeclaration {
  readonly kind: ColumnKind
  readonly nullable: boolean
  /** The one dialect that has the column, when only one does. */
  readonly only?: SqlDialect
}

const text: ColumnDeclaration = { kind: 'text', nullable: false }
const optionalText: ColumnDeclaration = { kind: 'text', nullable: true }
const integer: ColumnDeclaration = { kind: 'integer', nullable: false }
const time: ColumnDeclaration = { kind: 'time', nullable: false }
const optionalTime: ColumnDeclaration = { kind: 'time', nullable: true }
const serial: ColumnDeclaration = { kind: 'serial', nullable: false }

/**
 * Every column of every table, keyed by the table types above (a column
 * missing here, or here but not in the type, fails `tsc`); the schema test
 * compares the migrated databases with it.
 */
export const weftColumns: { readonly [T in keyof WeftDatabase]: Readonly<Record<keyof WeftDatabase[T], ColumnDeclaration>> } = {
  weft_runs: {
    id: text,
    workflow: text,
    version: integer,
    input: text,
    status: text,
    status_message: optionalText,
    principal: optionalText,
    created_at: time,
    started_at: optionalTime,
    finished_at: optionalTime,
    error: optionalText,
    lease_owner: optionalText,
    lease_expires_at: optionalTime,
    epoch: integer,
    recoveries: integer,
    requested_action: optionalText,
    input_digest: optionalText,
    tenant: optionalText,
    roles: optionalText,
    trace_context: optionalText,
  },
  weft_steps: {
    run_id: text,
    key: text,
    task: text,
    kind: text,
    status: text,
    output: optionalText,
    error: optionalText,
    attempts: integer,
    started_at: optionalTime,
    finished_at: time,
    history: optionalText,
    usage: optionalText,
    workflow: { ...optionalText, only: 'postgres' },
    run_created_at: { ...optionalTime, only: 'postgres' },
  },
  weft_timers: { run_id: text, key: text, wake_at: time },
  weft_events: { id: serial, name: text, run_id: optionalText, payload: text, sent_at: time, consumed_at: optionalTime },
  weft_event_takes: { event_id: { kind: 'event-id', nullable: false }, run_id: text },
  weft_probe: { id: serial, data: { kind: 'bytes', nullable: false } },
  weft_outbox: {
    id: text,
    run_id: text,
    step_key: text,
    adapter: text,
    payload: text,
    status: text,
    attempts: integer,
    created_at: time,
    available_at: time,
    lease_owner: optionalText,
    lease_expires_at: optionalTime,
    delivered_at: optionalTime,
    last_error: optionalText,
  },
  weft_audit: {
    chain: text,
    idx: integer,
    at: time,
    subject: optionalText,
    tenant: optionalText,
    action: text,
    resource: optionalText,
    run_id: optionalText,
    outcome: text,
    reason: optionalText,
    prev_hash: text,
    hash: text,
  },
  weft_sessions: {
    id: text,
    subject: text,
    roles: text,
    tenant: optionalText,
    created_at: time,
    expires_at: time,
    revoked_at: optionalTime,
    revoke_reason: optionalText,
  },
  weft_refresh_tokens: { hash: text, session_id: text, parent: optionalText, issued_at: time, expires_at: time, used_at: optionalTime },
  weft_local_users: { name: text, subject: text, roles: text, tenant: optionalText, password_hash: text, created_at: time, updated_at: time },
  weft_login_attempts: { name: text, failures: integer, locked_until: optionalTime },
  weft_settings: { name: text, value: text, updated_at: time },
}
