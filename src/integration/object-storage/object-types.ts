import type { PayloadSchema } from '../../graph/task-context.js'

/**
 * What `put` accepts: a string (stored as UTF-8), bytes, a web
 * `ReadableStream`, or any async iterable of chunks (a Node `Readable`, e.g.
 * `fs.createReadStream(path)`). Streams are read once, chunk by chunk; they
 * are never held in memory whole.
 *
 * @example
 * ```ts
 * import { createReadStream } from 'node:fs'
 * import type { ObjectBody } from 'weft-sdk/object-storage'
 * const bodies: ObjectBody[] = ['hello', new Uint8Array([1, 2, 3]), createReadStream('package.json')]
 * ```
 */
export type ObjectBody = string | Uint8Array | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array | string>

/**
 * Options of one `put`.
 *
 * @example
 * ```ts
 * import type { PutOptions } from 'weft-sdk/object-storage'
 * const options: PutOptions = { contentType: 'application/json', metadata: { author: 'nightly-report' } }
 * ```
 */
export interface PutOptions {
  /** The object's media type. @defaultValue `'application/octet-stream'` */
  readonly contentType?: string
  /** User metadata: names of lower-case letters, digits and `-` (not starting with `weft-`), values of printable ASCII, 2 KiB in all. */
  readonly metadata?: Readonly<Record<string, string>>
}

/**
 * An object as a listing shows it.
 *
 * @example
 * ```ts
 * import type { ObjectSummary } from 'weft-sdk/object-storage'
 * declare const summary: ObjectSummary
 * console.log(`${summary.key}: ${summary.size} bytes, ${summary.lastModified.toISOString()}`)
 * ```
 */
export interface ObjectSummary {
  /** The object's key. */
  readonly key: string
  /** Its size, in bytes. */
  readonly size: number
  /** Its entity tag as the store gives it (quoted), when it gives one. */
  readonly etag: string | undefined
  /** When it was last written. */
  readonly lastModified: Date
}

/**
 * An object's description, as `head` and `put` return it and `get` begins
 * with.
 *
 * @example
 * ```ts
 * import type { ObjectInfo } from 'weft-sdk/object-storage'
 * declare const info: ObjectInfo
 * if (info.sha256 === undefined) console.log(`${info.key} was not written by Weft: its bytes cannot be verified`)
 * ```
 */
export interface ObjectInfo extends ObjectSummary {
  /** Its media type. */
  readonly contentType: string
  /** The user metadata given to `put`. */
  readonly metadata: Readonly<Record<string, string>>
  /** The SHA-256 (hex) of its bytes, recorded when it was written: `get` verifies the bytes against it. `undefined` for an object written by another tool. */
  readonly sha256: string | undefined
  /** The idempotency key of the `put` that wrote it (set by `ctx.use(storage)`), to tell a repeat of the same task call from another writer. */
  readonly idempotencyKey: string | undefined
}

/**
 * An object read by `get`: its description and its body, as a web
 * `ReadableStream` of bytes verified against the SHA-256 recorded when it
 * was written (the stream errors with `ObjectChecksumMismatchError` instead
 * of ending when they differ), with `bytes()`, `text()` and `json()` to read
 * it whole. The body can be read once.
 *
 * @example
 * ```ts
 * import { Schema } from 'effect'
 * import { FileSystemStorage, type StoredObject } from 'weft-sdk/object-storage'
 * const files = new FileSystemStorage({ name: 'files', root: './data' })
 * const Report = Schema.Struct({ total: Schema.Number })
 * const object: StoredObject = await files.get('reports/today.json')
 * const report = await object.json(Report) // { readonly total: number }
 * ```
 */
export interface StoredObject extends ObjectInfo {
  /** The bytes, streamed and verified; errors at its end when they do not match the recorded checksum. */
  readonly body: ReadableStream<Uint8Array>
  /** Reads the whole body. @throws ObjectChecksumMismatchError when its bytes do not match. */
  bytes(): Promise<Uint8Array>
  /** Reads the whole body as UTF-8. @throws ObjectChecksumMismatchError when its bytes do not match. */
  text(): Promise<string>
  /** Reads the whole body as JSON. @throws ObjectDecodeError when it is not JSON; ObjectChecksumMismatchError. */
  json(): Promise<unknown>
  /** Reads the whole body as JSON decoded by `schema`. @throws ObjectDecodeError when it is not JSON or the schema refuses it; ObjectChecksumMismatchError. */
  json<S extends PayloadSchema>(schema: S): Promise<S['Type']>
}

/**
 * Options of one `list` call.
 *
 * @example
 * ```ts
 * import type { ListOptions } from 'weft-sdk/object-storage'
 * const firstPage: ListOptions = { limit: 100 }
 * ```
 */
export interface ListOptions {
  /** Where the previous page ended (its `cursor`); omit it for the first page. */
  readonly cursor?: string
  /** Most objects in the page, 1 to 1,000. @defaultValue 1000 */
  readonly limit?: number
}

/**
 * One page of a listing, in key order (UTF-8 byte order, as S3 sorts).
 *
 * @example
 * ```ts
 * import { FileSystemStorage, type ObjectPage } from 'weft-sdk/object-storage'
 * const files = new FileSystemStorage({ name: 'files', root: './data' })
 * let page: ObjectPage = await files.list('reports/', { limit: 50 })
 * while (page.cursor !== undefined) page = await files.list('reports/', { limit: 50, cursor: page.cursor })
 * ```
 */
export interface ObjectPage {
  /** The objects of this page. */
  readonly objects: readonly ObjectSummary[]
  /** Pass it as `cursor` for the next page; `undefined` on the last page. */
  readonly cursor: string | undefined
}

/**
 * The calls of an object storage: what `ctx.use(storage)` returns, bound to
 * the task attempt (each call carries `ctx.signal` and an idempotency key of
 * its own, `<ctx.idempotencyKey>:<adapter>:<n>`; `put` records it with the
 * object as `idempotencyKey`). `FileSystemStorage` and `S3Storage` have the
 * same calls, with a last `CallOptions` argument for use outside a task.
 *
 * @example
 * ```ts
 * import type { ObjectStorageClient } from 'weft-sdk/object-storage'
 * declare const storage: ObjectStorageClient // ctx.use(this.storage) in a task
 * await storage.put('reports/today.json', JSON.stringify({ total: 3 }), { contentType: 'application/json' })
 * for await (const object of storage.listAll('reports/')) console.log(object.key)
 * ```
 */
export interface ObjectStorageClient {
  /** Writes an object (replacing any under the key) and returns its description. */
  put(key: string, body: ObjectBody, options?: PutOptions): Promise<ObjectInfo>
  /** Reads an object. @throws ObjectNotFoundError */
  get(key: string): Promise<StoredObject>
  /** Describes an object without reading it. @throws ObjectNotFoundError */
  head(key: string): Promise<ObjectInfo>
  /** One page of the objects whose keys start with `prefix`. */
  list(prefix?: string, options?: ListOptions): Promise<ObjectPage>
  /** Every object whose key starts with `prefix`, page after page (`pageSize` per call). */
  listAll(prefix?: string, options?: { readonly pageSize?: number }): AsyncIterable<ObjectSummary>
  /** Deletes an object; deleting a key with no object succeeds (as on S3). */
  delete(key: string): Promise<void>
}
