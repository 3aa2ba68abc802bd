// What `weft keys status` reports: the values per key id, the key ids the store records (its codec's, as of the last
// store that migrated it), and the ids the stored values use or the record lists that the `--config`'s codec cannot
// decrypt, each with its fix. Ids only: no key is read or printed.
import type { CodecKeyIds, KeysSetting, KeyUsage, ValueCodec } from '../store.js'
import type { CliContext } from './command.js'

/** A key id the `--config`'s codec cannot decrypt. */
export interface MissingKey {
  readonly keyId: string
  /** How many stored values it encrypts (0: only the record lists it, e.g. a key retired after a rotation). */
  readonly values: number
  /** Whether the store's record of key ids lists it. */
  readonly recorded: boolean
}

/** The report of `weft keys status` (its `--json` output). */
export interface KeysStatus {
  readonly usage: readonly KeyUsage[]
  /** The key ids the store records; `null` when it records none (or a malformed record). */
  readonly recorded: KeysSetting | null
  /** The key ids of the `--config`'s codec; `null` without `--config`, or for a codec that does not expose them. */
  readonly codec: CodecKeyIds | null
  /** The ids the `--config`'s codec cannot decrypt; `null` when unknown (no `--config`, or a codec without key ids). */
  readonly missing: readonly MissingKey[] | null
}

/**
 * The key ids the `--config`'s codec decrypts: none for a `--config` without
 * a codec, `undefined` (unknown) without `--config` or for a codec that does not expose them.
 */
export function decryptableKeyIds(hasConfig: boolean, codec: ValueCodec | undefined): readonly string[] | undefined {
  if (!hasConfig) return undefined
  if (codec === undefined) return []
  return codec.keyIds?.().known
}

/** The report over the usage, the record and the codec (`decryptable`: see {@link decryptableKeyIds}). */
export function keysStatus(usage: readonly KeyUsage[], recorded: KeysSetting | undefined, codec: ValueCodec | undefined, decryptable: readonly string[] | undefined): KeysStatus {
  return {
    usage,
    recorded: recorded ?? null,
    codec: codec?.keyIds?.() ?? null,
    missing: decryptable === undefined ? null : missingKeys(usage, recorded, new Set(decryptable)),
  }
}

function missingKeys(usage: readonly KeyUsage[], recorded: KeysSetting | undefined, decryptable: ReadonlySet<string>): MissingKey[] {
  const values = valuesByKey(usage)
  const ids = new Set([...values.keys(), ...(recorded?.known ?? [])])
  return [...ids]
    .filter((keyId) => !decryptable.has(keyId))
    .map((keyId) => ({ keyId, values: values.get(keyId) ?? 0, recorded: recorded?.known.includes(keyId) === true }))
}

/** How many values each key id encrypts, over every table and column (clear values left out). */
function valuesByKey(usage: readonly KeyUsage[]): Map<string, number> {
  const byKey = new Map<string, number>()
  for (const { keyId, values } of usage) if (keyId !== 'clear') byKey.set(keyId, (byKey.get(keyId) ?? 0) + values)
  return byKey
}

/** Prints the report as text: the record of key ids, the values per key id, then the keys the codec lacks. */
export function printKeysStatus(context: CliContext, status: KeysStatus): void {
  context.out.line(describeRecord(status.recorded))
  printUsage(context, status.usage)
  for (const missing of status.missing ?? []) context.out.line(describeMissing(missing))
}

function describeRecord(recorded: KeysSetting | null): string {
  if (recorded === null) return 'key ids recorded: none (a store with an encrypting codec records them when it migrates the database)'
  return `key ids recorded: current ${recorded.current}; known ${recorded.known.join(', ')} (as of ${new Date(recorded.updatedAt).toISOString()})`
}

function printUsage(context: CliContext, usage: readonly KeyUsage[]): void {
  if (usage.length === 0) context.out.line('no stored values')
  const byKey = new Map<string, number>()
  for (const { keyId, values } of usage) byKey.set(keyId, (byKey.get(keyId) ?? 0) + values)
  for (const [keyId, values] of byKey) context.out.line(`${keyId}  ${values} values`)
  for (const { table, column, keyId, values } of usage) context.out.line(`  ${table}.${column}  ${keyId}  ${values}`)
}

function describeMissing({ keyId, values, recorded }: MissingKey): string {
  const lacking = `key "${keyId}" is not in the --config's key provider`
  if (values > 0) return `${lacking}: ${values} stored values use it and cannot be read; add key "${keyId}" to the key provider`
  const listed = recorded ? 'the store records it, but no stored value uses it (retired after a rotation?)' : 'no stored value uses it'
  return `${lacking}: ${listed}; add key "${keyId}" to the key provider if values encrypted with it may come back (from a backup)`
}
