// Tasks called again with arguments they had before, returning what they returned before: what a cache would have served.
import type { TaskObservation } from './task-observations.js'

/**
 * A task whose arguments repeat across runs with the same output.
 *
 * "Same arguments" is equal digests (`valueDigest`) of what the task is
 * called with: the run's input for a task without dependencies, else its
 * dependencies' outputs in parameter order (a task's arguments in Weft).
 * What it reads elsewhere (a database, the clock) is not seen, so a
 * candidate is a hint to check, not a proof.
 *
 * @example
 * ```ts
 * import type { CacheCandidate } from 'weft-sdk'
 * declare const candidate: CacheCandidate
 * console.log(`${candidate.task}: ${candidate.repeats} of ${candidate.calls} calls repeated earlier arguments`)
 * ```
 */
export interface CacheCandidate {
  /** The task. */
  readonly task: string
  /** Completed steps whose arguments are known. */
  readonly calls: number
  /** Distinct arguments among them. */
  readonly distinctInputs: number
  /** Calls whose arguments an earlier call (in time) had: what a cache would have served. */
  readonly repeats: number
  /** Among the repeats, those whose output equalled the first output for those arguments. */
  readonly sameOutput: number
  /** The runs of the repeats (the steps a cache would have skipped). */
  readonly repeatRunIds: readonly string[]
}

/**
 * Options of {@link findCacheCandidates}.
 *
 * @example
 * ```ts
 * import type { CacheCandidateOptions } from 'weft-sdk'
 * const lenient: CacheCandidateOptions = { minRepeatShare: 0.1, minSameOutputShare: 0.95 }
 * ```
 */
export interface CacheCandidateOptions {
  /** Fewest repeats, as a share of calls, to be a candidate. @defaultValue 0.2 */
  readonly minRepeatShare?: number
  /** Fewest repeats with the same output, as a share of repeats (a cache must not change results). @defaultValue 1 */
  readonly minSameOutputShare?: number
  /** Fewest calls to judge a task. @defaultValue 5 */
  readonly minCalls?: number
}

/**
 * The tasks a cache keyed on their arguments would have served often,
 * without changing a result: at least `minRepeatShare` of the calls repeat
 * earlier arguments, and (by default) every repeat returned the first
 * output for its arguments.
 *
 * @example
 * ```ts
 * import { findCacheCandidates, observeTasks, type AnalysisGraph, type RecordedRun } from 'weft-sdk'
 * declare const graph: AnalysisGraph
 * declare const runs: RecordedRun[]
 * for (const c of findCacheCandidates(observeTasks(graph, runs))) console.log(c.task, c.repeats)
 * ```
 */
export function findCacheCandidates(byTask: ReadonlyMap<string, readonly TaskObservation[]>, options: CacheCandidateOptions = {}): CacheCandidate[] {
  const { minRepeatShare = 0.2, minSameOutputShare = 1, minCalls = 5 } = options
  return [...byTask].flatMap(([task, observations]) => {
    const candidate = repeatsOf(task, observations)
    const enough = candidate.calls >= minCalls && candidate.repeats > 0 && candidate.repeats >= minRepeatShare * candidate.calls
    return enough && candidate.sameOutput >= minSameOutputShare * candidate.repeats ? [candidate] : []
  })
}

function repeatsOf(task: string, observations: readonly TaskObservation[]): CacheCandidate {
  const calls = observations
    .filter((o) => o.status === 'completed' && o.inputDigest !== undefined && o.startedAt !== undefined)
    .sort((a, b) => a.startedAt! - b.startedAt!)
  const firstOutput = new Map<string, string | undefined>()
  const repeatRunIds: string[] = []
  let sameOutput = 0
  for (const call of calls) {
    if (!firstOutput.has(call.inputDigest!)) {
      firstOutput.set(call.inputDigest!, call.outputDigest)
      continue
    }
    repeatRunIds.push(call.runId)
    if (firstOutput.get(call.inputDigest!) === call.outputDigest) sameOutput++
  }
  return { task, calls: calls.length, distinctInputs: firstOutput.size, repeats: repeatRunIds.length, sameOutput, repeatRunIds }
}
