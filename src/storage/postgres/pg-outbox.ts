import { inClaimOrder, toOutboxCounts, type OutboxInsert } from '../sql/outbox-rows.js'
import type { OutboxRow } from '../sql/schema.js'
import type { OutboxClaim, OutboxClaimRequest, OutboxCounts, OutboxEntry, OutboxQuery, OutboxRequeueRequest, OutboxSettlement, OutboxStore } from '../outbox-store.js'
import type { StepRecord } from '../workflow-store.js'
import { prepared, type PgQueryable } from './pg-client.js'
import type { PgContext } from './pg-context.js'

/*
 * The outbox's statements on PostgreSQL, hand-written: list parameters are
 * arrays (`= any($n)`), so each statement has one shape and is prepared once;
 * claims skip entries another deliverer's claim has locked.
 */

/** Parameters: ids, adapters, payloads, run id, step key, created at. */
const insertSql = `insert into weft_outbox (id, run_id, step_key, adapter, payload, status, attempts, created_at, available_at)
  select e.id, $4, $5, e.adapter, e.payload, 'pending', 0, $6, $6 from unnest($1::text[], $2::text[], $3::text[]) as e(id, adapter, payload)
  on conflict (id) do nothing`

/** Parameters: now, adapters, dead owners, ids (or null), limit, owner, lease length. */
const claimSql = `with candidates as (
    select id from weft_outbox
    where status = 'pending' and available_at <= $1 and adapter = any($2::text[])
      and (lease_owner is null or lease_expires_at <= $1 or lease_owner = any($3::text[]))
      and ($4::text[] is null or id = any($4::text[]))
    order by available_at, id limit $5
    for update skip locked
  )
  update weft_outbox o set attempts = o.attempts + 1, lease_owner = $6, lease_expires_at = $1 + $7
  from candidates c where o.id = c.id
  returning o.*`

/** Parameters: status, delivered_at, last_error, available_at (null keeps it), id, owner, attempts. */
const settleSql = `update weft_outbox set status = $1, delivered_at = $2, last_error = $3, available_at = coalesce($4, available_at),
    lease_owner = null, lease_expires_at = null
  where id = $5 and status = 'pending' and lease_owner = $6 and attempts = $7`

/** Parameters: status (or null), run id (or null), limit. */
const listSql = `select * from weft_outbox where ($1::text is null or status = $1) and ($2::text is null or run_id = $2) order by created_at, id limit $3`

const countSql = `select status, count(*) as n from weft_outbox group by status`

/** Parameters: now, ids (or null for every dead entry). */
const requeueSql = `update weft_outbox set status = 'pending', attempts = 0, available_at = $1, lease_owner = null, lease_expires_at = null
  where status = 'dead' and ($2::text[] is null or id = any($2::text[]))
  returning id`

const ownersSql = `select distinct lease_owner from weft_outbox where status = 'pending' and lease_owner is not null and lease_expires_at > $1`

/** Inserts a step's entries on `db` (the step's transaction). */
export async function insertOutboxWithStep(db: PgQueryable, step: StepRecord, insert: OutboxInsert): Promise<void> {
  await db.query(prepared(insertSql, [insert.ids, insert.adapters, insert.payloads, step.runId, step.key, step.finishedAt]))
}

/** The PostgreSQL store's outbox: claims with `FOR UPDATE SKIP LOCKED`, so deliverers in many processes never claim one entry twice. */
export class PgOutbox implements OutboxStore {
  constructor(private readonly pg: PgContext) {}

  async claimOutbox(request: OutboxClaimRequest): Promise<OutboxEntry[]> {
    if (request.limit <= 0 || request.adapters.length === 0) return []
    const { now, owner, leaseMs, limit } = request
    const parameters = [now, request.adapters, request.deadOwners ?? [], request.ids ?? null, limit, owner, leaseMs]
    const { rows } = await this.pg.db.query<OutboxRow>(prepared(claimSql, parameters))
    return inClaimOrder(rows.map((row) => this.pg.rowCodec.outboxEntry(row)))
  }

  async settleOutbox(claim: OutboxClaim, settlement: OutboxSettlement): Promise<boolean> {
    const result = await this.pg.db.query(prepared(settleSql, [...this.pg.rowCodec.settlementValues(claim.id, settlement), claim.id, claim.owner, claim.attempts]))
    return result.rowCount === 1
  }

  async requeueOutbox(request: OutboxRequeueRequest): Promise<string[]> {
    const { rows } = await this.pg.db.query<{ id: string }>(prepared(requeueSql, [request.now, request.ids ?? null]))
    return rows.map((row) => row.id)
  }

  async listOutbox(query: OutboxQuery = {}): Promise<OutboxEntry[]> {
    const { rows } = await this.pg.db.query<OutboxRow>(prepared(listSql, [query.status ?? null, query.runId ?? null, query.limit ?? 100]))
    return rows.map((row) => this.pg.rowCodec.outboxEntry(row))
  }

  async countOutbox(): Promise<OutboxCounts> {
    const { rows } = await this.pg.db.query<{ status: string; n: string }>(prepared(countSql, []))
    return toOutboxCounts(rows)
  }

  async outboxOwners(now: number): Promise<string[]> {
    const { rows } = await this.pg.db.query<{ lease_owner: string }>(prepared(ownersSql, [now]))
    return rows.map((row) => row.lease_owner)
  }
}
