import type { RunId } from '../core/ids.js'

/**
 * A message a task attempt recorded for later delivery (`ctx.outbox`, or an
 * adapter's durable publish): it is written with the step's record, in the
 * same store transaction, and delivered after the step committed.
 *
 * @example
 * ```ts
 * import type { NewOutboxEntry } from 'weft-sdk/store'
 * const entry: NewOutboxEntry = { id: 'run-1:notify:events:outbox:1', adapter: 'events', payload: { exchange: 'orders', routingKey: 'order.created', body: { orderId: 'o-1' } } }
 * ```
 */
export interface NewOutboxEntry {
  /**
   * The entry's id and the message id it is delivered with:
   * `<runId>:<stepKey>:<adapter>:outbox:<n>` (n counting the attempt's
   * entries for that adapter from 1), the same when the step runs again, so
   * the store keeps one entry and consumers deduplicate by it.
   */
  readonly id: string
  /** The name of the adapter that delivers it (registered with the engine). */
  readonly adapter: string
  /** What the adapter delivers, in its own shape; stored losslessly like a step's output. */
  readonly payload: unknown
}

/**
 * Where an outbox entry is: `pending` (to deliver, or being delivered under
 * a lease), `delivered` (its adapter confirmed it), `dead` (given up after
 * its adapter's `maxAttempts`, or refused by a non-retryable error; see
 * `engine.outbox.list({ status: 'dead' })`).
 *
 * @example
 * ```ts
 * import type { OutboxStatus } from 'weft-sdk'
 * const needsAttention = (status: OutboxStatus) => status === 'dead'
 * ```
 */
export type OutboxStatus = 'pending' | 'delivered' | 'dead'

/**
 * A stored outbox entry.
 *
 * @example
 * ```ts
 * import type { OutboxEntry } from 'weft-sdk'
 * declare const entry: OutboxEntry
 * if (entry.status === 'dead') console.log(`${entry.id} (run ${entry.runId}) was not delivered after ${entry.attempts} attempts: ${entry.lastError}`)
 * ```
 */
export interface OutboxEntry extends NewOutboxEntry {
  /** The run whose step recorded it. */
  readonly runId: RunId
  /** The key of that step. */
  readonly stepKey: string
  /** `pending` (to deliver), `delivered` or `dead` (given up). */
  readonly status: OutboxStatus
  /** Deliveries begun (claims), including one whose deliverer died. */
  readonly attempts: number
  /** When the step that recorded it was written (epoch milliseconds). */
  readonly createdAt: number
  /** It is not claimed before this time (its backoff after a failed delivery). */
  readonly availableAt: number
  /** The worker delivering it now, while its lease lasts. */
  readonly leaseOwner?: string | undefined
  /** When that lease ends (then another worker takes the entry over). */
  readonly leaseExpiresAt?: number | undefined
  /** When its adapter confirmed the delivery. */
  readonly deliveredAt?: number | undefined
  /** Why its last delivery failed (redacted by its adapter). */
  readonly lastError?: string | undefined
}

/**
 * A claim of pending outbox entries for one deliverer (see {@link OutboxStore.claimOutbox}).
 *
 * @example
 * ```ts
 * import type { OutboxClaimRequest } from 'weft-sdk/store'
 * const request: OutboxClaimRequest = { owner: 'host/42/ab12', leaseMs: 30_000, limit: 50, adapters: ['events'], now: Date.now() }
 * ```
 */
export interface OutboxClaimRequest {
  /** The deliverer's worker id. */
  readonly owner: string
  /** How long the claim lasts (milliseconds): the deliverer must settle within it, else another takes the entry over. */
  readonly leaseMs: number
  /** Most entries claimed. */
  readonly limit: number
  /** Only entries of these adapters (the ones the deliverer can deliver through). */
  readonly adapters: readonly string[]
  /** The time of the claim (epoch milliseconds): leases end `leaseMs` after it. */
  readonly now: number
  /** Owners known dead (see `isDeadOwner`): their leases are taken over before they expire. */
  readonly deadOwners?: readonly string[]
  /** Only these entries (the fast path right after a step committed); all claimable ones when absent. */
  readonly ids?: readonly string[]
}

/**
 * Which claim a settlement is for: the entry, its deliverer, and the attempt number the claim gave it (a fence).
 *
 * @example
 * ```ts
 * import type { OutboxClaim, OutboxEntry } from 'weft-sdk/store'
 * declare const entry: OutboxEntry // as claimed
 * const claim: OutboxClaim = { id: entry.id, owner: entry.leaseOwner!, attempts: entry.attempts }
 * ```
 */
export interface OutboxClaim {
  /** The entry's id. */
  readonly id: string
  /** The deliverer that claimed it. */
  readonly owner: string
  /** Its `attempts` after the claim: a settlement of an older claim is refused. */
  readonly attempts: number
}

/**
 * How a delivery ended: `delivered`, `retry` (pending again from
 * `retryAt`), or `dead` (given up).
 *
 * @example
 * ```ts
 * import type { OutboxSettlement } from 'weft-sdk/store'
 * const later: OutboxSettlement = { kind: 'retry', at: 1_000, retryAt: 3_000, error: 'WEFT_AMQP_PUBLISH: nacked' }
 * ```
 */
