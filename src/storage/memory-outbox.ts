import type { RunId } from '../core/ids.js'
import {
  isClaimableEntry,
  settledFields,
  type NewOutboxEntry,
  type OutboxClaim,
  type OutboxClaimRequest,
  type OutboxCounts,
  type OutboxEntry,
  type OutboxQuery,
  type OutboxRequeueRequest,
  type OutboxSettlement,
  type OutboxStore,
} from './outbox-store.js'

/** How the memory store keeps values (its serialization, or by reference). */
export interface OutboxValues {
  keep(value: unknown, what: string): unknown
  read(kept: unknown): unknown
}

/**
 * The memory store's outbox: entries in insertion order (which is the
 * order of their steps), the same claim rule as the durable stores
 * ({@link isClaimableEntry}).
 */
export class MemoryOutbox implements OutboxStore {
  private readonly entries = new Map<string, OutboxEntry>()

  constructor(private readonly values: OutboxValues) {}

  /** The entries of a step as they will be stored (payloads kept: a refusal throws before anything is written). */
  prepare(runId: RunId, stepKey: string, entries: readonly NewOutboxEntry[], now: number): OutboxEntry[] {
    return entries.map((entry) => ({
      id: entry.id,
      adapter: entry.adapter,
      payload: this.values.keep(entry.payload, `outbox entry "${entry.id}" of step "${stepKey}" of run ${runId}`),
      runId,
      stepKey,
      status: 'pending',
      attempts: 0,
      createdAt: now,
      availableAt: now,
    }))
  }

  /** Inserts prepared entries; an id already stored is kept as it is. */
  insert(entries: readonly OutboxEntry[]): void {
    for (const entry of entries) if (!this.entries.has(entry.id)) this.entries.set(entry.id, entry)
  }

  async claimOutbox(request: OutboxClaimRequest): Promise<OutboxEntry[]> {
    const claimed: OutboxEntry[] = []
    for (const entry of this.entries.values()) {
      if (claimed.length >= request.limit) break
      if (!isClaimableEntry(entry, request)) continue
      const next: OutboxEntry = { ...entry, attempts: entry.attempts + 1, leaseOwner: request.owner, leaseExpiresAt: request.now + request.leaseMs }
      this.entries.set(entry.id, next)
      claimed.push(this.view(next))
    }
    return claimed
  }

  async settleOutbox(claim: OutboxClaim, settlement: OutboxSettlement): Promise<boolean> {
    const entry = this.entries.get(claim.id)
    if (entry === undefined || entry.status !== 'pending' || entry.leaseOwner !== claim.owner || entry.attempts !== claim.attempts) return false
    this.entries.set(claim.id, { ...entry, ...settledFields(settlement), leaseOwner: undefined, leaseExpiresAt: undefined })
    return true
  }

  async listOutbox(query: OutboxQuery = {}): Promise<OutboxEntry[]> {
    const limit = query.limit ?? 100
    const found: OutboxEntry[] = []
    for (const entry of this.entries.values()) {
      if (found.length >= limit) break
      if ((query.status === undefined || entry.status === query.status) && (query.runId === undefined || entry.runId === query.runId)) found.push(this.view(entry))
    }
    return found
  }

  async countOutbox(): Promise<OutboxCounts> {
    const counts = { pending: 0, delivered: 0, dead: 0 }
    for (const entry of this.entries.values()) counts[entry.status]++
    return counts
  }

  async outboxOwners(now: number): Promise<string[]> {
    const owners = new Set<string>()
    for (const entry of this.entries.values()) if (entry.status === 'pending' && entry.leaseOwner !== undefined && (entry.leaseExpiresAt ?? 0) > now) owners.add(entry.leaseOwner)
    return [...owners]
  }

  async requeueOutbox(request: OutboxRequeueRequest): Promise<string[]> {
    const requeued: string[] = []
    for (const entry of this.entries.values()) {
      if (entry.status !== 'dead' || (request.ids !== undefined && !request.ids.includes(entry.id))) continue
      this.entries.set(entry.id, { ...entry, status: 'pending', attempts: 0, availableAt: request.now, leaseOwner: undefined, leaseExpiresAt: undefined })
      requeued.push(entry.id)
    }
    return requeued
  }

  private view(entry: OutboxEntry): OutboxEntry {
    return { ...entry, payload: this.values.read(entry.payload) }
  }
}
