// Windows over cumulative counters without work per event: at each evaluation the monitor keeps the counters (and
// the duration sketches' bins) of the targets its rules watch; a window's figure is now less the newest tick at
// least a window old. The live monitor's counters stay cumulative and its hot path untouched.

import type { SketchSnapshot } from '../duration-sketch.js'

/** One target's counters at a tick (a workflow's runs, or a task's steps, or a task's escalations). */
export interface TargetCounts {
  readonly completed: number
  readonly failed: number
  readonly escalated: number
  /** The duration sketch's bins, for targets of duration rules. */
  readonly sketch: SketchSnapshot | undefined
}

/** The counters of every watched target at one evaluation, by target key. */
export type Tick = ReadonlyMap<string, TargetCounts>

/** The key of a target: a workflow's runs (`task` undefined) or one of its tasks. */
export function targetKey(workflow: string, task: string | undefined): string {
  return task === undefined ? workflow : `${workflow}\u0000${task}`
}

/**
 * The ticks of the last `keepMs` (the longest window of the rules), oldest
 * first, plus the newest one older than that: the baseline of the longest
 * window. A window younger than the monitor has no baseline: it counts from
 * the monitor's start (counters at zero).
 */
export class MetricTicks {
  private readonly ticks: { readonly at: number; readonly tick: Tick }[] = []

  constructor(private readonly keepMs: number) {}

  /** Keeps the counters of an evaluation at `at` (never earlier than the previous). */
  record(at: number, tick: Tick): void {
    this.ticks.push({ at, tick })
    // Drop ticks that are no longer the baseline of any window: keep the newest one at least keepMs old.
    while (this.ticks.length > 1 && this.ticks[1]!.at <= at - this.keepMs) this.ticks.shift()
  }

  /** The counters a window of `windowMs` ending at `now` starts from: the newest tick at least that old, if any. */
  baseline(now: number, windowMs: number): Tick | undefined {
    let found: Tick | undefined
    for (const { at, tick } of this.ticks) {
      if (at > now - windowMs) break
      found = tick
    }
    return found
  }
}
