import type { ErrorRecord, RequestedAction, RunRecord, RunStatus, StepRecord, StoredEvent } from '../workflow-store.js'
import { stepKeyKind } from '../../core/step-key.js'
import { deserialize } from '../serialization.js'

/** A `weft_runs` row as both drivers return it. */
export interface RunRow {
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
  readonly epoch: number
  readonly recoveries: number
  readonly requested_action: string | null
  /** Absent in databases not yet migrated to it (read-only commands do not migrate). */
  readonly input_digest?: string | null
}

/** A `weft_steps` row. */
export interface StepRow {
  readonly run_id: string
  readonly key: string
  readonly task: string
  readonly status: string
  readonly output: string | null
  readonly error: string | null
  readonly attempts: number
  readonly started_at: number | null
  readonly finished_at: number
}

/** A `weft_events` row (PostgreSQL returns the bigserial id as a string). */
export interface EventRow {
  readonly id: number | string
  readonly name: string
  readonly run_id: string | null
  readonly payload: string
  readonly sent_at: number
}

function optional<T>(value: T | null): T | undefined {
  return value === null ? undefined : value
}

/** Reads a stored error record. */
export function errorOf(text: string | null): ErrorRecord | undefined {
  return text === null ? undefined : (JSON.parse(text) as ErrorRecord)
}

/** Writes an error record. */
export function errorText(error: ErrorRecord | undefined): string | null {
  return error === undefined ? null : JSON.stringify(error)
}

export function toRunRecord(row: RunRow): RunRecord {
  return {
    id: row.id,
    workflow: row.workflow,
    version: Number(row.version),
    input: deserialize(row.input),
    status: row.status as RunStatus,
    statusMessage: optional(row.status_message),
    principal: optional(row.principal),
    createdAt: Number(row.created_at),
    startedAt: row.started_at === null ? undefined : Number(row.started_at),
    finishedAt: row.finished_at === null ? undefined : Number(row.finished_at),
    error: errorOf(row.error),
    leaseOwner: optional(row.lease_owner),
    leaseExpiresAt: row.lease_expires_at === null ? undefined : Number(row.lease_expires_at),
    epoch: Number(row.epoch),
    recoveries: Number(row.recoveries),
    requestedAction: optional(row.requested_action) as RequestedAction | undefined,
    inputDigest: row.input_digest ?? undefined,
  }
}

export function toStepRecord(row: StepRow): StepRecord {
  const step: StepRecord = {
    runId: row.run_id,
    key: row.key,
    task: row.task,
    status: row.status as StepRecord['status'],
    error: errorOf(row.error),
    attempts: Number(row.attempts),
    startedAt: row.started_at === null ? undefined : Number(row.started_at),
    finishedAt: Number(row.finished_at),
  }
  return row.output === null ? step : { ...step, output: deserialize(row.output) }
}

export function toStoredEvent(row: EventRow): StoredEvent {
  return { id: Number(row.id), name: row.name, runId: optional(row.run_id), payload: deserialize(row.payload), sentAt: Number(row.sent_at) }
}

/** What kind of step a key names, kept in its row for people reading the database. */
export function stepKind(key: string): string {
  return stepKeyKind(key) ?? 'unknown'
}
