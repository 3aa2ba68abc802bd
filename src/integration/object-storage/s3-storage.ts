import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdtemp, open, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { AwsClient } from 'aws4fetch'
import { HttpNetworkError, HttpStatusError } from '../../core/integration-errors.js'
import { ObjectNotFoundError, ObjectStorageAccessDeniedError } from '../../core/object-storage-errors.js'
import type { AdapterBaseOptions } from '../adapter-base.js'
import { reveal, type Secret } from '../http/http-auth.js'
import { retryAfterMs } from '../http/http-adapter.js'
import type { BodySource } from './object-body.js'
import { reservedMetadataPrefix } from './object-key.js'
import { ObjectStorage } from './object-storage.js'
import type { ObjectInfo, ObjectPage, PutOptions } from './object-types.js'
import { parseListResult, s3ErrorCode } from './s3-xml.js'

/**
 * Options of {@link S3Storage}.
 *
 * @example
 * ```ts
 * import { Redacted } from 'effect'
 * import { S3Storage, type S3StorageOptions } from 'weft-sdk/object-storage'
 * const options: S3StorageOptions = {
 *   name: 'archive',
 *   endpoint: 'http://127.0.0.1:9000',
 *   bucket: 'archive',
 *   region: 'eu-west-1',
 *   accessKeyId: 'AKIDEXAMPLE',
 *   secretAccessKey: Redacted.make(process.env['S3_SECRET'] ?? ''),
 *   retry: { maxAttempts: 4, backoff: { initial: '200 ms', max: '5 s' } },
 * }
 * const archive = new S3Storage(options)
 * ```
 */
export interface S3StorageOptions extends AdapterBaseOptions {
  /** The server, without the bucket: `https://s3.eu-west-1.amazonaws.com`, `http://127.0.0.1:9000` (MinIO), … Requests are path-style: `<endpoint>/<bucket>/<key>`. */
  readonly endpoint: string
  /** The bucket (it must exist). */
  readonly bucket: string
  /** The region requests are signed for. @defaultValue `'us-east-1'` */
  readonly region?: string
  /** The access key id; redacted from errors and events like the secret. */
  readonly accessKeyId: Secret
  /** The secret access key; never sent, redacted from every error and event. */
  readonly secretAccessKey: Secret
  /** A session token of temporary credentials. */
  readonly sessionToken?: Secret
  /** Where a streamed body is spooled while its SHA-256 is computed (S3 needs the digest and length before the first byte). @defaultValue the system's temporary folder */
  readonly spoolDirectory?: string
}

/** Weft's own metadata on S3 (`x-amz-meta-weft-…`). */
const shaHeader = `x-amz-meta-${reservedMetadataPrefix}sha256`
const idempotencyHeader = `x-amz-meta-${reservedMetadataPrefix}idempotency-key`
const userMetaPrefix = 'x-amz-meta-'

/**
 * Object storage on any S3-compatible server (AWS S3, MinIO, Ceph, R2, …),
 * path-style, requests signed with SigV4 by `aws4fetch` and sent with
 * Node's `fetch`. Every `put` sends its SHA-256 (`x-amz-content-sha256`,
 * signed, and `x-amz-checksum-sha256`, which S3 verifies) and records it as
 * metadata; every `get` verifies the bytes against it on the client, so a
 * server that ignores the checksum headers cannot hand back damaged bytes
 * unnoticed. Bodies stream both ways: a streamed `put` is spooled to a
 * temporary file while it is hashed (S3 needs the digest and length up
 * front; memory stays flat), then uploaded in one `PUT`, so an object is at
 * most 5 GiB (S3's single-PUT limit; multipart upload is not implemented).
 * 404 is `ObjectNotFoundError`, 401/403 `ObjectStorageAccessDeniedError`
 * (not retryable), other statuses `HttpStatusError` (429 and 5xx retryable,
 * `Retry-After` honoured) and a failed connection `HttpNetworkError`
 * (retryable); `aws4fetch`'s own retries are off, the adapter's `retry`
 * policy decides.
 *
 * @example
 * ```ts
 * import { Redacted } from 'effect'
 * import { createEngine } from 'weft-sdk'
 * import { S3Storage } from 'weft-sdk/object-storage'
 * const archive = new S3Storage({
 *   name: 'archive',
 *   endpoint: 'https://s3.eu-west-1.amazonaws.com',
 *   region: 'eu-west-1',
 *   bucket: 'weft-archive',
 *   accessKeyId: process.env['AWS_ACCESS_KEY_ID'] ?? '',
 *   secretAccessKey: Redacted.make(process.env['AWS_SECRET_ACCESS_KEY'] ?? ''),
 *   retry: { maxAttempts: 4, backoff: { initial: '200 ms', max: '5 s' } },
 *   timeout: '30 s',
 * })
 * const engine = createEngine({ adapters: [archive] })
 * // in a task: await ctx.use(archive).put('runs/r-1/report.json', JSON.stringify(report), { contentType: 'application/json' })
 * ```
 */
