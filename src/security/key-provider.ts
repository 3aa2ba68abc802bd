// Where the payload codec's keys come from: the KeyProvider port (a KMS can implement it), a provider over keys
// given in code, one over an environment variable and one over a JSON file. Keys are 32-byte AES-256 keys held as
// node:crypto KeyObjects, which print as `SecretKeyObject { type: 'secret' }` and serialize to `{}`: no error,
// log line or inspect output of a provider shows key material.
import { createSecretKey, type KeyObject } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { SecurityConfigError } from '../core/security-errors.js'

/**
 * One encryption key and its id (the id is written in every ciphertext).
 *
 * @example
 * ```ts
 * import { createSecretKey, randomBytes } from 'node:crypto'
 * import type { EncryptionKey } from 'weft-sdk'
 * const key: EncryptionKey = { id: 'k2026-12', key: createSecretKey(randomBytes(32)) }
 * ```
 */
export interface EncryptionKey {
  /** The key's id: 1–64 letters, digits, `_` or `-`. */
  readonly id: string
  /** The AES-256 key (32 bytes). */
  readonly key: KeyObject
}

/**
 * The port the payload codec takes its keys from: the newest key encrypts,
 * every key still listed decrypts. Implement it over a KMS (fetch and cache the
 * data keys at start: the codec calls it synchronously on every value).
 *
 * @example
 * ```ts
 * import { createPayloadCodec, type KeyProvider } from 'weft-sdk'
 * declare const provider: KeyProvider
 * const codec = createPayloadCodec(provider)
 * provider.ids() // ['k2', 'k1']: newest first
 * ```
 */
export interface KeyProvider {
  /** The key new values are encrypted with (the newest). */
  current(): EncryptionKey
  /** The key of an id, or `undefined` when this provider does not have it. */
  get(id: string): KeyObject | undefined
  /** Every key id the provider has, newest first. */
  ids(): readonly string[]
}

/**
 * A key as given to {@link staticKeyProvider}: its id and its 32 bytes.
 *
 * @example
 * ```ts
 * import { randomBytes } from 'node:crypto'
 * import type { KeyMaterial } from 'weft-sdk'
 * const material: KeyMaterial = { id: 'k1', key: randomBytes(32) }
 * ```
 */
export interface KeyMaterial {
  /** The key's id: 1–64 letters, digits, `_` or `-`. */
  readonly id: string
  /** Its bytes (exactly 32), or a KeyObject of 32 bytes. */
  readonly key: Uint8Array | KeyObject
}

const keyIdPattern = /^[A-Za-z0-9_-]{1,64}$/
const keyBytes = 32

/**
 * A provider over keys given in code, newest first.
 *
 * @throws {@link index!SecurityConfigError} when no key is given, an id is malformed or repeated, or a key is not 32 bytes.
 * @example
 * ```ts
 * import { randomBytes } from 'node:crypto'
 * import { staticKeyProvider } from 'weft-sdk'
 * const keys = staticKeyProvider([{ id: 'k2', key: randomBytes(32) }, { id: 'k1', key: randomBytes(32) }])
 * keys.current().id // 'k2'
 * ```
 */
export function staticKeyProvider(keys: readonly KeyMaterial[], source = 'the keys given'): KeyProvider {
  if (keys.length === 0) throw new SecurityConfigError(`${source} hold no key: give at least one 32-byte key`)
  const byId = new Map<string, KeyObject>()
  for (const { id, key } of keys) {
    if (!keyIdPattern.test(id)) throw new SecurityConfigError(`${source}: key id ${JSON.stringify(id.slice(0, 64))} is not 1-64 letters, digits, "_" or "-"`)
    if (byId.has(id)) throw new SecurityConfigError(`${source}: key id "${id}" is given twice`)
    byId.set(id, secretKey(id, key, source))
  }
  return new StaticKeyProvider(byId)
}

/** The provider's keys, in a Map whose inspect output shows ids and `SecretKeyObject`s only. */
class StaticKeyProvider implements KeyProvider {
  private readonly newest: EncryptionKey
  private readonly order: readonly string[]

  constructor(private readonly keys: ReadonlyMap<string, KeyObject>) {
    this.order = Object.freeze([...keys.keys()])
    const id = this.order[0]!
    this.newest = Object.freeze({ id, key: keys.get(id)! })
  }

  current(): EncryptionKey {
    return this.newest
  }

  get(id: string): KeyObject | undefined {
    return this.keys.get(id)
  }

  ids(): readonly string[] {
    return this.order
  }

  toJSON(): { readonly ids: readonly string[] } {
    return { ids: this.order }
  }
}

function secretKey(id: string, key: Uint8Array | KeyObject, source: string): KeyObject {
  const size = key instanceof Uint8Array ? key.byteLength : key.type === 'secret' ? key.symmetricKeySize : undefined
  if (size !== keyBytes) {
    throw new SecurityConfigError(`${source}: key "${id}" is ${size === undefined ? 'not a secret key' : `${size} bytes`}; AES-256 needs exactly 32 (make one with: openssl rand -base64 32)`)
  }
  return key instanceof Uint8Array ? createSecretKey(Buffer.from(key)) : key
}

