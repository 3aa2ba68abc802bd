// The cost of a call through Weft's HttpAdapter (retry, timeout, circuit
// breaker, rate limit and bulkhead on, none tripping) over raw fetch to the
// same local node:http server. Rounds alternate which goes first, so a noisy
// machine's drift hits both alike; figures are medians of the rounds.

import { createServer } from 'node:http'
import { HttpAdapter } from '../dist/index.js'
import { median } from './timing.mjs'

const answer = JSON.stringify({ id: 'ch_1', amount: 5 })

function startServer() {
  const server = createServer((request, response) => {
    request.resume()
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer) })
      response.end(answer)
    })
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)))
}

/** µs per call of `call(i)`, `calls` calls one after another. */
async function perCall(call, calls) {
  const started = performance.now()
  for (let i = 0; i < calls; i++) await call(i)
  return ((performance.now() - started) * 1000) / calls
}

/**
 * Measures raw fetch and HttpAdapter POSTs of a small JSON body, sequentially.
 * @returns { rawUs, adapterUs, overhead (adapter/raw − 1), rounds, calls, wrong }
 */
export async function measureHttpOverhead({ rounds = 7, calls = 500 } = {}) {
  const server = await startServer()
  const base = `http://127.0.0.1:${server.address().port}/`
  const api = new HttpAdapter({
    name: 'bench',
    baseUrl: base,
    auth: { type: 'bearer', token: 'bench-token' },
    retry: { maxAttempts: 3, backoff: { initial: '10 ms' } },
    timeout: '5 s',
    circuitBreaker: { consecutiveFailures: 50, halfOpenAfter: '30 s' },
    rateLimit: { limit: 1_000_000, window: '1 s' },
    bulkhead: { maxConcurrent: 64 },
  })
  let wrong = 0
  const check = (body) => void (body?.id === 'ch_1' || wrong++)
  const raw = (i) =>
    fetch(`${base}charges`, {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/json', authorization: 'Bearer bench-token', 'Idempotency-Key': `run:task:bench:${i}` },
      body: JSON.stringify({ amount: 5 }),
    }).then(async (response) => {
      if (!response.ok) throw new Error(`status ${response.status}`)
      check(await response.json())
    })
  const adapter = (i) => api.post('charges', { amount: 5 }, {}, { idempotencyKey: `run:task:bench:${i}` }).then(check)
  await perCall(raw, 200)
  await perCall(adapter, 200)
  const rawUs = []
  const adapterUs = []
  for (let round = 0; round < rounds; round++) {
    if (round % 2 === 0) {
      rawUs.push(await perCall(raw, calls))
      adapterUs.push(await perCall(adapter, calls))
    } else {
      adapterUs.push(await perCall(adapter, calls))
      rawUs.push(await perCall(raw, calls))
    }
  }
  await api.close()
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
  const r = median(rawUs)
  const a = median(adapterUs)
  const perRound = adapterUs.map((x, i) => x / rawUs[i] - 1).sort((x, y) => x - y)
  return { rawUs: r, adapterUs: a, overhead: a / r - 1, minOverhead: perRound[0], maxOverhead: perRound.at(-1), rounds, calls, wrong }
}
