import type { CallContext } from '../../graph/call-context.js'
import { AdapterBase, type AdapterBaseOptions, type CallOptions } from '../adapter-base.js'
import { bodySource, storedObject, type BodySource } from './object-body.js'
import { assertObjectKey, assertObjectMetadata } from './object-key.js'
import type { ListOptions, ObjectBody, ObjectInfo, ObjectPage, ObjectStorageClient, ObjectSummary, PutOptions, StoredObject } from './object-types.js'

const defaultPageSize = 1000

/**
 * The one contract of Weft's object storages ({@link FileSystemStorage},
 * {@link S3Storage}): `put`, `get`, `head`, `list`, `listAll` and `delete`,
 * keys and metadata checked by one rule, SHA-256 checksums computed on
 * write and verified on read, each call under the adapter's policies
 * (operations `put`, `get`, `head`, `list`, `delete`), counted and reported
 * like every adapter's. `ctx.use(storage)` gives the calls bound to a task
 * attempt.
 *
 * @example
 * ```ts
 * import { FileSystemStorage, S3Storage, type ObjectStorage } from 'weft-sdk/object-storage'
 * const storage: ObjectStorage = process.env['S3_ENDPOINT']
 *   ? new S3Storage({ name: 'reports', endpoint: process.env['S3_ENDPOINT'], bucket: 'reports', accessKeyId: 'id', secretAccessKey: 'secret' })
 *   : new FileSystemStorage({ name: 'reports', root: './reports' })
 * await storage.put('hello.txt', 'hello', { contentType: 'text/plain' })
 * console.log(await (await storage.get('hello.txt')).text())
 * ```
 */
export abstract class ObjectStorage extends AdapterBase<ObjectStorageClient> {
  protected constructor(options: AdapterBaseOptions) {
    super(options)
  }

  /**
   * Writes an object, replacing any under the key: the body is streamed,
   * its SHA-256 recorded with the object, the idempotency key of `call`
   * recorded too.
   * @throws InvalidObjectKeyError, InvalidObjectMetadataError (before anything is written); the backend's errors; a policy's error.
   */
  async put(key: string, body: ObjectBody, options: PutOptions = {}, call: CallOptions = {}): Promise<ObjectInfo> {
    assertObjectKey(this.name, key)
    assertObjectMetadata(this.name, options.metadata ?? {})
    const source = await this.prepareBody(bodySource(body), call.signal)
    try {
      return await this.call('put', call, (signal) => this.putObject(key, source, options, call.idempotencyKey, signal))
    } finally {
      await this.releaseBody(source)
    }
  }

  /**
   * Reads an object: its description, and its body as a stream verified
   * against the recorded SHA-256 (see {@link StoredObject}). The call's
   * policies cover the request up to the first byte of the body; reading the
   * body is the caller's (a retry after a broken body is the task's).
   * @throws ObjectNotFoundError; InvalidObjectKeyError; the backend's errors.
   */
  async get(key: string, call: CallOptions = {}): Promise<StoredObject> {
    assertObjectKey(this.name, key)
    const { info, body } = await this.call('get', call, (signal) => this.getObject(key, signal, call.signal))
    return storedObject(this.name, info, body)
  }

  /**
   * Describes an object without reading its body.
   * @throws ObjectNotFoundError; InvalidObjectKeyError; the backend's errors.
   */
  head(key: string, call: CallOptions = {}): Promise<ObjectInfo> {
    assertObjectKey(this.name, key)
    return this.call('head', call, (signal) => this.headObject(key, signal))
  }

  /**
   * One page of the objects whose keys start with `prefix`, in key order.
   * @throws RangeError for a `limit` outside 1..1000; the backend's errors.
   */
  async list(prefix = '', options: ListOptions = {}, call: CallOptions = {}): Promise<ObjectPage> {
    const limit = options.limit ?? defaultPageSize
    if (!Number.isInteger(limit) || limit < 1 || limit > defaultPageSize) throw new RangeError(`adapter "${this.name}": list limit must be an integer from 1 to ${defaultPageSize}, got ${limit}`)
    return this.call('list', call, (signal) => this.listObjects(prefix, options.cursor, limit, signal))
  }

  /** Every object whose key starts with `prefix`, a page (`pageSize`, default 1,000) per `list` call. */
  async *listAll(prefix = '', options: { readonly pageSize?: number } = {}, call: CallOptions = {}): AsyncIterableIterator<ObjectSummary> {
    let cursor: string | undefined
    do {
      const page = await this.list(prefix, { cursor, limit: options.pageSize ?? defaultPageSize }, call)
      yield* page.objects
      cursor = page.cursor
    } while (cursor !== undefined)
  }

  /**
   * Deletes an object; a key with no object is not an error (as on S3).
   * @throws InvalidObjectKeyError; the backend's errors.
   */
  delete(key: string, call: CallOptions = {}): Promise<void> {
    assertObjectKey(this.name, key)
    return this.call('delete', call, (signal) => this.deleteObject(key, signal))
  }

  bind(call: CallContext): ObjectStorageClient {
    const bound = (): CallOptions => ({ signal: call.signal, idempotencyKey: call.nextIdempotencyKey(this.name) })
    return {
      put: (key, body, options) => this.put(key, body, options, bound()),
      get: (key) => this.get(key, bound()),
      head: (key) => this.head(key, bound()),
      list: (prefix, options) => this.list(prefix, options, bound()),
      // One key for the whole listing: it is one call of the task.
      listAll: (prefix, options) => this.listAll(prefix, options, bound()),
      delete: (key) => this.delete(key, bound()),
    }
  }

  /** @internal Makes a body ready for every attempt of a put (S3 spools a stream to a file); the default reads it once, in the attempt. */
  protected async prepareBody(source: BodySource, _signal: AbortSignal | undefined): Promise<BodySource> {
    return source
  }

  /** @internal Releases what `prepareBody` made. */
  protected async releaseBody(_source: BodySource): Promise<void> {}

  /** @internal One attempt of `put`. */
  protected abstract putObject(key: string, body: BodySource, options: PutOptions, idempotencyKey: string | undefined, signal: AbortSignal | undefined): Promise<ObjectInfo>

  /** @internal One attempt of `get`: the description and the raw body; `callerSignal` (the task's) may cut the body after the attempt ended. */
  protected abstract getObject(key: string, signal: AbortSignal | undefined, callerSignal: AbortSignal | undefined): Promise<{ info: ObjectInfo; body: ReadableStream<Uint8Array> }>

  /** @internal One attempt of `head`. */
  protected abstract headObject(key: string, signal: AbortSignal | undefined): Promise<ObjectInfo>

  /** @internal One attempt of `list`. */
  protected abstract listObjects(prefix: string, cursor: string | undefined, limit: number, signal: AbortSignal | undefined): Promise<ObjectPage>

  /** @internal One attempt of `delete`. */
  protected abstract deleteObject(key: string, signal: AbortSignal | undefined): Promise<void>
}