/**
 * Options of {@link envKeyProvider}.
 *
 * @example
 * ```ts
 * import { envKeyProvider, type EnvKeyProviderOptions } from 'weft-sdk'
 * const options: EnvKeyProviderOptions = { variable: 'REPORTS_ENCRYPTION_KEYS' }
 * const keys = envKeyProvider(options)
 * ```
 */
export interface EnvKeyProviderOptions {
  /** The variable holding the keys. @defaultValue `'WEFT_ENCRYPTION_KEYS'` */
  readonly variable?: string
  /** Where variables are read from. @defaultValue `process.env` */
  readonly env?: Readonly<Record<string, string | undefined>>
}

/**
 * A provider over an environment variable listing `id:base64key` pairs,
 * comma-separated, newest first: `WEFT_ENCRYPTION_KEYS="k2:<base64>,k1:<base64>"`.
 * Each key is 32 bytes in base64 or base64url (`openssl rand -base64 32`).
 *
 * @throws {@link index!SecurityConfigError} when the variable is unset or empty, an entry is malformed, or a key is not 32 bytes (the message names the key id, never the key).
 * @example
 * ```ts
 * import { createPayloadCodec, envKeyProvider } from 'weft-sdk'
 * const codec = createPayloadCodec(envKeyProvider())
 * ```
 */
export function envKeyProvider(options: EnvKeyProviderOptions = {}): KeyProvider {
  const variable = options.variable ?? 'WEFT_ENCRYPTION_KEYS'
  const value = (options.env ?? process.env)[variable]?.trim()
  if (value === undefined || value === '') throw new SecurityConfigError(`${variable} is not set: give it "id:base64key" pairs, newest first (e.g. k1:$(openssl rand -base64 32))`)
  const keys = value.split(',').map((entry, index) => parseEntry(entry.trim(), `${variable} entry ${index + 1}`))
  return staticKeyProvider(keys, variable)
}

function parseEntry(entry: string, where: string): KeyMaterial {
  const colon = entry.indexOf(':')
  if (colon <= 0) throw new SecurityConfigError(`${where} is not "id:base64key"`)
  return { id: entry.slice(0, colon), key: decodeKey(entry.slice(colon + 1).trim(), `${where} ("${entry.slice(0, Math.min(colon, 64))}")`) }
}

/** The bytes of a base64 or base64url key; a key with other characters is refused (Buffer would skip them). */
function decodeKey(text: string, where: string): Uint8Array {
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) throw new SecurityConfigError(`${where}: the key is not base64`)
  return Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64')
}

/**
 * A provider over a JSON file: `{ "keys": [{ "id": "k2", "key": "<base64>" }, { "id": "k1", "key": "<base64>" }] }`,
 * newest first. Read once, when the provider is made; keep the file readable
 * by the service's user only.
 *
 * @throws {@link index!SecurityConfigError} when the file cannot be read, is not that JSON (the message never quotes the file), or holds a key that is not 32 bytes.
 * @example
 * ```ts
 * import { createPayloadCodec, fileKeyProvider } from 'weft-sdk'
 * const codec = createPayloadCodec(fileKeyProvider('/run/secrets/weft-keys.json'))
 * ```
 */
export function fileKeyProvider(path: string): KeyProvider {
  const source = `key file ${path}`
  const entries = parseKeyFile(readKeyFile(path, source), source)
  const keys = entries.map((entry, index) => {
    const where = `${source}, keys[${index}]`
    if (typeof entry !== 'object' || entry === null) throw new SecurityConfigError(`${where} is not an object { "id", "key" }`)
    const { id, key } = entry as { id?: unknown; key?: unknown }
    if (typeof id !== 'string' || typeof key !== 'string') throw new SecurityConfigError(`${where} needs a string "id" and a string "key" (base64)`)
    return { id, key: decodeKey(key, `${where} ("${id.slice(0, 64)}")`) }
  })
  return staticKeyProvider(keys, source)
}

function readKeyFile(path: string, source: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch (error) {
    const code = (error as { code?: unknown }).code
    throw new SecurityConfigError(`${source} cannot be read (${typeof code === 'string' ? code : 'error'})`)
  }
}

/** The `keys` array of a key file. JSON.parse's own message may quote the file (keys included): it is dropped. */
function parseKeyFile(text: string, source: string): readonly unknown[] {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new SecurityConfigError(`${source} is not valid JSON`)
  }
  const keys = typeof value === 'object' && value !== null ? (value as { keys?: unknown }).keys : undefined
  if (!Array.isArray(keys)) throw new SecurityConfigError(`${source} has no "keys" array: write { "keys": [{ "id": "k1", "key": "<base64>" }] }, newest first`)
  return keys
}
