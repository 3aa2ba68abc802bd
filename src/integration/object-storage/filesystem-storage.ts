import { createHash, randomUUID } from 'node:crypto'
import { constants } from 'node:fs'
import { access, mkdir, open, readdir, readFile, realpath, rename, rmdir, stat, unlink, type FileHandle } from 'node:fs/promises'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { addAbortSignal, Readable } from 'node:stream'
import { InvalidObjectKeyError, ObjectNotFoundError, ObjectStorageIoError } from '../../core/object-storage-errors.js'
import type { AdapterBaseOptions } from '../adapter-base.js'
import type { BodySource } from './object-body.js'
import { ObjectStorage } from './object-storage.js'
import type { ObjectInfo, ObjectPage, ObjectSummary, PutOptions } from './object-types.js'

/**
 * Options of {@link FileSystemStorage}.
 *
 * @example
 * ```ts
 * import { FileSystemStorage, type FileSystemStorageOptions } from 'weft-sdk/object-storage'
 * const options: FileSystemStorageOptions = { name: 'reports', root: './var/reports', timeout: '10 s' }
 * const reports = new FileSystemStorage(options)
 * ```
 */
export interface FileSystemStorageOptions extends AdapterBaseOptions {
  /** The folder objects are kept in (created when missing). An object's key is its path below it. */
  readonly root: string
  /** Flush every write to the disk (file and folder) before `put` resolves, so a power cut after it cannot lose or tear the object. @defaultValue true */
  readonly fsync?: boolean
}

/** Weft's own area inside the root: metadata beside the objects, and files being written. */
const reserved = '.weft'

/** What is stored beside an object (`<root>/.weft/meta/<key>.json`). */
interface Sidecar {
  readonly sha256: string
  readonly size: number
  readonly contentType: string
  readonly metadata: Readonly<Record<string, string>>
  readonly idempotencyKey?: string
}

/**
 * Object storage in a local folder: an object is the file `<root>/<key>`
 * (browsable with any tool), its metadata and SHA-256 are kept beside it in
 * `<root>/.weft/meta/<key>.json`. A write goes to a temporary file in
 * `<root>/.weft/tmp/`, is flushed, and is renamed into place, so a failed or
 * interrupted `put` leaves the previous object (or none) and no partial
 * file; reads are verified against the recorded checksum, so bytes changed
 * behind the adapter's back fail with `ObjectChecksumMismatchError`. Keys
 * are checked before any path is built (no absolute key, no `..`), and the
 * resolved folder must lie inside the root. Listing walks the folder below
 * the prefix's directory, so it costs a walk of that subtree per page.
 *
 * @example
 * ```ts
 * import { createEngine } from 'weft-sdk'
 * import { FileSystemStorage } from 'weft-sdk/object-storage'
 * const reports = new FileSystemStorage({ name: 'reports', root: './var/reports' })
 * const engine = createEngine({ adapters: [reports] })
 * await reports.put('2026/12/summary.json', JSON.stringify({ runs: 12 }), { contentType: 'application/json' })
 * const summary = await (await reports.get('2026/12/summary.json')).json()
 * ```
 */
export class FileSystemStorage extends ObjectStorage {
  readonly kind = 'object-storage'
  /** The root folder, absolute. */
  readonly root: string
  private readonly fsync: boolean
  private realRoot: string | undefined

  constructor(options: FileSystemStorageOptions) {
    super(options)
    if (typeof options.root !== 'string' || options.root === '') throw new TypeError(`adapter "${options.name}": FileSystemStorage needs a root folder (options.root)`)
    this.root = resolve(options.root)
    this.fsync = options.fsync ?? true
  }

  protected async ping(): Promise<void> {
    await this.ensureFolder(this.root, '')
    await access(this.root, constants.R_OK | constants.W_OK)
  }