export class S3Storage extends ObjectStorage {
  readonly kind = 'object-storage'
  private readonly aws: AwsClient
  private readonly bucketUrl: string
  private readonly spoolDirectory: string
  private readonly spools = new Map<BodySource, string>()

  constructor(options: S3StorageOptions) {
    super(options)
    if (typeof options.bucket !== 'string' || options.bucket === '') throw new TypeError(`adapter "${options.name}": S3Storage needs a bucket (options.bucket)`)
    const endpoint = new URL(options.endpoint)
    this.bucketUrl = `${endpoint.origin}${endpoint.pathname.replace(/\/+$/, '')}/${encodeURIComponent(options.bucket)}`
    const [accessKeyId, secretAccessKey] = [reveal(options.accessKeyId), reveal(options.secretAccessKey)]
    const sessionToken = options.sessionToken === undefined ? undefined : reveal(options.sessionToken)
    for (const secret of [accessKeyId, secretAccessKey, sessionToken ?? '']) this.addSecret(secret)
    // retries: 0 — the adapter's retry policy decides (aws4fetch would otherwise retry 5xx ten times on its own).
    this.aws = new AwsClient({ accessKeyId, secretAccessKey, sessionToken, service: 's3', region: options.region ?? 'us-east-1', retries: 0 })
    this.spoolDirectory = options.spoolDirectory ?? tmpdir()
  }

  protected async ping(signal: AbortSignal): Promise<void> {
    await this.send('HEAD', '', this.bucketUrl, { signal })
  }

  /** @internal A stream is spooled to a file while it is hashed, so that its digest and length can be sent first and every attempt can read it again. */
  protected override async prepareBody(source: BodySource, signal: AbortSignal | undefined): Promise<BodySource> {
    if (source.sha256 !== undefined) return source
    const folder = await mkdtemp(join(this.spoolDirectory, 'weft-s3-'))
    const path = join(folder, 'body')
    try {
      const { sha256, size } = await spool(source, path, signal)
      const spooled: BodySource = { size, sha256, open: () => createReadStream(path) }
      this.spools.set(spooled, folder)
      return spooled
    } catch (error) {
      await rm(folder, { recursive: true, force: true })
      throw error
    }
  }

  /** @internal Removes the spooled copy. */
  protected override async releaseBody(source: BodySource): Promise<void> {
    const folder = this.spools.get(source)
    if (folder === undefined) return
    this.spools.delete(source)
    await rm(folder, { recursive: true, force: true })
  }

  protected async putObject(key: string, body: BodySource, options: PutOptions, idempotencyKey: string | undefined, signal: AbortSignal | undefined): Promise<ObjectInfo> {
    const sha256 = body.sha256!
    const headers: Record<string, string> = {
      'content-type': options.contentType ?? 'application/octet-stream',
      'content-length': String(body.size),
      'x-amz-content-sha256': sha256,
      'x-amz-checksum-sha256': Buffer.from(sha256, 'hex').toString('base64'),
      [shaHeader]: sha256,
    }
    if (idempotencyKey !== undefined) headers[idempotencyHeader] = idempotencyKey
    for (const [name, value] of Object.entries(options.metadata ?? {})) headers[`${userMetaPrefix}${name}`] = value
    const stream = Readable.toWeb(Readable.from(body.open())) as ReadableStream<Uint8Array>
    const response = await this.send('PUT', key, this.urlOf(key), { headers, body: stream, signal })
    await response.body?.cancel()
    const date = response.headers.get('date')
    return {
      key,
      size: body.size!,
      etag: response.headers.get('etag') ?? undefined,
      lastModified: date === null ? new Date() : new Date(date),
      contentType: headers['content-type']!,
      metadata: { ...options.metadata },
      sha256,
      idempotencyKey,
    }
  }

  protected async getObject(key: string, signal: AbortSignal | undefined, callerSignal: AbortSignal | undefined): Promise<{ info: ObjectInfo; body: ReadableStream<Uint8Array> }> {
    // The caller's signal too: the body is read after the attempt ended, and a cancelled task must still cut it.
    const signals = [signal, callerSignal].filter((s): s is AbortSignal => s !== undefined)
    const both = signals.length === 0 ? undefined : signals.length === 1 ? signals[0] : AbortSignal.any(signals)
    const response = await this.send('GET', key, this.urlOf(key), { headers: { 'x-amz-checksum-mode': 'ENABLED' }, signal: both })
    const body = response.body ?? new ReadableStream<Uint8Array>({ start: (controller) => controller.close() })
    return { info: infoOf(key, response.headers), body: body as ReadableStream<Uint8Array> }
  }

  protected async headObject(key: string, signal: AbortSignal | undefined): Promise<ObjectInfo> {
    const response = await this.send('HEAD', key, this.urlOf(key), { headers: { 'x-amz-checksum-mode': 'ENABLED' }, signal })
    return infoOf(key, response.headers)
  }

