/**
 * The HTTP adapter against a real node:http server on 127.0.0.1: auth,
 * Schema decoding, classified failures (429 with Retry-After, 503,
 * connection resets, malformed JSON, oversize bodies), secrets redacted,
 * and the idempotency header per call and on a task retry.
 */
import 'reflect-metadata'
import { Redacted, Schema } from 'effect'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  HttpAdapter,
  HttpDecodeError,
  HttpNetworkError,
  HttpResponseTooLargeError,
  HttpStatusError,
  Retry,
  Task,
  Workflow,
  retryAfterMs,
  type AdapterCallFailed,
  type RetryOptions,
  type TaskContext,
} from 'weft-sdk'
import { memoryEngine } from '../support/engines.js'
import { after, json, raw, reset, ScriptedServer } from './http-server.js'

const server = new ScriptedServer()
beforeAll(() => server.start())
afterAll(() => server.stop())

const Charge = Schema.Struct({ id: Schema.String, amount: Schema.Number })
const fastRetry: RetryOptions = { maxAttempts: 3, backoff: { initial: '1 ms', max: '2 s', jitter: 'none' } }

function http(options: Partial<ConstructorParameters<typeof HttpAdapter>[0]> = {}) {
  return new HttpAdapter({ name: 'payments', baseUrl: `${server.url}v1/`, ...options })
}

