import type { RunId } from '../core/ids.js'

type Waker = () => void

/**
 * Wakes the tasks of this process that wait for external events, so they
 * look in the store's inbox again. The inbox (in the {@link WorkflowStore})
 * holds the events; this only says "something may have arrived", by run and
 * event name, or by name for events sent to every run.
 */
export class EventWaiters {
  private readonly byName = new Map<string, Map<RunId, Set<Waker>>>()

  /** Calls `wake` whenever an event named `name` may have arrived for `runId`; returns a function that stops it. */
  watch(runId: RunId, name: string, wake: Waker): () => void {
    let runs = this.byName.get(name)
    if (runs === undefined) {
      runs = new Map()
      this.byName.set(name, runs)
    }
    let wakers = runs.get(runId)
    if (wakers === undefined) {
      wakers = new Set()
      runs.set(runId, wakers)
    }
    wakers.add(wake)
    return () => {
      wakers.delete(wake)
      if (wakers.size === 0) runs.delete(runId)
      if (runs.size === 0) this.byName.delete(name)
    }
  }

  /** Wakes the waiters of one run (`runId`), or of every run (`undefined`), for an event name. */
  wake(runId: RunId | undefined, name: string): void {
    const runs = this.byName.get(name)
    if (runs === undefined) return
    const targets = runId === undefined ? [...runs.values()] : [runs.get(runId)].filter((w) => w !== undefined)
    for (const wakers of targets) for (const wake of [...wakers]) wake()
  }

  /** Wakes every waiter (used after reconnecting to a store that may have missed notifications). */
  wakeAll(): void {
    for (const name of [...this.byName.keys()]) this.wake(undefined, name)
  }

  /** Whether no task waits for any event. */
  isEmpty(): boolean {
    return this.byName.size === 0
  }

  /** Runs with a task waiting for an event named `name`. */
  waitingRuns(name: string): RunId[] {
    return [...(this.byName.get(name)?.keys() ?? [])]
  }
}
