/**
 * Rate limits and circuit breakers shared by worker processes through Redis,
 * through PostgreSQL and through one SQLite file.
 *
 * A rate limit shared by two worker processes, against a partner API that
 * answers 429 (with Retry-After) past the limit: with the shared limiter the
 * two workers together stay within it in every window of the limiter (the API
 * never says 429); with state in memory (the control) each worker keeps its
 * own count, together they exceed it and the API answers with a storm of
 * 429s, which the workers' retries ride out. Every call succeeds in every case.
 *
 * What the limiter promises, exactly. Its algorithm is Effect's
 * 'fixed-window' (`src/resilience/rate-limiters.ts`), with the same
 * arithmetic in each backend (Effect's Lua script on Redis,
 * `takeFixedWindow` on the PostgreSQL and SQLite rows): a count and an expiry
 * `origin + count·W/L`, reset once expired. In 'wait' mode the n-th take since
 * the reset (at `origin`) is granted at `max(take, origin + ⌊(n−1)/L⌋·W)`, and
 * always before `origin + (⌊(n−1)/L⌋ + 1)·W`: fixed windows of W anchored at
 * the first take, each granting at most L calls. A sliding stretch of W is
 * not bounded by L (the tail of one window and the head of the next can hold
 * 2L − 1 calls), so the API and the checks count in the limiter's own windows,
 * anchored at the first request, with JITTER_MS for the clock and transport
 * between a grant and the request's arrival. The anchor holds for the whole
 * run because the workers keep the count saturated: each window's share is
 * taken within milliseconds of its start, long before the count expires at
 * its end.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, postgresSkipReason, type TestDatabase } from '../../support/postgres.js'
import { redisForTests } from '../../support/redis.js'
import { needServer } from '../../support/server-suites.js'
import { join } from 'node:path'
import { spawnChild, useChildCleanup, useTempDir } from './harness.js'

const LIMIT = 4
const WINDOW_MS = 1_000
/** Calls per worker: the two workers' 16 calls fill four windows of the shared limit. */
const CALLS = 8
/** How much sooner after its grant than the first request a request may arrive (clock and transport jitter), and still count in its grant's window. */
const JITTER_MS = 50