  protected async putObject(key: string, body: BodySource, options: PutOptions, idempotencyKey: string | undefined, signal: AbortSignal | undefined): Promise<ObjectInfo> {
    const target = await this.pathOf(key, 'write', true)
    const tmp = join(this.root, reserved, 'tmp')
    await this.ensureFolder(tmp, key)
    const dataTmp = join(tmp, randomUUID())
    const metaTmp = `${dataTmp}.json`
    try {
      const { sha256, size } = await this.writeFile(key, dataTmp, body, signal)
      const sidecar: Sidecar = { sha256, size, contentType: options.contentType ?? 'application/octet-stream', metadata: { ...options.metadata }, ...(idempotencyKey === undefined ? {} : { idempotencyKey }) }
      await this.writeFile(key, metaTmp, { size: undefined, sha256: undefined, open: () => once(Buffer.from(JSON.stringify(sidecar))) }, signal)
      const metaPath = this.metaPathOf(key)
      await this.ensureFolder(dirname(metaPath), key)
      // The sidecar first: a crash between the renames leaves a new checksum over old bytes (reported as corrupt), never new bytes served unverified.
      await this.io('write', key, () => rename(metaTmp, metaPath))
      await this.io('write', key, () => rename(dataTmp, target))
      if (this.fsync) await Promise.all([syncFolder(dirname(target)), syncFolder(dirname(metaPath))])
      return this.infoOf(key, target, sidecar)
    } finally {
      await Promise.all([unlink(dataTmp).catch(() => undefined), unlink(metaTmp).catch(() => undefined)])
    }
  }

  protected async getObject(key: string, _signal: AbortSignal | undefined, callerSignal: AbortSignal | undefined): Promise<{ info: ObjectInfo; body: ReadableStream<Uint8Array> }> {
    const path = await this.pathOf(key, 'read', false)
    // Sidecar, file, sidecar again: a put renames its sidecar before its file, so an unchanged sidecar means the file opened goes with it.
    for (let tries = 0; ; tries++) {
      const before = await this.readSidecar(key)
      const handle = await this.io('read', key, () => open(path, 'r'))
      const after = await this.readSidecar(key)
      if (JSON.stringify(before) !== JSON.stringify(after) && tries < 3) {
        await handle.close()
        continue
      }
      const info = await this.infoOf(key, path, after, handle)
      const stream = handle.createReadStream()
      if (callerSignal !== undefined) addAbortSignal(callerSignal, stream)
      return { info, body: Readable.toWeb(stream) as ReadableStream<Uint8Array> }
    }
  }

  protected async headObject(key: string): Promise<ObjectInfo> {
    const path = await this.pathOf(key, 'read', false)
    return this.infoOf(key, path, await this.readSidecar(key))
  }

  protected async listObjects(prefix: string, cursor: string | undefined, limit: number): Promise<ObjectPage> {
    // Only the folder the prefix names can hold matching keys: walk it alone.
    const folder = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : ''
    const keys = (await this.walk(folder, prefix)).filter((key) => key.startsWith(prefix) && (cursor === undefined || byteOrder(key, cursor) > 0))
    keys.sort(byteOrder)
    const page = keys.slice(0, limit)
    const objects = await Promise.all(page.map((key) => this.summaryOf(key)))
    return { objects: objects.filter((o): o is ObjectSummary => o !== undefined), cursor: keys.length > limit ? page.at(-1) : undefined }
  }

  protected async deleteObject(key: string): Promise<void> {
    const path = await this.pathOf(key, 'delete', false)
    const metaPath = this.metaPathOf(key)
    for (const file of [path, metaPath]) {
      await this.io('delete', key, () => unlink(file)).catch((error: unknown) => {
        if (!(error instanceof ObjectNotFoundError)) throw error
      })
    }
    // S3 has no folders: remove the ones this key alone kept, so that a later key may use the name.
    await Promise.all([pruneFolders(dirname(path), this.root), pruneFolders(dirname(metaPath), join(this.root, reserved, 'meta'))])
  }

  /** The file of `key`, checked to lie inside the root (through symbolic links too). */
  private async pathOf(key: string, operation: string, create: boolean): Promise<string> {
    if (key.split('/')[0] === reserved) throw new InvalidObjectKeyError(this.name, key, `keys under "${reserved}/" are the adapter's own area`)
    const path = resolve(this.root, ...key.split('/'))
    const folder = dirname(path)
    if (create) await this.ensureFolder(folder, key)
    const realFolder = await realpath(folder).catch(() => undefined)
    if (realFolder === undefined) return path
    this.realRoot ??= await this.io(operation, key, () => realpath(this.root))
    if (realFolder !== this.realRoot && !realFolder.startsWith(this.realRoot + sep)) throw new InvalidObjectKeyError(this.name, key, 'its folder is a link that leads outside the storage root')
    return path
  }

  private metaPathOf(key: string): string {
    return `${resolve(this.root, reserved, 'meta', ...key.split('/'))}.json`
  }

  private async ensureFolder(folder: string, key: string): Promise<void> {
    await this.io('write', key, () => mkdir(folder, { recursive: true }))
  }

