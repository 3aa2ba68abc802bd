/**
 * Weft's object-storage adapters: a local folder ({@link FileSystemStorage})
 * and S3-compatible servers over `aws4fetch` ({@link S3Storage}), with one
 * contract ({@link ObjectStorage}): `put`, `get` (a verified web
 * `ReadableStream` plus `bytes()`/`text()`/`json(schema)`), `head`, `list`
 * (paged, and `listAll` over every page), `delete`; SHA-256 checksums
 * computed on write and verified on read on the client. A separate entry
 * point so that applications that do not use it never load `aws4fetch`.
 *
 * @example
 * ```ts
 * import { createEngine, Task, Workflow, WorkflowBase, type TaskContext } from 'weft-sdk'
 * import { FileSystemStorage } from 'weft-sdk/object-storage'
 *
 * @Workflow({ name: 'nightly-report', version: 1 })
 * class NightlyReport extends WorkflowBase<{ day: string }> {
 *   constructor(private readonly reports: FileSystemStorage) {
 *     super()
 *   }
 *
 *   @Task()
 *   async store(input: { day: string }, ctx: TaskContext): Promise<string> {
 *     const info = await ctx.use(this.reports).put(`daily/${input.day}.json`, JSON.stringify({ ok: true }), { contentType: 'application/json' })
 *     return info.sha256 ?? ''
 *   }
 * }
 *
 * const engine = createEngine({ adapters: [new FileSystemStorage({ name: 'reports', root: './var/reports' })] })
 * engine.register(NightlyReport)
 * ```
 *
 * @packageDocumentation
 */
export { ObjectStorage } from './integration/object-storage/object-storage.js'
export type { ObjectBody, PutOptions, ObjectSummary, ObjectInfo, StoredObject, ListOptions, ObjectPage, ObjectStorageClient } from './integration/object-storage/object-types.js'
export { FileSystemStorage, type FileSystemStorageOptions } from './integration/object-storage/filesystem-storage.js'
export { S3Storage, type S3StorageOptions } from './integration/object-storage/s3-storage.js'
export {
  ObjectNotFoundError,
  InvalidObjectKeyError,
  InvalidObjectMetadataError,
  ObjectChecksumMismatchError,
  ObjectStorageAccessDeniedError,
  ObjectDecodeError,
  ObjectStorageIoError,
} from './core/object-storage-errors.js'
