import { LeaseLostError } from '../../core/errors.js'
import type { RunId } from '../../core/ids.js'
import { decideAction } from '../run-rules.js'
import type { RowCodec } from '../sql/row-codec.js'
import type { RunRow, StepRow } from '../sql/rows.js'
import { listParameters, listShape, patchShape } from '../sql/statements.js'
import type { CreateRunResult, Fence, NewRun, RequestedAction, RunPatch, RunQuery, RunRecord, RunStore, RunWithSteps } from '../workflow-store.js'
import type { PgClientLike } from './pg-client.js'
import { prepared } from './pg-client.js'
import { runStatement, shared, type PgContext } from './pg-context.js'
import { runWithStepsSql } from './pg-hand-sql.js'
import { pgStatements } from './pg-statements.js'
import { insertAuditEntryOn } from './pg-audit.js'
import type { AuditEntry } from '../audit-store.js'

/** The PostgreSQL store's runs: each write one statement (one round trip), notifying other processes in it. */
export class PgRuns implements RunStore {
  constructor(private readonly pg: PgContext) {}

  async createRun(run: NewRun): Promise<CreateRunResult> {
    const input = this.pg.rowCodec.input(run)
    if (run.audit !== undefined) return this.createAudited(run, run.audit, input)
    const [row] = await this.pg.rows(pgStatements.createRun, this.pg.rowCodec.runInsert(run, input))
    if (row !== undefined) return { run: this.pg.rowCodec.runRecord(row), created: true }
    return { run: (await this.getRun(run.id))!, created: false }
  }

  /** Creates a run and writes its audit entries in one transaction. */
  private createAudited(run: NewRun, audit: readonly AuditEntry[], input: string): Promise<CreateRunResult> {
    return this.pg.transaction(async (client) => {
      const [row] = (await runStatement(client, pgStatements.createRun, this.pg.rowCodec.runInsert(run, input))).rows
      await insertAuditEntryOn(client, audit)
      if (row !== undefined) return { run: this.pg.rowCodec.runRecord(row), created: true }
      const [existing] = (await runStatement(client, shared.selectRun, { id: run.id })).rows
      return { run: this.pg.rowCodec.runRecord(existing!), created: false }
    })
  }

  async getRun(runId: RunId): Promise<RunRecord | undefined> {
    const [row] = await this.pg.rows(shared.selectRun, { id: runId })
    return row === undefined ? undefined : this.pg.rowCodec.runRecord(row)
  }

  async listRuns(query: RunQuery = {}): Promise<RunRecord[]> {
    return (await this.pg.rows(shared.listRuns(listShape(query)), listParameters(query))).map((row) => this.pg.rowCodec.runRecord(row))
  }

  async updateRun(fence: Fence, patch: RunPatch): Promise<void> {
    const updated = await this.pg.rows(pgStatements.updateRun(patchShape(patch, true)), this.pg.rowCodec.patchParameters(fence.runId, fence.epoch, patch))
    if (updated.length === 0) throw new LeaseLostError(fence.runId, fence.epoch)
  }

  requestAction(runId: RunId, action: RequestedAction, now: number, audit?: readonly AuditEntry[]): Promise<RunRecord | undefined> {
    return this.pg.transaction(async (client) => {
      const [row] = (await runStatement(client, pgStatements.selectRunForUpdate, { id: runId })).rows
      if (row === undefined) return undefined
      if (audit !== undefined) await insertAuditEntryOn(client, audit)
      await applyDecision(client, this.pg.rowCodec, this.pg.rowCodec.runRecord(row), action, now)
      const [after] = (await runStatement(client, shared.selectRun, { id: runId })).rows
      return after === undefined ? undefined : this.pg.rowCodec.runRecord(after)
    })
  }

  async clearAction(fence: Fence): Promise<void> {
    const result = await this.pg.run(shared.clearAction, { id: fence.runId, epoch: fence.epoch })
    if ((result.rowCount ?? 0) === 0) throw new LeaseLostError(fence.runId, fence.epoch)
  }

  async getRunWithSteps(runId: RunId): Promise<RunWithSteps | undefined> {
    const { rows } = await this.pg.db.query<RunRow & { steps: StepRow[] | null }>(prepared(runWithStepsSql, [runId]))
    const row = rows[0]
    if (row === undefined) return undefined
    return { run: this.pg.rowCodec.runRecord(row), steps: row.steps?.map((step) => this.pg.rowCodec.stepRecord(step)) }
  }
}

/** Applies what `decideAction` decides for an operator's request, and notifies, in the caller's transaction. */
async function applyDecision(client: PgClientLike, rowCodec: RowCodec, run: RunRecord, action: RequestedAction, now: number): Promise<void> {
  const decision = decideAction(run, action, now)
  const id = run.id
  if (decision.kind === 'cancel-now') {
    await runStatement(client, shared.patchRun(patchShape(decision.patch, false)), rowCodec.patchParameters(id, run.epoch, decision.patch))
    await runStatement(client, pgStatements.notifyRunFinished, { id })
  } else if (decision.kind === 'revive') {
    await runStatement(client, shared.revive, { id })
    await runStatement(client, pgStatements.notifyRunCreated, {})
  } else if (decision.kind === 'ask-worker') {
    await runStatement(client, shared.askWorker, { id, action })
    await runStatement(client, pgStatements.notifyAction, { id })
  }
}
