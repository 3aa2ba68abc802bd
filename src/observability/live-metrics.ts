// The live monitor: per-process metrics folded from the engine's events as they happen (a listener of engine.on),
// in counters, DDSketches and sliding windows: constant work per event, no event kept. Two monitors merge (the
// metrics of several processes, or of several engines), and a report has the history's shape (metrics-report.ts).

import { toMillis, type Duration } from '../core/duration.js'
import { InvalidOptionsError } from '../core/errors.js'
import type { TaskNode, WorkflowGraph } from '../graph/workflow-graph.js'
import type { MetricsSink, TaskMetricsRecorder } from '../runtime/metrics-sink.js'
import type { TaskCallReported, WeftEvent, WeftEventType } from '../runtime/run-events.js'
import { taskRates, workflowRates, type BreakerMetrics, type MetricsReport, type TaskMetrics, type WorkflowMetrics } from './metrics-report.js'
import { defaultRelativeAccuracy, DurationSketch } from './duration-sketch.js'
import { PendingCompletions, type CompletionFold } from './pending-completions.js'
import { SlidingWindow } from './sliding-window.js'
import { RecoveryStats, type RecoveryStatsSnapshot } from '../resilience/recovery/recovery-stats.js'
import { noRecovery } from './recovery-history.js'

/**
 * Options of the live monitor (`createEngine({ metrics })`, `new LiveMetrics()`).
 *
 * @example
 * ```ts
 * import { createEngine, type LiveMetricsOptions } from 'weft-sdk'
 * const metrics: LiveMetricsOptions = { relativeAccuracy: 0.005, window: '5 m' }
 * const engine = createEngine({ metrics })
 * ```
 */
export interface LiveMetricsOptions {
  /** The sketches' relative error bound: each live percentile is within this fraction of the exact one. @defaultValue 0.01 */
  readonly relativeAccuracy?: number
  /** The sliding window of the throughputs. @defaultValue '1 m' */
  readonly window?: Duration
}

/**
 * Durations of one workflow's runs or one task's steps as a cumulative
 * histogram: `buckets[i]` counts the durations ≤ the i-th bound. Counts
 * come from the monitor's DDSketch: exact for bounds below the smallest or
 * at or above the largest duration; otherwise a duration within about
 * `2 · relativeAccuracy` (2 % by default) of a bound may be counted on the
 * bound's side. `count` and `sumMs` are exact.
 *
 * @example
 * ```ts
 * import type { DurationHistogram } from 'weft-sdk'
 * const underOneSecond = (h: DurationHistogram, boundsMs: readonly number[]) => h.buckets[boundsMs.indexOf(1000)]
 * ```
 */
export interface DurationHistogram {
  /** The workflow's name. */
  readonly workflow: string
  /** The task's name; `undefined` for the workflow's runs. */
  readonly task: string | undefined
  /** Cumulative counts, one per bound, non-decreasing. */
  readonly buckets: readonly number[]
  /** How many durations (the `+Inf` bucket). */
  readonly count: number
  /** Their sum in milliseconds. */
  readonly sumMs: number
}

/**
 * A task's LLM tokens by direction, from its `task.call` reports.
 *
 * @example
 * ```ts
 * import type { TaskTokens } from 'weft-sdk'
 * const total = (t: TaskTokens) => t.input + t.output
 * ```
 */
export interface TaskTokens {
  /** The workflow's name. */
  readonly workflow: string
  /** The task's name. */
  readonly task: string
  /** `gen_ai.usage.input_tokens`, summed. */
  readonly input: number
  /** `gen_ai.usage.output_tokens`, summed. */
  readonly output: number
}

/**
 * What `LiveMetrics.histograms` returns: run and task duration histograms
 * and tokens by direction, sorted by workflow then task.
 *
 * @example
 * ```ts
 * import { LiveMetrics } from 'weft-sdk'
 * const { tasks } = new LiveMetrics().histograms([100, 1000, 10_000])
 * for (const h of tasks) console.log(h.workflow, h.task, h.buckets, h.count)
 * ```
 */
export interface LiveHistograms {
  /** One per workflow: its runs' durations. */
  readonly runs: readonly DurationHistogram[]
  /** One per task. */
  readonly tasks: readonly DurationHistogram[]
  /** One per task. */
  readonly tokens: readonly TaskTokens[]
}

