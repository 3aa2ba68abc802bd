import type { RunId } from '../../core/ids.js'
import type { OutboxInsert } from '../sql/outbox-rows.js'
import type { Fence, RunPatch, StepJournal, StepRecord } from '../workflow-store.js'
import { shared, type SqliteContext } from './sqlite-context.js'
import type { SqliteOutbox } from './sqlite-outbox.js'
import type { SqliteRuns } from './sqlite-runs.js'
import { sqliteStatements } from './sqlite-statements.js'

/**
 * The SQLite store's step journal: each write checks the fence and inserts
 * first-writer-wins in the write queue's transaction, so steps of tasks
 * finishing together share one commit.
 */
export class SqliteJournal implements StepJournal {
  constructor(
    private readonly sqlite: SqliteContext,
    private readonly runs: SqliteRuns,
    private readonly outbox: SqliteOutbox,
  ) {}

  saveStep(fence: Fence, step: StepRecord): Promise<StepRecord> {
    const output = this.sqlite.outputText(step)
    const entries = this.sqlite.rowCodec.outboxInsert(step)
    return this.sqlite.writes.run(() => {
      this.sqlite.checkFence(fence)
      return this.insertStep(step, output, entries)
    })
  }

  /** Inserts a step unless its key is stored, and its outbox entries only when it is inserted (same transaction). */
  private insertStep(step: StepRecord, output: string | null, entries: OutboxInsert | undefined): StepRecord {
    const stored = this.sqlite.insertStep(step, output)
    if (entries !== undefined && stored === step) this.outbox.insertWithStep(step, entries)
    return stored
  }

  /** Records a run's last step and its end in one transaction. */
  saveFinalStep(fence: Fence, step: StepRecord, patch: RunPatch): Promise<StepRecord> {
    const output = this.sqlite.outputText(step)
    const entries = this.sqlite.rowCodec.outboxInsert(step)
    return this.sqlite.writes.run(() => {
      this.sqlite.checkFence(fence)
      const stored = this.insertStep(step, output, entries)
      this.runs.patchFenced(fence, patch)
      return stored
    })
  }

  loadSteps(runId: RunId): Promise<StepRecord[]> {
    return this.sqlite.read('reading steps', () => this.sqlite.all(shared.selectSteps, { runId }).map((row) => this.sqlite.rowCodec.stepRecord(row)))
  }

  timer(fence: Fence, key: string, wakeAt: number): Promise<number> {
    return this.sqlite.writes.run(() => {
      this.sqlite.checkFence(fence)
      this.sqlite.run(sqliteStatements.insertTimer, { runId: fence.runId, key, wakeAt })
      return Number(this.sqlite.get(sqliteStatements.selectTimer, { runId: fence.runId, key })!.wake_at)
    })
  }
}
