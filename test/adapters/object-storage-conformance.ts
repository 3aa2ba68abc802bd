/**
 * One suite for every object storage (the local folder, S3 on s3rver):
 * the same calls give the same answers whatever the backend.
 */
import 'reflect-metadata'
import { createHash } from 'node:crypto'
import { Schema } from 'effect'
import { inject } from 'tsyringe'
import { describe, expect, it } from 'vitest'
import { Task, Workflow, WorkflowBase, type TaskContext } from 'weft-sdk'
import { InvalidObjectKeyError, InvalidObjectMetadataError, ObjectDecodeError, ObjectNotFoundError, type ObjectStorage } from 'weft-sdk/object-storage'
import { memoryEngine } from '../support/engines.js'

/** A fresh, empty storage named `name` (its own folder or bucket). */
export type StorageFactory = (name: string) => Promise<ObjectStorage>

/** `count` chunks of `chunkBytes` pseudo-random bytes, generated as they are read (never held whole). */
export async function* generatedChunks(count: number, chunkBytes: number, seed = 1): AsyncGenerator<Uint8Array> {
  let state = seed
  for (let i = 0; i < count; i++) {
    const chunk = new Uint8Array(chunkBytes)
    for (let j = 0; j < chunkBytes; j += 4) {
      state = (state * 1103515245 + 12345) >>> 0
      chunk[j] = state & 0xff
      chunk[j + 1] = (state >>> 8) & 0xff
      chunk[j + 2] = (state >>> 16) & 0xff
      chunk[j + 3] = (state >>> 24) & 0xff
    }
    yield chunk
  }
}

/** The SHA-256 (hex) and size of a generated body, computed by reading it. */
export async function digestOf(chunks: AsyncIterable<Uint8Array>): Promise<{ sha256: string; size: number; chunks: number }> {
  const hash = createHash('sha256')
  let size = 0
  let count = 0
  for await (const chunk of chunks) {
    hash.update(chunk)
    size += chunk.byteLength
    count++
  }
  return { sha256: hash.digest('hex'), size, chunks: count }
}

@Workflow({ name: 'object-storage-report', version: 1 })
class StoreReport extends WorkflowBase<{ day: string }> {
  constructor(@inject('ReportStorage') private readonly reports: ObjectStorage) {
    super()
  }

  @Task()
  async store(input: { day: string }, ctx: TaskContext): Promise<{ sha256: string; echoed: string }> {
    const storage = ctx.use(this.reports)
    const written = await storage.put(`daily/${input.day}.json`, JSON.stringify({ day: input.day }), { contentType: 'application/json' })
    const read = await storage.get(`daily/${input.day}.json`)
    return { sha256: written.sha256 ?? '', echoed: await read.text() }
  }
}

