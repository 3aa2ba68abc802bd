/**
 * The "payments" HTTP API the order workflow charges through Weft's HTTP
 * adapter: a small `node:http` server on 127.0.0.1, port 0 (no internet
 * needed). It answers `POST /charges` with a charge id and remembers the
 * idempotency key of each charge, so a charge repeated after a crash is one
 * charge.
 *
 * @module
 */
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A running payments API. */
export interface PaymentsApi {
  /** Its base URL, e.g. `http://127.0.0.1:41234/`. */
  readonly url: string
  /** Charges made, by idempotency key. */
  readonly charges: ReadonlyMap<string, { readonly orderId: string; readonly amount: number }>
  /** Stops it. */
  close(): Promise<void>
}

/** Starts the payments API on a free port of 127.0.0.1. */
export async function startPaymentsApi(): Promise<PaymentsApi> {
  const charges = new Map<string, { orderId: string; amount: number }>()
  const server = createServer(async (request, response) => {
    const body = request.method === 'POST' ? (JSON.parse(await text(request)) as { orderId: string; amount: number }) : undefined
    if (request.url === '/charges' && body !== undefined) {
      const key = String(request.headers['idempotency-key'] ?? `${charges.size}`)
      if (!charges.has(key)) charges.set(key, { orderId: body.orderId, amount: body.amount })
      response.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ chargeId: `ch-${[...charges.keys()].indexOf(key) + 1}`, amount: body.amount }))
      return
    }
    response.writeHead(request.url === '/' ? 200 : 404, { 'content-type': 'application/json' }).end('{}')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    charges,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

async function text(request: IncomingMessage): Promise<string> {
  let body = ''
  for await (const chunk of request) body += String(chunk)
  return body
}
