/**
 * `weft status`: the store and the adapters of a worker configuration
 * module, checked with real round trips. Real `weft` processes (dist/), a
 * real SQLite file and real `node:http` servers on port 0 that HttpAdapters
 * point at.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HttpAdapter, sqliteStore } from 'weft-sdk'
import { redisPolicyState } from 'weft-sdk/redis'
import { redisForTests } from '../support/redis.js'
import { needServer } from '../support/server-suites.js'
import type { StatusJson } from '../../src/cli/index.js'
import { cells, createModuleFolder, lineStartingWith, runWeft, type ModuleFolder } from '../support/weft-cli.js'

let folder: ModuleFolder
const servers: Server[] = []

/** A server answering 200 to every request, listening on a free loopback port; resolves to its base URL. */
async function startServer(): Promise<{ server: Server; url: string }> {
  const server = createServer((_request, response) => response.end('ok'))
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }
}

function stop(server: Server): Promise<void> {
  server.closeAllConnections()
  return new Promise((resolve, reject) => server.close((error) => (error === undefined ? resolve() : reject(error))))
}

/** A worker module whose configuration lists one HttpAdapter per `name: url`, registered under its name. */
function workerModule(adapters: Readonly<Record<string, string>>, policies = ''): string {
  // Under a token each: two adapters of one class cannot both be registered under the class.
  const list = Object.entries(adapters).map(
    ([name, url]) => `{ token: ${JSON.stringify(name)}, adapter: new HttpAdapter({ name: ${JSON.stringify(name)}, baseUrl: ${JSON.stringify(url)}, healthTimeout: '2 s', ${policies} }) }`,
  )
  return `import { defineWorkflow, HttpAdapter } from 'weft-sdk'
import { defineWorkerConfig } from 'weft-sdk/cli'
const Ping = defineWorkflow({ name: 'ping', version: 1 }).task('ping', () => 'pong').build()
export const weft = defineWorkerConfig({ workflows: [Ping], adapters: [${list.join(', ')}] })
`
}

beforeAll(async () => {
  folder = createModuleFolder('weft-status-')
  const store = sqliteStore({ path: join(folder.path, 'runs.sqlite') })
  await store.init()
  await store.close()
  const search = await startServer()
  const payments = await startServer()
  folder.write('up.mjs', workerModule({ search: search.url, payments: payments.url }, `circuitBreaker: { consecutiveFailures: 5, halfOpenAfter: '30 s' }, rateLimit: { limit: 20, window: '1 s' }`))
  folder.write('plain.mjs', `export const answer = 42\n`)
})

afterAll(async () => {
  await Promise.all(servers.filter((server) => server.listening).map(stop))
  folder.remove()
})

