import type { ErrorRecord, RequestedAction, RunRecord, RunStatus, StepRecord, StoredEvent } from '../workflow-store.js'
import { stepKeyKind } from '../../core/step-key.js'
import { parseStepUsage } from '../../core/step-usage.js'
import { parseAttemptHistory } from '../attempt-history.js'
import { deserialize } from '../serialization.js'
import type { EventRow, RunRow, StepRow } from './schema.js'

export type { EventRow, RunRow, StepRow } from './schema.js'

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

/** Roles stored as a JSON array (runs, sessions, local users): its strings, `undefined` for null or another JSON value. */
export function parseRoles(text: string | null): readonly string[] | undefined {
  if (text === null) return undefined
  const roles: unknown = JSON.parse(text)
  return Array.isArray(roles) ? roles.filter((role): role is string => typeof role === 'string') : undefined
}

/** A run as stored, from its row. */
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
    // Absent in databases not yet migrated to it (read-only commands do not migrate).
    inputDigest: row.input_digest ?? undefined,
    tenant: row.tenant ?? undefined,
    roles: parseRoles(row.roles ?? null),
    traceContext: row.trace_context ?? undefined,
  }
}

/** A step as stored, from its row. */
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
    // Absent in databases not yet migrated to it (read-only commands do not migrate).
    history: parseAttemptHistory(row.history ?? null),
    usage: parseStepUsage(row.usage ?? null),
  }
  return row.output === null ? step : { ...step, output: deserialize(row.output) }
}

/** An event as stored, from its row (PostgreSQL returns the bigserial id as a string). */
export function toStoredEvent(row: Pick<EventRow, 'id' | 'name' | 'run_id' | 'payload' | 'sent_at'>): StoredEvent {
  return { id: Number(row.id), name: row.name, runId: optional(row.run_id), payload: deserialize(row.payload), sentAt: Number(row.sent_at) }
}

/** The row of `step`, whose output is serialized as `output` (null unless completed). */
export function toStepRow(step: StepRecord, output: string | null): StepRow {
  return {
    run_id: step.runId,
    key: step.key,
    task: step.task,
    kind: stepKind(step.key),
    status: step.status,
    output,
    error: errorText(step.error),
    attempts: step.attempts,
    started_at: step.startedAt ?? null,
    finished_at: step.finishedAt,
    history: step.history === undefined ? null : JSON.stringify(step.history),
    usage: step.usage === undefined ? null : JSON.stringify(step.usage),
  }
}

/** What kind of step a key names, kept in its row for people reading the database. */
export function stepKind(key: string): string {
  return stepKeyKind(key) ?? 'unknown'
}
