// The cost of a call through Weft's HttpAdapter (retry, timeout, circuit
// breaker, rate limit and bulkhead on, none tripping) over raw fetch to the
// same local node:http server, and of the adapter without policies, and of
// raw fetch with a hand-made timeout (an AbortController and a timer: what
// the timeout policy does). The clients take turns call by call (in rotating
// order), each call timed on its own: a noisy machine's drift hits all
// alike, and the overhead is the ratio of the median call times (the mean's
// ratio is printed too). Rounds of a few hundred calls per client, as this
// section first did, gave per-round ratios from -25% to +30% on a loaded
// 2-core machine: their median moved by ±3% between runs.
//
// Where the cost of a call with the five policies went (Node 20, December
// 2026, ~400 µs per raw call, in-process server):
// - The adapter itself (URL, headers, body read, JSON decode, counters):
//   ~2% over raw fetch.
// - The policies first ran through the Effect composition (TaskPolicyRunner:
//   a fiber per call, two more for the timeout's race, the breaker's scope):
//   40–55%. They now run directly while none acts (DirectPolicies): 16–22%
//   with Effect's in-memory stores read by synchronous Effect runs; then,
//   with Weft's own in-memory tables (MemoryPolicyTables, no Effect run for
//   the breaker and the limiter), bulkheads on their own counters (Effect's
//   Semaphore cost two runs a call: ~6% alone), timeouts on one timer per
//   target and the first attempt's promise returned as the call's: ~10%.
// - The timeout then still made an AbortController per attempt whose signal
//   fetch had to follow (undici wires its request's own controller to it
//   with a listener, a WeakRef and a finalization registration): the "raw
//   fetch + AbortController timeout" row, 5–10% over raw fetch. An attempt
//   is now cut without a signal (AttemptCut, made only if asked for): the
//   HTTP adapter gives fetch a dispatcher that forwards to undici's global
//   one and keeps undici's own abort of the request (CutDispatcher), and the
//   deadline sits on the target's one timer. The "raw fetch + the adapter's
//   cut" row is that mechanism alone: 0–1% over raw fetch. The attempt's
//   promise is one promise (no async frame; the breaker's verdict and the
//   bulkhead's release where it settles), fetch and the body read in one
//   frame.
// - Measured December 2026 on a 2-core machine loaded by other work (load
//   average 8–14), every figure moves by ±3% between runs: raw fetch ~450 µs;
//   adapter without policies 0–6%; timeout alone 5–8%; five policies 15–23%
//   in a process of its own, before and after the change above alike, while
//   the two builds taking turns in one process gave 21–31% (before) and
//   11–19% (after). The policy code's own CPU (a loop against a stubbed
//   fetch) is ~5 µs a call with five policies (~14 µs before): ~1% of a
//   call; what the median shows beyond that (cache and allocation effects
//   of a real round trip, the machine's load) is not attributed yet.

import { createServer } from 'node:http'
import { HttpAdapter } from '../dist/index.js'
import { CutDispatcher } from '../dist/integration/http/cut-dispatcher.js'
import { AttemptCut } from '../dist/resilience/attempt-cut.js'
import { Deadlines } from '../dist/resilience/deadlines.js'
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

/**
 * Measures raw fetch, raw fetch with a hand-made timeout, raw fetch cut as
 * the adapter's timeout cuts it (no signal), and HttpAdapter
 * POSTs of a small JSON body, sequentially, taking turns call by call: the
 * adapter with its five policies on (the figure against the target) and
 * without policies (what the adapter itself costs).
 * @returns { rawUs, timedUs, cutUs, adapterUs, bareUs, overhead, timedOverhead, cutOverhead, bareOverhead, meanOverhead, calls, wrong }
 */
export async function measureHttpOverhead({ calls = 4_000 } = {}) {
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
  const deadlines = new Deadlines(5_000)
  let wrong = 0
  const check = (body) => void (body?.id === 'ch_1' || wrong++)
  const rawCall = (i, signal, dispatcher) =>
    fetch(`${base}charges`, {
      method: 'POST',
      signal,
      dispatcher,
      headers: { accept: 'application/json', 'content-type': 'application/json', authorization: 'Bearer bench-token', 'Idempotency-Key': `run:task:bench:${i}` },
      body: JSON.stringify({ amount: 5 }),
    }).then(async (response) => {
      if (!response.ok) throw new Error(`status ${response.status}`)
      check(await response.json())
    })
  const clients = {
    raw: (i) => rawCall(i),
    timed: (i) => {
      const controller = new AbortController()
      const timer = setTimeout(() => controller.abort(), 5_000)
      return rawCall(i, controller.signal).finally(() => clearTimeout(timer))
    },
    // What the adapter's timeout does now: a cut with no signal, undici's abort kept by a dispatcher, a deadline on one timer.
    cut: (i) => {
      const cut = AttemptCut.make()
      const deadline = deadlines.add(() => cut.cut())
      return rawCall(i, undefined, new CutDispatcher(cut)).finally(() => deadlines.finish(deadline))
    },
    adapter: (i) => api.post('charges', { amount: 5 }, {}, { idempotencyKey: `run:task:bench:${i}` }).then(check),
    bare: (i) => bareApi.post('charges', { amount: 5 }, {}, { idempotencyKey: `run:task:bench:${i}` }).then(check),
  }
  const names = Object.keys(clients)
  for (let i = 0; i < 300; i++) for (const name of names) await clients[name](i)
  const ms = Object.fromEntries(names.map((name) => [name, []]))
  for (let i = 0; i < calls; i++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(i + k) % names.length]
      const started = performance.now()
      await clients[name](i)
      ms[name].push(performance.now() - started)
    }
  }
  await Promise.all([api.close(), bareApi.close()])
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
  const mid = Object.fromEntries(names.map((name) => [name, median(ms[name])]))
  const mean = (name) => ms[name].reduce((sum, x) => sum + x, 0) / ms[name].length
  return {
    rawUs: mid.raw * 1000,
    timedUs: mid.timed * 1000,
    cutUs: mid.cut * 1000,
    adapterUs: mid.adapter * 1000,
    bareUs: mid.bare * 1000,
    overhead: mid.adapter / mid.raw - 1,
    timedOverhead: mid.timed / mid.raw - 1,
    cutOverhead: mid.cut / mid.raw - 1,
    bareOverhead: mid.bare / mid.raw - 1,
    meanOverhead: mean('adapter') / mean('raw') - 1,
    calls,
    wrong,
  }
}
