/**
 * Redis for tests: `WEFT_TEST_REDIS_URL` when set, else the standard local
 * port (127.0.0.1:6379) when a server answers there, else a throwaway
 * `redis-server` from the installed binaries on a free port (nothing on
 * disk), else the suite is skipped with the reason in its name. CI
 * (`.ci/servers`) makes sure the standard one answers, so CI skips nothing.
 *
 * ```ts
 * describeRedis('limits shared through Redis', (redis) => {
 *   it('...', async () => { const url = redis().url })
 * })
 * ```
 */
import { describeWithServer } from './server-suites.js'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { connect } from 'node:net'
import { afterAll, beforeAll, describe } from 'vitest'
import { freePort } from './postgres-server.js'

/** A Redis server the tests may use, and a key prefix of their own. */
export interface TestRedis {
  /** `redis://127.0.0.1:<port>` */
  readonly url: string
  /** A prefix unique to this suite: keys under it never collide with another test file's. */
  readonly prefix: string
}

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
export function answers(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port })
    const done = (ok: boolean) => (socket.destroy(), resolve(ok))
    socket.setTimeout(timeoutMs, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}

/** Where Redis is, decided once per test file: the URL, or why there is none. */
async function findRedis(): Promise<{ url: string; server?: ChildProcess } | { skip: string }> {
  const fromEnv = process.env['WEFT_TEST_REDIS_URL']
  if (fromEnv !== undefined && fromEnv !== '') return { url: fromEnv }
  if (await answers(6379)) return { url: 'redis://127.0.0.1:6379' }
  if (spawnSync('redis-server', ['--version']).status !== 0) return { skip: 'no Redis: set WEFT_TEST_REDIS_URL, start one on 6379, or apt-get install redis-server' }
  const port = await freePort()
  const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
  for (let i = 0; i < 100; i++) {
    if (await answers(port)) return { url: `redis://127.0.0.1:${port}`, server }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  server.kill()
  return { skip: `a throwaway redis-server did not answer on port ${port}` }
}

const found = await findRedis()
// A throwaway server ends with the test file's process.
if ('server' in found) process.once('exit', () => found.server?.kill())

/** The URL of the Redis the tests use, or why there is none. */
export function redisForTests(): { url: string } | { skip: string } {
  return 'skip' in found ? { skip: found.skip } : { url: found.url }
}

/** A suite that needs Redis: skipped, with the reason in its name, when there is none (in CI: failed). */
export function describeRedis(name: string, fn: (redis: () => TestRedis) => void): void {
  if ('skip' in found) {
    describeWithServer(name, found.skip, () => fn(() => ({ url: '', prefix: '' })))
    return
  }
  const redis: TestRedis = { url: found.url, prefix: `weft-test:${randomBytes(4).toString('hex')}:` }
  describe(name, () => {
    beforeAll(() => undefined)
    afterAll(() => found.server?.kill())
    fn(() => redis)
  })
}

/** Deletes every key under `prefix` (a suite's own keys, after it). */
export async function dropKeys(url: string, prefix: string): Promise<void> {
  const { Redis } = await import('ioredis')
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 })
  try {
    let cursor = '0'
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500)
      if (keys.length > 0) await client.del(...keys)
      cursor = next
    } while (cursor !== '0')
  } finally {
    client.disconnect()
  }
}
