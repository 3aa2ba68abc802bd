// Signed checkpoints of the audit log: every writer's chain heads at a moment, signed with Ed25519 and kept
// outside the table (a CheckpointSink; a JSON-lines file built in), so a rewritten or truncated table no longer
// matches what was signed. Ed25519 rather than HMAC: the verifier holds only the public key, so whoever can
// verify the log cannot forge a checkpoint.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto'
import { open } from 'node:fs/promises'
import { inspect } from 'node:util'
import { SecurityConfigError } from '../core/security-errors.js'

/**
 * A chain's head as a checkpoint saw it.
 *
 * @example
 * ```ts
 * import type { CheckpointHead } from 'weft-sdk/store'
 * const head: CheckpointHead = { index: 41, hash: 'e3b0c442…' }
 * ```
 */
export interface CheckpointHead {
  /** The chain's last entry's index then. */
  readonly index: number
  /** That entry's hash. */
  readonly hash: string
}

/**
 * A signed statement of a writer: "at `at`, my chains ended at these entries".
 *
 * @example
 * ```ts
 * import type { AuditCheckpoint } from 'weft-sdk/store'
 * declare const checkpoint: AuditCheckpoint
 * for (const [chain, head] of Object.entries(checkpoint.heads)) console.log(`${chain}: ${head.index} ${head.hash}`)
 * ```
 */
export interface AuditCheckpoint {
  /** The format's version. */
  readonly version: 1
  /** The writer (an engine's id) whose chains these are. */
  readonly writer: string
  /** When it was signed (epoch milliseconds). */
  readonly at: number
  /** Each chain's head, by chain. */
  readonly heads: Readonly<Record<string, CheckpointHead>>
  /** The signing key's id (see {@link AuditSigner.keyId}). */
  readonly keyId: string
  /** The Ed25519 signature of {@link checkpointPayload}, base64url. */
  readonly signature: string
}

/**
 * Where checkpoints go: outside the audit table (a file, an object store,
 * another database). Weft's is {@link FileCheckpointSink}.
 *
 * @example
 * ```ts
 * import type { CheckpointSink } from 'weft-sdk'
 * const lines: string[] = []
 * const sink: CheckpointSink = { async write(checkpoint) { lines.push(JSON.stringify(checkpoint)) } }
 * ```
 */
export interface CheckpointSink {
  /** Keeps a checkpoint durably before resolving. */
  write(checkpoint: AuditCheckpoint): Promise<void>
}

/**
 * The bytes a checkpoint's signature covers: a JSON array of its version,
 * writer, time, heads (sorted by chain) and key id.
 *
 * @example
 * ```ts
 * import { checkpointPayload } from 'weft-sdk'
 * declare const checkpoint: import('weft-sdk/store').AuditCheckpoint
 * const signed = checkpointPayload(checkpoint)
 * ```
 */
export function checkpointPayload(checkpoint: Omit<AuditCheckpoint, 'signature'>): string {
  const heads = Object.keys(checkpoint.heads)
    .sort()
    .map((chain) => [chain, checkpoint.heads[chain]!.index, checkpoint.heads[chain]!.hash])
  return JSON.stringify(['weft-audit-checkpoint/1', checkpoint.writer, checkpoint.at, heads, checkpoint.keyId])
}

/**
 * A public key's id: the first 16 hex digits of the SHA-256 of its DER form.
 *
 * @example
 * ```ts
 * import { auditKeyId, generateAuditKeys } from 'weft-sdk'
 * const { publicKey } = generateAuditKeys()
 * auditKeyId(publicKey) // e.g. '9f86d081884c7d65'
 * ```
 */
export function auditKeyId(publicKey: KeyObject | string): string {
  const key = typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey
  return createHash('sha256').update(key.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16)
}

/**
 * A new Ed25519 key pair for checkpoints, as PEM: keep the private key with
 * the writers (a secret), give the public key to whoever verifies.
 *
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs'
 * import { generateAuditKeys } from 'weft-sdk'
 * const { privateKey, publicKey } = generateAuditKeys()
 * writeFileSync('audit-key.pem', privateKey, { mode: 0o600 })
 * writeFileSync('audit-key.pub.pem', publicKey)
 * ```
 */
export function generateAuditKeys(): {
  /** The private key, PKCS #8 PEM: what `AuditSigner` takes (a secret). */
  readonly privateKey: string
  /** The public key, SPKI PEM: what `verifyAudit` takes in `publicKeys`. */
  readonly publicKey: string
} {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  return { privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString() }
}

