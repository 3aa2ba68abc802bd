import type { RunId } from '../../core/ids.js'
import type { ClaimRequest, Fence, ReleaseOptions, RenewResult, RequestedAction, RunLeases, RunRecord, WorkflowVersion } from '../workflow-store.js'
import { claimCandidatesSql, claimRunSql, noteUnclaimableSql, versionFilter } from './sqlite-claim-sql.js'
import { shared, type SqliteContext } from './sqlite-context.js'
import { sqliteStatements } from './sqlite-statements.js'

/** The SQLite store's leases: claims read and update in one `begin immediate` transaction, so no two workers claim one run. */
export class SqliteLeases implements RunLeases {
  constructor(private readonly sqlite: SqliteContext) {}

  claimRuns(request: ClaimRequest): Promise<RunRecord[]> {
    if (request.workflows.length === 0 || request.limit <= 0) return Promise.resolve([])
    return this.sqlite.writes.run(() => {
      const versions = versionFilter(request.workflows)
      const dead = request.deadOwners ?? []
      const candidates = this.sqlite
        .statement(claimCandidatesSql(versions, dead.length))
        .all(...versions.params, request.now, ...dead, request.limit) as { id: string }[]
      const claim = this.sqlite.statement(claimRunSql)
      return candidates.map(({ id }) => {
        claim.run(request.now, request.owner, request.now + request.leaseMs, id)
        return this.sqlite.readRun(id)!
      })
    })
  }

  noteUnclaimable(workflows: readonly WorkflowVersion[], now: number): Promise<number> {
    return this.sqlite.writes.run(() => {
      const versions = versionFilter(workflows)
      return Number(this.sqlite.statement(noteUnclaimableSql(versions)).run(...versions.params, now).changes)
    })
  }

  renewLeases(owner: string, fences: readonly Fence[], leaseMs: number, now: number): Promise<RenewResult> {
    return this.sqlite.writes.run(() => {
      const lost: RunId[] = []
      const requested: { runId: RunId; action: RequestedAction }[] = []
      for (const fence of fences) {
        const renewed = this.sqlite.run(sqliteStatements.renewLease, { id: fence.runId, epoch: fence.epoch, owner, until: now + leaseMs })
        if (Number(renewed.changes) === 0) {
          lost.push(fence.runId)
          continue
        }
        const action = this.sqlite.get(sqliteStatements.selectAction, { id: fence.runId })?.requested_action ?? null
        if (action !== null) requested.push({ runId: fence.runId, action: action as RequestedAction })
      }
      return { lost, requested }
    })
  }

  releaseRuns(owner: string, fences: readonly Fence[], options: ReleaseOptions = {}): Promise<void> {
    const { failure } = options
    return this.sqlite.writes.run(() => {
      for (const { runId: id, epoch } of fences) {
        if (failure === undefined) this.sqlite.run(sqliteStatements.releaseLease, { id, epoch, owner })
        else this.sqlite.run(sqliteStatements.giveBackLease, { id, epoch, owner, failure: this.sqlite.rowCodec.statusMessage(id, failure) })
      }
    })
  }

  leaseOwners(now: number): Promise<string[]> {
    return this.sqlite.read('reading lease owners', () => this.sqlite.all(shared.leaseOwners, { now }).map((row) => row.lease_owner!))
  }
}
