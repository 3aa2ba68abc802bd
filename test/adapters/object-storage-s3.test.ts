/**
 * S3Storage: the conformance suite against s3rver (in-process, port 0), then
 * against scripted node:http stubs what s3rver cannot show: the checksum
 * headers on the wire, bytes damaged by the server caught on the client
 * (s3rver ignores x-amz-checksum-*), 403 not retried and the secret never
 * reported, 503 retried, health up and down.
 */
import { createHash } from 'node:crypto'
import { Redacted } from 'effect'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HttpNetworkError, HttpStatusError, type AdapterCallFailed, type RetryOptions } from 'weft-sdk'
import { ObjectChecksumMismatchError, ObjectNotFoundError, ObjectStorageAccessDeniedError, S3Storage, type S3StorageOptions } from 'weft-sdk/object-storage'
import { memoryEngine } from '../support/engines.js'
import { startTestS3, type TestS3 } from '../support/s3.js'
import { raw, ScriptedServer, type Script } from './http-server.js'
import { describeObjectStorage } from './object-storage-conformance.js'

let s3: TestS3
beforeAll(async () => {
  s3 = await startTestS3()
})
afterAll(() => s3.stop())

describeObjectStorage('S3Storage', async (name) => {
  const bucket = await s3.createBucket(`weft-${name}`)
  return new S3Storage({ name, endpoint: s3.endpoint, bucket, accessKeyId: s3.accessKeyId, secretAccessKey: Redacted.make(s3.secretAccessKey) })
})

const secret = 'sk-canary-7f3e'
const fastRetry: RetryOptions = { maxAttempts: 3, backoff: { initial: '1 ms', max: '1 s', jitter: 'none' } }
const sha = (text: string) => createHash('sha256').update(text).digest('hex')

const stub = new ScriptedServer()
beforeAll(() => stub.start())
afterAll(() => stub.stop())

function stubbed(options: Partial<S3StorageOptions> = {}): S3Storage {
  return new S3Storage({ name: 'archive', endpoint: stub.url, bucket: 'archive', region: 'eu-west-1', accessKeyId: 'AKIDCANARY', secretAccessKey: secret, ...options })
}

