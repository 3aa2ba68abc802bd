/**
 * An S3-compatible server for tests: `WEFT_TEST_S3_URL` (with
 * `WEFT_TEST_S3_ACCESS_KEY_ID` and `WEFT_TEST_S3_SECRET_ACCESS_KEY`) when
 * set, else s3rver in-process on 127.0.0.1, port 0, in a temporary folder
 * (it is an npm dev dependency, so it is always there). Each test gets a
 * bucket of its own, uniquely named, so files running in parallel never meet.
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AwsClient } from 'aws4fetch'
import S3rver from 's3rver'

export interface TestS3 {
  /** The endpoint, without a bucket. */
  readonly endpoint: string
  readonly accessKeyId: string
  readonly secretAccessKey: string
  /** Creates a bucket with a unique name starting with `prefix`; removed with its objects by `stop()`. */
  createBucket(prefix: string): Promise<string>
  /** Removes the buckets it created and stops the in-process server. */
  stop(): Promise<void>
}

export async function startTestS3(): Promise<TestS3> {
  const fromEnv = process.env['WEFT_TEST_S3_URL']
  if (fromEnv !== undefined && fromEnv !== '') {
    return testS3(fromEnv, process.env['WEFT_TEST_S3_ACCESS_KEY_ID'] ?? '', process.env['WEFT_TEST_S3_SECRET_ACCESS_KEY'] ?? '', async () => undefined)
  }
  const directory = await mkdtemp(join(tmpdir(), 'weft-s3rver-'))
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory })
  const { port } = await server.run()
  // s3rver accepts only its own well-known credentials (it checks signatures made with them).
  return testS3(`http://127.0.0.1:${port}`, 'S3RVER', 'S3RVER', async () => {
    await server.close()
    await rm(directory, { recursive: true, force: true })
  })
}

function testS3(endpoint: string, accessKeyId: string, secretAccessKey: string, close: () => Promise<void>): TestS3 {
  const aws = new AwsClient({ accessKeyId, secretAccessKey, service: 's3', region: 'us-east-1', retries: 0 })
  const buckets: string[] = []
  const call = async (method: string, path: string) => {
    const response = await aws.fetch(`${endpoint}/${path}`, { method })
    const text = await response.text()
    if (response.status >= 300 && response.status !== 404) throw new Error(`${method} /${path} answered ${response.status}: ${text}`)
    return text
  }
  return {
    endpoint,
    accessKeyId,
    secretAccessKey,
    async createBucket(prefix) {
      const bucket = `${prefix}-${randomBytes(4).toString('hex')}`.toLowerCase()
      await call('PUT', bucket)
      buckets.push(bucket)
      return bucket
    },
    async stop() {
      for (const bucket of buckets) {
        const listing = await call('GET', bucket)
        for (const match of listing.matchAll(/<Key>([^<]*)<\/Key>/g)) await call('DELETE', `${bucket}/${match[1]!.split('/').map(encodeURIComponent).join('/')}`)
        await call('DELETE', bucket)
      }
      await close()
    },
  }
}
