import { LeaseLostError } from '../../core/errors.js'
import { withStoreRetry } from '../store-retry.js'
import { pgConflictRetry } from './pg-errors.js'
import type { RowCodec } from '../sql/row-codec.js'
import type { StepRow } from '../sql/rows.js'
import type { Fence, StepRecord } from '../workflow-store.js'
import { prepared, type PgQueryable } from './pg-client.js'
import { existingStepsSql, singleStepSql, stepBatchSql, stepColumns } from './pg-hand-sql.js'

interface PendingStep {
  readonly fence: Fence
  readonly step: StepRecord
  /** The step's row, its output serialized. */
  readonly row: StepRow
  resolve: (stored: StepRecord) => void
  reject: (error: unknown) => void
}

/**
 * Group commit for PostgreSQL: step records written in the same turn of the
 * event loop — by any number of runs — go to the server in one statement, one
 * round trip and one commit. The statement checks each row's fence against
 * its run (holding a share lock, so a concurrent claim waits for the commit or
 * the fence check sees the new epoch) and inserts first-writer-wins.
 *
 * Statements that lock several runs lock them in the order of their ids (here,
 * and in lease renewals and releases): taken in any other order, a batch and a
 * renewal of the same runs deadlock ("deadlock detected", and the task fails).
 */
export class PgStepWriter {
  private pending: PendingStep[] = []
  private scheduled = false

  constructor(
    private readonly db: PgQueryable,
    private readonly rowCodec: RowCodec,
  ) {}

  write(fence: Fence, step: StepRecord, output: string | null): Promise<StepRecord> {
    return new Promise((resolve, reject) => {
      this.pending.push({ fence, step, row: this.rowCodec.stepRow(step, output), resolve, reject })
      if (!this.scheduled) {
        this.scheduled = true
        setImmediate(() => void this.flush())
      }
    })
  }

  private async flush(): Promise<void> {
    const all = this.pending
    this.pending = []
    this.scheduled = false
    // The same step written twice in one batch under the same fence: the later writes get what the first
    // stored. Under different fences (a stale worker and the run's owner) each is checked on its own.
    const firsts = new Map<string, PendingStep>()
    const repeats: [PendingStep, PendingStep][] = []
    for (const item of all) {
      const id = `${item.step.runId}\u0000${item.step.key}\u0000${item.fence.epoch}`
      const first = firsts.get(id)
      if (first === undefined) firsts.set(id, item)
      else repeats.push([item, first])
    }
    const batch = [...firsts.values()]
    for (const [item, first] of repeats) {
      const original = { resolve: first.resolve, reject: first.reject }
      Object.assign(first, {
        resolve: (stored: StepRecord) => (original.resolve(stored), item.resolve(stored)),
        reject: (error: unknown) => (original.reject(error), item.reject(error)),
      })
    }
    try {
      // Rows are locked in run-id order everywhere, which makes deadlocks rare; the insert is first-writer-wins, so repeating it is safe.
      const outcomes = await withStoreRetry(() => this.insert(batch), pgConflictRetry)
      const existing = await this.readExisting(batch.filter((_, i) => outcomes[i] === 'exists'))
      batch.forEach((item, i) => {
        if (outcomes[i] === 'lost') item.reject(new LeaseLostError(item.fence.runId, item.fence.epoch))
        else if (outcomes[i] === 'inserted') item.resolve(item.step)
        else item.resolve(existing.get(`${item.step.runId}\u0000${item.step.key}`) ?? item.step)
      })
    } catch (error) {
      for (const item of batch) item.reject(error)
    }
  }

  private async insert(batch: readonly PendingStep[]): Promise<('inserted' | 'exists' | 'lost')[]> {
    if (batch.length === 1) return [await this.insertOne(batch[0]!)]
    // One array parameter per column: the rows' run ids, epochs, then each step column.
    const perRow = batch.map((item) => stepColumns(item.row))
    const columns = perRow[0]!.map((_, c) => perRow.map((row) => row[c]))
    const parameters = [batch.map((item) => item.row.run_id), batch.map((item) => item.fence.epoch), ...columns]
    const { rows } = await this.db.query<{ n: number; fenced: boolean; inserted: boolean }>(prepared(stepBatchSql, parameters))
    return rows.map((row) => (!row.fenced ? 'lost' : row.inserted ? 'inserted' : 'exists'))
  }

  /** One step (a chain's usual batch): see `singleStepSql`. */
  private async insertOne({ fence, row: step }: PendingStep): Promise<'inserted' | 'exists' | 'lost'> {
    const { rows } = await this.db.query<{ fenced: number; inserted: number }>(prepared(singleStepSql, [fence.runId, fence.epoch, ...stepColumns(step)]))
    const row = rows[0]!
    return row.fenced === 0 ? 'lost' : row.inserted === 1 ? 'inserted' : 'exists'
  }

  private async readExisting(items: readonly PendingStep[]): Promise<Map<string, StepRecord>> {
    if (items.length === 0) return new Map()
    const { rows } = await this.db.query<StepRow>(prepared(
      existingStepsSql,
      [items.map((i) => i.step.runId), items.map((i) => i.step.key)],
    ))
    return new Map(rows.map((row) => [`${row.run_id}\u0000${row.key}`, this.rowCodec.stepRecord(row)]))
  }
}
