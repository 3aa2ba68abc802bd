/**
 * Example 13: finding what makes a workflow slow — the reference's exercise 2
 * ("Performance Optimization Challenge") on Weft's recorded history.
 *
 * Shows:
 * - the exercise's five task types, with its latency and failure
 *   distributions, as a chain of tasks (the exercise runs them one after the
 *   other, 100 times): `slow_task` (45 ± 5 s, fails 5%), `memory_heavy`
 *   (15 ± 2 s and a 1 MiB buffer, 8%), `unreliable` (10 s, 30% of calls
 *   3× longer; fails 25%), `variable` (5 s × uniform(0.1, 10); 10%) and
 *   `normal` (2 ± 0.5 s; 2%), failed attempts retried (`retry`) so runs
 *   complete;
 * - time scaled down to nothing: the engine is given a simulated clock
 *   (`createEngine({ clock })`, an Effect `Clock` whose sleeps advance it at
 *   once) and each task advances it by its drawn duration, so the engine
 *   records the exercise's durations exactly, in well under a second, the
 *   same on every run whatever the machine's load (draws come from a seeded
 *   generator, one stream per run, task and attempt);
 * - `loadWorkflowHistory` reading a bounded sample of the runs the engine
 *   recorded, and `analyzeWorkflow` computing per-task statistics, the
 *   critical path and each task's share of it, the bottlenecks by Weft's
 *   criteria, and suggestions whose savings are estimated by replaying the
 *   recorded durations through the graph (see guides/observability.md,
 *   "Analysis");
 * - why those criteria: the exercise's own variance rule (p95 > 3 × mean)
 *   flags neither `variable` nor `unreliable` (their p95 stays under 2 ×
 *   their mean), and its failure rule (success below 90%) ignores how the
 *   other tasks fail. Weft flags `slow_task` (its share of the critical
 *   path), `variable` and `unreliable` (a coefficient of variation whose
 *   spread matters to the run), `unreliable` (its failure rate against the
 *   other tasks'), and nothing for `normal`.
 *
 * The same report from the command line: `weft analyze <module> <workflow>`.
 *
 * Run it: `npm run build && npm run build:examples && node examples/dist/13-performance-analysis/main.js`.
 */
import { pathToFileURL } from 'node:url'
import { Duration, Effect, type Clock } from 'effect'
import {
  analyzeWorkflow, compileWorkflow, createEngine, defineWorkflow, formatAnalysis, loadWorkflowHistory, sqliteStore, toAnalysisGraph,
  type BottleneckKind, type SuggestionKind, type TaskContext,
} from 'weft-sdk'
import type { WorkflowStore } from 'weft-sdk/store'

/**
 * Simulated time: an Effect `Clock` that stands still until told to move.
 * Its sleeps (a retry's backoff) advance it at once, as task bodies do with
 * {@link SimulatedClock.advance}. Only sound when one run runs at a time,
 * as here.
 */
export class SimulatedClock implements Clock.Clock {
  private nowMs = Date.parse('2030-01-01T00:00:00Z')
  readonly currentTimeMillis = Effect.sync(() => this.nowMs)
  readonly currentTimeNanos = Effect.sync(() => this.currentTimeNanosUnsafe())
  readonly monotonicTimeNanos = Effect.sync(() => this.currentTimeNanosUnsafe())

  /** Moves the clock forward. */
  advance(ms: number): void {
    this.nowMs += Math.round(ms)
  }

  currentTimeMillisUnsafe(): number {
    return this.nowMs
  }

  currentTimeNanosUnsafe(): bigint {
    return BigInt(this.nowMs) * 1_000_000n
  }

  monotonicTimeNanosUnsafe(): bigint {
    return this.currentTimeNanosUnsafe()
  }

  sleep(duration: Duration.Duration): Effect.Effect<void> {
    return Effect.sync(() => this.advance(Duration.toMillis(duration)))
  }
}

/** The run input: which run of the challenge this is, and the seed its draws derive from. */
export interface ChallengeInput {
  readonly run: number
  readonly seed: number
}

/** The exercise's task types: a duration draw (reference seconds) and a failure rate each. */
export const taskTypes = {
  slow_task: { failureRate: 0.05, seconds: (r: () => number) => 45 + uniform(r, -5, 5) },
  memory_heavy: { failureRate: 0.08, seconds: (r: () => number) => 15 + uniform(r, -2, 2) },
  unreliable: { failureRate: 0.25, seconds: (r: () => number) => (r() < 0.3 ? 30 : 10) },
  variable: { failureRate: 0.1, seconds: (r: () => number) => 5 * uniform(r, 0.1, 10) },
  normal: { failureRate: 0.02, seconds: (r: () => number) => 2 + uniform(r, -0.5, 0.5) },
} as const

