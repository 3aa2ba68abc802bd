import type { RunId } from '../../core/ids.js'
import type { OutboxEntry, OutboxSettlement, OutboxStatus } from '../outbox-store.js'
import { deserialize, serialize, type SerializationLimits } from '../serialization.js'
import type { StepRecord } from '../workflow-store.js'
import type { OutboxRow } from './schema.js'

/**
 * A step's outbox entries as the columns both SQL stores insert with the
 * step (payloads serialized, so a refusal throws before anything is
 * written); none for a step without entries (or one not completed).
 */
export interface OutboxInsert {
  readonly ids: string[]
  readonly adapters: string[]
  readonly payloads: string[]
}

/** The entries `step` carries, serialized; `undefined` when it carries none. */
export function outboxInsert(step: StepRecord, limits: SerializationLimits): OutboxInsert | undefined {
  if (step.status !== 'completed' || step.outbox === undefined || step.outbox.length === 0) return undefined
  const insert: OutboxInsert = { ids: [], adapters: [], payloads: [] }
  for (const entry of step.outbox) {
    insert.ids.push(entry.id)
    insert.adapters.push(entry.adapter)
    insert.payloads.push(serialize(entry.payload, `outbox entry "${entry.id}" of step "${step.key}" of run ${step.runId}`, limits))
  }
  return insert
}

/** A `weft_outbox` row as an entry (PostgreSQL returns float8 times as numbers, SQLite integers). */
export function toOutboxEntry(row: OutboxRow): OutboxEntry {
  return {
    id: row.id,
    runId: row.run_id as RunId,
    stepKey: row.step_key,
    adapter: row.adapter,
    payload: deserialize(row.payload),
    status: row.status as OutboxStatus,
    attempts: Number(row.attempts),
    createdAt: Number(row.created_at),
    availableAt: Number(row.available_at),
    leaseOwner: row.lease_owner ?? undefined,
    leaseExpiresAt: row.lease_expires_at === null ? undefined : Number(row.lease_expires_at),
    deliveredAt: row.delivered_at === null ? undefined : Number(row.delivered_at),
    lastError: row.last_error ?? undefined,
  }
}

/** Entries in claim order (oldest first), whatever order a statement returned them in. */
export function inClaimOrder(entries: OutboxEntry[]): OutboxEntry[] {
  return entries.sort((a, b) => a.availableAt - b.availableAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
}

/** A settlement's values for the settle statements: status, delivered_at, last_error, available_at (null keeps it). */
export function settlementValues(settlement: OutboxSettlement): [string, number | null, string | null, number | null] {
  switch (settlement.kind) {
    case 'delivered':
      return ['delivered', settlement.at, null, null]
    case 'retry':
      return ['pending', null, settlement.error, settlement.retryAt]
    case 'dead':
      return ['dead', null, settlement.error, null]
  }
}

/** How many entries of each status, from `status, count` rows. */
export function toOutboxCounts(rows: readonly { status: string; n: number | string }[]): { pending: number; delivered: number; dead: number } {
  const counts = { pending: 0, delivered: 0, dead: 0 }
  for (const row of rows) if (row.status in counts) counts[row.status as OutboxStatus] = Number(row.n)
  return counts
}