function histogramOf(sketch: DurationSketch, boundsMs: readonly number[]): Pick<DurationHistogram, 'buckets' | 'count' | 'sumMs'> {
  return { buckets: boundsMs.map((bound) => sketch.countAtMost(bound)), count: sketch.count, sumMs: sketch.sum }
}

class TaskStats {
  completed = 0
  failed = 0
  skipped = 0
  retries = 0
  tokens = 0
  inputTokens = 0
  outputTokens = 0
  costUsd = 0
  constructor(
    /** Its index in the monitor's stats slots (what the direct path's pending completions name). */
    readonly slot: number,
    readonly duration: DurationSketch,
    readonly ended: SlidingWindow,
  ) {}
}

class WorkflowStats {
  total = 0
  completed = 0
  failed = 0
  cancelled = 0
  deadLettered = 0
  recovered = 0
  readonly tasks = new Map<string, TaskStats>()
  constructor(
    readonly duration: DurationSketch,
    readonly queueWait: DurationSketch,
    readonly ended: SlidingWindow,
  ) {}
}

/**
 * A workflow graph's tasks' stats slots by task id, for the engine's direct
 * path ({@link MetricsSink}): each looked up by name once, at the task's
 * first completion. Completions wait in the monitor's pending buffer.
 */
class GraphTaskRecorder implements TaskMetricsRecorder {
  private readonly slots: Int32Array

  constructor(
    tasks: number,
    private readonly lookup: (task: string) => TaskStats,
    private readonly pending: PendingCompletions,
  ) {
    this.slots = new Int32Array(tasks).fill(-1)
  }

  completed(task: TaskNode, at: number, durationMs: number, fromCheckpoint: boolean): void {
    if (fromCheckpoint) return
    let slot = this.slots[task.id]!
    if (slot < 0) slot = this.slots[task.id] = this.lookup(task.name).slot
    this.pending.add(slot, durationMs, at)
  }
}

/**
 * The event types the engine's monitor does not take from the event hub:
 * `task.started` and `task.progress` it ignores, `task.completed` comes
 * through its {@link MetricsSink} as numbers.
 */
const directEvents: readonly WeftEventType[] = ['task.started', 'task.progress', 'task.completed']

/**
 * Live metrics of one process, from engine events: runs and tasks by
 * outcome, rates, retries, duration percentiles from DDSketches (within
 * `relativeAccuracy` of the exact nearest-rank values), throughput over a
 * sliding window, LLM tokens and cost (from `task.call` reports), breaker
 * trips, dead-lettered runs (`run.dead-lettered`), outbox dead letters and
 * adapter failures.
 * `createEngine({ metrics: true })` keeps one (read it with
 * `engine.metrics()`, or as the monitor itself with `engine.liveMetrics()`)
 * and feeds it its tasks' completions as numbers; a monitor subscribed
 * yourself with `engine.on(monitor.listener)` gets them as event objects
 * instead, which costs more per task. Monitors merge, so several processes'
 * metrics add up (`merge`).
 *
 * @example
 * ```ts
 * import { createEngine, LiveMetrics, metricsToCsv } from 'weft-sdk'
 * const monitor = new LiveMetrics({ window: '5 m' })
 * const engine = createEngine()
 * engine.on(monitor.listener)
 * // ... later
 * console.log(metricsToCsv(monitor.report()))
 * ```
 */
export class LiveMetrics {
  /** The listener to subscribe with `engine.on(...)`: records each event. */
  readonly listener = (event: WeftEvent): void => this.record(event)
  /**
   * @internal The engine's path into this monitor: tasks' completions as
   * numbers (no event objects), every other event through `listener`. Its
   * counts are those `listener` would make of the same events.
   */
  readonly sink: MetricsSink = { directEvents, listener: this.listener, tasksOf: (graph) => this.tasksOf(graph) }
  /** The direct path's recorder of each graph (the same for every run of it). */
  private readonly recorders = new WeakMap<WorkflowGraph, GraphTaskRecorder>()
  /** Every task's stats, by slot (`TaskStats.slot`). */
  private readonly taskSlots: TaskStats[] = []
  /** Completions of the direct path not folded yet: every read of the monitor folds them first. */
  private readonly pending: PendingCompletions
  private readonly workflows = new Map<string, WorkflowStats>()
  private readonly breakers = new Map<string, { breaker: string; adapter: string | undefined; opened: number; state: BreakerMetrics['state'] }>()
  private readonly outbox = { delivered: 0, failed: 0, dead: 0 }
  private adapterFailures = 0
  /** Where the report's `recovery` comes from (see {@link LiveMetrics.followRecovery}): the engines this monitor follows, its merged monitors' too. */
  private recoverySources: (() => RecoveryStatsSnapshot)[] = []
  private lastWorkflow: string | undefined
  private lastStats: WorkflowStats | undefined
  private readonly relativeAccuracy: number
  private readonly windowMs: number