/** A task type's name. */
export type TaskType = keyof typeof taskTypes

function uniform(random: () => number, low: number, high: number): number {
  return low + (high - low) * random()
}

/** mulberry32, seeded through a murmur3 finalizer so that neighbouring seeds give unrelated streams. */
function generator(seed: number): () => number {
  let state = mix(seed)
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function mix(value: number): number {
  let h = value >>> 0
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

/** The draws of one attempt of one task in one run: independent of timing and of the order runs interleave. */
function drawsFor(input: ChallengeInput, type: TaskType, attempt: number): () => number {
  const typeIndex = Object.keys(taskTypes).indexOf(type)
  return generator(mix(mix(mix(input.seed) ^ input.run) ^ typeIndex) ^ attempt)
}

/** The clock every run of the challenge is recorded with. */
const clock = new SimulatedClock()

/** One attempt of a task type: take its drawn duration, then fail at its rate (the exercise's `_simulate_task_execution`). */
function simulate(type: TaskType, input: ChallengeInput, ctx: TaskContext<ChallengeInput>): number {
  const random = drawsFor(input, type, ctx.attempt)
  const spec = taskTypes[type]
  if (type === 'memory_heavy') Buffer.alloc(1024 * 1024, input.run).fill(type) // the memory-intensive part
  clock.advance(spec.seconds(random) * 1000)
  if (random() < spec.failureRate) throw new Error(`${type} simulation error`)
  return input.run
}

const retry = { maxAttempts: 8, backoff: { initial: '1 s', max: '1 s', jitter: 'none' } } as const

/** The challenge: the five task types one after the other, each retried on failure. */
export const Challenge = defineWorkflow<ChallengeInput>({ name: 'optimization-challenge', version: 1 })
  .task('slow_task', { retry }, (input, ctx) => simulate('slow_task', input, ctx))
  .task('memory_heavy', { dependsOn: ['slow_task'], retry }, (_run: number, ctx) => simulate('memory_heavy', ctx.input, ctx))
  .task('unreliable', { dependsOn: ['memory_heavy'], retry }, (_run: number, ctx) => simulate('unreliable', ctx.input, ctx))
  .task('variable', { dependsOn: ['unreliable'], retry }, (_run: number, ctx) => simulate('variable', ctx.input, ctx))
  .task('normal', { dependsOn: ['variable'], retry }, (_run: number, ctx) => simulate('normal', ctx.input, ctx))
  .build()

/** What the example found. */
export interface AnalysisSummary {
  /** Runs analyzed. */
  readonly runs: number
  /** The bottleneck kinds flagged per task type (empty: nothing flagged). */
  readonly flagged: Record<TaskType, BottleneckKind[]>
  /** The critical path's tasks. */
  readonly criticalPath: string[]
  /** The kinds of the suggestions, largest estimated saving first. */
  readonly suggestions: SuggestionKind[]
  /** The tasks the exercise's own variance rule (p95 > 3 × mean) would flag. */
  readonly referenceVarianceRule: string[]
}

/** How many runs the challenge records (the exercise's 100 executions of each task type). */
export const challengeRuns = 100

/** Records the challenge's runs, then analyzes their history and prints the report. */
export async function main(log: (line: string) => void = console.log, store: WorkflowStore = sqliteStore(), seed = 2): Promise<AnalysisSummary> {
  // One run at a time on the simulated clock; a lease longer than any run, since simulated time jumps.
  const engine = createEngine({ store, workflows: [Challenge], clock, leaseDuration: '1 h' })
  try {
    for (let run = 0; run < challengeRuns; run++) await (await engine.start(Challenge, { run, seed })).outcome()
    const graph = toAnalysisGraph(compileWorkflow(Challenge))
    const analysis = analyzeWorkflow(graph, await loadWorkflowHistory(store, graph, { runs: challengeRuns }))
    for (const line of formatAnalysis(analysis)) log(line)
    const referenceVarianceRule = analysis.tasks.filter((t) => t.duration.p95Ms > 3 * t.duration.meanMs).map((t) => t.task)
    log('')
    log(`the exercise's variance rule (p95 > 3 × mean) flags: ${referenceVarianceRule.join(', ') || 'nothing'}`)
    const flagged = Object.fromEntries(Object.keys(taskTypes).map((task) => [task, analysis.bottlenecks.filter((b) => b.task === task).map((b) => b.kind)]))
    return { runs: analysis.sample.analyzed, flagged: flagged as AnalysisSummary['flagged'], criticalPath: analysis.criticalPath.steps.map((s) => s.task), suggestions: analysis.suggestions.map((s) => s.kind), referenceVarianceRule }
  } finally {
    await engine.close()
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error: unknown) => {
    console.error(error)
    process.exitCode = 1
  })
}
