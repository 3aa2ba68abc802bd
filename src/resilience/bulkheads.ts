import { Effect } from 'effect'
import { BulkheadRejectedError } from '../core/errors.js'
import type { BulkheadPolicy } from '../graph/workflow-graph.js'

/** A bulkhead's slots, taken without waiting: `enterNow()` gives the function that frees the slot, or `undefined` when none is free (or someone waits). */
export interface BulkheadSlots {
  enterNow(): (() => void) | undefined
}

/**
 * One bulkhead: at most `maxConcurrent` calls in their slots, at most
 * `maxQueue` waiting (first come, first served), the next rejected.
 *
 * Its own counters and queue rather than Effect's `Semaphore`: the direct path
 * of adapter calls takes and releases a slot synchronously, and doing that
 * through the semaphore cost two Effect runs per call (~6% of a local HTTP
 * call, bench section 3b). A freed slot is handed to the first waiter, so a
 * call arriving meanwhile cannot jump the queue.
 */
class Bulkhead implements BulkheadSlots {
  private running = 0
  private readonly waiters: (() => void)[] = []

  constructor(private readonly policy: BulkheadPolicy) {}

  /** Takes a slot at once when one is free and nobody waits; the returned function frees it. */
  enterNow(): (() => void) | undefined {
    if (this.waiters.length > 0 || this.running >= this.policy.maxConcurrent) return undefined
    this.running++
    return this.release
  }

  /** Runs `call` in a slot, waiting in the queue for one; fails with {@link BulkheadRejectedError} when the queue is full. */
  run<A, E, R>(call: Effect.Effect<A, E, R>): Effect.Effect<A, E | BulkheadRejectedError, R> {
    return Effect.suspend((): Effect.Effect<A, E | BulkheadRejectedError, R> => {
      const { maxConcurrent, maxQueue, name } = this.policy
      if (this.waiters.length === 0 && this.running < maxConcurrent) {
        this.running++
        return Effect.ensuring(call, Effect.sync(this.release))
      }
      if (this.waiters.length >= maxQueue) return Effect.fail(new BulkheadRejectedError(name, maxConcurrent, maxQueue))
      // The slot is handed over by `release`; from then on it is this call's, freed however the call ends.
      return Effect.uninterruptibleMask((restore) => Effect.andThen(restore(this.waitForSlot()), Effect.ensuring(restore(call), Effect.sync(this.release))))
    })
  }

  /** Frees a slot: to the first waiter if there is one (the slot changes hands), else back to the pool. */
  private readonly release = (): void => {
    const next = this.waiters.shift()
    if (next !== undefined) next()
    else this.running--
  }

  private waitForSlot(): Effect.Effect<void> {
    return Effect.callback<void>((resume) => {
      const waiter = () => resume(Effect.void)
      this.waiters.push(waiter)
      // Interrupted while waiting: leave the queue (a waiter already handed a slot is no longer in it).
      return Effect.sync(() => {
        const at = this.waiters.indexOf(waiter)
        if (at >= 0) this.waiters.splice(at, 1)
      })
    })
  }
}

export class Bulkheads {
  private readonly bulkheads = new Map<string, Bulkhead>()

  run<A, E, R>(policy: BulkheadPolicy, call: Effect.Effect<A, E, R>): Effect.Effect<A, E | BulkheadRejectedError, R> {
    return this.bulkheadOf(policy).run(call)
  }

  enterNow(policy: BulkheadPolicy): (() => void) | undefined {
    return this.bulkheadOf(policy).enterNow()
  }

  /** The bulkhead of `policy`, for a caller that takes its slots directly (`enterNow`) and would otherwise look it up by name every call. */
  slotsOf(policy: BulkheadPolicy): BulkheadSlots {
    return this.bulkheadOf(policy)
  }

  private bulkheadOf(policy: BulkheadPolicy): Bulkhead {
    let bulkhead = this.bulkheads.get(policy.name)
    if (bulkhead === undefined) {
      bulkhead = new Bulkhead(policy)
      this.bulkheads.set(policy.name, bulkhead)
    }
    return bulkhead
  }
}
