// Suggestions from the bottlenecks, cache candidates and concurrency, each with its saving replayed through the graph.
import { percentile } from '../percentiles.js'
import type { AnalysisGraph } from './analysis-input.js'
import { ms, type AnalysisThresholds, type Bottleneck } from './bottlenecks.js'
import type { CacheCandidate } from './cache-candidates.js'
import { observedConcurrency, replaySaving, type ReplayChange, type ReplayRun } from './replay-runs.js'
import type { TaskObservation } from './task-observations.js'
import type { TaskProfile } from './task-profile.js'

/**
 * What a suggestion changes: `speed-up` a slow task, `bound-tail` of a
 * high-variance one, `reduce-failures` of an unreliable or retry-heavy one,
 * `relieve-limits` of a blocked one, `cache` a cache candidate, or allow
 * more `concurrency` per run.
 *
 * @example
 * ```ts
 * import type { SuggestionKind } from 'weft-sdk'
 * const kind: SuggestionKind = 'cache'
 * ```
 */
export type SuggestionKind = 'speed-up' | 'bound-tail' | 'reduce-failures' | 'relieve-limits' | 'cache' | 'concurrency'

/**
 * A change to make, why, and what replaying the recorded runs with it saves.
 *
 * @example
 * ```ts
 * import type { Suggestion } from 'weft-sdk'
 * declare const s: Suggestion
 * console.log(`${s.action} — saves ~${s.estimatedSavingMs.toFixed(0)} ms per run (${(s.estimatedSavingShare * 100).toFixed(0)}%)`)
 * ```
 */
export interface Suggestion {
  /** What it changes. */
  readonly kind: SuggestionKind
  /** The tasks concerned. */
  readonly tasks: readonly string[]
  /** What to do, as a sentence. */
  readonly action: string
  /** The numbers behind it. */
  readonly evidence: readonly string[]
  /** How the change was replayed. */
  readonly replay: string
  /** Mean saving per replayed run, milliseconds. */
  readonly estimatedSavingMs: number
  /** Saving as a share of the replayed runs' total time. */
  readonly estimatedSavingShare: number
  /** How many runs the replay used. */
  readonly replayedRuns: number
}

/** What {@link suggestChanges} works from. */
export interface SuggestionInput {
  readonly graph: AnalysisGraph
  readonly runs: readonly ReplayRun[]
  readonly stats: readonly TaskProfile[]
  readonly bottlenecks: readonly Bottleneck[]
  readonly cacheCandidates: readonly CacheCandidate[]
  readonly thresholds: AnalysisThresholds
}

interface Draft {
  readonly kind: SuggestionKind
  readonly tasks: readonly string[]
  readonly action: string
  readonly evidence: readonly string[]
  readonly replay: string
  readonly change: ReplayChange
}

/** The suggestions whose replayed saving reaches `thresholds.minSavingShare`, largest saving first. */
export function suggestChanges(input: SuggestionInput): Suggestion[] {
  const concurrency = observedConcurrency(input.runs)
  const drafts = [...bottleneckDrafts(input), ...input.cacheCandidates.map(cacheDraft), ...concurrencyDrafts(input, concurrency)]
  return drafts
    .map((draft) => estimate(input, concurrency, draft))
    .filter((s) => s.replayedRuns > 0 && s.estimatedSavingShare >= input.thresholds.minSavingShare)
    .sort((a, b) => b.estimatedSavingMs - a.estimatedSavingMs)
}

function estimate(input: SuggestionInput, concurrency: number, { change, ...draft }: Draft): Suggestion {
  const saving = replaySaving(input.graph, input.runs, concurrency, change)
  return { ...draft, estimatedSavingMs: saving.savingMs, estimatedSavingShare: saving.savingShare, replayedRuns: saving.runs }
}

/** Applies `to(observation)` to `task`'s durations, leaving the other tasks as recorded. */
function onTask(task: string, to: (observation: TaskObservation) => number): ReplayChange {
  return { durationMs: (name, observation) => (name === task ? to(observation) : observation.durationMs) }
}

function bottleneckDrafts(input: SuggestionInput): Draft[] {
  const drafts: Draft[] = []
  const evidenceOf = (task: string, ...kinds: string[]) => input.bottlenecks.filter((b) => b.task === task && kinds.includes(b.kind)).map((b) => `${b.kind}: ${b.evidence}`)
  for (const stats of input.stats) {
    const kinds = new Set(input.bottlenecks.filter((b) => b.task === stats.task).map((b) => b.kind))
    if (kinds.has('slow')) drafts.push(speedUpDraft(stats.task, evidenceOf(stats.task, 'slow')))
    if (kinds.has('high-variance')) drafts.push(boundTailDraft(input, stats, evidenceOf(stats.task, 'high-variance')))
    if (kinds.has('unreliable') || kinds.has('retry-heavy')) drafts.push(reduceFailuresDraft(stats.task, evidenceOf(stats.task, 'unreliable', 'retry-heavy')))
    if (kinds.has('blocked')) drafts.push(relieveLimitsDraft(stats.task, evidenceOf(stats.task, 'blocked')))
  }
  return drafts
}

