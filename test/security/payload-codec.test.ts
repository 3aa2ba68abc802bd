// The payload codec: AES-256-GCM round trips, every edit refused, a ciphertext moved to another location refused,
// unknown keys and format versions named, rotation, and the key providers (keys of the wrong size, never printed).
import { createCipheriv, createSecretKey, randomBytes } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inspect } from 'node:util'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DecryptionError, SecurityConfigError, UnknownKeyError } from '../../src/core/security-errors.js'
import { envKeyProvider, fileKeyProvider, staticKeyProvider } from '../../src/security/key-provider.js'
import { createPayloadCodec } from '../../src/security/payload-codec.js'
import { clearValueCodec, type ValueLocation } from '../../src/storage/value-codec.js'
import { testSeed } from '../support/seed.js'

const k1 = randomBytes(32)
const k2 = randomBytes(32)
const keysV1 = staticKeyProvider([{ id: 'k1', key: k1 }])
const keysV2 = staticKeyProvider([{ id: 'k2', key: k2 }, { id: 'k1', key: k1 }])
const codec = createPayloadCodec(keysV1)
/** Refuses clear values too: an edit of the `wenc` prefix makes a clear value, which only this codec refuses. */
const strict = createPayloadCodec(keysV1, { allowClear: false })
const here: ValueLocation = { runId: 'r-1', record: 'task:load', field: 'output' }
const secret = '{"card":"4111-1111-1111-1111"}'

/** What `run` throws (fails the test when it returns). */
function thrown(run: () => unknown): unknown {
  try {
    run()
  } catch (error) {
    return error
  }
  throw new Error('expected an error')
}