export function describeObjectStorage(backend: string, create: StorageFactory): void {
  describe(`object storage conformance: ${backend}`, () => {
    it('puts and gets an object with its content type, metadata and checksum; head describes it', async () => {
      const storage = await create('conf-put')
      const written = await storage.put('notes/a.txt', 'héllo', { contentType: 'text/plain', metadata: { author: 'ada' } })
      const expected = createHash('sha256').update('héllo').digest('hex')
      expect(written).toMatchObject({ key: 'notes/a.txt', size: 6, sha256: expected, contentType: 'text/plain', metadata: { author: 'ada' } })
      const read = await storage.get('notes/a.txt')
      expect(read).toMatchObject({ key: 'notes/a.txt', size: 6, sha256: expected, contentType: 'text/plain', metadata: { author: 'ada' } })
      expect(await read.text()).toBe('héllo')
      expect(await storage.head('notes/a.txt')).toMatchObject({ size: 6, sha256: expected, metadata: { author: 'ada' } })
      await storage.put('notes/a.txt', new Uint8Array([1, 2, 3]))
      expect([...(await (await storage.get('notes/a.txt')).bytes())]).toEqual([1, 2, 3])
      await storage.close()
    })

    it('reads JSON, decoded by a Schema, and refuses a body that does not decode', async () => {
      const storage = await create('conf-json')
      await storage.put('config.json', JSON.stringify({ retries: 3 }), { contentType: 'application/json' })
      const Config = Schema.Struct({ retries: Schema.Number })
      expect(await (await storage.get('config.json')).json(Config)).toEqual({ retries: 3 })
      const Wrong = Schema.Struct({ retries: Schema.String })
      await expect((await storage.get('config.json')).json(Wrong)).rejects.toBeInstanceOf(ObjectDecodeError)
      await storage.put('plain.txt', 'not json')
      await expect((await storage.get('plain.txt')).json()).rejects.toMatchObject({ code: 'WEFT_OBJECT_DECODE' })
      await storage.close()
    })

    it('reports a missing object as ObjectNotFoundError, on get and on head', async () => {
      const storage = await create('conf-missing')
      await expect(storage.get('nope/none.txt')).rejects.toBeInstanceOf(ObjectNotFoundError)
      await expect(storage.head('none.txt')).rejects.toMatchObject({ code: 'WEFT_OBJECT_NOT_FOUND', isRetryable: false, key: 'none.txt' })
      await storage.close()
    })

    it('refuses keys that could escape or mean two things, and bad metadata, writing nothing', async () => {
      const storage = await create('conf-keys')
      for (const key of ['../outside.txt', 'a/../../b', '/etc/passwd', 'a//b', 'a/./b', '', 'dir/', 'back\\slash', 'nul\0']) {
        await expect(storage.put(key, 'x'), key).rejects.toBeInstanceOf(InvalidObjectKeyError)
      }
      await expect(storage.get('../x')).rejects.toMatchObject({ code: 'WEFT_OBJECT_KEY_INVALID' })
      await expect(storage.put('ok.txt', 'x', { metadata: { Author: 'x' } })).rejects.toBeInstanceOf(InvalidObjectMetadataError)
      await expect(storage.put('ok.txt', 'x', { metadata: { 'weft-sha256': 'x' } })).rejects.toBeInstanceOf(InvalidObjectMetadataError)
      await expect(storage.put('ok.txt', 'x', { metadata: { author: 'Zoë' } })).rejects.toBeInstanceOf(InvalidObjectMetadataError)
      expect((await storage.list()).objects).toEqual([])
      await storage.close()
    })

    it('lists by prefix in key order, a page at a time, and listAll walks every page', async () => {
      const storage = await create('conf-list')
      const keys = Array.from({ length: 23 }, (_, i) => `logs/${String(i).padStart(2, '0')}.txt`)
      for (const key of keys) await storage.put(key, key)
      await storage.put('logs-other.txt', 'x')
      await storage.put('other/1.txt', 'x')
      const pages: string[][] = []
      let cursor: string | undefined
      do {
        const page = await storage.list('logs/', { limit: 10, cursor })
        pages.push(page.objects.map((o) => o.key))
        cursor = page.cursor
      } while (cursor !== undefined)
      expect(pages.map((p) => p.length)).toEqual([10, 10, 3])
      expect(pages.flat()).toEqual(keys)
      const first = (await storage.list('logs/', { limit: 1 })).objects[0]!
      expect(first).toMatchObject({ key: 'logs/00.txt', size: 11 })
      expect(first.lastModified).toBeInstanceOf(Date)
      const all: string[] = []
      for await (const object of storage.listAll('logs/', { pageSize: 7 })) all.push(object.key)
      expect(all).toEqual(keys)
      // S3 sorts 'logs-other.txt' before 'logs/…' ('-' < '/'); s3rver sorts folder by folder, so only the set is compared.
      expect((await storage.list('logs')).objects.map((o) => o.key).sort()).toEqual(['logs-other.txt', ...keys].sort())
      expect((await storage.list()).objects).toHaveLength(25)
      await expect(storage.list('', { limit: 0 })).rejects.toBeInstanceOf(RangeError)
      await storage.close()
    })

    it('deletes an object; deleting a missing key succeeds', async () => {
      const storage = await create('conf-delete')
      await storage.put('tmp/a.txt', 'a')
      await storage.put('tmp/b.txt', 'b')
      await storage.delete('tmp/a.txt')
      await expect(storage.get('tmp/a.txt')).rejects.toBeInstanceOf(ObjectNotFoundError)
      await storage.delete('tmp/a.txt')
      expect((await storage.list('tmp/')).objects.map((o) => o.key)).toEqual(['tmp/b.txt'])
      expect(storage.stats().operations.map((o) => o.operation)).toEqual(['put', 'delete', 'get', 'list'])
      await storage.close()
    })

    it('streams a body of several MiB in and out, its checksum verified', async () => {
      const storage = await create('conf-large')
      const expected = await digestOf(generatedChunks(96, 64 * 1024))
      const written = await storage.put('big/blob.bin', generatedChunks(96, 64 * 1024))
      expect(written).toMatchObject({ size: 6 * 1024 * 1024, sha256: expected.sha256 })
      const read = await storage.get('big/blob.bin')
      expect(read.sha256).toBe(expected.sha256)
      const received = await digestOf(read.body as unknown as AsyncIterable<Uint8Array>)
      expect(received.sha256).toBe(expected.sha256)
      expect(received.size).toBe(6 * 1024 * 1024)
      expect(received.chunks).toBeGreaterThan(1) // streamed, not handed over whole
      await storage.close()
    })

    it('is used from a workflow run through ctx.use, the put recording the call\'s idempotency key', async () => {
      const storage = await create('reports')
      const engine = memoryEngine({ adapters: [{ token: 'ReportStorage', adapter: storage }] })
      const run = await engine.start(StoreReport, { day: '2026-12-01' }, { runId: `report-${backend}` })
      const output = (await run.result()).output('store')
      expect(output.echoed).toBe('{"day":"2026-12-01"}')
      expect(output.sha256).toBe(createHash('sha256').update('{"day":"2026-12-01"}').digest('hex'))
      expect((await storage.head('daily/2026-12-01.json')).idempotencyKey).toBe(`report-${backend}:store:reports:1`)
      expect((await engine.health()).adapters).toEqual([expect.objectContaining({ name: 'reports', state: 'up' })])
      await engine.close()
    })
  })
}
