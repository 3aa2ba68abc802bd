/**
 * Example 07: one workflow that uses every pattern, with live progress.
 *
 * `DataPlatformWorkflow` (see `data-platform-workflow.ts`) ingests a dataset:
 * - sequential: validate → transform → store, the store retried after a
 *   transient deadlock (`@Retry`, `@Timeout`);
 * - parallel: after `store`, quality assessment, image resizing, statistics
 *   and index planning run at once; `resizeImages` fans out over the image
 *   list with `ctx.map(..., { concurrency: 2 })`;
 * - conditional: `@When` picks the premium or the standard enrichment, and
 *   `assembleReport` joins them as optional dependencies;
 * - loop: `indexBatches` indexes the rows batch by batch (`@Loop`);
 * - event: `awaitApproval` waits for an `approval` event
 *   (`ctx.waitForEvent`), which this program sends with `engine.emit(...,
 *   { runId })` as soon as the task starts;
 * - failure handling: `publish` fails (the CDN is down) after its retries;
 *   `@OnFailure('publish')` compensates by removing the uploads, so the run
 *   still completes; `@Always` releases the workspace whatever happens.
 *
 * Adapters come from the run's DI container: classes are injected by their
 * constructor types, the progress log by an explicit `@inject(token)`.
 *
 * `npm start` builds the package and the examples and runs this file: it
 * prints each task as it starts, retries and finishes, then a summary table.
 */
import 'reflect-metadata'
import { pathToFileURL } from 'node:url'
import { compileWorkflow, createEngine, formatMillis, type Engine, type RunOutcome, type RunResult, type TaskSummary, type WorkflowOutputs, sqliteStore } from 'weft-sdk'
import type { WorkflowStore } from 'weft-sdk/store'
import { Cdn, ImageService, ProgressLog, Warehouse } from './adapters.js'
import { DataPlatformWorkflow, type Approval, type DatasetInput, type Enrichment, type Rollback } from './data-platform-workflow.js'
import { ProgressReporter, formatSummaryTable } from './progress-reporter.js'

const sampleDataset: DatasetInput = {
  datasetId: 'greenhouse-2024-06',
  readings: [
    { id: 'r1', value: 21.44 },
    { id: 'r2', value: 22.91 },
    { id: 'r3', value: -273 },
    { id: 'r4', value: 23.05 },
    { id: 'r5', value: 24.5 },
    { id: 'r6', value: 25.73 },
    { id: 'r7', value: 999 },
    { id: 'r8', value: 22.2 },
  ],
  qualityScore: 0.92,
  images: ['north.jpg', 'south.jpg', 'east.jpg', 'west.jpg', 'roof.jpg'],
  indexBatchSize: 2,
}

/** The fakes registered in the engine's container, kept so the summary can inspect them. */
interface Adapters {
  readonly warehouse: Warehouse
  readonly images: ImageService
  readonly cdn: Cdn
}

/** What {@link main} reports. */
export interface ComprehensiveSummary {
  readonly status: RunOutcome['status']
  readonly tasks: readonly TaskSummary[]
  readonly rejectedReadings: readonly string[]
  readonly enrichment: Enrichment
  readonly thumbnails: readonly string[]
  /** Most resizes that ran at once inside `ctx.map`. */
  readonly peakResizeConcurrency: number
  readonly indexedBatches: number
  readonly approval: Approval
  readonly rollback: Rollback
  readonly cleanup: string
  /** Files still on the CDN after the compensation (0 when it worked). */
  readonly filesLeftOnCdn: number
}

/** Runs the workflow once on a sample dataset, printing progress and a summary table. */
export async function main(log: (line: string) => void = console.log, store: WorkflowStore = sqliteStore()): Promise<ComprehensiveSummary> {
  const adapters: Adapters = { warehouse: new Warehouse(), images: new ImageService(), cdn: new Cdn() }
  const engine = createEngine({ store })
  const reporter = new ProgressReporter(log, compileWorkflow(DataPlatformWorkflow).tasks.map((task) => task.name))
  registerAdapters(engine, adapters, reporter)
  reporter.attach(engine)
  approveWhenAsked(engine, reporter, { datasetId: sampleDataset.datasetId, approvedBy: 'data-steward@example.com' })
  try {
    log(`Ingesting "${sampleDataset.datasetId}": ${sampleDataset.readings.length} readings, ${sampleDataset.images.length} images\n`)
    const run = await engine.start(DataPlatformWorkflow, sampleDataset)
    const outcome = await run.outcome()
    printSummary(log, reporter, outcome)
    log(`every step is recorded in the store: npx weft runs show ${run.id}`)
    return summarize(await run.result(), outcome, adapters)
  } finally {
    await engine.close()
  }
}

function registerAdapters(engine: Engine, adapters: Adapters, reporter: ProgressReporter): void {
  engine.container.register(Warehouse, { useValue: adapters.warehouse })
  engine.container.register(ImageService, { useValue: adapters.images })
  engine.container.register(Cdn, { useValue: adapters.cdn })
  engine.container.register(ProgressLog, { useValue: (task: string, message: string) => reporter.note(task, message) })
}

/** Plays the data steward: approves a few milliseconds after the run starts waiting. */
function approveWhenAsked(engine: Engine, reporter: ProgressReporter, approval: Approval): void {
  engine.on('task.started', (event) => {
    if (event.task !== 'awaitApproval') return
    setTimeout(() => {
      reporter.note('', `${approval.approvedBy} approves: engine.emit('approval', ..., { runId })`)
      engine.emit('approval', approval, { runId: event.runId }).catch((error: unknown) => reporter.note('', `could not send the approval: ${String(error)}`))
    }, 5)
  })
}

function printSummary(log: (line: string) => void, reporter: ProgressReporter, outcome: RunOutcome): void {
  const count = (status: TaskSummary['status']) => outcome.tasks.filter((task) => task.status === status).length
  log('')
  for (const line of formatSummaryTable(reporter.inEventOrder(outcome.tasks))) log(line)
  log('')
  const handled = outcome.status === 'completed' && count('failed') > 0 ? ' (handled)' : ''
  log(
    `run ${outcome.status} in ${formatMillis(outcome.finishedAt - outcome.startedAt)}: ` +
      `${count('completed')} completed, ${count('failed')} failed${handled}, ${count('skipped')} skipped`,
  )
}

function summarize(result: RunResult<WorkflowOutputs<typeof DataPlatformWorkflow>>, outcome: RunOutcome, adapters: Adapters): ComprehensiveSummary {
  const enrichment = result.outputs.premiumEnrichment ?? result.outputs.standardEnrichment
  if (enrichment === undefined) throw new Error('no enrichment branch completed')
  return {
    status: outcome.status,
    tasks: outcome.tasks,
    rejectedReadings: result.output('validate').rejected,
    enrichment,
    thumbnails: result.output('resizeImages'),
    peakResizeConcurrency: adapters.images.peakConcurrency,
    indexedBatches: result.output('indexBatches').iterations,
    approval: result.output('awaitApproval'),
    rollback: result.output('rollbackPublish'),
    cleanup: result.output('releaseWorkspace'),
    filesLeftOnCdn: adapters.cdn.uploaded.size,
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error: unknown) => {
    console.error(error)
    process.exitCode = 1
  })
}
