import { inClaimOrder, toOutboxCounts, type OutboxInsert } from '../sql/outbox-rows.js'
import type { OutboxRow } from '../sql/schema.js'
import type { OutboxClaim, OutboxClaimRequest, OutboxCounts, OutboxEntry, OutboxQuery, OutboxRequeueRequest, OutboxSettlement, OutboxStore } from '../outbox-store.js'
import type { StepRecord } from '../workflow-store.js'
import type { SqliteContext } from './sqlite-context.js'

/*
 * The outbox's statements on SQLite, hand-written: named parameters; list
 * parameters (adapters, dead owners, ids) are JSON arrays read with json_each, so each
 * statement has one shape and is prepared once.
 */

const insertSql = `insert into weft_outbox (id, run_id, step_key, adapter, payload, status, attempts, created_at, available_at)
  values (@id, @runId, @stepKey, @adapter, @payload, 'pending', 0, @at, @at) on conflict (id) do nothing`

/** Named parameters; adapters, dead owners and ids (or null) as JSON arrays. */
const claimSql = `update weft_outbox set attempts = attempts + 1, lease_owner = @owner, lease_expires_at = @until
  where id in (
    select id from weft_outbox
    where status = 'pending' and available_at <= @now and adapter in (select value from json_each(@adapters))
      and (lease_owner is null or lease_expires_at <= @now or lease_owner in (select value from json_each(@dead)))
      and (@ids is null or id in (select value from json_each(@ids)))
    order by available_at, id limit @limit)
  returning *`

/** Named parameters; `availableAt` null keeps it. */
const settleSql = `update weft_outbox set status = @status, delivered_at = @deliveredAt, last_error = @lastError, available_at = coalesce(@availableAt, available_at),
    lease_owner = null, lease_expires_at = null
  where id = @id and status = 'pending' and lease_owner = @owner and attempts = @attempts`

/** Named parameters: status and run id (each null for any), limit. */
const listSql = `select * from weft_outbox where (@status is null or status = @status) and (@runId is null or run_id = @runId) order by created_at, id limit @limit`

const countSql = `select status, count(*) as n from weft_outbox group by status`

/** Named parameters: now, ids (a JSON array, or null for every dead entry). */
const requeueSql = `update weft_outbox set status = 'pending', attempts = 0, available_at = @now, lease_owner = null, lease_expires_at = null
  where status = 'dead' and (@ids is null or id in (select value from json_each(@ids)))
  returning id`

const ownersSql = `select distinct lease_owner from weft_outbox where status = 'pending' and lease_owner is not null and lease_expires_at > @now`

/** The SQLite store's outbox: claims and settlements in the write queue's `begin immediate` transactions, so no two deliverers claim one entry. */
export class SqliteOutbox implements OutboxStore {
  constructor(private readonly sqlite: SqliteContext) {}

  /** Inserts a step's entries (inside the step's transaction, after the step was inserted). */
  insertWithStep(step: StepRecord, insert: OutboxInsert): void {
    const statement = this.sqlite.statement(insertSql)
    insert.ids.forEach((id, i) => statement.run({ id, runId: step.runId, stepKey: step.key, adapter: insert.adapters[i], payload: insert.payloads[i], at: step.finishedAt }))
  }

  claimOutbox(request: OutboxClaimRequest): Promise<OutboxEntry[]> {
    if (request.limit <= 0 || request.adapters.length === 0) return Promise.resolve([])
    const { now, owner, leaseMs, limit } = request
    const ids = request.ids === undefined ? null : JSON.stringify(request.ids)
    return this.sqlite.writes.run(() => {
      const parameters = { now, adapters: JSON.stringify(request.adapters), dead: JSON.stringify(request.deadOwners ?? []), ids, limit, owner, until: now + leaseMs }
      const rows = this.sqlite.statement(claimSql).all(parameters) as OutboxRow[]
      return inClaimOrder(rows.map((row) => this.sqlite.rowCodec.outboxEntry(row)))
    })
  }

  settleOutbox(claim: OutboxClaim, settlement: OutboxSettlement): Promise<boolean> {
    const [status, deliveredAt, lastError, availableAt] = this.sqlite.rowCodec.settlementValues(claim.id, settlement)
    const parameters = { status, deliveredAt, lastError, availableAt, id: claim.id, owner: claim.owner, attempts: claim.attempts }
    return this.sqlite.writes.run(() => Number(this.sqlite.statement(settleSql).run(parameters).changes) === 1)
  }

  requeueOutbox(request: OutboxRequeueRequest): Promise<string[]> {
    const parameters = { now: request.now, ids: request.ids === undefined ? null : JSON.stringify(request.ids) }
    return this.sqlite.writes.run(() => (this.sqlite.statement(requeueSql).all(parameters) as { id: string }[]).map((row) => row.id))
  }

  listOutbox(query: OutboxQuery = {}): Promise<OutboxEntry[]> {
    return this.sqlite.read('reading the outbox', () =>
      (this.sqlite.statement(listSql).all({ status: query.status ?? null, runId: query.runId ?? null, limit: query.limit ?? 100 }) as OutboxRow[]).map((row) => this.sqlite.rowCodec.outboxEntry(row)),
    )
  }

  countOutbox(): Promise<OutboxCounts> {
    return this.sqlite.read('counting the outbox', () => toOutboxCounts(this.sqlite.statement(countSql).all() as { status: string; n: number }[]))
  }

  outboxOwners(now: number): Promise<string[]> {
    return this.sqlite.read('reading outbox owners', () => (this.sqlite.statement(ownersSql).all({ now }) as { lease_owner: string }[]).map((row) => row.lease_owner))
  }
}