/** A partner API with the limiter's own limit: LIMIT requests per WINDOW_MS window, windows anchored at its first request; past it 429 with Retry-After: 1. */
class PartnerApi {
  /** Arrival times (performance.now()) of every request, answered or refused. */
  readonly arrivals: number[] = []
  private readonly accepted = new Map<number, number>()
  tooMany = 0
  private server: Server | undefined
  url = ''

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      if (request.url === '/warmup') return void response.writeHead(204).end()
      const window = this.windowOf(performance.now())
      const taken = this.accepted.get(window) ?? 0
      if (taken >= LIMIT) {
        this.tooMany += 1
        response.writeHead(429, { 'retry-after': '1', 'content-type': 'application/json' }).end('{"error":"slow down"}')
        return
      }
      this.accepted.set(window, taken + 1)
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ item: request.url }))
    })
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve))
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`
  }

  /** Records an arrival and names the limiter's window it falls in: 0 for the first request's. */
  private windowOf(at: number): number {
    this.arrivals.push(at)
    return Math.floor((at - this.arrivals[0]! + JITTER_MS) / WINDOW_MS)
  }

  /** The requests that arrived in each of the limiter's windows, in order (answered or refused). */
  perWindow(): number[] {
    const counts: number[] = []
    for (const at of this.arrivals) {
      const window = Math.floor((at - this.arrivals[0]! + JITTER_MS) / WINDOW_MS)
      counts[window] = (counts[window] ?? 0) + 1
    }
    return Array.from(counts, (count) => count ?? 0)
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections()
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve())
  }
}

const sqliteFolder = useTempDir('shared-policy-state')

/** Runs two workers on `state` against a fresh API, started together; resolves with the API. */
async function twoWorkers(state: { STATE: string; STATE_URL?: string; STATE_SPACE?: string }): Promise<PartnerApi> {
  const api = new PartnerApi()
  await api.start()
  try {
    const env = { ...state, TARGET_URL: api.url, LIMIT, WINDOW_MS, CALLS }
    const workers = [spawnChild('limited-caller.mjs', 'worker-a', env), spawnChild('limited-caller.mjs', 'worker-b', env)]
    await Promise.all(workers.map((worker) => worker.waitFor('ready')))
    for (const worker of workers) worker.process.stdin?.write('go\n')
    const done = await Promise.all(workers.map((worker) => worker.waitFor('done', { timeoutMs: 30_000 })))
    for (const report of done) expect({ ok: report['ok'], failures: report['failures'] }).toEqual({ ok: CALLS, failures: [] })
    return api
  } finally {
    await api.stop()
  }
}

/** The servers a suite's workers share state through (the test support's Redis, a fresh PostgreSQL database), and its children cleaned up. */
function useStateServers() {
  useChildCleanup()
  let db: TestDatabase | undefined
  const redis = redisForTests()
  beforeAll(async () => {
    if (postgresSkipReason() === null) db = await createTestDatabase()
  })
  afterAll(() => db?.drop())
  return {
    redisUrl: (context: { skip(note?: string): never }): string => (needServer(context, 'skip' in redis ? redis.skip : null), 'url' in redis ? redis.url : ''),
    postgresUrl: (context: { skip(note?: string): never }): string => (needServer(context, db === undefined ? (postgresSkipReason() ?? 'no PostgreSQL') : null), db?.url ?? ''),
  }
}

describe('a rate limit shared by two worker processes', () => {
  const servers = useStateServers()

  /** The shared limit held: every request answered at once, no window of the limiter holding more than LIMIT (so the 16 calls span at least four). */
  function expectWithinTheLimit(api: PartnerApi): void {
    expect(api.arrivals).toHaveLength(2 * CALLS)
    expect(api.tooMany).toBe(0)
    const perWindow = api.perWindow()
    expect(Math.max(...perWindow), `requests per window: ${perWindow.join(', ')}`).toBeLessThanOrEqual(LIMIT)
    expect(perWindow.length).toBeGreaterThanOrEqual((2 * CALLS) / LIMIT)
  }

  it('in memory (the control): the two workers together exceed the limit and the API answers 429s, which the retries ride out', async () => {
    const api = await twoWorkers({ STATE: 'memory' })
    expect(api.tooMany).toBeGreaterThan(0)
    expect(Math.max(...api.perWindow())).toBeGreaterThan(LIMIT)
    expect(api.arrivals).toHaveLength(2 * CALLS + api.tooMany)
  })

  it('through Redis: each of the limiter\'s windows holds the limit and no more, and the API never says 429', async (context) => {
    const url = servers.redisUrl(context)
    expectWithinTheLimit(await twoWorkers({ STATE: 'redis', STATE_URL: url, STATE_SPACE: `weft-test:shared-limits:${process.pid}:${Date.now()}` }))
  })

  it('through PostgreSQL: each of the limiter\'s windows holds the limit and no more, and the API never says 429', async (context) => {
    const databaseUrl = servers.postgresUrl(context)
    expectWithinTheLimit(await twoWorkers({ STATE: 'postgres', STATE_URL: databaseUrl, STATE_SPACE: 'shared_limits' }))
  })

  it('through one SQLite file: each of the limiter\'s windows holds the limit and no more, and the API never says 429', async () => {
    expectWithinTheLimit(await twoWorkers({ STATE: 'sqlite', STATE_URL: join(sqliteFolder(), 'limits.db'), STATE_SPACE: 'shared_limits' }))
  })
})

/** A partner API that always fails (503), counting the calls that reach it. */
async function failingApi(): Promise<{ url: string; requests: () => number; stop: () => Promise<void> }> {
  let requests = 0
  const server = createServer((request, response) => {
    if (request.url === '/entries') requests += 1 // not the health checks' round trips
    response.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"down"}')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    requests: () => requests,
    stop: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

describe('a circuit breaker shared by worker processes', () => {
  const servers = useStateServers()

  /** Worker A trips the breaker; worker B, a process started after, is refused without reaching the API. */
  async function tripThenRefuse(state: { STATE: string; STATE_URL?: string; STATE_SPACE?: string }) {
    const api = await failingApi()
    try {
      const a = spawnChild('breaker-caller.mjs', 'worker-a', { ...state, TARGET_URL: api.url, CALLS: 3 })
      const first = await a.waitFor('done')
      const reachedByA = api.requests()
      const b = spawnChild('breaker-caller.mjs', 'worker-b', { ...state, TARGET_URL: api.url, CALLS: 2 })
      const second = await b.waitFor('done')
      return { first: first['outcomes'], second: second['outcomes'], secondBreakers: second['breakers'], reachedByA, reachedByB: api.requests() - reachedByA }
    } finally {
      await api.stop()
    }
  }

  it('in memory (the control): the second process does not know the first opened it, and calls the API again', async () => {
    const seen = await tripThenRefuse({ STATE: 'memory' })
    expect(seen.first).toEqual(['HttpStatusError', 'HttpStatusError', 'CircuitOpenError'])
    expect(seen.reachedByB).toBe(2)
  })

  it('through Redis: opened by one process, it refuses the next process\'s calls before they reach the API', async (context) => {
    const url = servers.redisUrl(context)
    const seen = await tripThenRefuse({ STATE: 'redis', STATE_URL: url, STATE_SPACE: `weft-test:shared-breaker:${process.pid}:${Date.now()}` })
    expect(seen).toMatchObject({ first: ['HttpStatusError', 'HttpStatusError', 'CircuitOpenError'], second: ['CircuitOpenError', 'CircuitOpenError'], reachedByA: 2, reachedByB: 0 })
    expect(seen.secondBreakers).toEqual([{ name: 'ledger', state: 'open' }])
  })

  it('through PostgreSQL: opened by one process, it refuses the next process\'s calls before they reach the API', async (context) => {
    const databaseUrl = servers.postgresUrl(context)
    const seen = await tripThenRefuse({ STATE: 'postgres', STATE_URL: databaseUrl, STATE_SPACE: 'shared_breaker' })
    expect(seen).toMatchObject({ first: ['HttpStatusError', 'HttpStatusError', 'CircuitOpenError'], second: ['CircuitOpenError', 'CircuitOpenError'], reachedByA: 2, reachedByB: 0 })
    expect(seen.secondBreakers).toEqual([{ name: 'ledger', state: 'open' }])
  })

  it('through one SQLite file: opened by one process, it refuses the next process\'s calls before they reach the API', async () => {
    const seen = await tripThenRefuse({ STATE: 'sqlite', STATE_URL: join(sqliteFolder(), 'breaker.db'), STATE_SPACE: 'shared_breaker' })
    expect(seen).toMatchObject({ first: ['HttpStatusError', 'HttpStatusError', 'CircuitOpenError'], second: ['CircuitOpenError', 'CircuitOpenError'], reachedByA: 2, reachedByB: 0 })
    expect(seen.secondBreakers).toEqual([{ name: 'ledger', state: 'open' }])
  })
})
