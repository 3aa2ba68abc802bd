// The port through which durable stores encode the values they keep (run inputs, step outputs, event payloads,
// error records) after serialization and decode them before parsing: the security layer's payload codec encrypts
// with it. Storage defines the port and the clear default; it never imports the implementation.
import { SecurityConfigError } from '../core/security-errors.js'

/**
 * Where a stored value lives: its run, its record inside the run and its
 * column. A codec binds what it writes to this location (an encrypting codec
 * makes it the ciphertext's authenticated data), so a value copied to another
 * row, run or column does not decode. Stores derive it from the row alone, on
 * write and on read.
 *
 * @example
 * ```ts
 * import type { ValueLocation } from 'weft-sdk/store'
 * const output: ValueLocation = { runId: 'r-1', record: 'task:load', field: 'output' }
 * const input: ValueLocation = { runId: 'r-1', record: '', field: 'input' }
 * ```
 */
export interface ValueLocation {
  /** The run the value belongs to; `''` for an event sent to every run. */
  readonly runId: string
  /**
   * The record inside the run: a step's key, `event "<name>" at <sentAt>` for an
   * event's payload, an outbox entry's id; `''` for the run's own columns.
   */
  readonly record: string
  /** The column: `input`, `output`, `error`, `history`, `payload`, `roles`. */
  readonly field: string
}

/**
 * How a store encodes a serialized value before writing it and decodes it
 * after reading it. Implementations must be synchronous (stores encode inside
 * their write transactions) and must return text that `decode` turns back
 * into the same text at the same location only.
 *
 * @example
 * ```ts
 * import { sqliteStore } from 'weft-sdk'
 * import type { ValueCodec } from 'weft-sdk/store'
 * declare const codec: ValueCodec // e.g. createPayloadCodec(envKeyProvider()) from 'weft-sdk'
 * const store = sqliteStore({ path: 'runs.sqlite', codec })
 * ```
 */
export interface ValueCodec {
  /** The text to store for the serialized `text` at `location`. */
  encode(text: string, location: ValueLocation): string
  /**
   * The serialized text that `stored` encodes.
   * @throws {@link index!DecryptionError} (or another Weft error) when `stored` was altered or belongs elsewhere.
   */
  decode(stored: string, location: ValueLocation): string
  /**
   * Whether `stored` is written the way `encode` writes now (an encrypting
   * codec: with its newest key). Re-encryption (`reencryptValues`) rewrites the
   * values for which it is false; a codec without it cannot be rotated.
   */
  isCurrent?(stored: string): boolean
  /**
   * The ids of the keys the codec holds (ids only, never key material): the
   * one `encode` writes with now and every one `decode` can read. A durable
   * store records them in its settings when it opens (see
   * {@link store!keysSettingName}), so that `weft keys status` shows them; a
   * codec without it has no key ids to record.
   */
  keyIds?(): CodecKeyIds
}

/**
 * The key ids a {@link ValueCodec} holds: ids only, never key material.
 *
 * @example
 * ```ts
 * import type { CodecKeyIds } from 'weft-sdk/store'
 * const ids: CodecKeyIds = { current: 'k2', known: ['k2', 'k1'] } // after a rotation to k2
 * ```
 */
export interface CodecKeyIds {
  /** The id of the key new values are encoded with. */
  readonly current: string
  /** Every key id the codec can decode, `current` included (newest first). */
  readonly known: readonly string[]
}

/**
 * The prefix of every encrypted value (`wenc1.<key id>.<data>`). Serialized
 * JSON never starts with `w`, so a reader tells encrypted from clear values by it.
 *
 * @example
 * ```ts
 * import { encryptedValuePrefix } from 'weft-sdk/store'
 * declare const column: string
 * const encrypted = column.startsWith(encryptedValuePrefix)
 * ```
 */
export const encryptedValuePrefix = 'wenc'

/**
 * The codec of stores given none: values are stored as their serialized
 * text. Reading an encrypted value with it fails with a
 * {@link index!SecurityConfigError} that says to configure the keys (instead of
 * a JSON syntax error).
 *
 * @example
 * ```ts
 * import { clearValueCodec } from 'weft-sdk/store'
 * clearValueCodec.encode('{"a":1}', { runId: 'r-1', record: '', field: 'input' }) // '{"a":1}'
 * ```
 */
export const clearValueCodec: ValueCodec = {
  encode: (text) => text,
  decode(stored, location) {
    if (stored.startsWith(encryptedValuePrefix)) {
      throw new SecurityConfigError(
        `${describeLocation(location)} is encrypted, but the store has no codec: give the store the codec of its keys (sqliteStore({ codec }) or postgresStore({ codec }))`,
      )
    }
    return stored
  },
}

/**
 * A location for messages: `run r-1, step "task:load", output` (never the value).
 *
 * @example
 * ```ts
 * import { describeLocation } from 'weft-sdk/store'
 * describeLocation({ runId: 'r-1', record: 'task:load', field: 'output' }) // 'run r-1, step "task:load", output'
 * ```
 */
export function describeLocation(location: ValueLocation): string {
  const run = location.runId === '' ? 'every run' : `run ${location.runId}`
  const record = location.record === '' ? '' : location.record.startsWith('event ') || location.record.startsWith('outbox ') ? `, ${location.record}` : `, step "${location.record}"`
  return `${run}${record}, ${location.field}`
}

/** The location of a run's own column. */
export function runLocation(runId: string, field: string): ValueLocation {
  return { runId, record: '', field }
}

/** The location of a step's column. */
export function stepLocation(runId: string, key: string, field: string): ValueLocation {
  return { runId, record: key, field }
}

/** The location of an event's payload: its run (`''` for every run), its name and when it was sent. */
export function eventLocation(runId: string | null | undefined, name: string, sentAt: number): ValueLocation {
  return { runId: runId ?? '', record: `event "${name}" at ${sentAt}`, field: 'payload' }
}
