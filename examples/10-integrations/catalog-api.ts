/**
 * The "catalog" HTTP API the workflow reads from: a small `node:http`
 * server on 127.0.0.1, port 0 (no internet needed). It answers the first
 * request for items with `503 Service Unavailable` (as a real API does while
 * it deploys) so that the adapter's retry can be seen at work.
 *
 * @module
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** One product of the catalog, as the API returns it. */
export interface CatalogItem {
  readonly sku: string
  readonly name: string
  readonly category: string
  /** Units in the warehouse. */
  readonly stock: number
  /** Below this, the product should be reordered. */
  readonly reorderLevel: number
  /** Units sold per week, recently. */
  readonly weeklySales: number
}

const items: readonly CatalogItem[] = [
  { sku: 'tea-001', name: 'Sencha, 100 g', category: 'tea', stock: 4, reorderLevel: 20, weeklySales: 15 },
  { sku: 'tea-002', name: 'Assam breakfast, 250 g', category: 'tea', stock: 140, reorderLevel: 30, weeklySales: 22 },
  { sku: 'tea-003', name: 'Earl Grey, 100 g', category: 'tea', stock: 60, reorderLevel: 25, weeklySales: 2 },
  { sku: 'tea-004', name: 'Rooibos, 100 g', category: 'tea', stock: 12, reorderLevel: 15, weeklySales: 9 },
  { sku: 'tea-005', name: 'Matcha, 30 g', category: 'tea', stock: 45, reorderLevel: 10, weeklySales: 11 },
  { sku: 'mug-001', name: 'Stoneware mug', category: 'mugs', stock: 3, reorderLevel: 10, weeklySales: 4 },
]

/** A running catalog API. */
export interface CatalogApi {
  /** Its base URL, e.g. `http://127.0.0.1:41234/api/`. */
  readonly url: string
  /** Requests it received for items (the 503 included). */
  readonly itemRequests: number
  /** Stops it (and closes idle keep-alive connections). */
  close(): Promise<void>
}

/** Starts the catalog API on a free port of 127.0.0.1. */
export async function startCatalogApi(): Promise<CatalogApi> {
  let itemRequests = 0
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://catalog')
    if (url.pathname === '/api/health') return send(response, 200, { ok: true })
    if (request.method === 'GET' && url.pathname === '/api/items') {
      itemRequests += 1
      // The first request meets a deploy in progress: 503 with Retry-After (seconds), which the adapter's retry honours.
      if (itemRequests === 1) return send(response, 503, { error: 'deploying, try again' }, { 'retry-after': '0' })
      return send(response, 200, listItems(url))
    }
    send(response, 404, { error: `no route ${request.method ?? ''} ${url.pathname}` })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/api/`,
    get itemRequests() {
      return itemRequests
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()))
        server.closeAllConnections()
      }),
  }
}

/** `GET /api/items?category=&limit=`. */
function listItems(url: URL): CatalogItem[] {
  const category = url.searchParams.get('category')
  const limit = Number(url.searchParams.get('limit') ?? 100)
  return items.filter((item) => category === null || item.category === category).slice(0, limit)
}

function send(response: ServerResponse<IncomingMessage>, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body)
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers })
  response.end(text)
}
