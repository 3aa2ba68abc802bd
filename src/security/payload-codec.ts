// Encryption at rest: the payload codec that durable stores run every stored value through (the storage port
// ValueCodec). AES-256-GCM from node:crypto, a random 96-bit nonce per value, the key id in every ciphertext, and
// the value's location (run, record, column) as authenticated data, so a ciphertext altered, truncated or copied to
// another row does not decrypt. The format is text, one line:
//
//   wenc1.<key id>.<base64url(nonce 12 bytes | ciphertext | tag 16 bytes)>
//
// Serialized JSON never starts with "w": a reader tells encrypted values from clear ones by the prefix.
import { createCipheriv, createDecipheriv, randomBytes, type KeyObject } from 'node:crypto'
import { DecryptionError, UnknownKeyError } from '../core/security-errors.js'
import { describeLocation, encryptedValuePrefix, type CodecKeyIds, type ValueCodec, type ValueLocation } from '../storage/value-codec.js'
import type { KeyProvider } from './key-provider.js'

const version = `${encryptedValuePrefix}1`
const nonceBytes = 12
const tagBytes = 16
const base64url = /^[A-Za-z0-9_-]*$/
const keyIdPattern = /^[A-Za-z0-9_-]{1,64}$/

// Nonces are drawn from the CSPRNG 4 KiB at a time and each 12 bytes used once: one call per 341 values
// instead of one per value (a call costs about as much as encrypting 1 KiB).
const noncePoolBytes = nonceBytes * 341
let noncePool = Buffer.alloc(0)
let nonceOffset = 0

/** 12 fresh random bytes, never handed out twice. */
function freshNonce(): Buffer {
  if (nonceOffset + nonceBytes > noncePool.length) {
    noncePool = randomBytes(noncePoolBytes)
    nonceOffset = 0
  }
  nonceOffset += nonceBytes
  return noncePool.subarray(nonceOffset - nonceBytes, nonceOffset)
}

/**
 * Options of {@link createPayloadCodec}.
 *
 * @example
 * ```ts
 * import { createPayloadCodec, envKeyProvider, type PayloadCodecOptions } from 'weft-sdk'
 * const options: PayloadCodecOptions = { allowClear: false } // every stored value is encrypted already
 * const codec = createPayloadCodec(envKeyProvider(), options)
 * ```
 */
export interface PayloadCodecOptions {
  /**
   * Whether clear (unencrypted) values are read as they are: values written
   * before encryption was turned on, until `weft keys rotate` encrypts them.
   * Set it to `false` once every value is encrypted, so that a clear value put
   * in place of a ciphertext is refused.
   * @defaultValue `true`
   */
  readonly allowClear?: boolean
}

/**
 * The encrypting {@link store!ValueCodec}, also usable on its own: `encode`
 * encrypts with the provider's newest key, `decode` decrypts with the key the
 * value names.
 *
 * @example
 * ```ts
 * import { createPayloadCodec, envKeyProvider, type PayloadCodec } from 'weft-sdk'
 * const codec: PayloadCodec = createPayloadCodec(envKeyProvider())
 * codec.keyIdOf('wenc1.k2.AAAA') // 'k2'
 * ```
 */
export interface PayloadCodec extends ValueCodec {
  /** The provider's key ids: `current` encrypts, `known` (newest first) decrypt. Ids only, never key material. */
  keyIds(): CodecKeyIds
  /** The key id an encrypted value names, `undefined` for a clear value. */
  keyIdOf(stored: string): string | undefined
  /** The provider of the keys. */
  readonly keys: KeyProvider
}

/**
 * The payload codec over a key provider: give it to a durable store
 * (`sqliteStore({ codec })`, `postgresStore({ codec })`) to encrypt run
 * inputs, step outputs and histories, event payloads and error records.
 *
 * @throws at decode: {@link index!DecryptionError} (naming the location, never the value) when a value was altered, truncated, copied from another location or has an unknown format version; {@link index!UnknownKeyError} when it names a key the provider does not have.
 * @example
 * ```ts
 * import { createPayloadCodec, envKeyProvider, sqliteStore } from 'weft-sdk'
 * // WEFT_ENCRYPTION_KEYS="k2:<base64 of 32 bytes>,k1:<...>", newest first
 * const store = sqliteStore({ path: 'runs.sqlite', codec: createPayloadCodec(envKeyProvider()) })
 * ```
 */
