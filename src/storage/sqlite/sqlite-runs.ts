import { LeaseLostError } from '../../core/errors.js'
import type { RunId } from '../../core/ids.js'
import { decideAction } from '../run-rules.js'
import { listParameters, listShape, patchShape } from '../sql/statements.js'
import type { AuditEntry } from '../audit-store.js'
import type { CreateRunResult, Fence, NewRun, RequestedAction, RunPatch, RunQuery, RunRecord, RunStore } from '../workflow-store.js'
import { shared, type SqliteContext } from './sqlite-context.js'
import { insertAuditEntry } from './sqlite-audit.js'

/** The SQLite store's runs: every write goes through the write queue (one transaction per batch). */
export class SqliteRuns implements RunStore {
  constructor(private readonly sqlite: SqliteContext) {}

  createRun(run: NewRun): Promise<CreateRunResult> {
    const input = this.sqlite.rowCodec.input(run)
    return this.sqlite.writes.run(() => {
      const inserted = this.sqlite.run(shared.insertRun, this.sqlite.rowCodec.runInsert(run, input))
      if (run.audit !== undefined) insertAuditEntry(this.sqlite, run.audit)
      return { run: this.sqlite.readRun(run.id)!, created: Number(inserted.changes) === 1 }
    })
  }

  getRun(runId: RunId): Promise<RunRecord | undefined> {
    return this.sqlite.read('reading a run', () => this.sqlite.readRun(runId))
  }

  listRuns(query: RunQuery = {}): Promise<RunRecord[]> {
    return this.sqlite.read('listing runs', () => {
      return this.sqlite.all(shared.listRuns(listShape(query)), listParameters(query)).map((row) => this.sqlite.rowCodec.runRecord(row))
    })
  }

  updateRun(fence: Fence, patch: RunPatch): Promise<void> {
    return this.sqlite.writes.run(() => this.patchFenced(fence, patch))
  }

  /** Applies a worker's patch in the current write. @throws `LeaseLostError` when the fence is stale. */
  patchFenced(fence: Fence, patch: RunPatch): void {
    const result = this.sqlite.run(shared.patchRun(patchShape(patch, true)), this.sqlite.rowCodec.patchParameters(fence.runId, fence.epoch, patch))
    if (Number(result.changes) === 0) throw new LeaseLostError(fence.runId, fence.epoch)
  }

  requestAction(runId: RunId, action: RequestedAction, now: number, audit?: readonly AuditEntry[]): Promise<RunRecord | undefined> {
    return this.sqlite.writes.run(() => {
      const run = this.sqlite.readRun(runId)
      if (run === undefined) return undefined
      if (audit !== undefined) insertAuditEntry(this.sqlite, audit)
      const decision = decideAction(run, action, now)
      if (decision.kind === 'cancel-now') this.sqlite.run(shared.patchRun(patchShape(decision.patch, false)), this.sqlite.rowCodec.patchParameters(runId, run.epoch, decision.patch))
      else if (decision.kind === 'revive') this.sqlite.run(shared.revive, { id: runId })
      else if (decision.kind === 'ask-worker') this.sqlite.run(shared.askWorker, { id: runId, action })
      return this.sqlite.readRun(runId)
    })
  }

  clearAction(fence: Fence): Promise<void> {
    return this.sqlite.writes.run(() => {
      const result = this.sqlite.run(shared.clearAction, { id: fence.runId, epoch: fence.epoch })
      if (Number(result.changes) === 0) throw new LeaseLostError(fence.runId, fence.epoch)
    })
  }
}
