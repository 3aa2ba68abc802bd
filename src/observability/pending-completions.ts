// Task completions the engine reported to its live monitor and the monitor has not folded into its stats yet.

/**
 * How many completions wait before they are folded: 8192 entries of 20 bytes
 * (160 KiB per monitor). Fewer fold less at a time and cost more per
 * completion (bench 3h: at 256 the monitor cost ~20 % of a no-op task, at
 * 4096 and more under 10 %).
 */
export const pendingCompletionsCapacity = 8192

/**
 * Task completions as numbers in typed arrays (which task's stats, how long,
 * when), folded in one tight loop when the buffer is full or when the
 * monitor is read. Added one by one as they came, each touched its task's
 * counters, sketch and sliding window — memory the run's own work had
 * evicted from the CPU's caches — and cost about a third of a no-op
 * in-memory task; folded together, a small fraction of it. Folding later
 * changes no number: counts and sketches add up in any order, and a
 * sliding window keeps each slot's newest bucket whatever the order of its
 * events.
 */
export class PendingCompletions {
  private readonly slots = new Int32Array(pendingCompletionsCapacity)
  private readonly durations = new Float64Array(pendingCompletionsCapacity)
  private readonly ats = new Float64Array(pendingCompletionsCapacity)
  private length = 0
  /** The highest slot kept since the last fold. */
  private highestSlot = -1
  /** The kept completions' indexes grouped by slot (each group in the order they came), and each slot's group start. */
  private readonly order = new Int32Array(pendingCompletionsCapacity)
  private starts = new Int32Array(64)

  /** @param fold - counts one completion of the task in stats slot `slot`. */
  constructor(private readonly fold: (slot: number, durationMs: number, at: number) => void) {}

  /** Keeps a completion of the task in stats slot `slot`; folds them all when the buffer is full. */
  add(slot: number, durationMs: number, at: number): void {
    const i = this.length++
    this.slots[i] = slot
    this.durations[i] = durationMs
    this.ats[i] = at
    if (slot > this.highestSlot) this.highestSlot = slot
    if (this.length === pendingCompletionsCapacity) this.flush()
  }

  /**
   * Folds every kept completion, task by task (each task's in the order they
   * came): a task's stats are then fetched from memory once per fold, not once
   * per completion.
   */
  flush(): void {
    const { slots, durations, ats, length, order } = this
    if (length === 0) return
    // Emptied first: a fold that throws (a bug) loses this batch, not every later one.
    this.length = 0
    this.groupBySlot(length)
    this.highestSlot = -1
    for (let k = 0; k < length; k++) {
      const i = order[k]!
      this.fold(slots[i]!, durations[i]!, ats[i]!)
    }
  }

  /** Fills `order` with the first `length` indexes grouped by slot, stably (a counting sort). */
  private groupBySlot(length: number): void {
    const { slots, order } = this
    const groups = this.highestSlot + 2
    if (this.starts.length < groups) this.starts = new Int32Array(Math.max(groups, this.starts.length * 2))
    const starts = this.starts.fill(0, 0, groups)
    for (let i = 0; i < length; i++) starts[slots[i]! + 1]!++
    for (let g = 1; g < groups; g++) starts[g]! += starts[g - 1]!
    for (let i = 0; i < length; i++) order[starts[slots[i]!]!++] = i
  }
}