describe('weft status', () => {
  it('prints the database and every adapter up, and exits 0', async () => {
    const result = await runWeft(['status', '--module', 'up.mjs', '--database', 'runs.sqlite'], folder.path)
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(result.lines[0]).toMatch(/^database {2}runs\.sqlite: up in [\d.]+ m?s$/)
    expect(cells(result.lines[1]!)).toEqual(['ADAPTER', 'KIND', 'STATE', 'LATENCY', 'P95', 'BREAKERS', 'LIMITERS', 'DETAIL'])
    const search = cells(lineStartingWith(result.lines, 'search')!)
    expect(search.slice(0, 3)).toEqual(['search', 'http', 'up'])
    expect(search.slice(5)).toEqual(['search closed', 'search 20/20 per 1.00 s'])
    expect(cells(lineStartingWith(result.lines, 'payments')!).slice(0, 3)).toEqual(['payments', 'http', 'up'])
    expect(result.lines.at(-1)).toBe('state     up')
  })

  it('prints one JSON value with --json: the store, each adapter and the percentile of --samples checks', async () => {
    const result = await runWeft(['status', '--module', 'up.mjs', '--database', 'runs.sqlite', '--samples', '3', '--json'], folder.path)
    expect(result.code).toBe(0)
    const status = JSON.parse(result.stdout) as StatusJson
    expect(status.state).toBe('up')
    expect(Number.isNaN(Date.parse(status.checkedAt))).toBe(false)
    expect(status.store).toMatchObject({ state: 'up', database: 'runs.sqlite', detail: null })
    expect(status.adapters.map((a) => [a.name, a.kind, a.state, a.samples, a.detail])).toEqual([
      ['search', 'http', 'up', 3, null],
      ['payments', 'http', 'up', 3, null],
    ])
    for (const adapter of status.adapters) {
      // Of three checks the nearest-rank 95th percentile is the slowest, the last one's at least.
      expect(adapter.p95Ms).toBeGreaterThanOrEqual(adapter.latencyMs)
      expect(adapter.breakers).toEqual([{ name: adapter.name, state: 'closed' }])
      expect(adapter.limiters).toEqual([{ name: adapter.name, limit: 20, windowMs: 1000, remaining: 20 }])
    }
  })

  it('reports an adapter whose server stopped as down, and exits 1', async () => {
    const flaky = await startServer()
    const healthy = await startServer()
    folder.write('flaky.mjs', workerModule({ flaky: flaky.url, healthy: healthy.url }))
    expect((await runWeft(['status', '--module', 'flaky.mjs', '--database', 'runs.sqlite'], folder.path)).code).toBe(0)
    await stop(flaky.server)
    const result = await runWeft(['status', '--module', 'flaky.mjs', '--database', 'runs.sqlite', '--json'], folder.path)
    expect(result.code).toBe(1)
    const status = JSON.parse(result.stdout) as StatusJson
    expect(status.state).toBe('down')
    expect(status.store.state).toBe('up')
    expect(status.adapters.map((a) => [a.name, a.state])).toEqual([
      ['flaky', 'down'],
      ['healthy', 'up'],
    ])
    expect(status.adapters[0]!.detail).not.toBeNull()
  })

  it('shows a degraded adapter (its breaker open) and still exits 0', async () => {
    // An adapter of the module's own, on the Adapter port, whose server answers but whose breaker is open.
    folder.write(
      'degraded.mjs',
      `import { defineWorkflow } from 'weft-sdk'
import { defineWorkerConfig } from 'weft-sdk/cli'
const Ping = defineWorkflow({ name: 'ping', version: 1 }).task('ping', () => 'pong').build()
const legacy = {
  name: 'legacy',
  kind: 'soap',
  health: async () => ({ state: 'degraded', latencyMs: 3, detail: 'breaker "legacy" is open', breakers: [{ name: 'legacy', state: 'open' }], limiters: [] }),
  stats: () => ({ adapter: 'legacy', kind: 'soap', operations: [] }),
  close: async () => undefined,
}
export default defineWorkerConfig({ workflows: [Ping], adapters: [{ token: 'Legacy', adapter: legacy }] })
`,
    )
    const result = await runWeft(['status', '--module', 'degraded.mjs', '--database', 'runs.sqlite'], folder.path)
    expect(result.code).toBe(0)
    expect(cells(lineStartingWith(result.lines, 'legacy')!)).toEqual(['legacy', 'soap', 'degraded', '3 ms', '3 ms', 'legacy open', '-', 'breaker "legacy" is open'])
    expect(result.lines.at(-1)).toBe('state     degraded')
  })

  it("sees a breaker a worker opened, when the workers keep their breakers in Redis (the module's policyState)", async (context) => {
    const redis = redisForTests()
    needServer(context, 'skip' in redis ? redis.skip : null)
    const url = 'url' in redis ? redis.url : ''
    // A server whose health path answers and whose API fails.
    const server = createServer((request, response) => response.writeHead(request.url === '/' ? 200 : 503).end())
    servers.push(server)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    const prefix = `weft-test:status:${process.pid}:${Date.now()}:`
    const policies = "circuitBreaker: { consecutiveFailures: 2, halfOpenAfter: '5 m' }"
    // A worker (here, this process) trips the breaker.
    const state = redisPolicyState({ url, prefix })
    const worker = new HttpAdapter({ name: 'ledger', baseUrl, policyState: state, circuitBreaker: { consecutiveFailures: 2, halfOpenAfter: '5 m' } })
    for (let i = 0; i < 2; i++) await worker.get('entries').catch(() => undefined)
    await worker.close()
    await state.close()
    folder.write(
      'shared.mjs',
      `import { defineWorkflow, HttpAdapter } from 'weft-sdk'
import { defineWorkerConfig } from 'weft-sdk/cli'
import { redisPolicyState } from 'weft-sdk/redis'
const Ping = defineWorkflow({ name: 'ping', version: 1 }).task('ping', () => 'pong').build()
export const weft = defineWorkerConfig({
  workflows: [Ping],
  policyState: redisPolicyState({ url: ${JSON.stringify(url)}, prefix: ${JSON.stringify(prefix)} }),
  adapters: [new HttpAdapter({ name: 'ledger', baseUrl: ${JSON.stringify(baseUrl)}, ${policies} })],
})
`,
    )
    const result = await runWeft(['status', '--module', 'shared.mjs', '--database', 'runs.sqlite'], folder.path)
    expect(result.code).toBe(0)
    expect(cells(lineStartingWith(result.lines, 'ledger')!).slice(0, 3)).toEqual(['ledger', 'http', 'degraded'])
    expect(lineStartingWith(result.lines, 'ledger')).toContain('ledger open')
  })

  it('reports a database that is not there as down, and exits 1', async () => {
    const result = await runWeft(['status', '--database', 'nowhere.sqlite'], folder.path)
    expect(result.code).toBe(1)
    expect(result.lines[0]).toMatch(/^database {2}nowhere\.sqlite: down \(no Weft database at nowhere\.sqlite/)
    expect(result.lines).toContain('adapters  none (--module names a worker configuration that lists them)')
    expect(result.lines.at(-1)).toBe('state     down')
  })

  it('still checks the adapters when the database is down', async () => {
    const result = await runWeft(['status', '--module', 'up.mjs', '--database', 'nowhere.sqlite', '--json'], folder.path)
    expect(result.code).toBe(1)
    const status = JSON.parse(result.stdout) as StatusJson
    expect([status.state, status.store.state, status.store.latencyMs]).toEqual(['down', 'down', null])
    expect(status.adapters.map((a) => [a.name, a.state])).toEqual([
      ['search', 'up'],
      ['payments', 'up'],
    ])
  })

  it('never prints the password of a PostgreSQL URL', async () => {
    const result = await runWeft(['status', '--database', 'postgres://weft:hunter2@127.0.0.1:1/weft', '--json'], folder.path)
    expect(result.code).toBe(1)
    const status = JSON.parse(result.stdout) as StatusJson
    expect(status.store.state).toBe('down')
    expect(status.store.database).not.toContain('hunter2')
    expect(result.stdout + result.stderr).not.toContain('hunter2')
  })

  it('refuses a module without a worker configuration, naming the fix, with exit code 1', async () => {
    const result = await runWeft(['status', '--module', 'plain.mjs', '--database', 'runs.sqlite'], folder.path)
    expect(result.code).toBe(1)
    expect(result.stderr).toBe(
      'weft: plain.mjs exports no worker configuration: weft status checks the adapters of one (export const weft = defineWorkerConfig({ workflows, adapters: [...] }))\n',
    )
  })

  it('exits 2 on a bad command line', async () => {
    const result = await runWeft(['status', '--samples', '0'], folder.path)
    expect(result.code).toBe(2)
    expect(result.stderr).toBe('weft: --samples must be a whole number ≥ 1, got "0"\n')
  })
})
