// The cost of a call through Weft's HttpAdapter (retry, timeout, circuit
// breaker, rate limit and bulkhead on, none tripping) over raw fetch to the
// same local node:http server, and of the adapter without policies. The
// clients take turns in short rounds in rotating order, so a noisy machine's
// drift hits all alike; the overhead is the median of the per-round ratios.
//
// Where the overhead of a call with policies on goes (Node 20, 2 loaded
// cores, December 2026; raw fetch ≈ 500–600 µs per call, in-process server):
// - The adapter itself (URL, headers, body read, JSON decode, counters) costs
//   about nothing: "no policies" is within ±3% of raw fetch, the noise floor
//   of two identical adapters measured this way.
// - The policies used to run through the Effect composition (TaskPolicyRunner:
//   a fiber per call, two more for the timeout's race, the breaker's scope and
//   generator): 40–55% over raw fetch. They now run directly while none acts
//   (src/resilience/direct-policies.ts): ~14 µs per call in a micro-benchmark
//   of all five around an empty body (was ~48 µs, ~80 µs before the per-policy
//   trims), mostly the five synchronous Effect runs against the in-memory
//   breaker and limiter stores (state, admit, record; consume).
// - What is left, about 20% in medians of runs here (16–30% per run of 31
//   rounds), is in two parts. (1) The timeout: 5–7% over "no policies" on its
//   own. It needs an AbortController per attempt (Node 20 makes every signal
//   transferable) and hands its signal to fetch (undici then registers an
//   abort listener and a finalizer per request); the semantics need both (the
//   signal reaches the socket). (2) The Effect runs against the in-memory
//   breaker and rate-limiter stores (breaker state, admit, record; limiter
//   consume; bulkhead take, release: six tiny fibers per call): with the
//   breaker's and limiter's runs stubbed out (an experiment, wrong semantics)
//   all five policies came to 8–9% over "no policies" instead of ~15% in the
//   same runs. The code on the call's own path is small (a CPU profile puts
//   Weft's direct path at ~3% of the process); the fibers' garbage is not.
//   Next step toward ≤ 10%: in-memory breaker and limiter stores of Weft's own
//   that the direct path reads synchronously without Effect.run* (the Effect
//   path keeps using them through the store interfaces).

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
 * Measures raw fetch and HttpAdapter POSTs of a small JSON body, sequentially:
 * the adapter with its five policies on (the figure against the target) and
 * without policies (what the adapter itself costs). The three clients take
 * turns within each round, in a rotating order; the overhead is the median of
 * the per-round ratios (a loaded machine drifts between rounds, less within one).
 * @returns { rawUs, adapterUs, bareUs, overhead, bareOverhead, minOverhead, maxOverhead, rounds, calls, wrong }
 */
export async function measureHttpOverhead({ rounds = 21, calls = 200 } = {}) {
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
  const bareApi = new HttpAdapter({ name: 'bench-bare', baseUrl: base, auth: { type: 'bearer', token: 'bench-token' } })
  let wrong = 0
  const check = (body) => void (body?.id === 'ch_1' || wrong++)
  const clients = {
    raw: (i) =>
      fetch(`${base}charges`, {
        method: 'POST',
        headers: { accept: 'application/json', 'content-type': 'application/json', authorization: 'Bearer bench-token', 'Idempotency-Key': `run:task:bench:${i}` },
        body: JSON.stringify({ amount: 5 }),
      }).then(async (response) => {
        if (!response.ok) throw new Error(`status ${response.status}`)
        check(await response.json())
      }),
    adapter: (i) => api.post('charges', { amount: 5 }, {}, { idempotencyKey: `run:task:bench:${i}` }).then(check),
    bare: (i) => bareApi.post('charges', { amount: 5 }, {}, { idempotencyKey: `run:task:bench:${i}` }).then(check),
  }
  const names = Object.keys(clients)
  for (const name of names) await perCall(clients[name], 200)
  const us = { raw: [], adapter: [], bare: [] }
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(round + k) % names.length]
      us[name].push(await perCall(clients[name], calls))
    }
  }
  await Promise.all([api.close(), bareApi.close()])
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
  const ratios = (name) => us[name].map((x, i) => x / us.raw[i] - 1).sort((x, y) => x - y)
  const perRound = ratios('adapter')
  return {
    rawUs: median(us.raw),
    adapterUs: median(us.adapter),
    bareUs: median(us.bare),
    overhead: median(perRound),
    bareOverhead: median(ratios('bare')),
    minOverhead: perRound[0],
    maxOverhead: perRound.at(-1),
    rounds,
    calls,
    wrong,
  }
}