/**
 * Signs checkpoints with an Ed25519 private key. The key is held in a
 * private field: the signer prints, inspects and serializes as its key id.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs'
 * import { AuditSigner } from 'weft-sdk'
 * const signer = new AuditSigner(readFileSync('audit-key.pem', 'utf8'))
 * console.log(`${signer}`) // AuditSigner(9f86d081884c7d65)
 * ```
 * @throws `SecurityConfigError` when the key is not an Ed25519 private key.
 */
export class AuditSigner {
  readonly #key: KeyObject
  /** The id of the key's public half, written in every checkpoint. */
  readonly keyId: string
  /** The public half (PEM), for verifiers. */
  readonly publicKey: string

  constructor(privateKey: KeyObject | string) {
    const key = toPrivateKey(privateKey)
    this.#key = key
    const publicKey = createPublicKey(key)
    this.keyId = auditKeyId(publicKey)
    this.publicKey = publicKey.export({ type: 'spki', format: 'pem' }).toString()
  }

  /** `checkpoint` signed. */
  sign(checkpoint: Omit<AuditCheckpoint, 'signature' | 'keyId'>): AuditCheckpoint {
    const unsigned = { ...checkpoint, keyId: this.keyId }
    return { ...unsigned, signature: sign(null, Buffer.from(checkpointPayload(unsigned), 'utf8'), this.#key).toString('base64url') }
  }

  /** `AuditSigner(<keyId>)`: the key id, never the private key. */
  toString(): string {
    return `AuditSigner(${this.keyId})`
  }

  /** What `JSON.stringify` writes for the signer: `AuditSigner(<keyId>)`, never the private key. */
  toJSON(): string {
    return this.toString()
  }

  /** What `util.inspect` and `console.log` show for the signer: `AuditSigner(<keyId>)`, never the private key. */
  [inspect.custom](): string {
    return this.toString()
  }
}

function toPrivateKey(key: KeyObject | string): KeyObject {
  let object: KeyObject
  try {
    object = typeof key === 'string' ? createPrivateKey(key) : key
  } catch {
    throw new SecurityConfigError('the audit signing key is not a PEM private key (generate one with generateAuditKeys())')
  }
  if (object.type !== 'private' || object.asymmetricKeyType !== 'ed25519') {
    throw new SecurityConfigError(`the audit signing key must be an Ed25519 private key; got a ${object.asymmetricKeyType ?? 'secret'} ${object.type} key`)
  }
  return object
}

/**
 * Whether `checkpoint`'s signature is valid under one of `publicKeys`
 * (the one whose id it names).
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs'
 * import { isCheckpointSigned } from 'weft-sdk/store'
 * declare const checkpoint: import('weft-sdk/store').AuditCheckpoint
 * const valid = isCheckpointSigned(checkpoint, [readFileSync('audit-key.pub.pem', 'utf8')])
 * ```
 */
export function isCheckpointSigned(checkpoint: AuditCheckpoint, publicKeys: readonly (KeyObject | string)[]): boolean {
  const key = publicKeys.map((k) => (typeof k === 'string' ? createPublicKey(k) : k)).find((k) => auditKeyId(k) === checkpoint.keyId)
  if (key === undefined || typeof checkpoint.signature !== 'string') return false
  try {
    const { signature, ...unsigned } = checkpoint
    return verify(null, Buffer.from(checkpointPayload(unsigned), 'utf8'), key, Buffer.from(signature, 'base64url'))
  } catch {
    return false
  }
}

/**
 * A {@link CheckpointSink} that appends each checkpoint as one JSON line to
 * a file and fsyncs it before resolving (writes of one sink in order).
 *
 * @example
 * ```ts
 * import { FileCheckpointSink } from 'weft-sdk'
 * const sink = new FileCheckpointSink('/var/lib/weft/audit-checkpoints.jsonl')
 * ```
 */
export class FileCheckpointSink implements CheckpointSink {
  private last: Promise<void> = Promise.resolve()

  constructor(
    /** The file (created when missing). */
    readonly path: string,
  ) {}

  write(checkpoint: AuditCheckpoint): Promise<void> {
    const written = this.last.then(() => appendSynced(this.path, `${JSON.stringify(checkpoint)}\n`))
    this.last = written.catch(() => undefined)
    return written
  }
}

async function appendSynced(path: string, line: string): Promise<void> {
  const file = await open(path, 'a', 0o644)
  try {
    await file.appendFile(line, 'utf8')
    await file.sync()
  } finally {
    await file.close()
  }
}
