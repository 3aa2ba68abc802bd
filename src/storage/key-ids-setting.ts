// The store's record of the encryption key ids its values are written with: a durable store whose codec exposes key
// ids (the payload codec does) records them in its settings when it opens, so that `weft keys status`, opening the
// database directly, shows which keys exist without holding any. Ids only: no key material is ever recorded.
//
// An entry of its own rather than fields of the security setting the engine writes: the codec belongs to the store
// (the engine never sees it, and the store records the ids in its own init, before any value is written), values are
// encrypted with or without an engine with security (a store used by workers without security still records its
// keys), and `weft security disable` rewrites the security setting, which must not drop the key ids with it.
import { SecurityConfigError } from '../core/security-errors.js'
import type { SettingsStore } from './settings-store.js'
import type { CodecKeyIds, ValueCodec } from './value-codec.js'

/**
 * The name of the setting recording the key ids of the store's codec.
 *
 * @example
 * ```ts
 * import { sqliteStore } from 'weft-sdk'
 * import { keysSettingName } from 'weft-sdk/store'
 * const store = sqliteStore({ path: 'runs.sqlite', readOnly: true })
 * await store.init()
 * console.log(await store.settings.get(keysSettingName)) // { current: 'k2', known: ['k2', 'k1'], updatedAt: 1796… }
 * ```
 */
export const keysSettingName = 'keys'

/**
 * What a store records of its codec's key ids: the key that encrypts new
 * values and every key id ever recorded, so that an id removed from the key
 * provider after a rotation stays listed. Ids only, never key material.
 *
 * @example
 * ```ts
 * import type { KeysSetting } from 'weft-sdk/store'
 * const afterRotation: KeysSetting = { current: 'k2', known: ['k2', 'k1'], updatedAt: Date.parse('2026-12-09T00:00:00Z') }
 * ```
 */
export interface KeysSetting {
  /** The key id new values are encrypted with, as of the store opened last. */
  readonly current: string
  /** Every key id recorded so far: `current` first, then the other ids of the store opened last, then those only recorded before (retired). */
  readonly known: readonly string[]
  /** When the record last changed (epoch milliseconds). */
  readonly updatedAt: number
}

const keyIdPattern = /^[A-Za-z0-9_-]{1,64}$/

/** Whether `value` is a key id as ciphertexts carry it: 1–64 letters, digits, `_` or `-`. */
function isKeyId(value: unknown): value is string {
  return typeof value === 'string' && keyIdPattern.test(value)
}

/**
 * The record of key ids a store holds, or `undefined` when it has none, or
 * one that is malformed (then the ids are unknown; the next store that opens
 * with an id-exposing codec records them afresh).
 *
 * @example
 * ```ts
 * import { sqliteStore } from 'weft-sdk'
 * import { readKeysSetting } from 'weft-sdk/store'
 * const store = sqliteStore({ path: 'runs.sqlite', readOnly: true })
 * await store.init()
 * const keys = await readKeysSetting(store.settings)
 * console.log(keys?.current, keys?.known)
 * ```
 */
export async function readKeysSetting(settings: SettingsStore | undefined): Promise<KeysSetting | undefined> {
  if (settings === undefined) return undefined
  return parseKeysSetting(await settings.get(keysSettingName))
}

/**
 * A stored value as a {@link KeysSetting}, or `undefined` when it is not a
 * well-formed one (ids that are not key ids, a current id missing from the known ones).
 *
 * @example
 * ```ts
 * import { parseKeysSetting } from 'weft-sdk/store'
 * parseKeysSetting({ current: 'k1', known: ['k1'], updatedAt: 1 }) // the setting
 * parseKeysSetting({ current: 'k1' }) // undefined
 * ```
 */
export function parseKeysSetting(value: unknown): KeysSetting | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const { current, known, updatedAt } = value as Record<string, unknown>
  if (!isKeyId(current) || !Array.isArray(known) || !known.every(isKeyId) || !known.includes(current)) return undefined
  if (typeof updatedAt !== 'number' || !Number.isFinite(updatedAt)) return undefined
  return { current, known: [...new Set(known)], updatedAt }
}

/**
 * The record after a store whose codec holds `ids` opened: its current key,
 * and the ids it holds added to those recorded before. `undefined` when the
 * record already says exactly that (nothing to write).
 *
 * @example
 * ```ts
 * import { nextKeysSetting } from 'weft-sdk/store'
 * const before = { current: 'k1', known: ['k1'], updatedAt: 1 }
 * nextKeysSetting(before, { current: 'k2', known: ['k2'] }, 2) // { current: 'k2', known: ['k2', 'k1'], updatedAt: 2 }
 * nextKeysSetting(before, { current: 'k1', known: ['k1'] }, 2) // undefined
 * ```
 */
export function nextKeysSetting(recorded: KeysSetting | undefined, ids: CodecKeyIds, now: number): KeysSetting | undefined {
  const known = [...new Set([ids.current, ...ids.known, ...(recorded?.known ?? [])])]
  const unchanged = recorded !== undefined && recorded.current === ids.current && recorded.known.length === known.length
  return unchanged ? undefined : { current: ids.current, known, updatedAt: now }
}

/**
 * Records the key ids of `codec` in `settings` (stores call it when they
 * open): written only when the record changes, read and written with no other
 * update in between. Does nothing for a codec without key ids.
 *
 * @returns the record afterwards, or `undefined` for a codec without key ids.
 * @throws {@link index!SecurityConfigError} when the codec gives an id that is not 1–64 letters, digits, `_` or `-` (no value written with it could be read back).
 * @example
 * ```ts
 * import { createPayloadCodec, envKeyProvider, sqliteStore } from 'weft-sdk'
 * import { recordKeyIds } from 'weft-sdk/store'
 * const codec = createPayloadCodec(envKeyProvider())
 * const store = sqliteStore({ path: 'runs.sqlite', codec }) // init() records them already
 * await store.init()
 * await recordKeyIds(store.settings, codec, Date.now()) // unchanged: nothing written
 * ```
 */
export async function recordKeyIds(settings: SettingsStore, codec: ValueCodec | undefined, now: number): Promise<KeysSetting | undefined> {
  const ids = codec?.keyIds?.()
  if (ids === undefined) return undefined
  assertKeyIds(ids)
  const after = await settings.update(keysSettingName, (value) => nextKeysSetting(parseKeysSetting(value), ids, now), now)
  return parseKeysSetting(after)
}

function assertKeyIds(ids: CodecKeyIds): void {
  // A codec is user code: its ids are checked as unknown values.
  const given: readonly unknown[] = [ids.current, ...ids.known]
  const index = given.findIndex((id) => !isKeyId(id))
  if (index >= 0) {
    const wrong = given[index]
    const shown = typeof wrong === 'string' ? JSON.stringify(wrong.slice(0, 64)) : typeof wrong
    throw new SecurityConfigError(`the store's codec gives key id ${shown}, which is not 1-64 letters, digits, "_" or "-": give its key provider well-formed ids`)
  }
}