  /**
   * @param since when the monitor starts counting (epoch milliseconds): a report's window starts here.
   * @throws `InvalidOptionsError` for a relative accuracy outside (0, 1) or a window shorter than 60 ms.
   */
  constructor(
    options: LiveMetricsOptions = {},
    private since: number = Date.now(),
  ) {
    this.relativeAccuracy = options.relativeAccuracy ?? defaultRelativeAccuracy
    this.windowMs = toMillis(options.window ?? '1 m', 'metrics window')
    new SlidingWindow(this.windowMs) // validates the window now, not at the first event
    new DurationSketch(this.relativeAccuracy)
    this.pending = new PendingCompletions(SlidingWindow.bucketMs(this.windowMs), this.completionFold())
  }

  /** Folds one event into the metrics. */
  record(event: WeftEvent): void {
    switch (event.type) {
      case 'task.started':
      case 'task.progress':
        return
      case 'run.started': {
        const stats = this.workflow(event.workflow)
        stats.total++
        if (event.queuedMs !== undefined) stats.queueWait.add(event.queuedMs)
        return
      }
      case 'run.recovered':
        this.workflow(event.workflow).recovered++
        return
      case 'run.completed':
      case 'run.failed':
      case 'run.cancelled':
        return this.runEnded(event.workflow, event.type, event.durationMs, event.at)
      case 'task.completed':
        if (!event.fromCheckpoint) countTaskEnd(this.task(event.workflow, event.task), true, event.durationMs, event.at)
        return
      case 'task.failed':
        return countTaskEnd(this.task(event.workflow, event.task), false, event.attempts > 0 ? event.durationMs : -1, event.at)
      case 'task.retrying':
        this.task(event.workflow, event.task).retries++
        return
      case 'task.skipped':
        this.task(event.workflow, event.task).skipped++
        return
      case 'task.call':
        return addUsage(this.task(event.workflow, event.task), event.attributes)
      default:
        return this.recordOther(event)
    }
  }

  /**
   * Adds `other`'s metrics to these (same relative accuracy and window):
   * counts add up, sketches and windows merge. `other` is unchanged.
   * @throws `InvalidOptionsError` when their accuracies or windows differ.
   */
  merge(other: LiveMetrics): this {
    if (other.relativeAccuracy !== this.relativeAccuracy || other.windowMs !== this.windowMs) {
      throw new InvalidOptionsError('live metrics merge only with monitors of the same relativeAccuracy and window')
    }
    this.pending.flush()
    other.pending.flush()
    this.since = Math.min(this.since, other.since)
    for (const [name, theirs] of other.workflows) mergeWorkflow(this.workflow(name), theirs, (task) => this.task(name, task))
    for (const [name, theirs] of other.breakers) {
      const mine = this.breaker(name, theirs.adapter)
      mine.opened += theirs.opened
      mine.state = theirs.state
    }
    this.outbox.delivered += other.outbox.delivered
    this.outbox.failed += other.outbox.failed
    this.outbox.dead += other.outbox.dead
    this.adapterFailures += other.adapterFailures
    this.recoverySources = [...this.recoverySources, ...other.recoverySources]
    return this
  }

  /**
   * Makes the report's `recovery` follow an engine's recovery counters
   * (`() => engine.stats().recovery`): `@Recover`'s outcomes are counted by
   * the engine, not folded from events. The monitor of
   * `createEngine({ metrics })` follows its engine already; a monitor that
   * follows none reports no recovery. Merged monitors report the sum of
   * what each follows.
   *
   * @example
   * ```ts
   * import { createEngine, LiveMetrics } from 'weft-sdk'
   * const engine = createEngine()
   * const monitor = new LiveMetrics().followRecovery(() => engine.stats().recovery)
   * engine.on(monitor.listener)
   * console.log(monitor.report().recovery.totals)
   * ```
   */
  followRecovery(source: () => RecoveryStatsSnapshot): this {
    this.recoverySources = [...this.recoverySources, source]
    return this
  }