describe('HttpAdapter', () => {
  it('sends JSON with auth and decodes the answer with a Schema', async () => {
    server.answer(json(201, { id: 'ch_1', amount: 5 }))
    const api = http({ auth: { type: 'bearer', token: Redacted.make('sk_secret') } })
    const charge = await api.post('charges', { amount: 5 }, { schema: Charge, query: { expand: 'all' } })
    expect(charge).toEqual({ id: 'ch_1', amount: 5 })
    const [request] = server.received
    expect(request).toMatchObject({ method: 'POST', url: '/v1/charges?expand=all', body: '{"amount":5}' })
    expect(request!.headers).toMatchObject({ authorization: 'Bearer sk_secret', 'content-type': 'application/json' })
    expect(request!.headers['idempotency-key']).toBeUndefined()
    await api.close()
  })

  it('authenticates with an API key header and with basic auth', async () => {
    server.answer(json(200, {}))
    const keyed = http({ auth: { type: 'api-key', header: 'x-api-key', value: 'k-123' } })
    await keyed.get('me')
    const basic = http({ auth: { type: 'basic', username: 'ada', password: Redacted.make('pw') } })
    await basic.get('me')
    expect(server.received[0]!.headers['x-api-key']).toBe('k-123')
    expect(server.received[1]!.headers.authorization).toBe(`Basic ${Buffer.from('ada:pw').toString('base64')}`)
    await Promise.all([keyed.close(), basic.close()])
  })

  it('OAuth2 client credentials: one token fetched, cached, fetched again after a 401', async () => {
    let issued = 0
    server.answer((request, response) => {
      if (request.url === '/token') {
        issued++
        expect(request.headers.authorization).toBe(`Basic ${Buffer.from('client:s3cret').toString('base64')}`)
        return json(200, { access_token: `tok-${issued}`, expires_in: 3600 })(request, response)
      }
      if (request.headers.authorization === 'Bearer tok-1' && request.url === '/v1/revoked') return json(401, {})(request, response)
      return json(200, { auth: request.headers.authorization })(request, response)
    })
    const api = http({ auth: { type: 'oauth2', tokenUrl: `${server.url}token`, clientId: 'client', clientSecret: Redacted.make('s3cret') }, operations: { GET: { retry: fastRetry } } })
    expect(await Promise.all([api.get('a'), api.get('b')])).toEqual([{ auth: 'Bearer tok-1' }, { auth: 'Bearer tok-1' }])
    await expect(api.get('revoked')).rejects.toMatchObject({ status: 401, isRetryable: false })
    expect(await api.get('c')).toEqual({ auth: 'Bearer tok-2' })
    expect(issued).toBe(2)
    await api.close()
  })

  it('OAuth2: the last four tokens stay redacted, older ones are forgotten (a long-lived adapter does not keep every token)', async () => {
    let issued = 0
    server.answer((request, response) => {
      if (request.url === '/token') return json(200, { access_token: `tok-${(issued += 1)}-secret`, expires_in: 3600 })(request, response)
      // Every call is refused once with its token in the body: the adapter fetches a new token after each 401.
      return json(401, { echo: request.headers.authorization })(request, response)
    })
    const api = http({ auth: { type: 'oauth2', tokenUrl: `${server.url}token`, clientId: 'client', clientSecret: 'cs' } })
    const bodies: string[] = []
    for (let i = 0; i < 6; i++) bodies.push(((await api.get('x').catch((e: unknown) => e)) as HttpStatusError).body)
    await api.close()
    expect(issued).toBe(6)
    expect(bodies.at(-1)).toContain('Bearer <redacted>') // tok-6, the current one
    // tok-1 was fetched six tokens ago: no longer a secret of the adapter, so an error that quotes it now shows it.
    const late = (api as unknown as { redact(text: string): string }).redact('tok-1-secret tok-3-secret tok-6-secret')
    expect(late).toBe('tok-1-secret <redacted> <redacted>')
  })

  it("a breaker counts the server's failures, not the requests it refused: 4xx and undecodable bodies leave it closed, 503s open it", async () => {
    const api = http({ circuitBreaker: { consecutiveFailures: 2, halfOpenAfter: '1 h' }, cache: { ttl: '1 h' } })
    server.answer((request, response) => {
      const path = request.url.replace(/^\/v1\//, '')
      if (path === 'orders') return json(400, { error: 'bad' })(request, response)
      if (path === 'missing') return json(404, {})(request, response)
      if (path === 'garbled') return raw(200, 'not json', { 'content-type': 'application/json' })(request, response)
      if (path.startsWith('down')) return json(503, {})(request, response)
      return json(200, {})(request, response) // the health check's round trip
    })
    expect(await api.post('orders', {}).catch((e: unknown) => e)).toMatchObject({ status: 400 })
    expect(await api.get('missing').catch((e: unknown) => e)).toMatchObject({ status: 404 })
    expect(await api.get('garbled').catch((e: unknown) => e)).toBeInstanceOf(HttpDecodeError)
    // A refused request is not cached either: the same GET asks again.
    expect(await api.get('missing').catch((e: unknown) => e)).toMatchObject({ status: 404 })
    expect((await api.health()).breakers).toEqual([{ name: 'payments', state: 'closed' }])
    expect(server.received.filter((r) => r.url === '/v1/missing')).toHaveLength(2)
    expect(api.stats().operations.reduce((sum, op) => sum + op.failures, 0)).toBe(4) // still failed calls for the counters
    for (let i = 0; i < 2; i++) expect(await api.get(`down-${i}`).catch((e: unknown) => e)).toMatchObject({ status: 503 })
    expect((await api.health()).breakers).toEqual([{ name: 'payments', state: 'open' }])
    await api.close()
  })

  it('OAuth2: a token endpoint that cannot be reached or answers no token fails with a typed error naming it; a short-lived token is not fetched for every call', async () => {
    const unreachable = http({ auth: { type: 'oauth2', tokenUrl: 'http://127.0.0.1:1/token', clientId: 'c', clientSecret: 'cs' } })
    expect(await unreachable.get('x').catch((e: unknown) => e)).toMatchObject({ name: 'HttpNetworkError', isRetryable: true, path: '/token (OAuth2 token)' })
    await unreachable.close()
    let issued = 0
    server.answer((request, response) => {
      if (request.url === '/token') return issued++ === 0 ? raw(200, '<html>login</html>')(request, response) : json(200, { access_token: `short-${issued}`, expires_in: 20 })(request, response)
      return json(200, { auth: request.headers.authorization })(request, response)
    })
    const api = http({ auth: { type: 'oauth2', tokenUrl: `${server.url}token`, clientId: 'c', clientSecret: 'cs' } })
    expect(await api.get('x').catch((e: unknown) => e)).toMatchObject({ name: 'HttpDecodeError', message: expect.stringContaining('check tokenUrl') })
    for (let i = 0; i < 3; i++) await api.get('x')
    expect(issued).toBe(2) // one refused answer, then one 20-second token for all three calls (renewed halfway, not 30 s early)
    await api.close()
  })

  it('refuses a baseUrl with credentials in it, without showing the password, naming basic auth as the fix', () => {
    const build = () => http({ baseUrl: 'http://ada:pa55word@127.0.0.1:8080/' })
    expect(build).toThrow(/carries credentials.*auth: \{ type: 'basic'/)
    expect(build).not.toThrow(/pa55word/)
  })

  it('reports down when the health path refuses the credentials (401/403)', async () => {
    server.answer(json(401, {}))
    const api = http({ auth: { type: 'bearer', token: 'expired' } })
    const health = await api.health()
    await api.close()
    expect(health).toMatchObject({ state: 'down', detail: expect.stringContaining('401') })
  })

  it('retries 503 and a 429, waiting at least its Retry-After, and not a 400', async () => {
    server.answer(json(503, {}), json(429, {}, { 'retry-after': '0.3' }), json(200, { id: 'ch_2', amount: 1 }))
    const api = http({ retry: fastRetry })
    const started = Date.now()
    expect(await api.get('charges/ch_2', { schema: Charge })).toEqual({ id: 'ch_2', amount: 1 })
    expect(Date.now() - started).toBeGreaterThanOrEqual(290)
    expect(server.received).toHaveLength(3)
    server.answer(json(400, { error: 'bad amount' }))
    const error = await api.post('charges', { amount: -1 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(HttpStatusError)
    expect(error).toMatchObject({ status: 400, isRetryable: false, body: '{"error":"bad amount"}' })
    expect(server.received).toHaveLength(1)
    expect(api.stats().operations).toEqual([
      expect.objectContaining({ operation: 'GET', calls: 1, failures: 0 }),
      expect.objectContaining({ operation: 'POST', calls: 1, failures: 1 }),
    ])
    await api.close()
  })

  it('gives up at once when Retry-After asks for longer than backoff.max', async () => {
    server.answer(json(429, {}, { 'retry-after': '60' }))
    const api = http({ retry: fastRetry })
    await expect(api.get('x')).rejects.toMatchObject({ status: 429, retryAfterMs: 60_000 })
    expect(server.received).toHaveLength(1)
    await api.close()
  })

  it('classifies a connection reset as a retryable network error, and retries it', async () => {
    server.answer(reset, json(200, { ok: true }))
    const api = http({ retry: fastRetry })
    expect(await api.get('flaky')).toEqual({ ok: true })
    server.answer(reset)
    const noRetry = http()
    const error = await noRetry.get('flaky').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(HttpNetworkError)
    expect((error as HttpNetworkError).isRetryable).toBe(true)
    await Promise.all([api.close(), noRetry.close()])
  })

  it('refuses malformed JSON and a body its Schema refuses, without retrying', async () => {
    const api = http({ retry: fastRetry })
    server.answer(raw(200, '{"id": ', { 'content-type': 'application/json' }))
    await expect(api.get('x')).rejects.toBeInstanceOf(HttpDecodeError)
    server.answer(json(200, { id: 'ch_3', amount: '12' }))
    const error = await api.get('x', { schema: Charge }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(HttpDecodeError)
    expect((error as Error).message).toContain('at amount')
    expect(server.received).toHaveLength(1)
    await api.close()
  })

  it('refuses a body over maxResponseBytes, by Content-Length or while streaming', async () => {
    const api = http({ maxResponseBytes: 1000 })
    server.answer(raw(200, 'x'.repeat(2000), { 'content-type': 'text/plain' }))
    await expect(api.get('big')).rejects.toBeInstanceOf(HttpResponseTooLargeError)
    server.answer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' })
      for (let i = 0; i < 20; i++) response.write('y'.repeat(100))
      response.end()
    })
    await expect(api.get('chunked')).rejects.toBeInstanceOf(HttpResponseTooLargeError)
    await api.close()
  })

  it('times out a slow answer with the timeout policy', async () => {
    server.answer(after(500, json(200, {})))
    const api = http({ timeout: '50 ms' })
    await expect(api.get('slow')).rejects.toMatchObject({ code: 'WEFT_TASK_TIMEOUT' })
    await api.close()
  })

  it('aborts the request itself when the timeout or the caller cuts the attempt', async () => {
    // The attempt's cut reaches undici's own abort of the request (no AbortSignal made: CutDispatcher); the server sees the connection go.
    let closed = 0
    const hold = () => (_request: unknown, response: import('node:http').ServerResponse) => void response.on('close', () => closed++)
    server.answer(hold())
    const api = http({ timeout: '50 ms', bulkhead: { maxConcurrent: 4 } })
    await expect(api.get('held')).rejects.toMatchObject({ code: 'WEFT_TASK_TIMEOUT' })
    await expect.poll(() => closed, { timeout: 2_000 }).toBe(1)
    const caller = new AbortController()
    const reason = new Error('the task was cancelled')
    setTimeout(() => caller.abort(reason), 30)
    await expect(api.get('held', {}, { signal: caller.signal })).rejects.toBe(reason)
    await expect.poll(() => closed, { timeout: 2_000 }).toBe(2)
    await api.close()
  })

  it('gives a replaced fetch (a stub, a mocking library) the attempt\'s signal', async () => {
    const real = globalThis.fetch
    const inits: RequestInit[] = []
    globalThis.fetch = (input: string | URL | Request, init?: RequestInit) => {
      inits.push(init!)
      // Answers only when cut, as a hanging server would.
      return new Promise<Response>((_resolve, reject) => init!.signal!.addEventListener('abort', () => reject(init!.signal!.reason)))
    }
    try {
      const api = http({ timeout: '30 ms' })
      await expect(api.get('held')).rejects.toMatchObject({ code: 'WEFT_TASK_TIMEOUT' })
      expect(inits).toHaveLength(1)
      expect(inits[0]!.signal!.aborted).toBe(true)
      expect('dispatcher' in inits[0]! ? inits[0]!.dispatcher : undefined).toBeUndefined()
      await api.close()
    } finally {
      globalThis.fetch = real
    }
  })

  it('redacts secrets from errors and events, even a server echoing them', async () => {
    server.answer((request, response) => json(500, { echoed: request.headers.authorization })(request, response))
    const api = http({ auth: { type: 'bearer', token: Redacted.make('sk_canary_42') } })
    const engine = memoryEngine({ adapters: [api] })
    const events: AdapterCallFailed[] = []
    engine.on('adapter.call-failed', (event) => events.push(event))
    const error = (await api.get('x').catch((e: unknown) => e)) as Error
    expect(error.message).not.toContain('sk_canary_42')
    expect(error.message).toContain('<redacted>')
    expect(JSON.stringify(events)).not.toContain('sk_canary_42')
    expect(events).toHaveLength(1)
    await engine.close()
  })

  it('health: up with latency when the server answers, down when it is gone', async () => {
    const other = await new ScriptedServer().start()
    other.answer(json(404, {}))
    const api = new HttpAdapter({ name: 'other', baseUrl: other.url, healthTimeout: '1 s' })
    expect(await api.health()).toMatchObject({ state: 'up' })
    await other.stop()
    const down = await api.health()
    expect(down.state).toBe('down')
    expect(down.detail).toContain('ECONNREFUSED')
    await api.close()
  })

  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(retryAfterMs('2')).toBe(2000)
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4_000)).toBe(6000)
    expect(retryAfterMs(null)).toBeUndefined()
    expect(retryAfterMs('soon')).toBeUndefined()
  })
})