export type OutboxSettlement =
  | {
      /** Delivered: the far side has it. */
      readonly kind: 'delivered'
      /** When (epoch milliseconds). */
      readonly at: number
    }
  | {
      /** Failed; delivered again later. */
      readonly kind: 'retry'
      /** When it failed (epoch milliseconds). */
      readonly at: number
      /** When it may be claimed again (epoch milliseconds). */
      readonly retryAt: number
      /** Why it failed. */
      readonly error: string
    }
  | {
      /** Given up: the last attempt failed, or the error was not retryable. */
      readonly kind: 'dead'
      /** When (epoch milliseconds). */
      readonly at: number
      /** Why. */
      readonly error: string
    }

/**
 * Filters of {@link OutboxStore.listOutbox}.
 *
 * @example
 * ```ts
 * import type { OutboxQuery } from 'weft-sdk'
 * const dead: OutboxQuery = { status: 'dead', limit: 20 }
 * ```
 */
export interface OutboxQuery {
  /** Only entries in this status. */
  readonly status?: OutboxStatus
  /** Only entries of this run. */
  readonly runId?: RunId
  /** @defaultValue `100` */
  readonly limit?: number
}

/**
 * How many outbox entries are in each status.
 *
 * @example
 * ```ts
 * import type { OutboxCounts } from 'weft-sdk'
 * declare const counts: OutboxCounts
 * if (counts.dead > 0) console.warn(`${counts.dead} messages were given up`)
 * ```
 */
export type OutboxCounts = { readonly [S in OutboxStatus]: number }

/**
 * The store role of the durable outbox: entries are inserted by
 * `saveStep` (a completed step's `outbox`, in the step's transaction, only
 * when the step is inserted, and never twice under one id), then claimed by
 * deliverers with leases like runs, and settled under the claim's fence.
 * Memory, SQLite and PostgreSQL implement it (one conformance suite).
 *
 * @example
 * ```ts
 * import type { WorkflowStore } from 'weft-sdk/store'
 * declare const store: WorkflowStore
 * const counts = await store.outbox?.countOutbox() // { pending, delivered, dead }
 * ```
 */
export interface OutboxStore {
  /**
   * Claims pending entries whose backoff is over and which no live
   * deliverer holds (no lease, an expired one, or a dead owner's): each
   * claimed entry's `attempts` grows by one and its lease goes to `owner`.
   * Oldest first.
   */
  claimOutbox(request: OutboxClaimRequest): Promise<OutboxEntry[]>
  /** Settles a claimed entry; false (nothing changed) when the claim is no longer the entry's (taken over, or settled). */
  settleOutbox(claim: OutboxClaim, settlement: OutboxSettlement): Promise<boolean>
  /** Entries, oldest first. */
  listOutbox(query?: OutboxQuery): Promise<OutboxEntry[]>
  /** How many entries are in each status. */
  countOutbox(): Promise<OutboxCounts>
  /** Owners of pending entries whose lease has not expired (to find dead ones). */
  outboxOwners(now: number): Promise<string[]>
  /**
   * Gives dead entries (all of them, or those of `request.ids` that are dead)
   * a new life: pending again, claimable from `request.now`, their attempts
   * counted from 0 again (their `lastError` kept). Entries not dead are left
   * as they are. Returns the ids requeued.
   *
   * Counting from 0 cannot let an old claim settle the entry: a settlement
   * needs the claim's owner to hold the lease, and a dead entry has none (a
   * dead entry's last claim was settled; claims before it were taken over).
   */
  requeueOutbox(request: OutboxRequeueRequest): Promise<string[]>
}

/**
 * Which dead entries `OutboxStore.requeueOutbox` makes pending again.
 *
 * @example
 * ```ts
 * import type { OutboxRequeueRequest } from 'weft-sdk/store'
 * const everyDeadEntry: OutboxRequeueRequest = { now: Date.now() }
 * ```
 */
export interface OutboxRequeueRequest {
  /** Only these entries (those of them that are dead); every dead entry when absent. */
  readonly ids?: readonly string[]
  /** The time of the requeue (epoch milliseconds): the entries are claimable from then. */
  readonly now: number
}

/** Whether a pending entry can be claimed now (the rule every store applies; memory applies this function). */
export function isClaimableEntry(entry: OutboxEntry, request: OutboxClaimRequest): boolean {
  if (entry.status !== 'pending' || entry.availableAt > request.now || !request.adapters.includes(entry.adapter)) return false
  if (request.ids !== undefined && !request.ids.includes(entry.id)) return false
  return entry.leaseOwner === undefined || (entry.leaseExpiresAt ?? 0) <= request.now || (request.deadOwners ?? []).includes(entry.leaseOwner)
}

/** The fields a settlement changes (every store writes these). */
export function settledFields(settlement: OutboxSettlement): Pick<OutboxEntry, 'status' | 'deliveredAt' | 'lastError' | 'availableAt'> | Pick<OutboxEntry, 'status' | 'deliveredAt' | 'lastError'> {
  switch (settlement.kind) {
    case 'delivered':
      return { status: 'delivered', deliveredAt: settlement.at, lastError: undefined }
    case 'retry':
      return { status: 'pending', deliveredAt: undefined, lastError: settlement.error, availableAt: settlement.retryAt }
    case 'dead':
      return { status: 'dead', deliveredAt: undefined, lastError: settlement.error }
  }
}
