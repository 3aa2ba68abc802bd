/**
 * The comprehensive workflow: a dataset goes through every pattern of the
 * reference in one run.
 *
 * ```
 * validate → transform → store (@Retry)
 *                          ├→ assessQuality ┬→ premiumEnrichment  (@When score > 0.8) ┐ optional
 *                          │                └→ standardEnrichment (@When otherwise)   ┤ optional
 *                          ├→ resizeImages (ctx.map, 2 at a time) ────────────────────┤
 *                          ├→ computeStatistics ──────────────────────────────────────┤
 *                          └→ planIndexing → indexBatches (@Loop) ────────────────────┴→ assembleReport
 *
 * assembleReport → awaitApproval (ctx.waitForEvent)
 * assembleReport + awaitApproval → publish (@Retry; the CDN is down, so it fails)
 * rollbackPublish: @OnFailure('publish'), the compensation
 * releaseWorkspace: @Always, the cleanup
 * ```
 *
 * @module
 */
import { Schema } from 'effect'
import { inject } from 'tsyringe'
import {
  Always,
  DependsOn,
  Loop,
  OnFailure,
  Retry,
  Task,
  Timeout,
  When,
  Workflow,
  WorkflowBase,
  type LoopContext,
  type LoopResult,
  type TaskContext,
  type TaskFailure,
} from 'weft-sdk'
import { Cdn, ImageService, ProgressLog, Warehouse, type WarehouseRow } from './adapters.js'

const Reading = Schema.Struct({ id: Schema.NonEmptyString, value: Schema.Finite })

/** The run input, checked by the engine before a run is created. */
export const DatasetInput = Schema.Struct({
  datasetId: Schema.NonEmptyString,
  readings: Schema.Array(Reading),
  qualityScore: Schema.Finite.check(Schema.isBetween({ minimum: 0, maximum: 1 })),
  images: Schema.Array(Schema.NonEmptyString),
  indexBatchSize: Schema.Int.check(Schema.isGreaterThan(0)),
})
export type DatasetInput = typeof DatasetInput.Type
type Ctx = TaskContext<DatasetInput>

/** What `validate` keeps and drops. */
export interface Validated {
  readonly rows: readonly WarehouseRow[]
  readonly rejected: readonly string[]
}

/** What `store` wrote. */
export interface StoredDataset {
  readonly table: string
  readonly rows: readonly WarehouseRow[]
}

/** The quality tier that picks the enrichment branch. */
export interface Quality {
  readonly score: number
  readonly tier: 'premium' | 'standard'
}

/** What either enrichment branch produces. */
export interface Enrichment {
  readonly tier: Quality['tier']
  readonly features: readonly string[]
}

/** Summary statistics of the stored values. */
export interface Statistics {
  readonly count: number
  readonly mean: number
  readonly min: number
  readonly max: number
}

/** The loop state of `indexBatches`. */
export interface IndexCursor {
  readonly total: number
  readonly batchSize: number
  readonly indexed: number
}

/** What the join task assembles for approval. */
export interface DatasetReport {
  readonly datasetId: string
  readonly enrichment: Enrichment
  readonly thumbnails: readonly string[]
  readonly statistics: Statistics
  readonly indexedBatches: number
}

/** The event a data steward sends to approve publishing. */
export interface Approval {
  readonly datasetId: string
  readonly approvedBy: string
}

/** What the compensation did. */
export interface Rollback {
  readonly removedFiles: number
  readonly reason: string
}

@Workflow({ name: 'comprehensive-data-workflow', version: 1, input: DatasetInput })
export class DataPlatformWorkflow extends WorkflowBase<DatasetInput> {
  constructor(
    private readonly warehouse: Warehouse,
    private readonly images: ImageService,
    private readonly cdn: Cdn,
    @inject(ProgressLog) private readonly progress: ProgressLog,
  ) {
    super()
  }

  // ---- sequential: validate → transform → store ----------------------------------------

  @Task({ description: 'drop readings outside the sensor range' })
  async validate(input: DatasetInput, ctx: Ctx): Promise<Validated> {
    await ctx.sleep('2 ms')
    const plausible = (value: number) => value >= 0 && value <= 100
    return {
      rows: input.readings.filter((r) => plausible(r.value)),
      rejected: input.readings.filter((r) => !plausible(r.value)).map((r) => r.id),
    }
  }

  @DependsOn('validate')
  transform(validated: Validated): WarehouseRow[] {
    return validated.rows.map((row) => ({ id: row.id.toUpperCase(), value: Math.round(row.value * 10) / 10 }))
  }

  @Task({ dependsOn: ['transform'], description: 'write to the warehouse; a deadlock is retried' })
  @Retry({ maxAttempts: 3, backoff: { initial: '3 ms', jitter: 'none' } })
  @Timeout('200 ms')
  async store(rows: WarehouseRow[], ctx: Ctx): Promise<StoredDataset> {
    const table = `readings_${ctx.input.datasetId}`
    await this.warehouse.write(table, rows, ctx.idempotencyKey, ctx.signal)
    return { table, rows }
  }

  // ---- conditional: one of two enrichment branches -------------------------------------

