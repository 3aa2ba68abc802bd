import type { ClaimRequest, Fence, ReleaseOptions, RenewResult, RequestedAction, RunLeases, RunRecord, WorkflowVersion } from '../workflow-store.js'
import type { RunRow } from '../sql/rows.js'
import { prepared } from './pg-client.js'
import { shared, type PgContext } from './pg-context.js'
import { claimSql, noteUnclaimableSql, releaseSql, renewSql } from './pg-hand-sql.js'

/** The PostgreSQL store's leases: claims skip rows other workers hold locked; renewals and releases lock runs in id order. */
export class PgLeases implements RunLeases {
  constructor(private readonly pg: PgContext) {}

  async claimRuns(request: ClaimRequest): Promise<RunRecord[]> {
    if (request.workflows.length === 0 || request.limit <= 0) return []
    const { workflows, now, deadOwners = [], limit, owner, leaseMs } = request
    const parameters = [workflows.map((w) => w.name), workflows.map((w) => w.version), now, deadOwners, limit, owner, leaseMs]
    const { rows } = await this.pg.db.query<RunRow>(prepared(claimSql, parameters))
    return rows.map((row) => this.pg.rowCodec.runRecord(row)).sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1))
  }

  async noteUnclaimable(workflows: readonly WorkflowVersion[], now: number): Promise<number> {
    const result = await this.pg.db.query(prepared(noteUnclaimableSql, [workflows.map((w) => w.name), workflows.map((w) => w.version), now]))
    return result.rowCount ?? 0
  }

  async renewLeases(owner: string, fences: readonly Fence[], leaseMs: number, now: number): Promise<RenewResult> {
    const { rows } = await this.pg.db.query<Pick<RunRow, 'id' | 'requested_action'>>(
      prepared(renewSql, [fences.map((f) => f.runId), fences.map((f) => f.epoch), now + leaseMs, owner]),
    )
    const renewed = new Set(rows.map((row) => row.id))
    return {
      lost: fences.filter((f) => !renewed.has(f.runId)).map((f) => f.runId),
      requested: rows.filter((row) => row.requested_action !== null).map((row) => ({ runId: row.id, action: row.requested_action as RequestedAction })),
    }
  }

  async releaseRuns(owner: string, fences: readonly Fence[], options: ReleaseOptions = {}): Promise<void> {
    if (fences.length === 0) return
    const { failure } = options
    if (failure === undefined) {
      await this.pg.db.query(prepared(releaseSql(false), [fences.map((f) => f.runId), fences.map((f) => f.epoch), owner]))
      return
    }
    // A failed start names its cause in each run's status message, encoded for that run (a rare path: one run at a time).
    for (const { runId, epoch } of fences) {
      await this.pg.db.query(prepared(releaseSql(true), [[runId], [epoch], owner, this.pg.rowCodec.statusMessage(runId, failure)]))
    }
  }

  async leaseOwners(now: number): Promise<string[]> {
    return (await this.pg.rows(shared.leaseOwners, { now })).map((row) => row.lease_owner!)
  }
}
