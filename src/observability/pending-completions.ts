// Task completions the engine reported to its live monitor and the monitor has not folded into its stats yet.

/**
 * How many completions wait before they are folded: 8192 entries of 20 bytes
 * (160 KiB per monitor). Fewer fold less at a time and cost more per
 * completion (bench 3h: at 256 the monitor cost ~20 % of a no-op task, at
 * 4096 and more under 10 %).
 */
export const pendingCompletionsCapacity = 8192

/**
 * Counts the completions `from` (inclusive) to `to` (exclusive) of
 * `durations` and `ats` (in the order they came), all of the task in stats
 * slot `slot`. The arrays are the buffer's own: read them during the call only.
 */
export type FoldCompletions = (slot: number, durations: Float64Array, ats: Float64Array, from: number, to: number) => void

/**
 * Task completions as numbers in typed arrays (which task's stats, how long,
 * when), folded task by task when the buffer is full or when the monitor is
 * read. Added one by one as they came, each touched its task's counters,
 * sketch and sliding window — memory the run's own work had evicted from
 * the CPU's caches — and cost about a third of a no-op in-memory task;
 * folded together, each task's stats are fetched once per fold. Folding
 * later changes no number: counts and sketches add up in any order, a
 * sliding window keeps each slot's newest bucket whatever the order of its
 * events, and each task's completions keep their order.
 */
export class PendingCompletions {
  private readonly slots = new Int32Array(pendingCompletionsCapacity)
  private readonly durations = new Float64Array(pendingCompletionsCapacity)
  private readonly ats = new Float64Array(pendingCompletionsCapacity)
  private length = 0
  /** The highest slot kept since the last fold. */
  private highestSlot = -1
  /** The kept completions grouped by slot, each group in the order they came. */
  private readonly groupedDurations = new Float64Array(pendingCompletionsCapacity)
  private readonly groupedAts = new Float64Array(pendingCompletionsCapacity)
  /** Where each slot's group starts in the grouped arrays (one more entry than slots: the end). */
  private starts = new Int32Array(64)

  constructor(private readonly fold: FoldCompletions) {}

  /** Keeps a completion of the task in stats slot `slot`; folds them all when the buffer is full. */
  add(slot: number, durationMs: number, at: number): void {
    const i = this.length++
    this.slots[i] = slot
    this.durations[i] = durationMs
    this.ats[i] = at
    if (slot > this.highestSlot) this.highestSlot = slot
    if (this.length === pendingCompletionsCapacity) this.flush()
  }

  /** Folds every kept completion, one call per task that has some. */
  flush(): void {
    const length = this.length
    if (length === 0) return
    const groups = this.highestSlot + 1
    // Emptied first: a fold that throws (a bug) loses this batch, not every later one.
    this.length = 0
    this.highestSlot = -1
    const starts = this.groupBySlot(length, groups)
    for (let slot = 0; slot < groups; slot++) {
      const from = slot === 0 ? 0 : starts[slot - 1]!
      const to = starts[slot]!
      if (to > from) this.fold(slot, this.groupedDurations, this.groupedAts, from, to)
    }
  }

  /**
   * Copies the first `length` completions into the grouped arrays by slot,
   * stably (a counting sort); returns where each slot's group ends.
   */
  private groupBySlot(length: number, groups: number): Int32Array {
    const { slots, durations, ats, groupedDurations, groupedAts } = this
    if (this.starts.length < groups + 1) this.starts = new Int32Array(Math.max(groups + 1, this.starts.length * 2))
    const next = this.starts.fill(0, 0, groups + 1)
    for (let i = 0; i < length; i++) next[slots[i]! + 1]!++
    for (let g = 1; g <= groups; g++) next[g]! += next[g - 1]!
    for (let i = 0; i < length; i++) {
      const at = next[slots[i]!]!++
      groupedDurations[at] = durations[i]!
      groupedAts[at] = ats[i]!
    }
    // Each next[slot] has moved from its group's start to its end.
    return next
  }
}
