/**
 * Example 03: a quality-based conditional branch.
 *
 * Shows:
 * - `@When(condition)`: the condition receives the task's own arguments (here
 *   the output of `assessQuality`), and a false condition skips the task;
 * - two exclusive branches, `premium` and `standard`, and a join task
 *   `deliver` that takes both as optional dependencies
 *   (`{ task, optional: true }`): it runs although one branch was skipped, and
 *   receives `undefined` for that one (the compiler makes its parameters
 *   `T | undefined`);
 * - `task.skipped` events with their reason.
 *
 * Ported from the `quality_based_processing` handler of the reference
 * (section 1.3): a quality score above 0.8 takes the premium path.
 *
 * Run it: `npm run build && npm run build:examples && node examples/dist/03-quality-branch/main.js`.
 */
import { pathToFileURL } from 'node:url'
import { DependsOn, Task, When, Workflow, WorkflowBase, createEngine, type Engine, type TaskContext, sqliteStore } from 'weft-sdk'
import type { WorkflowStore } from 'weft-sdk/store'

/** The run input: a dataset and the quality score an upstream check gave it. */
export interface Dataset {
  readonly datasetId: string
  readonly qualityScore: number
}

/** What `assessQuality` decides. */
export interface QualityAssessment {
  readonly score: number
  readonly premium: boolean
}

/** What either branch produces. */
export interface Processed {
  readonly processingType: 'premium' | 'standard'
  readonly result: string
}

/** What the join task produces. */
export interface Delivery {
  readonly datasetId: string
  readonly branch: Processed['processingType']
  readonly result: string
}

/** Scores above this take the premium branch. */
const premiumThreshold = 0.8

@Workflow({ name: 'quality-based-processing', version: 1 })
export class QualityBasedProcessing extends WorkflowBase<Dataset> {
  @Task()
  assessQuality(dataset: Dataset): QualityAssessment {
    return { score: dataset.qualityScore, premium: dataset.qualityScore > premiumThreshold }
  }

  @Task({ dependsOn: ['assessQuality'], description: 'high-quality data gets the expensive enrichment' })
  @When((quality: QualityAssessment) => quality.premium)
  async premium(quality: QualityAssessment, ctx: TaskContext<Dataset>): Promise<Processed> {
    await ctx.sleep('4 ms')
    return { processingType: 'premium', result: `high_quality_output(${quality.score})` }
  }

  @DependsOn('assessQuality')
  @When((quality: QualityAssessment) => !quality.premium)
  async standard(quality: QualityAssessment, ctx: TaskContext<Dataset>): Promise<Processed> {
    await ctx.sleep('2 ms')
    return { processingType: 'standard', result: `standard_output(${quality.score})` }
  }

  @Task({ dependsOn: [{ task: 'premium', optional: true }, { task: 'standard', optional: true }], description: 'join: exactly one branch ran' })
  deliver(premium: Processed | undefined, standard: Processed | undefined, ctx: TaskContext<Dataset>): Delivery {
    const processed = premium ?? standard
    if (processed === undefined) throw new Error('neither branch ran')
    return { datasetId: ctx.input.datasetId, branch: processed.processingType, result: processed.result }
  }
}

/** How one run went. */
export interface BranchOutcome {
  readonly delivery: Delivery
  /** Tasks skipped because their `@When` condition was false. */
  readonly skipped: readonly string[]
}

/** What {@link main} reports: one run per branch. */
export interface QualitySummary {
  readonly highQuality: BranchOutcome
  readonly lowQuality: BranchOutcome
}

/** Runs the workflow on a high- and a low-quality dataset. */
export async function main(log: (line: string) => void = console.log, store: WorkflowStore = sqliteStore()): Promise<QualitySummary> {
  const engine = createEngine({ store })
  try {
    const highQuality = await processDataset(engine, { datasetId: 'survey-a', qualityScore: 0.93 }, log)
    const lowQuality = await processDataset(engine, { datasetId: 'survey-b', qualityScore: 0.42 }, log)
    return { highQuality, lowQuality }
  } finally {
    await engine.close()
  }
}

async function processDataset(engine: Engine, dataset: Dataset, log: (line: string) => void): Promise<BranchOutcome> {
  const run = await engine.start(QualityBasedProcessing, dataset)
  const skipped: string[] = []
  for await (const event of run.events()) {
    if (event.type === 'task.skipped' && event.reason === 'condition') skipped.push(event.task)
  }
  const delivery = (await run.result()).output('deliver')
  log(`${dataset.datasetId} (score ${dataset.qualityScore}): ${delivery.branch} branch → ${delivery.result}; skipped ${skipped.join(', ')}`)
  return { delivery, skipped }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error: unknown) => {
    console.error(error)
    process.exitCode = 1
  })
}