  /** Writes `body` to `path`, hashing it, checking `signal` between chunks; flushed when `fsync` is on. */
  private async writeFile(key: string, path: string, body: BodySource, signal: AbortSignal | undefined): Promise<{ sha256: string; size: number }> {
    const hash = createHash('sha256')
    let size = 0
    const handle = await this.io('write', key, () => open(path, 'wx'))
    try {
      for await (const chunk of body.open()) {
        signal?.throwIfAborted()
        hash.update(chunk)
        size += chunk.byteLength
        await this.io('write', key, () => handle.write(chunk))
      }
      if (this.fsync) await this.io('write', key, () => handle.sync())
    } finally {
      await handle.close()
    }
    return { sha256: hash.digest('hex'), size }
  }

  private async readSidecar(key: string): Promise<Sidecar | undefined> {
    try {
      return JSON.parse(await readFile(this.metaPathOf(key), 'utf8')) as Sidecar
    } catch {
      // No sidecar (or an unreadable one): the file was put there by another tool, served unverified.
      return undefined
    }
  }

  private async infoOf(key: string, path: string, sidecar: Sidecar | undefined, handle?: FileHandle): Promise<ObjectInfo> {
    const stats = await this.io('read', key, () => (handle === undefined ? stat(path) : handle.stat()))
    if (!stats.isFile()) throw new ObjectNotFoundError(this.name, key, 'a folder of other objects has that name')
    return {
      key,
      size: stats.size,
      etag: sidecar === undefined ? undefined : `"${sidecar.sha256}"`,
      lastModified: stats.mtime,
      contentType: sidecar?.contentType ?? 'application/octet-stream',
      metadata: sidecar?.metadata ?? {},
      sha256: sidecar?.sha256,
      idempotencyKey: sidecar?.idempotencyKey,
    }
  }

  private async summaryOf(key: string): Promise<ObjectSummary | undefined> {
    const stats = await stat(resolve(this.root, ...key.split('/'))).catch(() => undefined)
    if (stats === undefined) return undefined // deleted since the walk
    const sidecar = await this.readSidecar(key)
    return { key, size: stats.size, etag: sidecar === undefined ? undefined : `"${sidecar.sha256}"`, lastModified: stats.mtime }
  }

  /** Every key of a file below `folder` (relative to the root), skipping the adapter's own area and folders that cannot match `prefix`. */
  private async walk(folder: string, prefix: string): Promise<string[]> {
    const entries = await readdir(join(this.root, folder), { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return []
      throw new ObjectStorageIoError(this.name, 'list', prefix, error.code, error.message, { cause: error })
    })
    const keys: string[] = []
    for (const entry of entries) {
      const key = folder === '' ? entry.name : `${folder}/${entry.name}`
      if (folder === '' && entry.name === reserved) continue
      if (entry.isFile()) keys.push(key)
      else if (entry.isDirectory() && (key.startsWith(prefix) || prefix.startsWith(`${key}/`))) keys.push(...(await this.walk(key, prefix)))
    }
    return keys
  }

  /** Runs a file-system operation, its failure classified: no such file, a key crossing a file, or an I/O error. */
  private async io<A>(operation: string, key: string, run: () => Promise<A>): Promise<A> {
    try {
      return await run()
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'ENOENT' && operation !== 'write') throw new ObjectNotFoundError(this.name, key)
      if (code === 'ENOTDIR' || code === 'EISDIR' || code === 'EEXIST') throw new InvalidObjectKeyError(this.name, key, `it crosses another object's path in the folder (${code}): S3 allows "a" and "a/b" together, a folder does not`)
      if (code === undefined) throw error
      throw new ObjectStorageIoError(this.name, operation, key, code, (error as Error).message.split(this.root).join('<root>'), { cause: error })
    }
  }
}

async function* once(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes
}

/** S3's listing order: by the keys' UTF-8 bytes. */
function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))
}

/** Flushes a folder's entries (the renames into it) to the disk; a platform that cannot open a folder skips it. */
async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, 'r').catch(() => undefined)
  if (handle === undefined) return
  try {
    await handle.sync().catch(() => undefined)
  } finally {
    await handle.close()
  }
}

/** Removes `folder` and its parents up to `stop` while they are empty. */
async function pruneFolders(folder: string, stop: string): Promise<void> {
  let current = folder
  while (current !== stop && relative(stop, current) !== '' && !relative(stop, current).startsWith('..')) {
    const removed = await rmdir(current).then(() => true, () => false)
    if (!removed) return
    current = dirname(current)
  }
}
