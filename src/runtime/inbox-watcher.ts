import type { ChangeFeed } from '../storage/workflow-store.js'
import type { EventWaiters } from './event-waiters.js'

/**
 * Wakes this process's waiting tasks when another process sends them an
 * event, for stores that cannot notify (SQLite shared by several processes),
 * and as a safety net behind notifications that can be missed (PostgreSQL
 * across a reconnect). One small indexed query per interval for the whole
 * engine, and only while some task waits — not a timer per waiting task.
 */
export class InboxWatcher {
  private cursor = 0
  private timer: NodeJS.Timeout | undefined
  private looking = false

  constructor(
    private readonly store: ChangeFeed,
    private readonly waiters: EventWaiters,
    private readonly intervalMs: number,
    private readonly reportError: (error: unknown) => void,
  ) {}

  /** Starts watching from the newest event now stored. */
  async start(): Promise<void> {
    this.cursor = await this.store.latestEventId()
    this.timer = setInterval(() => void this.look(), this.intervalMs)
    this.timer.unref()
  }

  stop(): void {
    clearInterval(this.timer)
  }

  private async look(): Promise<void> {
    if (this.looking) return
    this.looking = true
    try {
      if (this.waiters.isEmpty()) {
        // Nobody waits: a task that starts waiting looks in the inbox itself first.
        this.cursor = await this.store.latestEventId()
        return
      }
      for (let batch = await this.store.eventsAfter(this.cursor, 500); batch.length > 0; batch = await this.store.eventsAfter(this.cursor, 500)) {
        for (const event of batch) this.waiters.wake(event.runId, event.name)
        this.cursor = batch[batch.length - 1]!.id
      }
    } catch (error) {
      this.reportError(error)
    } finally {
      this.looking = false
    }
  }
}
