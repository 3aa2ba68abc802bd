import { Effect, Semaphore } from 'effect'
import { BulkheadRejectedError } from '../core/errors.js'
import type { BulkheadPolicy } from '../graph/workflow-graph.js'

/** One bulkhead: an Effect `Semaphore` for the slots plus a bound on how many may wait. */
class Bulkhead {
  private readonly slots: Semaphore.Semaphore
  private waiting = 0
  private running = 0

  constructor(private readonly policy: BulkheadPolicy) {
    this.slots = Semaphore.makeUnsafe(policy.maxConcurrent)
  }

  /** Takes a slot now when one is free and no call waits for one (never overtaking them); returns its release, or `undefined`. */
  enterNow(): (() => void) | undefined {
    if (this.waiting > 0 || this.running >= this.policy.maxConcurrent) return undefined
    if (!Effect.runSync(this.slots.takeIfAvailable(1))) return undefined
    this.running++
    return () => {
      this.running--
      Effect.runSync(this.slots.release(1))
    }
  }

  run<A, E, R>(call: Effect.Effect<A, E, R>): Effect.Effect<A, E | BulkheadRejectedError, R> {
    return Effect.suspend((): Effect.Effect<A, E | BulkheadRejectedError, R> => {
      const { maxConcurrent, maxQueue, name } = this.policy
      if (this.running >= maxConcurrent && this.waiting >= maxQueue) {
        return Effect.fail(new BulkheadRejectedError(name, maxConcurrent, maxQueue))
      }
      this.waiting++
      let admitted = false
      const inSlot = Effect.suspend(() => {
        admitted = true
        this.waiting--
        this.running++
        return Effect.ensuring(call, Effect.sync(() => void this.running--))
      })
      return this.slots.withPermits(1)(inSlot).pipe(Effect.ensuring(Effect.sync(() => void (admitted || this.waiting--))))
    })
  }
}

/** The engine's bulkheads, one per name, shared by every task that names it. */
export class Bulkheads {
  private readonly bulkheads = new Map<string, Bulkhead>()

  run<A, E, R>(policy: BulkheadPolicy, call: Effect.Effect<A, E, R>): Effect.Effect<A, E | BulkheadRejectedError, R> {
    return this.bulkheadOf(policy).run(call)
  }

  /** A slot of the named bulkhead taken synchronously (see `Bulkhead.enterNow`): its release, or `undefined` when none is free or calls wait. */
  enterNow(policy: BulkheadPolicy): (() => void) | undefined {
    return this.bulkheadOf(policy).enterNow()
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