@Workflow({ name: 'http-charge', version: 1 })
class ChargeOrder {
  constructor(readonly payments: HttpAdapter) {}

  @Task()
  @Retry({ maxAttempts: 2, backoff: { initial: '1 ms', jitter: 'none' } })
  async charge(_input: unknown, ctx: TaskContext) {
    const payments = ctx.use(this.payments)
    const charge = await payments.post('charges', { amount: 5 }, { schema: Charge })
    const fee = await payments.post('fees', { amount: 1 }, { schema: Charge })
    return [charge.id, fee.id]
  }
}

describe('a workflow calling HttpAdapter', () => {
  it('sends one idempotency key per call, the same ones again when the task is retried', async () => {
    // First attempt: charge succeeds, fee answers 503 (the adapter has no retry of its own; the task retries).
    server.answer(json(200, { id: 'ch', amount: 5 }), json(503, {}), json(200, { id: 'ch', amount: 5 }), json(200, { id: 'fee', amount: 1 }))
    const engine = memoryEngine({ adapters: [http({ idempotencyHeader: 'X-Request-Key' })] })
    const run = await engine.start(ChargeOrder, {}, { runId: 'order-9' })
    expect((await run.result()).output('charge')).toEqual(['ch', 'fee'])
    expect(server.received.map((r) => `${r.url} ${String(r.headers['x-request-key'])}`)).toEqual([
      '/v1/charges order-9:charge:payments:1',
      '/v1/fees order-9:charge:payments:2',
      '/v1/charges order-9:charge:payments:1',
      '/v1/fees order-9:charge:payments:2',
    ])
    await engine.close()
  })
})
