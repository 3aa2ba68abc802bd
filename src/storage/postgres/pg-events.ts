import { LeaseLostError } from '../../core/errors.js'
import type { RunId } from '../../core/ids.js'
import type { ChangeFeed, EventInbox, EventNotice, Fence, NewEvent, StepRecord, StoredEvent, StoreNotification } from '../workflow-store.js'
import type { AuditEntry } from '../audit-store.js'
import { insertAuditEntryOn } from './pg-audit.js'
import { runStatement, shared, type PgContext } from './pg-context.js'
import { channel, pgStatements } from './pg-statements.js'

/** The PostgreSQL store's event inbox and change feed: LISTEN/NOTIFY tells engines what other processes did. */
export class PgEvents implements EventInbox, ChangeFeed {
  constructor(private readonly pg: PgContext) {}

  async sendEvent(event: NewEvent): Promise<number> {
    const payload = this.pg.rowCodec.eventPayload(event)
    const values = { name: event.name, runId: event.runId ?? null, payload, sentAt: event.sentAt }
    if (event.audit !== undefined) return this.sendAudited(values, event.audit)
    const [row] = await this.pg.rows(pgStatements.sendEvent, values)
    return Number(row!.id)
  }

  /** Sends an event and writes its audit entries in one transaction. */
  private sendAudited(values: { name: string; runId: string | null; payload: string; sentAt: number }, audit: readonly AuditEntry[]): Promise<number> {
    return this.pg.transaction(async (client) => {
      const [row] = (await runStatement(client, pgStatements.sendEvent, values)).rows
      await insertAuditEntryOn(client, audit)
      return Number(row!.id)
    })
  }

  async pendingEvents(runId: RunId, name: string, since: number): Promise<StoredEvent[]> {
    return (await this.pg.rows(shared.pendingEvents, { runId, name, since })).map((row) => this.pg.rowCodec.storedEvent(row))
  }

  async takeEvent(fence: Fence, event: StoredEvent, step: StepRecord): Promise<boolean> {
    const output = this.pg.outputText(step)
    const [row] = await this.pg.rows(pgStatements.takeEvent, { ...this.pg.rowCodec.stepRow(step, output), run_id: fence.runId, epoch: fence.epoch, eventId: event.id })
    if (Number(row!.fenced) === 0) throw new LeaseLostError(fence.runId, fence.epoch)
    return Number(row!.took) === 1
  }

  async eventsAfter(afterId: number, limit: number): Promise<EventNotice[]> {
    const rows = await this.pg.rows(shared.eventsAfter, { afterId, limit })
    return rows.map((row) => ({ id: Number(row.id), name: row.name, runId: row.run_id ?? undefined }))
  }

  async latestEventId(): Promise<number> {
    const [row] = await this.pg.rows(shared.latestEventId, {})
    return Number(row!.id)
  }

  /** LISTENs on Weft's channel with a dedicated connection. */
  async subscribe(listener: (notification: StoreNotification) => void): Promise<() => Promise<void>> {
    const client = await this.pg.pool.connect()
    client.on('notification', (message) => {
      if (message.channel !== channel || message.payload === undefined) return
      try {
        listener(JSON.parse(message.payload) as StoreNotification)
      } catch {
        // A malformed payload from another program on the channel: ignore it.
      }
    })
    client.on('error', () => undefined)
    await client.query(`listen ${channel}`)
    return async () => {
      await client.query(`unlisten ${channel}`).catch(() => undefined)
      client.release()
    }
  }
}