export function createPayloadCodec(keys: KeyProvider, options: PayloadCodecOptions = {}): PayloadCodec {
  const allowClear = options.allowClear ?? true
  return {
    keys,
    encode: (text, location) => encrypt(keys, text, location),
    decode: (stored, location) => (stored.startsWith(encryptedValuePrefix) || !allowClear ? decrypt(keys, stored, location) : stored),
    isCurrent: (stored) => stored.startsWith(`${version}.${keys.current().id}.`),
    keyIds: () => ({ current: keys.current().id, known: [...keys.ids()] }),
    keyIdOf: (stored) => (stored.startsWith(`${version}.`) ? stored.slice(version.length + 1, stored.indexOf('.', version.length + 1)) : undefined),
  }
}

/** The authenticated data of a value: the format, its key id and its location, unambiguously joined. */
function additionalData(keyId: string, location: ValueLocation): Buffer {
  return Buffer.from(JSON.stringify([version, keyId, location.runId, location.record, location.field]), 'utf8')
}

function encrypt(keys: KeyProvider, text: string, location: ValueLocation): string {
  const { id, key } = keys.current()
  const nonce = freshNonce()
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: tagBytes })
  cipher.setAAD(additionalData(id, location))
  const body = Buffer.concat([nonce, cipher.update(text, 'utf8'), cipher.final(), cipher.getAuthTag()])
  return `${version}.${id}.${body.toString('base64url')}`
}

function decrypt(keys: KeyProvider, stored: string, location: ValueLocation): string {
  const where = describeLocation(location)
  const { keyId, body } = parseCiphertext(stored, where)
  const key = keys.get(keyId)
  if (key === undefined) throw new UnknownKeyError(keyId, where)
  return open(key, keyId, body, location, where)
}

/** The key id and the decoded body of a stored value, refusing anything that is not exactly the format. */
function parseCiphertext(stored: string, where: string): { keyId: string; body: Buffer } {
  if (!stored.startsWith(encryptedValuePrefix)) throw new DecryptionError(where, 'the value is not encrypted, and this codec refuses clear values')
  const [prefix, keyId, data, ...rest] = stored.split('.')
  if (prefix !== version) throw new DecryptionError(where, `unknown format ${JSON.stringify((prefix ?? '').slice(0, 16))} (this Weft reads ${version}; written by a newer Weft?)`)
  if (keyId === undefined || data === undefined || rest.length > 0) throw new DecryptionError(where, 'the value is not "wenc1.<key id>.<data>"')
  // The id is checked before it is named in an error: a stored value is not trusted to be printable.
  if (!keyIdPattern.test(keyId)) throw new DecryptionError(where, 'its key id is not 1-64 letters, digits, "_" or "-"')
  if (!base64url.test(data)) throw new DecryptionError(where, 'its data is not base64url')
  const body = Buffer.from(data, 'base64url')
  if (body.length < nonceBytes + tagBytes || !canonicalEnd(data)) throw new DecryptionError(where, 'the value is truncated or altered')
  return { keyId, body }
}

const base64urlAlphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/**
 * Whether the last character of unpadded base64url sets none of the bits that
 * fall past the data: Buffer ignores them, so an edit there would go unseen.
 */
function canonicalEnd(data: string): boolean {
  const rest = data.length % 4
  if (rest === 0) return true
  if (rest === 1) return false
  const unused = rest === 2 ? 0b1111 : 0b11
  return (base64urlAlphabet.indexOf(data[data.length - 1]!) & unused) === 0
}

function open(key: KeyObject, keyId: string, body: Buffer, location: ValueLocation, where: string): string {
  const decipher = createDecipheriv('aes-256-gcm', key, body.subarray(0, nonceBytes), { authTagLength: tagBytes })
  decipher.setAAD(additionalData(keyId, location))
  decipher.setAuthTag(body.subarray(body.length - tagBytes))
  try {
    return Buffer.concat([decipher.update(body.subarray(nonceBytes, body.length - tagBytes)), decipher.final()]).toString('utf8')
  } catch {
    throw new DecryptionError(where, 'the authentication tag does not match: the value was altered, truncated, or copied from another location')
  }
}
