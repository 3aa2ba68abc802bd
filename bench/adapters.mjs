// The cost of a call through Weft's HttpAdapter (retry, timeout, circuit
// breaker, rate limit and bulkhead on, none tripping) over raw fetch to the
// same local node:http server, and of the adapter without policies, and of
// raw fetch with a hand-made timeout (an AbortController and a timer: what
// the timeout policy does). The clients take turns call by call, each call
// timed on its own: a noisy machine's drift hits all alike, and the overhead
// is the ratio of the median call times (the mean's ratio is printed too).
// Each round takes the clients in a new random order (seeded, so every run
// uses the same orders): in a fixed rotation each client always follows the
// same one, and two identical adapters placed differently measured up to 5
// points apart. Rounds of a few hundred calls per client, as this section
// first did, gave per-round ratios from -25% to +30% on a loaded 2-core
// machine: their median moved by ±3% between runs.
//
// Where the cost of a call with the five policies went (Node 20, December
// 2026, ~270–400 µs per raw call, in-process server):
// - The policies first ran through the Effect composition (TaskPolicyRunner:
//   a fiber per call, two more for the timeout's race, the breaker's scope):
//   40–55%. They run directly while none acts (DirectPolicies), on Weft's own
//   in-memory tables, bulkhead counters and one deadline timer per target.
// - The timeout's AbortController per attempt (the "raw fetch +
//   AbortController timeout" row, 5–10%) became a cut without a signal
//   (AttemptCut; CutDispatcher keeps undici's own abort of the request): the
//   "raw fetch + the adapter's cut" row, 0–2%.
// - That left 12–18% with five policies while their own CPU in a tight loop
//   (an attempt that resolves at once) is ~1 µs a call. Timestamps placed
//   inside a call showed the policies' steps before the request taking
//   12–15 µs and 2 µs after it, and the request through the dispatcher
//   4–7 µs longer. Two causes, neither in a Weft frame of a CPU profile:
//   * V8 had not optimized them. Each function on the path runs once per
//     call, and V8 tiers a function up by the bytecode it has executed, so
//     most of them were still Sparkplug baseline code after 1,000–3,500
//     calls (%GetOptimizationStatus), their time spent in IC and call
//     builtins; a CPU profile puts that in builtins and "(program)". With
//     V8 tiering up 8× sooner (--interrupt-budget=8192) five policies cost
//     7% instead of 10.5%; over one run the overhead fell from 16% in the
//     first 1,000 calls to 8% after 3,000. This section's median mixed both
//     phases then; it now measures after a warm-up (below).
//   * Cold caches: a call's ~270 µs of undici and node:http evict the
//     policies' code and data, so each lookup by name (a Map, a WeakMap, an
//     Effect Context per policy), each object and closure costs far more
//     than in a loop. Callgrind counted 146 K more instructions a call on
//     the main thread with five policies than without, and about twice as
//     many in the GC's helper threads.
// - What changed: the limiter's taker, the bulkhead and the breaker's gate
//   resolved once per operation; a call is one object (DirectCall) instead
//   of ~20 closures, objects and promises (Weft's allocation per call with
//   five policies 4.2 → 2.2 KB); a fixed window's row and the deadline
//   queue's array kept, not reallocated per call; the HTTP adapter's
//   headers copied key by key (three spreads gave every request's headers a
//   hidden class of its own: ~2 µs hot, and undici then builds its key cache
//   again). Before → after, this section run 12 times each over an hour,
//   the two builds taking turns (raw fetch ~270 µs): five policies, median
//   of the runs 14.4% → 10.0% (runs 13.0–18.0% → 8.0–14.9%; the same runs'
//   first halves ~17% → ~12%, second halves ~10% → ~7.5%); no policies
//   ~4.8% → ~3%. With 3,000 untimed rounds first (steady state only), four
//   runs each: 11.1–14.8% → 6.3–11.0%. Three batches of four runs gave the
//   new build medians of 8.5%, 12.1% and 10.1% (the old one 15.0%, 14.7%,
//   14.8%): the spread between runs is as large as what is left above 10%.
//   A --quick run (1,500 calls) is mostly the unoptimized phase: ~11%.
// - How the target is measured (decided December 2026): at steady state, as
//   a service making calls all day runs, after 3,000 rounds of warm-up; the
//   first 1,000 calls of fresh clients are reported beside it as the cold
//   phase. Five runs back to back, raw fetch 257–350 µs: five policies
//   5.9%, 6.8%, 7.2%, 7.0%, 8.4% (median 7.0%); no policies 2.1–3.7%; the
//   cold phase 10.2–13.8% (policies) and 3.4–6.2% (none).

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
 * Each client first runs `warmup` rounds (the first 1,000 of them timed as
 * the cold phase), then `calls` timed rounds.
 * @returns { rawUs, timedUs, cutUs, adapterUs, bareUs, overhead, timedOverhead, cutOverhead, bareOverhead, meanOverhead, cold: { rounds, adapter, bare }, calls, warmup, wrong }
 */
export async function measureHttpOverhead({ calls = 4_000, warmup = 3_000 } = {}) {
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
  const random = seeded(0x5eed)
  // Rounds: each client once, in a new random order, each call timed on its own.
  const rounds = async (count, offset) => {
    const ms = Object.fromEntries(names.map((name) => [name, []]))
    const order = [...names]
    for (let i = offset; i < offset + count; i++) {
      shuffle(order, random)
      for (const name of order) {
        const started = performance.now()
        await clients[name](i)
        ms[name].push(performance.now() - started)
      }
    }
    return ms
  }
  // The warm-up: its first 1,000 rounds (fresh clients, code not yet optimized by V8) are reported as the cold phase.
  const coldRounds = Math.min(1_000, warmup)
  const cold = await rounds(coldRounds, 0)
  await rounds(warmup - coldRounds, coldRounds)
  const ms = await rounds(calls, warmup)
  await Promise.all([api.close(), bareApi.close()])
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
  const mid = Object.fromEntries(names.map((name) => [name, median(ms[name])]))
  const mean = (name) => ms[name].reduce((sum, x) => sum + x, 0) / ms[name].length
  const coldOverhead = (name) => median(cold[name]) / median(cold.raw) - 1
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
    cold: { rounds: coldRounds, adapter: coldOverhead('adapter'), bare: coldOverhead('bare') },
    calls,
    warmup,
    wrong,
  }
}

/** A seeded generator of numbers in [0, 1) (mulberry32): the same orders in every run. */
function seeded(seed) {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Shuffles `items` in place (Fisher–Yates). */
function shuffle(items, random) {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[items[i], items[j]] = [items[j], items[i]]
  }
}