describe('payload codec', () => {
  it('exposes its key ids, newest first, and no key material with them', () => {
    const ids = createPayloadCodec(keysV2).keyIds()
    expect(ids).toEqual({ current: 'k2', known: ['k2', 'k1'] })
    const text = JSON.stringify(ids)
    for (const key of [k1, k2]) for (const encoding of ['hex', 'base64', 'base64url'] as const) expect(text).not.toContain(key.toString(encoding))
  })

  it('decrypts what it encrypted at the same location', () => {
    const stored = codec.encode(secret, here)
    expect(stored).toMatch(/^wenc1\.k1\.[A-Za-z0-9_-]+$/)
    expect(stored).not.toContain('4111')
    expect(codec.decode(stored, here)).toBe(secret)
  })

  it('draws a new nonce for every value (the same text encrypts differently)', () => {
    expect(codec.encode(secret, here)).not.toBe(codec.encode(secret, here))
  })

  it('refuses a change of any character of the stored text', () => {
    const stored = codec.encode(secret, here)
    for (let i = 0; i < stored.length; i++) {
      const replacement = stored[i] === 'A' ? 'B' : 'A'
      const edited = stored.slice(0, i) + replacement + stored.slice(i + 1)
      const error = thrown(() => strict.decode(edited, here))
      expect(error instanceof DecryptionError || error instanceof UnknownKeyError, `position ${i}`).toBe(true)
      // The default codec reads clear values: past the 'wenc' prefix, an edit is refused by it too.
      if (i >= 4) expect(thrown(() => codec.decode(edited, here)), `position ${i}`).toEqual(error)
    }
  })

  it('refuses a flipped bit in any byte of the nonce, ciphertext and tag', () => {
    const stored = codec.encode(secret, here)
    const body = Buffer.from(stored.split('.')[2]!, 'base64url')
    for (let i = 0; i < body.length; i++) {
      const edited = Buffer.from(body)
      edited[i]! ^= 1
      const error = thrown(() => codec.decode(`wenc1.k1.${edited.toString('base64url')}`, here)) as DecryptionError
      expect(error, `byte ${i}`).toBeInstanceOf(DecryptionError)
      expect(error.code).toBe('WEFT_DECRYPTION_FAILED')
    }
  })

  it.each([
    ['another run', { ...here, runId: 'r-2' }],
    ['another step', { ...here, record: 'task:charge' }],
    ['another field', { ...here, field: 'error' }],
    ['the run itself', { runId: 'r-1', record: '', field: 'output' }],
  ])('refuses a ciphertext moved to %s, naming where it was read', (_what, elsewhere: ValueLocation) => {
    const error = thrown(() => codec.decode(codec.encode(secret, here), elsewhere)) as DecryptionError
    expect(error).toBeInstanceOf(DecryptionError)
    expect(error.location).toContain(`run ${elsewhere.runId}`)
    expect(error.message).toContain(elsewhere.field)
    expect(error.message).not.toContain('4111')
  })

  it('names the step and field of a moved value in its message', () => {
    const error = thrown(() => codec.decode(codec.encode(secret, here), { ...here, record: 'task:charge' })) as DecryptionError
    expect(error.message).toBe('cannot decrypt run r-1, step "task:charge", output: the authentication tag does not match: the value was altered, truncated, or copied from another location')
  })

  it('refuses a ciphertext cut short at any length', () => {
    const stored = codec.encode(secret, here)
    for (let length = stored.length - 1; length > 0; length--) {
      const error = thrown(() => (length >= 4 ? codec : strict).decode(stored.slice(0, length), here))
      expect(error instanceof DecryptionError || error instanceof UnknownKeyError, `length ${length}`).toBe(true)
    }
  })

  it('names an unknown key id (and the location), never a key', () => {
    const stored = createPayloadCodec(staticKeyProvider([{ id: 'k9', key: randomBytes(32) }])).encode(secret, here)
    const error = thrown(() => codec.decode(stored, here)) as UnknownKeyError
    expect(error).toBeInstanceOf(UnknownKeyError)
    expect(error.keyId).toBe('k9')
    expect(error.location).toBe('run r-1, step "task:load", output')
  })

  it('refuses a key id that is not a key id, without printing it', () => {
    const body = codec.encode(secret, here).split('.')[2]!
    for (const keyId of ['k\u001b[31m', 'k'.repeat(65), 'k 1']) {
      const error = thrown(() => codec.decode(`wenc1.${keyId}.${body}`, here)) as DecryptionError
      expect(error).toBeInstanceOf(DecryptionError)
      expect(error.message).not.toContain(keyId)
    }
  })

  it('refuses a value with no key id', () => {
    expect(thrown(() => codec.decode(`wenc1..${'A'.repeat(40)}`, here))).toBeInstanceOf(DecryptionError)
    expect(thrown(() => codec.decode('wenc1.k1', here))).toBeInstanceOf(DecryptionError)
  })

  it('refuses an unknown format version, naming it', () => {
    const stored = codec.encode(secret, here).replace(/^wenc1/, 'wenc2')
    const error = thrown(() => codec.decode(stored, here)) as DecryptionError
    expect(error).toBeInstanceOf(DecryptionError)
    expect(error.problem).toContain('unknown format "wenc2"')
  })

  it('reads clear values by default and refuses them when told to', () => {
    expect(codec.decode('{"a":1}', here)).toBe('{"a":1}')
    expect(thrown(() => createPayloadCodec(keysV1, { allowClear: false }).decode('{"a":1}', here))).toBeInstanceOf(DecryptionError)
  })

  it('writes with the newest key after a rotation and still reads the old one', () => {
    const before = codec.encode(secret, here)
    const rotated = createPayloadCodec(keysV2)
    const after = rotated.encode(secret, here)
    expect(rotated.keyIdOf(after)).toBe('k2')
    expect(rotated.keyIdOf(before)).toBe('k1')
    expect(rotated.decode(before, here)).toBe(secret)
    expect(rotated.decode(after, here)).toBe(secret)
    expect(thrown(() => codec.decode(after, here))).toBeInstanceOf(UnknownKeyError)
  })

  it('round-trips any string (property)', () => {
    const seed = testSeed('test/security/payload-codec.test.ts')
    const location = fc.record({ runId: fc.string(), record: fc.string(), field: fc.string() })
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), location, (text, at) => codec.decode(codec.encode(text, at), at) === text),
      { seed, numRuns: 500 },
    )
  })

  it('the clear codec refuses an encrypted value with a configuration error', () => {
    const error = thrown(() => clearValueCodec.decode(codec.encode(secret, here), here)) as SecurityConfigError
    expect(error).toBeInstanceOf(SecurityConfigError)
    expect(error.message).toContain('run r-1, step "task:load", output is encrypted')
  })

  it('measures µs per encrypt and decrypt of a 1 KiB value', () => {
    const text = JSON.stringify({ note: 'x'.repeat(1000) }).slice(0, 1024)
    const rounds = 5000
    const stored = codec.encode(text, here)
    for (let i = 0; i < 500; i++) codec.decode(codec.encode(text, here), here)
    let start = process.hrtime.bigint()
    for (let i = 0; i < rounds; i++) codec.encode(text, here)
    const encryptUs = Number(process.hrtime.bigint() - start) / 1000 / rounds
    start = process.hrtime.bigint()
    for (let i = 0; i < rounds; i++) codec.decode(stored, here)
    const decryptUs = Number(process.hrtime.bigint() - start) / 1000 / rounds
    // The floor on this machine at this moment: AES-256-GCM of the same bytes alone (a fixed nonce, no encoding).
    const key = createSecretKey(k1)
    const nonce = randomBytes(12)
    const bytes = Buffer.from(text)
    start = process.hrtime.bigint()
    for (let i = 0; i < rounds; i++) {
      const cipher = createCipheriv('aes-256-gcm', key, nonce)
      cipher.update(bytes)
      cipher.final()
      cipher.getAuthTag()
    }
    const floorUs = Number(process.hrtime.bigint() - start) / 1000 / rounds
    console.log(`payload codec, 1 KiB value: encrypt ${encryptUs.toFixed(1)} µs, decrypt ${decryptUs.toFixed(1)} µs; bare AES-256-GCM ${floorUs.toFixed(1)} µs`)
    expect(codec.decode(stored, here)).toBe(text)
  })
})