  /** The metrics so far, as a report (`source: 'live'`); `now` ends its window and the throughputs' sliding window. */
  report(now: number = Date.now()): MetricsReport {
    this.pending.flush()
    const names = [...this.workflows.keys()].sort()
    const workflows = names.map((name) => workflowMetrics(name, this.workflows.get(name)!, now))
    const tasks = names.flatMap((name) => taskMetricsOf(name, this.workflows.get(name)!, now))
    const breakers = [...this.breakers.values()].sort((a, b) => (a.breaker < b.breaker ? -1 : 1)).map((b) => ({ ...b }))
    return { source: 'live', at: now, window: { from: this.since, to: now }, percentiles: 'sketch', relativeAccuracy: this.relativeAccuracy, workflows, tasks, breakers, outbox: { ...this.outbox }, adapterFailures: this.adapterFailures, recovery: this.recovery() }
  }

  /**
   * The durations of runs and tasks as cumulative histograms over `boundsMs`
   * (ascending), with each task's tokens by direction: what a Prometheus
   * exposition needs beyond the report. Counts come from the sketches
   * (see {@link DurationHistogram} for their error).
   */
  histograms(boundsMs: readonly number[]): LiveHistograms {
    this.pending.flush()
    const runs: DurationHistogram[] = []
    const tasks: DurationHistogram[] = []
    const tokens: TaskTokens[] = []
    for (const workflow of [...this.workflows.keys()].sort()) {
      const stats = this.workflows.get(workflow)!
      runs.push({ workflow, task: undefined, ...histogramOf(stats.duration, boundsMs) })
      for (const task of [...stats.tasks.keys()].sort()) {
        const t = stats.tasks.get(task)!
        tasks.push({ workflow, task, ...histogramOf(t.duration, boundsMs) })
        tokens.push({ workflow, task, input: t.inputTokens, output: t.outputTokens })
      }
    }
    return { runs, tasks, tokens }
  }

  /**
   * The sketch of a workflow's run durations (`task` undefined) or of a
   * task's, if any ended: what windowed alert rules read.
   * @internal
   */
  durationSketch(workflow: string, task: string | undefined): DurationSketch | undefined {
    this.pending.flush()
    const stats = this.workflows.get(workflow)
    return task === undefined ? stats?.duration : stats?.tasks.get(task)?.duration
  }

  private recordOther(event: WeftEvent): void {
    if (event.type === 'breaker.opened' || event.type === 'breaker.half-open' || event.type === 'breaker.closed') {
      const breaker = this.breaker(event.breaker, event.adapter)
      breaker.state = event.type === 'breaker.opened' ? 'open' : event.type === 'breaker.closed' ? 'closed' : 'half-open'
      if (event.type === 'breaker.opened') breaker.opened++
    } else if (event.type === 'run.dead-lettered') this.workflow(event.workflow).deadLettered++
    else if (event.type === 'adapter.call-failed') this.adapterFailures++
    else if (event.type === 'outbox.delivered') this.outbox.delivered++
    else if (event.type === 'outbox.failed') {
      this.outbox.failed++
      if (!event.willRetry) this.outbox.dead++
    }
  }

  private runEnded(workflow: string, type: 'run.completed' | 'run.failed' | 'run.cancelled', durationMs: number, at: number): void {
    const stats = this.workflow(workflow)
    if (type === 'run.completed') stats.completed++
    else if (type === 'run.failed') stats.failed++
    else stats.cancelled++
    stats.duration.add(durationMs)
    stats.ended.add(at)
  }

  /** How the direct path's pending completions are folded into the tasks' stats. */
  private completionFold(): CompletionFold {
    const slots = this.taskSlots
    return {
      completed: (slot, count, zeros) => {
        const stats = slots[slot]!
        stats.completed += count
        stats.duration.add(0, zeros)
      },
      duration: (slot, durationMs) => slots[slot]!.duration.add(durationMs),
      ended: (slot, at, count) => slots[slot]!.ended.add(at, count),
    }
  }

  private tasksOf(graph: WorkflowGraph): GraphTaskRecorder {
    let recorder = this.recorders.get(graph)
    if (recorder === undefined) this.recorders.set(graph, (recorder = new GraphTaskRecorder(graph.tasks.length, (task) => this.task(graph.name, task), this.pending)))
    return recorder
  }

