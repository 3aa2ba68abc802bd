/**
 * FileSystemStorage in a real temporary folder: the conformance suite, then
 * what only a folder can show: bytes changed behind the adapter's back are
 * caught on read, a failed write leaves nothing half-written, keys and links
 * cannot leave the root, health follows the folder.
 */
import { mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FileSystemStorage, InvalidObjectKeyError, ObjectChecksumMismatchError } from 'weft-sdk/object-storage'
import { describeObjectStorage } from './object-storage-conformance.js'

let base = ''
let folders = 0
beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'weft-fs-storage-'))
})
afterAll(() => rm(base, { recursive: true, force: true }))

async function freshRoot(): Promise<string> {
  return join(base, `root-${++folders}`)
}

describeObjectStorage('FileSystemStorage', async (name) => new FileSystemStorage({ name, root: await freshRoot() }))

describe('FileSystemStorage', () => {
  it('keeps the object as a plain file and its metadata and checksum beside it', async () => {
    const root = await freshRoot()
    const storage = new FileSystemStorage({ name: 'files', root })
    await storage.put('a/b.txt', 'hello', { contentType: 'text/plain', metadata: { author: 'ada' } })
    expect(await readFile(join(root, 'a', 'b.txt'), 'utf8')).toBe('hello')
    const sidecar = JSON.parse(await readFile(join(root, '.weft', 'meta', 'a', 'b.txt.json'), 'utf8')) as Record<string, unknown>
    expect(sidecar).toMatchObject({ size: 5, contentType: 'text/plain', metadata: { author: 'ada' }, sha256: '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824' })
    await storage.close()
  })

  it('detects bytes changed behind its back: the body errors at its end, text() rejects', async () => {
    const root = await freshRoot()
    const storage = new FileSystemStorage({ name: 'files', root })
    await storage.put('report.txt', 'total: 100')
    await writeFile(join(root, 'report.txt'), 'total: 999')
    const error = await (await storage.get('report.txt')).text().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ObjectChecksumMismatchError)
    expect(error).toMatchObject({ code: 'WEFT_OBJECT_CHECKSUM_MISMATCH', key: 'report.txt', isRetryable: false })
    const reader = (await storage.get('report.txt')).body.getReader()
    await expect((async () => { for (;;) if ((await reader.read()).done) return 'ended' })()).rejects.toBeInstanceOf(ObjectChecksumMismatchError)
    await storage.close()
  })

  it('serves a file put there by another tool, unverified (no checksum recorded)', async () => {
    const root = await freshRoot()
    const storage = new FileSystemStorage({ name: 'files', root })
    await storage.put('seed.txt', 'x') // creates the root
    await writeFile(join(root, 'foreign.txt'), 'from elsewhere')
    const read = await storage.get('foreign.txt')
    expect(read.sha256).toBeUndefined()
    expect(await read.text()).toBe('from elsewhere')
    await storage.close()
  })

  it('leaves the previous object and no temporary file when a streamed put fails half-way', async () => {
    const root = await freshRoot()
    const storage = new FileSystemStorage({ name: 'files', root })
    await storage.put('data.bin', 'version 1')
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield new Uint8Array(1024).fill(7)
      throw new Error('the source broke')
    }
    await expect(storage.put('data.bin', failing())).rejects.toThrow('the source broke')
    await expect(storage.put('new.bin', failing())).rejects.toThrow('the source broke')
    expect(await (await storage.get('data.bin')).text()).toBe('version 1')
    expect((await storage.list()).objects.map((o) => o.key)).toEqual(['data.bin'])
    expect(await readdir(join(root, '.weft', 'tmp'))).toEqual([])
    await storage.close()
  })

  it('stops a put whose signal fires, keeping the previous object', async () => {
    const root = await freshRoot()
    const storage = new FileSystemStorage({ name: 'files', root })
    await storage.put('data.bin', 'version 1')
    const controller = new AbortController()
    async function* slow(): AsyncGenerator<Uint8Array> {
      yield new Uint8Array(10)
      controller.abort(new Error('cancelled by the task'))
      yield new Uint8Array(10)
    }
    await expect(storage.put('data.bin', slow(), {}, { signal: controller.signal })).rejects.toThrow('cancelled by the task')
    expect(await (await storage.get('data.bin')).text()).toBe('version 1')
    await storage.close()
  })

  it('refuses its own area and a link that leads outside the root', async () => {
    const root = await freshRoot()
    const outside = join(base, `outside-${folders}`)
    const storage = new FileSystemStorage({ name: 'files', root })
    await storage.put('seed.txt', 'x')
    await expect(storage.put('.weft/meta/x', 'x')).rejects.toBeInstanceOf(InvalidObjectKeyError)
    await writeFile(`${outside}.txt`, 'secret')
    await rm(outside, { recursive: true, force: true })
    await import('node:fs/promises').then(({ mkdir }) => mkdir(outside))
    await symlink(outside, join(root, 'escape'))
    await expect(storage.put('escape/x.txt', 'x')).rejects.toMatchObject({ code: 'WEFT_OBJECT_KEY_INVALID' })
    await expect(storage.get('escape/x.txt')).rejects.toBeInstanceOf(InvalidObjectKeyError)
    expect(await readdir(outside)).toEqual([])
    await storage.close()
  })

  it('refuses a key that crosses another object\'s path (S3 allows "a" and "a/b", a folder does not)', async () => {
    const storage = new FileSystemStorage({ name: 'files', root: await freshRoot() })
    await storage.put('a', 'file')
    await expect(storage.put('a/b', 'x')).rejects.toBeInstanceOf(InvalidObjectKeyError)
    await storage.put('c/d', 'x')
    await expect(storage.put('c', 'x')).rejects.toBeInstanceOf(InvalidObjectKeyError)
    await storage.delete('c/d')
    await storage.put('c', 'now a file') // the folder went with its last object
    expect(await (await storage.get('c')).text()).toBe('now a file')
    await storage.close()
  })

  it('lists in S3\'s order (UTF-8 bytes), not folder by folder: "logs-other" before "logs/…"', async () => {
    const storage = new FileSystemStorage({ name: 'files', root: await freshRoot() })
    for (const key of ['logs/b.txt', 'logs-other.txt', 'logs/a.txt', 'logs/é.txt', 'logsZ.txt']) await storage.put(key, 'x')
    const keys: string[] = []
    for await (const object of storage.listAll('logs', { pageSize: 2 })) keys.push(object.key)
    expect(keys).toEqual(['logs-other.txt', 'logs/a.txt', 'logs/b.txt', 'logs/é.txt', 'logsZ.txt'])
    await storage.close()
  })

  it('health: up on a writable folder, down when the root cannot be a folder', async () => {
    const up = new FileSystemStorage({ name: 'files', root: await freshRoot() })
    expect(await up.health()).toMatchObject({ state: 'up' })
    const file = join(base, `a-file-${++folders}`)
    await writeFile(file, 'x')
    const down = new FileSystemStorage({ name: 'files', root: join(file, 'sub') })
    const health = await down.health()
    expect(health.state).toBe('down')
    expect(health.detail).toContain('ENOTDIR')
    await Promise.all([up.close(), down.close()])
  })
})