describe('key providers', () => {
  const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64')

  it('reads the environment variable newest first', () => {
    const keys = envKeyProvider({ env: { WEFT_ENCRYPTION_KEYS: `k2:${b64(k2)}, k1:${Buffer.from(k1).toString('base64url')}` } })
    expect(keys.ids()).toEqual(['k2', 'k1'])
    expect(keys.current().id).toBe('k2')
    expect(createPayloadCodec(keys).decode(codec.encode(secret, here), here)).toBe(secret)
  })

  it.each([
    ['unset', undefined, 'WEFT_ENCRYPTION_KEYS is not set'],
    ['a 16-byte key', `k1:${b64(randomBytes(16))}`, 'key "k1" is 16 bytes; AES-256 needs exactly 32'],
    ['a 33-byte key', `k1:${b64(randomBytes(33))}`, 'key "k1" is 33 bytes'],
    ['an entry without id', b64(k1), 'entry 1 is not "id:base64key"'],
    ['a key that is not base64', 'k1:not base64!', 'the key is not base64'],
    ['an id repeated', `k1:${b64(k1)},k1:${b64(k2)}`, 'key id "k1" is given twice'],
    ['an id with a dot', `k.1:${b64(k1)}`, 'is not 1-64 letters'],
  ])('refuses %s with a SecurityConfigError that does not quote the key', (_what, value, message) => {
    const error = thrown(() => envKeyProvider({ env: { WEFT_ENCRYPTION_KEYS: value } })) as SecurityConfigError
    expect(error).toBeInstanceOf(SecurityConfigError)
    expect(error.message).toContain(message)
    if (value !== undefined) expect(error.message).not.toContain(value.split(':').pop()!.slice(0, 12))
  })

  it('reads a JSON key file newest first', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'weft-keys-')), 'keys.json')
    writeFileSync(path, JSON.stringify({ keys: [{ id: 'k2', key: b64(k2) }, { id: 'k1', key: b64(k1) }] }))
    const keys = fileKeyProvider(path)
    expect(keys.ids()).toEqual(['k2', 'k1'])
    expect(createPayloadCodec(keys).decode(codec.encode(secret, here), here)).toBe(secret)
  })

  it('refuses a key file with a short key, or broken JSON, without quoting it', () => {
    const folder = mkdtempSync(join(tmpdir(), 'weft-keys-'))
    const short = join(folder, 'short.json')
    writeFileSync(short, JSON.stringify({ keys: [{ id: 'k1', key: b64(randomBytes(31)) }] }))
    expect((thrown(() => fileKeyProvider(short)) as Error).message).toContain('key "k1" is 31 bytes')
    const broken = join(folder, 'broken.json')
    writeFileSync(broken, `{"keys":[{"id":"k1","key":"${b64(k1)}"}`)
    const error = thrown(() => fileKeyProvider(broken)) as SecurityConfigError
    expect(error).toBeInstanceOf(SecurityConfigError)
    expect(error.message).not.toContain(b64(k1).slice(0, 8))
    expect(thrown(() => fileKeyProvider(join(folder, 'missing.json')))).toBeInstanceOf(SecurityConfigError)
  })

  it('never shows key material in inspect or JSON output', () => {
    const keys = staticKeyProvider([{ id: 'k1', key: createSecretKey(k1) }])
    const printed = `${inspect(keys, { depth: 10, showHidden: true })}${JSON.stringify(keys)}${inspect(keys.current(), { depth: 10 })}`
    for (const form of [k1.toString('base64'), k1.toString('hex'), k1.toString('base64url')]) expect(printed).not.toContain(form.slice(0, 12))
    expect(printed).toContain('k1')
  })
})
