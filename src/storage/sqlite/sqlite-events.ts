import type { RunId } from '../../core/ids.js'
import type { ChangeFeed, EventInbox, EventNotice, Fence, NewEvent, StepRecord, StoredEvent } from '../workflow-store.js'
import { shared, type SqliteContext } from './sqlite-context.js'
import { insertAuditEntry } from './sqlite-audit.js'
import { sqliteStatements } from './sqlite-statements.js'

/** Thrown inside a write to undo it: an event sent to one run was taken by another wait first. */
class AlreadyTaken extends Error {}

/** The SQLite store's event inbox and change feed (engines poll it: SQLite cannot notify other processes). */
export class SqliteEvents implements EventInbox, ChangeFeed {
  constructor(private readonly sqlite: SqliteContext) {}

  sendEvent(event: NewEvent): Promise<number> {
    const payload = this.sqlite.rowCodec.eventPayload(event)
    return this.sqlite.writes.run(() => {
      const result = this.sqlite.run(sqliteStatements.insertEvent, { name: event.name, runId: event.runId ?? null, payload, sentAt: event.sentAt })
      if (event.audit !== undefined) insertAuditEntry(this.sqlite, event.audit)
      return Number(result.lastInsertRowid)
    })
  }

  pendingEvents(runId: RunId, name: string, since: number): Promise<StoredEvent[]> {
    return this.sqlite.read('reading events', () => this.sqlite.all(shared.pendingEvents, { runId, name, since }).map((row) => this.sqlite.rowCodec.storedEvent(row)))
  }

  takeEvent(fence: Fence, event: StoredEvent, step: StepRecord): Promise<boolean> {
    const output = this.sqlite.outputText(step)
    return this.sqlite.writes
      .run(() => {
        this.sqlite.checkFence(fence)
        const took = this.sqlite.run(sqliteStatements.insertTake, { eventId: event.id, runId: fence.runId })
        if (Number(took.changes) === 0) return false
        if (event.runId !== undefined) {
          const consumed = this.sqlite.run(sqliteStatements.consumeEvent, { id: event.id, at: step.finishedAt })
          if (Number(consumed.changes) === 0) throw new AlreadyTaken()
        }
        this.sqlite.insertStep(step, output)
        return true
      })
      .catch((error: unknown) => {
        if (error instanceof AlreadyTaken) return false
        throw error
      })
  }

  eventsAfter(afterId: number, limit: number): Promise<EventNotice[]> {
    return this.sqlite.read('reading events', () =>
      this.sqlite.all(shared.eventsAfter, { afterId, limit }).map((row) => ({ id: Number(row.id), name: row.name, runId: row.run_id ?? undefined })),
    )
  }

  latestEventId(): Promise<number> {
    return this.sqlite.read('reading events', () => Number(this.sqlite.get(shared.latestEventId, {})!.id))
  }
}