  protected async listObjects(prefix: string, cursor: string | undefined, limit: number, signal: AbortSignal | undefined): Promise<ObjectPage> {
    // ListObjects (v1) with the page's last key as marker, rather than v2's continuation tokens: the same cursor as the
    // local folder's, answered by every S3-compatible server, including those whose v2 tokens are broken (s3rver's
    // need the DES cipher, which OpenSSL 3 no longer offers, so any truncated v2 listing fails there).
    const query = new URLSearchParams({ prefix, 'max-keys': String(limit) })
    if (cursor !== undefined) query.set('marker', cursor)
    const response = await this.send('GET', '', `${this.bucketUrl}?${query.toString().replace(/\+/g, '%20')}`, { signal })
    const { objects, truncated } = parseListResult(await response.text())
    return { objects, cursor: truncated ? objects.at(-1)?.key : undefined }
  }

  protected async deleteObject(key: string, signal: AbortSignal | undefined): Promise<void> {
    const response = await this.send('DELETE', key, this.urlOf(key), { signal }, true)
    if (!response.bodyUsed) await response.body?.cancel()
  }

  private urlOf(key: string): string {
    return `${this.bucketUrl}/${key.split('/').map(encodeSegment).join('/')}`
  }

  /** Signs and sends one request; a status of 300 or more is thrown as its error class (`missingIsFine`: a 404 `NoSuchKey` is an answer). */
  private async send(method: string, key: string, url: string, init: { headers?: Record<string, string>; body?: ReadableStream<Uint8Array>; signal: AbortSignal | undefined }, missingIsFine = false): Promise<Response> {
    let response: Response
    try {
      const request = await this.aws.sign(url, { method, headers: init.headers, body: init.body, signal: init.signal, ...(init.body === undefined ? {} : { duplex: 'half' }) } as RequestInit)
      response = await fetch(request)
    } catch (error) {
      if (init.signal?.aborted) throw init.signal.reason
      throw new HttpNetworkError(this.name, method, key === '' ? '(the bucket)' : key, this.redact(networkReason(error)))
    }
    if (response.status < 300) return response
    const text = method === 'HEAD' ? '' : await response.text().catch(() => '')
    const code = s3ErrorCode(text)
    if (response.status === 404 && missingIsFine && code !== 'NoSuchBucket') return response
    if (response.status === 404) throw new ObjectNotFoundError(this.name, key, code === undefined || code === 'NoSuchKey' ? undefined : code)
    if (response.status === 401 || response.status === 403) throw new ObjectStorageAccessDeniedError(this.name, method, key, response.status, code)
    throw new HttpStatusError(this.name, method, key === '' ? '(the bucket)' : key, response.status, this.redact(text.slice(0, 200)), retryAfterMs(response.headers.get('retry-after')))
  }
}

/** An object's description from the headers of a GET or HEAD answer. */
function infoOf(key: string, headers: Headers): ObjectInfo {
  const metadata: Record<string, string> = {}
  headers.forEach((value, name) => {
    if (name.startsWith(userMetaPrefix) && !name.startsWith(`${userMetaPrefix}${reservedMetadataPrefix}`)) metadata[name.slice(userMetaPrefix.length)] = value
  })
  const modified = headers.get('last-modified')
  return {
    key,
    size: Number(headers.get('content-length') ?? 0),
    etag: headers.get('etag') ?? undefined,
    lastModified: modified === null ? new Date(0) : new Date(modified),
    contentType: headers.get('content-type') ?? 'application/octet-stream',
    metadata,
    sha256: headers.get(shaHeader) ?? checksumOf(headers),
    idempotencyKey: headers.get(idempotencyHeader) ?? undefined,
  }
}

/** The object's full-object SHA-256 that S3 itself keeps (for objects written by other tools), hex; a multipart composite (`…-N`) covers parts, not the object. */
function checksumOf(headers: Headers): string | undefined {
  const checksum = headers.get('x-amz-checksum-sha256')
  if (checksum === null || checksum.includes('-')) return undefined
  return Buffer.from(checksum, 'base64').toString('hex')
}

/** A path segment encoded as SigV4 wants it (RFC 3986: `!'()*` too). */
function encodeSegment(segment: string): string {
  return encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
}

/** Writes a body to `path`, hashing it; checks `signal` between chunks. */
async function spool(source: BodySource, path: string, signal: AbortSignal | undefined): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256')
  let size = 0
  const handle = await open(path, 'wx')
  try {
    for await (const chunk of source.open()) {
      signal?.throwIfAborted()
      hash.update(chunk)
      size += chunk.byteLength
      await handle.write(chunk)
    }
  } finally {
    await handle.close()
  }
  return { sha256: hash.digest('hex'), size }
}

/** What a failed `fetch` says: the system error's code (`ECONNREFUSED`), else the message. */
function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause
  if (typeof cause?.code === 'string') return cause.code
  if (typeof cause?.message === 'string') return cause.message
  return error instanceof Error ? error.message : String(error)
}
