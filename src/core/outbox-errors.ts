// Errors of the durable outbox: a store that cannot keep one, an entry its adapter cannot deliver.
import { WeftError } from './weft-error.js'

/**
 * The engine's store has no outbox (a custom `WorkflowStore` without the
 * `outbox` role): entries cannot be recorded or inspected. Use the memory,
 * SQLite or PostgreSQL store, or give yours an `OutboxStore`.
 *
 * @example
 * ```ts
 * import { OutboxUnavailableError } from 'weft-sdk'
 * const error = new OutboxUnavailableError('engine.outbox.counts()')
 * error.code // 'WEFT_OUTBOX_UNAVAILABLE'
 * ```
 */
export class OutboxUnavailableError extends WeftError {
  readonly code = 'WEFT_OUTBOX_UNAVAILABLE'
  readonly _tag = 'OutboxUnavailableError'
  override readonly isRetryable = false
  constructor(
    /** What needed the outbox. */
    readonly operation: string,
  ) {
    super(`${operation}: the engine's store has no outbox (its "outbox" role is missing); use the memory, SQLite or PostgreSQL store, or implement OutboxStore in yours`)
  }
}

/**
 * An outbox entry's payload is not what its adapter delivers (e.g. an AMQP
 * entry without an exchange): the entry is given up (`dead`) at once, since
 * delivering it again cannot succeed. Not retryable.
 *
 * @example
 * ```ts
 * import { OutboxPayloadError } from 'weft-sdk'
 * const error = new OutboxPayloadError('events', 'run-1:notify:events:outbox:1', 'it has no "exchange" string')
 * error.isRetryable // false
 * ```
 */
export class OutboxPayloadError extends WeftError {
  readonly code = 'WEFT_OUTBOX_PAYLOAD'
  readonly _tag = 'OutboxPayloadError'
  override readonly isRetryable = false
  constructor(
    /** The adapter's name. */
    readonly adapter: string,
    /** The entry's id. */
    readonly entryId: string,
    /** What is wrong with the payload. */
    readonly problem: string,
  ) {
    super(`adapter "${adapter}" cannot deliver outbox entry "${entryId}": ${problem}; record it through the adapter's own durable call (e.g. ctx.use(amqp).publishDurably) rather than ctx.outbox by hand`)
  }
}
