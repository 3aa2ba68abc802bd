// Task completions the engine reported to its live monitor and the monitor has not folded into its stats yet.

/**
 * How many durations other than 0 ms wait before they are folded: 8192
 * entries of 12 bytes (96 KiB per monitor).
 */
export const pendingDurationsCapacity = 8192

/** Where pending completions are folded: the monitor's stats of the task in stats slot `slot`. */
export interface CompletionFold {
  /** `count` completions of the task, `zeros` of which lasted 0 ms. */
  completed(slot: number, count: number, zeros: number): void
  /** One completion of the task lasted `durationMs` (> 0); called in the order they came. */
  duration(slot: number, durationMs: number): void
  /** `count` completions of the task ended in the sliding-window bucket of `at`. */
  ended(slot: number, at: number, count: number): void
}

/**
 * Task completions kept as counts in typed arrays indexed by stats slot,
 * folded into the stats when the monitor is read. Added one by one as they
 * came, each touched its task's counters, sketch and sliding window —
 * memory the run's own work had evicted from the CPU's caches — and cost
 * about a third of a no-op in-memory task; here a completion adds to a few
 * small arrays, and a task's stats are touched once per window bucket (a
 * second of the default minute) and once per read. Durations of 0 ms (a
 * task shorter than the clock's millisecond) are counted; others are kept
 * in order in a buffer folded when full. Folding later changes no number:
 * counts and sketches add up in any order, and a sliding window keeps each
 * slot's newest bucket whatever the order of its events. A duration below
 * 0 ms (a clock that stepped back) is counted as a completion but not as a
 * duration, as the monitor counts a `task.completed` event.
 */
export class PendingCompletions {
  /** By slot: completions, completions of 0 ms, and the current window bucket's run (its bucket, first time, count). */
  private counts = new Float64Array(64)
  private zeros = new Float64Array(64)
  private runBuckets = new Float64Array(64).fill(-1)
  private runAts = new Float64Array(64)
  private runCounts = new Float64Array(64)
  /** The highest slot with a completion since the last flush. */
  private highestSlot = -1
  /** Durations other than 0 ms, in the order they came. */
  private readonly durationSlots = new Int32Array(pendingDurationsCapacity)
  private readonly durations = new Float64Array(pendingDurationsCapacity)
  private durationsKept = 0

  /** @param bucketMs - the monitor's sliding-window bucket width (`SlidingWindow.bucketMs`). */
  constructor(
    private readonly bucketMs: number,
    private readonly fold: CompletionFold,
  ) {}

  /** Keeps a completion of the task in stats slot `slot`. */
  add(slot: number, durationMs: number, at: number): void {
    if (slot >= this.counts.length) this.grow(slot)
    if (slot > this.highestSlot) this.highestSlot = slot
    this.counts[slot]!++
    if (durationMs === 0) this.zeros[slot]!++
    else if (durationMs > 0) this.keepDuration(slot, durationMs)
    const bucket = Math.floor(at / this.bucketMs)
    if (bucket !== this.runBuckets[slot]) this.startRun(slot, bucket, at)
    this.runCounts[slot]!++
  }

  /** Folds every kept completion. */
  flush(): void {
    this.flushDurations()
    const highest = this.highestSlot
    this.highestSlot = -1
    for (let slot = 0; slot <= highest; slot++) {
      const count = this.counts[slot]!
      if (count === 0) continue
      this.fold.completed(slot, count, this.zeros[slot]!)
      this.counts[slot] = 0
      this.zeros[slot] = 0
      this.endRun(slot)
    }
  }

  private keepDuration(slot: number, durationMs: number): void {
    const i = this.durationsKept++
    this.durationSlots[i] = slot
    this.durations[i] = durationMs
    if (this.durationsKept === pendingDurationsCapacity) this.flushDurations()
  }

  private flushDurations(): void {
    const kept = this.durationsKept
    // Emptied first: a fold that throws (a bug) loses this batch, not every later one.
    this.durationsKept = 0
    for (let i = 0; i < kept; i++) this.fold.duration(this.durationSlots[i]!, this.durations[i]!)
  }

  /** The slot's completions move to another window bucket: the run of the last one is folded. */
  private startRun(slot: number, bucket: number, at: number): void {
    this.endRun(slot)
    this.runBuckets[slot] = bucket
    this.runAts[slot] = at
  }

  private endRun(slot: number): void {
    const count = this.runCounts[slot]!
    if (count === 0) return
    this.runCounts[slot] = 0
    this.fold.ended(slot, this.runAts[slot]!, count)
  }

  /** Makes room for slot `slot` (doubling). */
  private grow(slot: number): void {
    const size = Math.max(slot + 1, this.counts.length * 2)
    const widen = (from: Float64Array<ArrayBuffer>, fill = 0): Float64Array<ArrayBuffer> => {
      const to = new Float64Array(size).fill(fill)
      to.set(from)
      return to
    }
    this.counts = widen(this.counts)
    this.zeros = widen(this.zeros)
    this.runBuckets = widen(this.runBuckets, -1)
    this.runAts = widen(this.runAts)
    this.runCounts = widen(this.runCounts)
  }
}
