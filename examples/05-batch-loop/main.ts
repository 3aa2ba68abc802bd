/**
 * Example 05: a batch loop.
 *
 * Shows:
 * - `@Loop({ while, maxIterations })`: the method is the loop body; it gets
 *   the current state and a `LoopContext` (with the iteration number) and
 *   returns the next state, while the condition sees each state before an
 *   iteration runs. Every iteration is checkpointed on its own;
 * - the loop's output, a `LoopResult` (iterations, each iteration's state,
 *   the final state, whether the cap was hit), consumed by a typed `report` task;
 * - `ctx.idempotencyKey` per iteration (`runId:task#iteration`), so a batch
 *   write that is repeated after a crash can be recognised downstream;
 * - a run whose work does not fit in `maxIterations`: the loop stops at the
 *   cap and says so.
 *
 * Ported from the `batch_processor` handler of the reference (section 1.3):
 * 1000 items in batches of 100, at most 50 iterations.
 *
 * Run it: `npm run build && npm run build:examples && node examples/dist/05-batch-loop/main.js`.
 */
import { pathToFileURL } from 'node:url'
import { DependsOn, Loop, Task, Workflow, WorkflowBase, createEngine, type LoopContext, type LoopResult, sqliteStore } from 'weft-sdk'
import type { WorkflowStore } from 'weft-sdk/store'

/** The run input: how many items to process, and how many per batch. */
export interface BatchJob {
  readonly totalItems: number
  readonly batchSize: number
}

/** The loop state: what is left, what is done, and the key of the last batch written. */
export interface BatchState {
  readonly batchSize: number
  readonly remainingItems: number
  readonly processedItems: number
  readonly lastBatchKey: string | undefined
}

/** What `report` produces from the loop's result. */
export interface BatchReport {
  readonly batches: number
  readonly processedItems: number
  readonly remainingItems: number
  readonly complete: boolean
  readonly stoppedAtCap: boolean
}

/** Upper bound on batches in one run, as in the reference. */
const maxBatches = 50

@Workflow({ name: 'batch-processor', version: 1 })
export class BatchProcessor extends WorkflowBase<BatchJob> {
  @Task()
  plan(job: BatchJob): BatchState {
    return { batchSize: job.batchSize, remainingItems: job.totalItems, processedItems: 0, lastBatchKey: undefined }
  }

  @Loop({
    dependsOn: ['plan'],
    while: (state: BatchState) => state.remainingItems > 0,
    maxIterations: maxBatches,
    description: 'one batch per iteration while items remain',
  })
  async processBatch(state: BatchState, ctx: LoopContext<BatchJob>): Promise<BatchState> {
    const size = Math.min(state.batchSize, state.remainingItems)
    if (ctx.iteration % 10 === 0) await ctx.sleep('1 ms')
    return {
      batchSize: state.batchSize,
      remainingItems: state.remainingItems - size,
      processedItems: state.processedItems + size,
      lastBatchKey: ctx.idempotencyKey,
    }
  }

  @DependsOn('processBatch')
  report(loop: LoopResult<BatchState>): BatchReport {
    const { finalState } = loop
    return {
      batches: loop.iterations,
      processedItems: finalState.processedItems,
      remainingItems: finalState.remainingItems,
      complete: finalState.remainingItems === 0,
      stoppedAtCap: loop.maxIterationsReached,
    }
  }
}

/** What {@link main} reports: a job that fits in the cap, and one that does not. */
export interface BatchSummary {
  readonly fits: LoopResult<BatchState>
  readonly fitsReport: BatchReport
  readonly tooLarge: BatchReport
}

/** Runs 1000 items in batches of 100, then 10 000 items, which hit the 50-batch cap. */
export async function main(log: (line: string) => void = console.log, store: WorkflowStore = sqliteStore()): Promise<BatchSummary> {
  const engine = createEngine({ store })
  try {
    const fitting = await engine.run(BatchProcessor, { totalItems: 1_000, batchSize: 100 })
    const fits = fitting.output('processBatch')
    const fitsReport = fitting.output('report')
    log(`1000 items: ${describe(fitsReport)}; last batch key ${fits.finalState.lastBatchKey ?? '-'}`)
    const tooLarge = (await engine.run(BatchProcessor, { totalItems: 10_000, batchSize: 100 })).output('report')
    log(`10000 items: ${describe(tooLarge)}`)
    return { fits, fitsReport, tooLarge }
  } finally {
    await engine.close()
  }
}

function describe(report: BatchReport): string {
  const cap = report.stoppedAtCap ? `stopped at the ${maxBatches}-batch cap` : 'done'
  return `${report.batches} batches, ${report.processedItems} processed, ${report.remainingItems} left (${cap})`
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error: unknown) => {
    console.error(error)
    process.exitCode = 1
  })
}