function speedUpDraft(task: string, evidence: string[]): Draft {
  return {
    kind: 'speed-up', tasks: [task], evidence,
    action: `make "${task}" faster (cache or batch its calls, split it into tasks that can run side by side, or give its dependency more capacity)`,
    replay: `each run replayed with "${task}" taking half its recorded time`,
    change: onTask(task, (o) => o.durationMs / 2),
  }
}

function boundTailDraft(input: SuggestionInput, stats: TaskProfile, evidence: string[]): Draft {
  const durations = input.runs.map((run) => run.get(stats.task)!).filter((o) => o.startedAt !== undefined).map((o) => o.durationMs)
  const p90 = percentile(durations, 90, { definition: 'linear' }) ?? 0
  const median = stats.duration.medianMs
  return {
    kind: 'bound-tail', tasks: [stats.task], evidence,
    action: `bound the tail of "${stats.task}": a @Timeout near its p90 (${ms(p90)}) with a @Retry, or a hedged second call, when its calls are idempotent`,
    replay: `each recorded duration above the p90 (${ms(p90)}) replaced by the p90 plus one median call (${ms(median)}): the timeout fires, the retry takes a typical time`,
    change: onTask(stats.task, (o) => (o.durationMs > p90 ? p90 + median : o.durationMs)),
  }
}

function reduceFailuresDraft(task: string, evidence: string[]): Draft {
  return {
    kind: 'reduce-failures', tasks: [task], evidence,
    action: `find why "${task}" fails (\`weft runs show <id> --attempts\` lists each attempt's error) and fix the cause, or make its retries cheaper`,
    replay: `each run replayed with "${task}" taking only its last attempt (no failed attempts, no backoff)`,
    change: onTask(task, (o) => o.lastAttemptMs),
  }
}

function relieveLimitsDraft(task: string, evidence: string[]): Draft {
  return {
    kind: 'relieve-limits', tasks: [task], evidence,
    action: `raise the rate limit or bulkhead of "${task}", or fix what opens its breaker`,
    replay: `each run replayed with "${task}" without the time from its refused attempts to the next attempt`,
    change: onTask(task, (o) => Math.max(0, o.durationMs - o.blockedMs)),
  }
}

function cacheDraft(candidate: CacheCandidate): Draft {
  const repeats = new Set(candidate.repeatRunIds)
  return {
    kind: 'cache', tasks: [candidate.task],
    action: `cache "${candidate.task}" on its arguments (@Cache, with a TTL its data allows)`,
    evidence: [`${candidate.repeats} of ${candidate.calls} calls repeated earlier arguments (${candidate.distinctInputs} distinct), and ${candidate.sameOutput} of those returned the same output`],
    replay: `each repeated call of "${candidate.task}" replayed as a cache hit taking no time; first calls as recorded`,
    change: onTask(candidate.task, (o) => (repeats.has(o.runId) ? 0 : o.durationMs)),
  }
}

function concurrencyDrafts(input: SuggestionInput, concurrency: number): Draft[] {
  const serialized = independentButSequential(input.graph, input.runs)
  if (serialized.length === 0 || !Number.isFinite(concurrency)) return []
  const limit = concurrency * 2
  return [{
    kind: 'concurrency', tasks: serialized,
    action: `let more tasks of a run run at once: raise maxConcurrentTasksPerRun (and maxConcurrentTasks) from ${concurrency} to ${limit} or more`,
    evidence: [`at most ${concurrency} task(s) of a run ran at once; ${serialized.join(', ')} do not depend on each other but never overlapped`],
    replay: `each run replayed with a concurrency limit of ${limit} instead of ${concurrency}, tasks as recorded`,
    change: { durationMs: (_task, o) => o.durationMs, concurrency: limit },
  }]
}

/** Tasks that have an independent partner (neither reaches the other) with which they never overlapped in any replayed run. */
function independentButSequential(graph: AnalysisGraph, runs: readonly ReplayRun[]): string[] {
  const ancestors = new Map<string, Set<string>>()
  for (const task of graph.tasks) ancestors.set(task.name, new Set(task.dependsOn.flatMap((dep) => [dep, ...ancestors.get(dep)!])))
  const found = new Set<string>()
  graph.tasks.forEach((a, i) => graph.tasks.slice(i + 1).forEach((b) => {
    const independent = !ancestors.get(a.name)!.has(b.name) && !ancestors.get(b.name)!.has(a.name)
    if (independent && runs.length > 0 && runs.every((run) => !overlapped(run.get(a.name)!, run.get(b.name)!))) found.add(a.name).add(b.name)
  }))
  return graph.tasks.map((t) => t.name).filter((name) => found.has(name))
}

function overlapped(a: TaskObservation, b: TaskObservation): boolean {
  if (a.startedAt === undefined || b.startedAt === undefined || a.durationMs === 0 || b.durationMs === 0) return true
  return a.startedAt < b.finishedAt && b.startedAt < a.finishedAt
}

