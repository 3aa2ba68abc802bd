// Where the SQL stores apply their ValueCodec: every column that holds a user's value or an error record (a run's
// input, error and roles; a step's output, error and attempt history; an event's payload; an outbox entry's payload)
// is encoded after serialization on write and decoded before parsing on read, at a location derived from the row.
import { serialize, type SerializationLimits } from '../serialization.js'
import { clearValueCodec, encryptedValuePrefix, eventLocation, runLocation, stepLocation, type ValueCodec, type ValueLocation } from '../value-codec.js'
import type { AttemptHistory, NewRun, RunPatch, RunRecord, StepRecord, StoredEvent } from '../workflow-store.js'
import { parseAttemptHistory } from '../attempt-history.js'
import { outboxInsert, settlementValues, toOutboxEntry, type OutboxInsert } from './outbox-rows.js'
import { toRunRecord, toStepRecord, toStepRow, toStoredEvent } from './rows.js'
import type { EventRow, OutboxRow, RunRow, StepRow } from './schema.js'
import { patchParameters, runInsert, type PatchParameters, type RunInsert } from './statements.js'
import type { OutboxEntry, OutboxSettlement } from '../outbox-store.js'

/** The record part of an outbox entry's location (its id is unique and known on write and read). */
function outboxRecord(id: string): string {
  return `outbox entry "${id}"`
}

/** Where an outbox entry's delivery error is: the entry alone (a settlement knows its id, not its run). */
export function outboxErrorLocation(id: string): ValueLocation {
  return { runId: '', record: outboxRecord(id), field: 'last_error' }
}

/**
 * The SQL stores' rows through a {@link ValueCodec}: the row mappings of
 * rows.ts, statements.ts and outbox-rows.ts with the value columns encoded
 * and decoded. With the clear codec every column is stored as serialized.
 */
export class RowCodec {
  constructor(
    readonly codec: ValueCodec = clearValueCodec,
    readonly limits: SerializationLimits,
  ) {}

  /** A nullable column, encoded. */
  private encode(text: string | null, runId: string, record: string, field: string): string | null {
    return text === null ? null : this.codec.encode(text, { runId, record, field })
  }

  /** A nullable column, decoded. */
  private decode(text: string | null, runId: string, record: string, field: string): string | null {
    return text === null ? null : this.codec.decode(text, { runId, record, field })
  }

  /** A run's input, serialized (refusals and size limits apply to the clear text) and encoded. */
  input(run: NewRun): string {
    return this.codec.encode(serialize(run.input, `input of run ${run.id}`, this.limits), runLocation(run.id, 'input'))
  }

  /** The insert of `run` whose input is `input` (from {@link RowCodec.input}); its roles encoded. */
  runInsert(run: NewRun, input: string): RunInsert {
    const insert = runInsert(run, input)
    return { ...insert, roles: this.encode(insert.roles, run.id, '', 'roles') }
  }

  /** The parameters of a patch of a run, its error and status message encoded. */
  patchParameters(id: string, epoch: number, patch: RunPatch): PatchParameters {
    const parameters = patchParameters(id, epoch, patch)
    return { ...parameters, runError: this.encode(parameters.runError, id, '', 'error'), statusMessage: this.encode(parameters.statusMessage, id, '', 'status_message') }
  }

  /**
   * A run's status message as stored: encoded, as it may quote an error's
   * message (a worker that could not start the run). Messages the store
   * writes itself in SQL (a run no worker can claim) stay in clear, and are
   * read as they are.
   */
  statusMessage(runId: string, text: string): string {
    return this.codec.encode(text, runLocation(runId, 'status_message'))
  }

  /** A run, from its row. */
  runRecord(row: RunRow): RunRecord {
    const id = row.id
    const roles = this.decode(row.roles ?? null, id, '', 'roles')
    const message = row.status_message
    const statusMessage = message !== null && message.startsWith(encryptedValuePrefix) ? this.codec.decode(message, runLocation(id, 'status_message')) : message
    return toRunRecord({ ...row, input: this.codec.decode(row.input, runLocation(id, 'input')), error: this.decode(row.error, id, '', 'error'), roles, status_message: statusMessage })
  }

  /** A completed step's output as stored text: serialized (checked against the limits) and encoded. */
  outputText(step: StepRecord): string | null {
    if (step.status !== 'completed') return null
    return this.codec.encode(serialize(step.output, `output of step "${step.key}" of run ${step.runId}`, this.limits), stepLocation(step.runId, step.key, 'output'))
  }

  /** The row of `step`, whose output is `output` (from {@link RowCodec.outputText}); its error and history encoded. */
  stepRow(step: StepRecord, output: string | null): StepRow {
    const row = toStepRow(step, output)
    return { ...row, error: this.encode(row.error, step.runId, step.key, 'error'), history: this.encode(row.history, step.runId, step.key, 'history') }
  }

  /** A step, from its row. */
  stepRecord(row: StepRow): StepRecord {
    const { run_id: runId, key } = row
    const decoded = { output: this.decode(row.output, runId, key, 'output'), error: this.decode(row.error, runId, key, 'error'), history: this.decode(row.history ?? null, runId, key, 'history') }
    return toStepRecord({ ...row, ...decoded })
  }

  /** A step's attempt history column, decoded and parsed (`undefined` for null or a shape it does not know). */
  attemptHistory(runId: string, key: string, text: string | null): AttemptHistory | undefined {
    return parseAttemptHistory(this.decode(text, runId, key, 'history'))
  }

  /** An event's payload, serialized and encoded. */
  eventPayload(event: { readonly name: string; readonly runId?: string | undefined; readonly sentAt: number; readonly payload: unknown }): string {
    const text = serialize(event.payload, `payload of event "${event.name}"`, this.limits)
    return this.codec.encode(text, eventLocation(event.runId, event.name, event.sentAt))
  }

  /** An event, from its row. */
  storedEvent(row: Pick<EventRow, 'id' | 'name' | 'run_id' | 'payload' | 'sent_at'>): StoredEvent {
    return toStoredEvent({ ...row, payload: this.codec.decode(row.payload, eventLocation(row.run_id, row.name, Number(row.sent_at))) })
  }

  /** A step's outbox entries, serialized and encoded; `undefined` when it carries none. */
  outboxInsert(step: StepRecord): OutboxInsert | undefined {
    const insert = outboxInsert(step, this.limits)
    if (insert === undefined) return undefined
    const payloads = insert.payloads.map((text, i) => this.codec.encode(text, { runId: step.runId, record: outboxRecord(insert.ids[i]!), field: 'payload' }))
    return { ...insert, payloads }
  }

  /** An outbox entry, from its row. */
  outboxEntry(row: OutboxRow): OutboxEntry {
    const payload = this.codec.decode(row.payload, { runId: row.run_id, record: outboxRecord(row.id), field: 'payload' })
    const lastError = row.last_error === null ? null : this.codec.decode(row.last_error, outboxErrorLocation(row.id))
    return toOutboxEntry({ ...row, payload, last_error: lastError })
  }

  /** A settlement's values for the settle statements (see `settlementValues`), the delivery error encoded. */
  settlementValues(id: string, settlement: OutboxSettlement): [string, number | null, string | null, number | null] {
    const [status, deliveredAt, lastError, availableAt] = settlementValues(settlement)
    return [status, deliveredAt, lastError === null ? null : this.codec.encode(lastError, outboxErrorLocation(id)), availableAt]
  }
}
