/**
 * Example 02: parallel image processing, fork-join.
 *
 * Shows:
 * - three root tasks (`resize`, `compress`, `watermark`): none depends on
 *   another, so the engine starts all three at once (fork);
 * - a join task `publish` that depends on all three and receives their typed
 *   outputs, in the order of its `dependsOn` list (join);
 * - following a run through `engine.on(...)` events, and printing the graph
 *   with `toMermaid(compileWorkflow(...))`.
 *
 * Ported from the `image_processing` handler of the reference (section 1.3),
 * where the three steps ran under `asyncio.create_task`.
 *
 * Run it: `npm run build && npm run build:examples && node examples/dist/02-parallel-images/main.js`.
 */
import { pathToFileURL } from 'node:url'
import { Task, Workflow, WorkflowBase, compileWorkflow, createEngine, toMermaid, type TaskContext, type WeftEvent, sqliteStore } from 'weft-sdk'
import type { WorkflowStore } from 'weft-sdk/store'

/** The run input: an album and how many images it holds. */
export interface ImageBatch {
  readonly albumId: string
  readonly imageCount: number
}

/** What `resize` produces. */
export interface Resized {
  readonly resizedImages: number
  readonly format: 'thumbnail'
}

/** What `compress` produces. */
export interface Compressed {
  readonly compressedImages: number
  readonly compressionRatio: number
}

/** What `watermark` produces. */
export interface Watermarked {
  readonly watermarkedImages: number
  readonly watermark: string
}

/** What the join task produces. */
export interface Gallery {
  readonly albumId: string
  readonly images: number
  readonly format: Resized['format']
  readonly compressionRatio: number
  readonly watermark: string
}

@Workflow({ name: 'image-processing', version: 1, description: 'resize, compress and watermark in parallel, then publish' })
export class ImageProcessing extends WorkflowBase<ImageBatch> {
  @Task()
  async resize(batch: ImageBatch, ctx: TaskContext<ImageBatch>): Promise<Resized> {
    await ctx.sleep('8 ms')
    return { resizedImages: batch.imageCount, format: 'thumbnail' }
  }

  @Task()
  async compress(batch: ImageBatch, ctx: TaskContext<ImageBatch>): Promise<Compressed> {
    await ctx.sleep('6 ms')
    return { compressedImages: batch.imageCount, compressionRatio: 0.7 }
  }

  @Task()
  async watermark(batch: ImageBatch, ctx: TaskContext<ImageBatch>): Promise<Watermarked> {
    await ctx.sleep('4 ms')
    return { watermarkedImages: batch.imageCount, watermark: 'company-logo' }
  }

  @Task({ dependsOn: ['resize', 'compress', 'watermark'], description: 'join: every image is resized, compressed and watermarked' })
  publish(resized: Resized, compressed: Compressed, watermarked: Watermarked, ctx: TaskContext<ImageBatch>): Gallery {
    const images = Math.min(resized.resizedImages, compressed.compressedImages, watermarked.watermarkedImages)
    return { albumId: ctx.input.albumId, images, format: resized.format, compressionRatio: compressed.compressionRatio, watermark: watermarked.watermark }
  }
}

/** What {@link main} reports. */
export interface ParallelSummary {
  readonly gallery: Gallery
  /** Most tasks of the run running at the same moment. */
  readonly peakConcurrency: number
  /** `started:<task>` and `completed:<task>` in the order they happened. */
  readonly timeline: readonly string[]
}

/** Runs the fork-join workflow on one album and reports how far the tasks overlapped. */
export async function main(log: (line: string) => void = console.log, store: WorkflowStore = sqliteStore()): Promise<ParallelSummary> {
  const engine = createEngine({ store })
  const timeline: string[] = []
  engine.on((event) => recordTimeline(timeline, event))
  try {
    log(toMermaid(compileWorkflow(ImageProcessing)))
    const result = await engine.run(ImageProcessing, { albumId: 'summer-2024', imageCount: 12 })
    const peakConcurrency = peakOf(timeline)
    log(`${timeline.join(', ')}`)
    log(`published ${result.output('publish').images} images; up to ${peakConcurrency} tasks ran at once`)
    return { gallery: result.output('publish'), peakConcurrency, timeline }
  } finally {
    await engine.close()
  }
}

function recordTimeline(timeline: string[], event: WeftEvent): void {
  if (event.type === 'task.started') timeline.push(`started:${event.task}`)
  if (event.type === 'task.completed') timeline.push(`completed:${event.task}`)
}

function peakOf(timeline: readonly string[]): number {
  let running = 0
  let peak = 0
  for (const entry of timeline) {
    running += entry.startsWith('started:') ? 1 : -1
    peak = Math.max(peak, running)
  }
  return peak
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error: unknown) => {
    console.error(error)
    process.exitCode = 1
  })
}