  @DependsOn('store')
  assessQuality(stored: StoredDataset, ctx: Ctx): Quality {
    const score = ctx.input.qualityScore
    return { score, tier: score > 0.8 && stored.rows.length > 0 ? 'premium' : 'standard' }
  }

  @DependsOn('assessQuality')
  @When((quality: Quality) => quality.tier === 'premium')
  async premiumEnrichment(quality: Quality, ctx: Ctx): Promise<Enrichment> {
    await ctx.sleep('4 ms')
    return { tier: quality.tier, features: ['outlier-detection', 'seasonality', 'forecast'] }
  }

  @DependsOn('assessQuality')
  @When((quality: Quality) => quality.tier === 'standard')
  async standardEnrichment(quality: Quality, ctx: Ctx): Promise<Enrichment> {
    await ctx.sleep('2 ms')
    return { tier: quality.tier, features: ['outlier-detection'] }
  }

  // ---- parallel: fan-out over the images, statistics alongside ------------------------

  @Task({ dependsOn: ['store'], description: 'resize every image, two at a time, each one checkpointed' })
  resizeImages(stored: StoredDataset, ctx: Ctx): Promise<string[]> {
    const urls = ctx.input.images
    return ctx.map(urls, async (url, index, signal) => {
      const thumbnail = await this.images.resize(url, signal)
      this.progress(ctx.task, `resized ${index + 1}/${urls.length} ${url} (table ${stored.table})`)
      return thumbnail
    }, { concurrency: 2 })
  }

  @DependsOn('store')
  computeStatistics(stored: StoredDataset): Statistics {
    const values = stored.rows.map((row) => row.value)
    const sum = values.reduce((total, value) => total + value, 0)
    return { count: values.length, mean: values.length === 0 ? 0 : sum / values.length, min: Math.min(...values), max: Math.max(...values) }
  }

  // ---- loop: index the rows in batches -------------------------------------------------

  @DependsOn('store')
  planIndexing(stored: StoredDataset, ctx: Ctx): IndexCursor {
    return { total: stored.rows.length, batchSize: ctx.input.indexBatchSize, indexed: 0 }
  }

  @Loop({
    dependsOn: ['planIndexing'],
    while: (cursor: IndexCursor) => cursor.indexed < cursor.total,
    maxIterations: 20,
    description: 'one batch per iteration, each checkpointed',
  })
  async indexBatches(cursor: IndexCursor, ctx: LoopContext<DatasetInput>): Promise<IndexCursor> {
    await ctx.sleep('1 ms')
    const indexed = Math.min(cursor.total, cursor.indexed + cursor.batchSize)
    this.progress(ctx.task, `indexed batch ${ctx.iteration + 1} (rows ${cursor.indexed + 1}-${indexed} of ${cursor.total})`)
    return { ...cursor, indexed }
  }

  // ---- join, then wait for an external approval ----------------------------------------

  @Task({
    dependsOn: [
      { task: 'premiumEnrichment', optional: true },
      { task: 'standardEnrichment', optional: true },
      'resizeImages',
      'computeStatistics',
      'indexBatches',
    ],
    description: 'join: exactly one enrichment branch ran',
  })
  assembleReport(
    premium: Enrichment | undefined,
    standard: Enrichment | undefined,
    thumbnails: string[],
    statistics: Statistics,
    indexing: LoopResult<IndexCursor>,
    ctx: Ctx,
  ): DatasetReport {
    const enrichment = premium ?? standard
    if (enrichment === undefined) throw new Error('no enrichment branch ran')
    return { datasetId: ctx.input.datasetId, enrichment, thumbnails, statistics, indexedBatches: indexing.iterations }
  }

  @Task({ dependsOn: ['assembleReport'], description: 'wait for a data steward to approve publishing' })
  awaitApproval(report: DatasetReport, ctx: Ctx): Promise<Approval> {
    this.progress(ctx.task, `waiting for an "approval" event for ${report.datasetId}`)
    return ctx.waitForEvent<Approval>('approval', { timeout: '2 s', match: (approval) => approval.datasetId === report.datasetId })
  }

  // ---- publish, with compensation and cleanup ------------------------------------------

  @DependsOn('assembleReport', 'awaitApproval')
  @Retry({ maxAttempts: 2, backoff: { initial: '4 ms', jitter: 'none' } })
  publish(report: DatasetReport, approval: Approval, ctx: Ctx): Promise<string> {
    const files = [...report.thumbnails, `${report.datasetId}/report.json`]
    this.progress(ctx.task, `publishing ${files.length} files approved by ${approval.approvedBy}`)
    return this.cdn.publish(report.datasetId, files, ctx.signal)
  }

  @OnFailure('publish', { description: 'compensation: remove what a failed publish uploaded' })
  rollbackPublish(failure: TaskFailure, ctx: Ctx): Rollback {
    const removedFiles = this.cdn.removeUploads(ctx.input.datasetId)
    return { removedFiles, reason: `${failure.task} failed after ${failure.attempts} attempts: ${failure.message}` }
  }

  @Task({ description: 'cleanup: runs whatever happened' })
  @Always()
  releaseWorkspace(input: DatasetInput): string {
    const released = this.warehouse.releaseLocks(`readings_${input.datasetId}`)
    return `released ${released} table lock(s) of ${input.datasetId}`
  }
}
