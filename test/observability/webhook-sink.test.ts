/**
 * The built-in webhook sink against real node:http servers on 127.0.0.1
 * (port 0): the JSON it posts with its headers, a 500 answer retried until
 * a success, a hanging server cut by the timeout, a 4xx not retried, and
 * secrets kept out of its errors.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { AlertDeliveryError, InvalidAlertError, webhookSink, type AlertFired } from 'weft-sdk'

interface Received {
  readonly headers: IncomingMessage['headers']
  readonly body: unknown
}

const servers: Server[] = []
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

/** A server whose n-th request (from 0) is answered by `answer(n, response)`; it records every request. */
async function serve(answer: (n: number, response: ServerResponse) => void): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = []
  const server = createServer((request, response) => {
    let text = ''
    request.on('data', (chunk: Buffer) => (text += chunk.toString()))
    request.on('end', () => {
      received.push({ headers: request.headers, body: JSON.parse(text) })
      answer(received.length - 1, response)
    })
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/weft`, received }
}

const fired: AlertFired = {
  type: 'alert.fired',
  at: 1_000,
  rule: 'slow-charge',
  severity: 'critical',
  labels: { workflow: 'orders', task: 'charge' },
  value: 2_400,
  threshold: 2_000,
  since: 900,
  summary: 'slow-charge [workflow=orders task=charge]: p95 2.4 s above 2 s over 5 m',
  description: undefined,
}

const fast = { initial: 1, max: 5 } as const

describe('webhookSink', () => {
  it('posts the notification as JSON with its headers', async () => {
    const { url, received } = await serve((_, response) => response.writeHead(204).end())
    await webhookSink({ url, headers: { authorization: 'Bearer s3cret' } }).deliver(fired)
    expect(received).toHaveLength(1)
    expect(received[0]!.headers['content-type']).toBe('application/json')
    expect(received[0]!.headers.authorization).toBe('Bearer s3cret')
    expect(received[0]!.body).toEqual(JSON.parse(JSON.stringify(fired)))
  })

  it('retries a 500 answer and succeeds at the next attempt', async () => {
    const { url, received } = await serve((n, response) => response.writeHead(n === 0 ? 500 : 200).end())
    await webhookSink({ url, retries: 2, backoff: fast }).deliver(fired)
    expect(received).toHaveLength(2)
  })

  it('gives up after its retries with a retryable AlertDeliveryError naming the status', async () => {
    const { url, received } = await serve((_, response) => response.writeHead(503).end())
    const failure = await webhookSink({ url, name: 'ops', retries: 2, backoff: fast }).deliver(fired).catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(AlertDeliveryError)
    expect(failure).toMatchObject({ code: 'WEFT_ALERT_DELIVERY', sink: 'ops', status: 503, isRetryable: true })
    expect((failure as Error).message).toBe(`alert sink "ops": POST ${url} answered 503`)
    expect(received).toHaveLength(3)
  })

  it('aborts an attempt that hangs past the timeout, and retries it', async () => {
    const { url, received } = await serve((n, response) => {
      if (n > 0) response.writeHead(200).end()
      // The first request is never answered.
    })
    const started = Date.now()
    await webhookSink({ url, timeout: 150, retries: 1, backoff: fast }).deliver(fired)
    expect(received).toHaveLength(2)
    expect(Date.now() - started).toBeGreaterThanOrEqual(140)
  })

  it('fails with a timeout when every attempt hangs', async () => {
    const { url, received } = await serve(() => undefined)
    const failure = await webhookSink({ url, timeout: 100, retries: 1, backoff: fast }).deliver(fired).catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(AlertDeliveryError)
    expect((failure as Error).message).toMatch(/timed out after 100 ms \(attempt 2\)$/)
    expect(received).toHaveLength(2)
  })

  it('does not retry a 4xx answer other than 408 and 429', async () => {
    const { url, received } = await serve((_, response) => response.writeHead(401).end())
    const failure = await webhookSink({ url, retries: 3, backoff: fast }).deliver(fired).catch((error: unknown) => error)
    expect(failure).toMatchObject({ status: 401, isRetryable: false })
    expect(received).toHaveLength(1)
  })

  it('keeps the credentials of the URL and the headers out of its errors', async () => {
    const { url } = await serve((_, response) => response.writeHead(500).end())
    const secretUrl = url.replace('http://', 'http://ops:pa55word@') + '?token=t0ken'
    const failure = await webhookSink({ url: secretUrl, headers: { authorization: 'Bearer s3cret' }, retries: 0 }).deliver(fired).catch((error: unknown) => error)
    const text = `${(failure as Error).message} ${JSON.stringify(failure)}`
    for (const secret of ['pa55word', 't0ken', 's3cret', 'ops:']) expect(text).not.toContain(secret)
    expect((failure as Error).message).toContain(url)
  })

  it('names an unreachable endpoint by its system error code', async () => {
    const { url } = await serve(() => undefined)
    const closed = servers.pop()!
    closed.closeAllConnections()
    await new Promise((resolve) => closed.close(resolve))
    const failure = await webhookSink({ url, retries: 0 }).deliver(fired).catch((error: unknown) => error)
    expect((failure as Error).message).toMatch(/failed \(attempt 1\): ECONNREFUSED$/)
  })

  it('refuses a URL that is not http(s) and a negative retry count', () => {
    expect(() => webhookSink({ url: 'ftp://example.com/x' })).toThrow(InvalidAlertError)
    expect(() => webhookSink({ url: 'not a url' })).toThrow(/alerts\.webhookSink\.url: must be an absolute http: or https: URL/)
    expect(() => webhookSink({ url: 'http://127.0.0.1:1/', retries: -1 })).toThrow(/webhookSink\.retries: must be an integer ≥ 0, got -1/)
  })
})