function s3Error(status: number, code: string, headers: Record<string, string> = {}): Script {
  return raw(status, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>echo: ${secret}</Message></Error>`, { 'content-type': 'application/xml', ...headers })
}

/** An object answer: `body` as the bytes, with the metadata that `recorded` was written. */
function objectAnswer(body: string, recorded: string, headers: Record<string, string> = {}): Script {
  return raw(200, body, { 'content-type': 'text/plain', 'x-amz-meta-weft-sha256': sha(recorded), 'last-modified': new Date(0).toUTCString(), ...headers })
}

describe('S3Storage on the wire', () => {
  it('signs each request and sends the SHA-256 as x-amz-content-sha256 and x-amz-checksum-sha256, recorded as metadata', async () => {
    stub.answer(raw(200, '', { etag: '"abc"' }))
    const storage = stubbed()
    const info = await storage.put('reports/a b.txt', 'hello', { contentType: 'text/plain', metadata: { author: 'ada' } }, { idempotencyKey: 'run-1:store:archive:1' })
    const [request] = stub.received
    const digest = sha('hello')
    expect(request).toMatchObject({ method: 'PUT', url: '/archive/reports/a%20b.txt', body: 'hello' })
    expect(request!.headers).toMatchObject({
      'x-amz-content-sha256': digest,
      'x-amz-checksum-sha256': Buffer.from(digest, 'hex').toString('base64'),
      'x-amz-meta-weft-sha256': digest,
      'x-amz-meta-weft-idempotency-key': 'run-1:store:archive:1',
      'x-amz-meta-author': 'ada',
      'content-type': 'text/plain',
      'content-length': '5',
    })
    expect(request!.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDCANARY\/\d{8}\/eu-west-1\/s3\/aws4_request, SignedHeaders=.*x-amz-content-sha256.*, Signature=[0-9a-f]{64}$/)
    expect(JSON.stringify(request)).not.toContain(secret)
    expect(info).toMatchObject({ etag: '"abc"', sha256: digest, size: 5 })
    await storage.close()
  })

  it('catches bytes the server damaged: the recorded SHA-256, or S3\'s own checksum, does not match', async () => {
    const storage = stubbed()
    stub.answer(objectAnswer('tampered', 'original'))
    const error = await (await storage.get('a.txt')).text().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ObjectChecksumMismatchError)
    expect(error).toMatchObject({ expected: sha('original'), actual: sha('tampered') })
    stub.answer(raw(200, 'tampered', { 'x-amz-checksum-sha256': Buffer.from(sha('original'), 'hex').toString('base64') }))
    await expect((await storage.get('b.txt')).bytes()).rejects.toBeInstanceOf(ObjectChecksumMismatchError)
    expect(stub.received[0]!.headers['x-amz-checksum-mode']).toBe('ENABLED')
    stub.answer(objectAnswer('original', 'original'))
    expect(await (await storage.get('c.txt')).text()).toBe('original')
    await storage.close()
  })

  it('403: access denied, not retried, and neither the secret nor the access key in the error, the event or health', async () => {
    stub.answer(s3Error(403, 'SignatureDoesNotMatch'))
    const storage = stubbed({ retry: fastRetry })
    const engine = memoryEngine({ adapters: [storage] })
    const events: AdapterCallFailed[] = []
    engine.on('adapter.call-failed', (event) => events.push(event))
    const error = (await storage.put('a.txt', 'x').catch((e: unknown) => e)) as ObjectStorageAccessDeniedError
    expect(error).toBeInstanceOf(ObjectStorageAccessDeniedError)
    expect(error).toMatchObject({ code: 'WEFT_OBJECT_ACCESS_DENIED', status: 403, s3Code: 'SignatureDoesNotMatch', isRetryable: false })
    expect(stub.received).toHaveLength(1)
    const health = await storage.health()
    expect(health.state).toBe('down')
    for (const text of [error.message, JSON.stringify(events), health.detail ?? '']) {
      expect(text).not.toContain(secret)
      expect(text).not.toContain('AKIDCANARY')
    }
    expect(events).toHaveLength(1)
    await engine.close()
  })

  it('retries a 503 (and a 500) with the adapter\'s policy, then succeeds', async () => {
    stub.answer(s3Error(503, 'SlowDown'), s3Error(500, 'InternalError'), objectAnswer('ok', 'ok'))
    const storage = stubbed({ retry: fastRetry })
    expect(await (await storage.get('a.txt')).text()).toBe('ok')
    expect(stub.received).toHaveLength(3)
    stub.answer(s3Error(503, 'SlowDown'))
    const once = stubbed()
    const error = await once.head('a.txt').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(HttpStatusError)
    expect(error).toMatchObject({ status: 503, isRetryable: true })
    await Promise.all([storage.close(), once.close()])
  })

  it('retries a streamed put from its spooled copy: the same bytes on each attempt', async () => {
    stub.answer(s3Error(503, 'SlowDown'), raw(200, ''))
    const storage = stubbed({ retry: fastRetry })
    async function* chunks() {
      yield 'stream'
      yield 'ed body'
    }
    const info = await storage.put('s.txt', chunks())
    expect(stub.received.map((r) => r.body)).toEqual(['streamed body', 'streamed body'])
    expect(stub.received[1]!.headers['x-amz-content-sha256']).toBe(sha('streamed body'))
    expect(info.size).toBe(13)
    await storage.close()
  })

  it('404 NoSuchKey and NoSuchBucket are ObjectNotFoundError; deleting a missing key is not an error', async () => {
    const storage = stubbed()
    stub.answer(s3Error(404, 'NoSuchBucket'))
    await expect(storage.get('a.txt')).rejects.toMatchObject({ code: 'WEFT_OBJECT_NOT_FOUND', detail: 'NoSuchBucket' })
    await expect(storage.delete('a.txt')).rejects.toBeInstanceOf(ObjectNotFoundError)
    stub.answer(s3Error(404, 'NoSuchKey'))
    await storage.delete('a.txt')
    await storage.close()
  })

  it('health: up when the bucket answers, down (connection refused) when the server is gone', async () => {
    const other = await new ScriptedServer().start()
    other.answer(raw(200, ''))
    const storage = new S3Storage({ name: 'other', endpoint: other.url, bucket: 'b', accessKeyId: 'id', secretAccessKey: secret, healthTimeout: '1 s' })
    expect(await storage.health()).toMatchObject({ state: 'up' })
    expect(other.received[0]).toMatchObject({ method: 'HEAD', url: '/b' })
    await other.stop()
    const down = await storage.health()
    expect(down.state).toBe('down')
    expect(down.detail).toContain('ECONNREFUSED')
    await expect(storage.head('x')).rejects.toBeInstanceOf(HttpNetworkError)
    await storage.close()
  })

  it('a body read after the call\'s timeout would have fired is still whole (the timeout covers the request)', async () => {
    const bucket = await s3.createBucket('weft-late-read')
    const storage = new S3Storage({ name: 'late', endpoint: s3.endpoint, bucket, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, timeout: '50 ms' })
    await storage.put('a.txt', 'x'.repeat(100_000))
    const object = await storage.get('a.txt')
    await new Promise((resolve) => setTimeout(resolve, 150))
    expect((await object.text()).length).toBe(100_000)
    await storage.close()
  })

  it('a cancelled caller cuts the body being read', async () => {
    const bucket = await s3.createBucket('weft-cancel')
    const storage = new S3Storage({ name: 'cancel', endpoint: s3.endpoint, bucket, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey })
    await storage.put('big.bin', new Uint8Array(4 * 1024 * 1024))
    const controller = new AbortController()
    const object = await storage.get('big.bin', { signal: controller.signal })
    const reader = object.body.getReader()
    await reader.read()
    controller.abort(new Error('task cancelled'))
    await expect((async () => { for (;;) if ((await reader.read()).done) return 'ended' })()).rejects.toThrow()
    await storage.close()
  })
})
