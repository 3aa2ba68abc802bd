import type { RunId } from '../core/ids.js'

/**
 * Lets handles of runs executing elsewhere wait for news about them: a store
 * notification (PostgreSQL) resolves the wait at once, otherwise it resolves
 * after the poll interval and the handle looks at the store again.
 */
export class ChangeFeed {
  private readonly waiting = new Map<RunId, Set<() => void>>()

  constructor(private readonly pollMs: number) {}

  /** Resolves on the next news about `runId`, or after the poll interval. */
  next(runId: RunId): Promise<void> {
    return new Promise((resolve) => {
      let waiters = this.waiting.get(runId)
      if (waiters === undefined) {
        waiters = new Set()
        this.waiting.set(runId, waiters)
      }
      const done = () => {
        clearTimeout(timer)
        waiters.delete(done)
        if (waiters.size === 0) this.waiting.delete(runId)
        resolve()
      }
      const timer = setTimeout(done, this.pollMs)
      waiters.add(done)
    })
  }

  /** Something happened to `runId`. */
  changed(runId: RunId): void {
    for (const done of [...(this.waiting.get(runId) ?? [])]) done()
  }
}