  /** The recovery counters of the engines followed, summed. */
  private recovery(): RecoveryStatsSnapshot {
    const [only, ...more] = this.recoverySources
    if (only === undefined) return noRecovery
    return more.length === 0 ? only() : more.reduce((sum, source) => sum.add(source()), new RecoveryStats().add(only())).snapshot()
  }

  /** The stats of a workflow; the last one looked up is kept, since a process's events mostly come from one workflow at a time. */
  private workflow(name: string): WorkflowStats {
    if (name === this.lastWorkflow && this.lastStats !== undefined) return this.lastStats
    let stats = this.workflows.get(name)
    if (stats === undefined) this.workflows.set(name, (stats = new WorkflowStats(new DurationSketch(this.relativeAccuracy), new DurationSketch(this.relativeAccuracy), new SlidingWindow(this.windowMs))))
    this.lastWorkflow = name
    this.lastStats = stats
    return stats
  }

  private task(workflow: string, name: string): TaskStats {
    const tasks = this.workflow(workflow).tasks
    let stats = tasks.get(name)
    if (stats === undefined) {
      stats = new TaskStats(this.taskSlots.length, new DurationSketch(this.relativeAccuracy), new SlidingWindow(this.windowMs))
      tasks.set(name, stats)
      this.taskSlots.push(stats)
    }
    return stats
  }

  private breaker(name: string, adapter: string | undefined) {
    let breaker = this.breakers.get(name)
    if (breaker === undefined) this.breakers.set(name, (breaker = { breaker: name, adapter, opened: 0, state: 'closed' }))
    return breaker
  }
}

/** Counts a task's end; `durationMs` < 0 when it never ran (no duration recorded). */
function countTaskEnd(stats: TaskStats, completed: boolean, durationMs: number, at: number): void {
  if (completed) stats.completed++
  else stats.failed++
  if (durationMs >= 0) stats.duration.add(durationMs)
  stats.ended.add(at)
}

/** Adds what a reported call spent: its GenAI token counts (input and output) and Weft's cost attribute, when numbers. */
function addUsage(stats: TaskStats, attributes: TaskCallReported['attributes']): void {
  const number = (name: string) => {
    const value = attributes[name]
    return typeof value === 'number' && Number.isFinite(value) ? value : 0
  }
  const input = number('gen_ai.usage.input_tokens')
  const output = number('gen_ai.usage.output_tokens')
  stats.inputTokens += input
  stats.outputTokens += output
  stats.tokens += input + output
  stats.costUsd += number('weft.llm.cost_usd')
}

function mergeWorkflow(mine: WorkflowStats, theirs: WorkflowStats, task: (name: string) => TaskStats): void {
  mine.total += theirs.total
  mine.completed += theirs.completed
  mine.failed += theirs.failed
  mine.cancelled += theirs.cancelled
  mine.deadLettered += theirs.deadLettered
  mine.recovered += theirs.recovered
  mine.duration.merge(theirs.duration)
  mine.queueWait.merge(theirs.queueWait)
  mine.ended.merge(theirs.ended)
  for (const [name, other] of theirs.tasks) {
    const target = task(name)
    target.completed += other.completed
    target.failed += other.failed
    target.skipped += other.skipped
    target.retries += other.retries
    target.tokens += other.tokens
    target.inputTokens += other.inputTokens
    target.outputTokens += other.outputTokens
    target.costUsd += other.costUsd
    target.duration.merge(other.duration)
    target.ended.merge(other.ended)
  }
}

function workflowMetrics(workflow: string, stats: WorkflowStats, now: number): WorkflowMetrics {
  const runs = { total: stats.total, completed: stats.completed, failed: stats.failed, cancelled: stats.cancelled, deadLettered: stats.deadLettered, recovered: stats.recovered }
  return { workflow, runs, ...workflowRates(runs), duration: stats.duration.summary(), queueWait: stats.queueWait.summary(), throughputPerMinute: stats.ended.perMinute(now) }
}

function taskMetricsOf(workflow: string, stats: WorkflowStats, now: number): TaskMetrics[] {
  return [...stats.tasks.keys()].sort().map((task) => {
    const t = stats.tasks.get(task)!
    const tasks = { completed: t.completed, failed: t.failed, skipped: t.skipped, retries: t.retries }
    return { workflow, task, tasks, ...taskRates(tasks), duration: t.duration.summary(), throughputPerMinute: t.ended.perMinute(now), usage: { tokens: t.tokens, costUsd: t.costUsd } }
  })
}
