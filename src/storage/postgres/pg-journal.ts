import { LeaseLostError } from '../../core/errors.js'
import type { RunId } from '../../core/ids.js'
import type { OutboxInsert } from '../sql/outbox-rows.js'
import { patchShape } from '../sql/statements.js'
import type { Fence, RunPatch, StepJournal, StepRecord } from '../workflow-store.js'
import { prepared, type PgClientLike } from './pg-client.js'
import { runStatement, shared, type PgContext } from './pg-context.js'
import { singleStepSql, stepColumns } from './pg-hand-sql.js'
import { insertOutboxWithStep } from './pg-outbox.js'
import { pgStatements } from './pg-statements.js'
import { PgStepWriter } from './step-writer.js'

/** The PostgreSQL store's step journal: step records of runs finishing tasks together share one statement and one commit. */
export class PgJournal implements StepJournal {
  private readonly steps: PgStepWriter

  constructor(private readonly pg: PgContext) {
    this.steps = new PgStepWriter(pg.db, pg.rowCodec)
  }

  saveStep(fence: Fence, step: StepRecord): Promise<StepRecord> {
    const output = this.pg.outputText(step)
    const entries = this.pg.rowCodec.outboxInsert(step)
    if (entries !== undefined) return this.saveWithOutbox(fence, step, output, entries, undefined)
    return this.steps.write(fence, step, output)
  }

  /** Records a run's last step and its end in one statement (one round trip, one commit). */
  async saveFinalStep(fence: Fence, step: StepRecord, patch: RunPatch): Promise<StepRecord> {
    const output = this.pg.outputText(step)
    const entries = this.pg.rowCodec.outboxInsert(step)
    if (entries !== undefined) return this.saveWithOutbox(fence, step, output, entries, patch)
    const parameters = { ...this.pg.rowCodec.patchParameters(fence.runId, fence.epoch, patch), ...this.pg.rowCodec.stepRow(step, output) }
    const [row] = await this.pg.rows(pgStatements.finalStep(patchShape(patch, true)), parameters)
    if (Number(row!.fenced) === 0) throw new LeaseLostError(fence.runId, fence.epoch)
    if (Number(row!.inserted) === 1) return step
    const [existing] = await this.pg.rows(shared.selectStep, { runId: step.runId, key: step.key })
    return this.pg.rowCodec.stepRecord(existing!)
  }

  /**
   * A step that recorded outbox entries, in a transaction of its own: the
   * fenced first-writer-wins insert of the step, its entries only when the
   * step was inserted, and the run's end when `patch` is given. (Not in the
   * group commit: few steps record entries, and the batch statement stays as measured.)
   */
  private saveWithOutbox(fence: Fence, step: StepRecord, output: string | null, entries: OutboxInsert, patch: RunPatch | undefined): Promise<StepRecord> {
    return this.pg.transaction(async (client: PgClientLike) => {
      const { rows } = await client.query<{ fenced: number; inserted: number }>(prepared(singleStepSql, [fence.runId, fence.epoch, ...stepColumns(this.pg.rowCodec.stepRow(step, output))]))
      if (Number(rows[0]!.fenced) === 0) throw new LeaseLostError(fence.runId, fence.epoch)
      if (Number(rows[0]!.inserted) === 1) await insertOutboxWithStep(client, step, entries)
      if (patch !== undefined) {
        const updated = await runStatement(client, pgStatements.updateRun(patchShape(patch, true)), this.pg.rowCodec.patchParameters(fence.runId, fence.epoch, patch))
        if (updated.rows.length === 0) throw new LeaseLostError(fence.runId, fence.epoch)
      }
      if (Number(rows[0]!.inserted) === 1) return step
      const existing = await runStatement(client, shared.selectStep, { runId: step.runId, key: step.key })
      return this.pg.rowCodec.stepRecord(existing.rows[0]!)
    })
  }

  async loadSteps(runId: RunId): Promise<StepRecord[]> {
    return (await this.pg.rows(shared.selectSteps, { runId })).map((row) => this.pg.rowCodec.stepRecord(row))
  }

  async timer(fence: Fence, key: string, wakeAt: number): Promise<number> {
    const [row] = await this.pg.rows(pgStatements.timer, { runId: fence.runId, epoch: fence.epoch, key, wakeAt })
    if (Number(row!.fenced) === 0) throw new LeaseLostError(fence.runId, fence.epoch)
    return Number(row!.wake_at)
  }
}
