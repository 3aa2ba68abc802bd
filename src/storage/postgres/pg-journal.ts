import { LeaseLostError } from '../../core/errors.js'
import type { RunId } from '../../core/ids.js'
import { toStepRecord, toStepRow } from '../sql/rows.js'
import { patchParameters, patchShape } from '../sql/statements.js'
import type { Fence, RunPatch, StepJournal, StepRecord } from '../workflow-store.js'
import { shared, type PgContext } from './pg-context.js'
import { pgStatements } from './pg-statements.js'
import { PgStepWriter } from './step-writer.js'

/** The PostgreSQL store's step journal: step records of runs finishing tasks together share one statement and one commit. */
export class PgJournal implements StepJournal {
  private readonly steps: PgStepWriter

  constructor(private readonly pg: PgContext) {
    this.steps = new PgStepWriter(pg.db)
  }

  saveStep(fence: Fence, step: StepRecord): Promise<StepRecord> {
    return this.steps.write(fence, step, this.pg.outputText(step))
  }

  /** Records a run's last step and its end in one statement (one round trip, one commit). */
  async saveFinalStep(fence: Fence, step: StepRecord, patch: RunPatch): Promise<StepRecord> {
    const output = this.pg.outputText(step)
    const parameters = { ...patchParameters(fence.runId, fence.epoch, patch), ...toStepRow(step, output) }
    const [row] = await this.pg.rows(pgStatements.finalStep(patchShape(patch, true)), parameters)
    if (Number(row!.fenced) === 0) throw new LeaseLostError(fence.runId, fence.epoch)
    if (Number(row!.inserted) === 1) return step
    const [existing] = await this.pg.rows(shared.selectStep, { runId: step.runId, key: step.key })
    return toStepRecord(existing!)
  }

  async loadSteps(runId: RunId): Promise<StepRecord[]> {
    return (await this.pg.rows(shared.selectSteps, { runId })).map(toStepRecord)
  }

  async timer(fence: Fence, key: string, wakeAt: number): Promise<number> {
    const [row] = await this.pg.rows(pgStatements.timer, { runId: fence.runId, epoch: fence.epoch, key, wakeAt })
    if (Number(row!.fenced) === 0) throw new LeaseLostError(fence.runId, fence.epoch)
    return Number(row!.wake_at)
  }
}
