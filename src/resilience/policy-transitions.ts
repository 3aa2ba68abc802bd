// The state machines of a circuit and of a rate-limit bucket as pure
// functions of (stored state, now) → (new state, answer): for stores that keep
// the state in a row and apply a transition under a row lock (PostgreSQL), and
// for Weft's in-memory store, whose tables the direct path of the policies
// reads and writes synchronously (memory-policy-state.ts).
//
// They follow Effect's own stores (`effect/persistence`): the circuit follows
// the Redis store's Lua scripts (a probe lease, so a probe whose process died
// frees the circuit; generations that never repeat), the buckets follow the
// in-memory store (fixed window and token bucket, to the millisecond).
// test/resilience/policy-transitions.property.test.ts replays random sequences through
// these and through Effect's in-memory stores and compares the answers.

/** One circuit as stored. */
export interface CircuitRow {
  readonly state: 'Closed' | 'Open' | 'HalfOpen'
  readonly generation: number
  /** Consecutive failures while closed. */
  readonly streak: number
  /** Recent outcomes while closed (`1` failed, `0` succeeded), newest last, at most the rate rule's window. */
  readonly ring: string
  readonly failures: number
  readonly openUntil: number
  readonly openings: number
  readonly lastOpenFor: number
  /** When the count of consecutive openings starts again from 0. */
  readonly resetAt: number
  /** Until when the half-open circuit's probe holds it. */
  readonly leaseUntil: number
}

/** A trip rule, as Effect's `TripPolicy`. */
export type TripRule = { readonly _tag: 'Consecutive'; readonly failures: number } | { readonly _tag: 'Rate'; readonly threshold: number; readonly minimumCalls: number; readonly size: number }

/** What `admit` answers: admitted (with the generation to record under), or refused. */
export type AdmitAnswer =
  | { readonly _tag: 'ok'; readonly generation: number; readonly probe: boolean; readonly consecutiveOpenings: number; readonly movedToHalfOpen: boolean }
  | { readonly _tag: 'open'; readonly retryAfterMs: number }
  | { readonly _tag: 'halfopen' }

/** The transition `record` caused, if any. */
export type RecordAnswer = 'none' | 'closed-open' | 'halfopen-open' | 'halfopen-closed'

const closedCircuit: Omit<CircuitRow, 'generation'> = { state: 'Closed', streak: 0, ring: '', failures: 0, openUntil: 0, openings: 0, lastOpenFor: 0, resetAt: 0, leaseUntil: 0 }

/** A generation larger than the last and than any issued before `now` (µs), so a recreated circuit never reissues one an old permit holds. */
function nextGeneration(current: number, now: number): number {
  return Math.max(current + 1, Math.floor(now * 1000))
}

/** Admits a call through a circuit at `now` (ms). */
export function admitCircuit(row: CircuitRow | undefined, now: number, leaseMs: number): { row: CircuitRow; answer: AdmitAnswer } {
  if (row === undefined) {
    const generation = nextGeneration(0, now)
    return { row: { ...closedCircuit, generation }, answer: { _tag: 'ok', generation, probe: false, consecutiveOpenings: 0, movedToHalfOpen: false } }
  }
  if (row.state === 'Closed') {
    // A call admitted before this reset can still trip the circuit; the stored count restarts.
    const reset = row.openings > 0 && now >= row.resetAt ? { ...row, openings: 0 } : row
    return { row: reset, answer: { _tag: 'ok', generation: reset.generation, probe: false, consecutiveOpenings: reset.openings, movedToHalfOpen: false } }
  }
  if (row.state === 'Open' && now < row.openUntil) return { row, answer: { _tag: 'open', retryAfterMs: row.openUntil - now } }
  if (row.state === 'HalfOpen' && row.leaseUntil > now) return { row, answer: { _tag: 'halfopen' } }
  // Every probe admission, a takeover of a lapsed lease included, starts a new generation.
  const generation = nextGeneration(row.generation, now)
  return {
    row: { ...row, state: 'HalfOpen', generation, leaseUntil: now + leaseMs },
    answer: { _tag: 'ok', generation, probe: true, consecutiveOpenings: row.openings, movedToHalfOpen: row.state === 'Open' },
  }
}

/** Records the outcome of a call admitted under `generation`. */
export function recordCircuit(
  row: CircuitRow | undefined,
  now: number,
  call: { readonly generation: number; readonly outcome: 'Success' | 'Failure' | 'Ignored'; readonly trip: TripRule; readonly openForMs: number },
): { row: CircuitRow | undefined; answer: RecordAnswer; consecutiveOpenings: number } {
  if (row === undefined || row.generation !== call.generation) return { row, answer: 'none', consecutiveOpenings: row?.openings ?? 0 }
  const open = (from: RecordAnswer) => {
    const opened: CircuitRow = {
      ...row,
      state: 'Open',
      generation: nextGeneration(row.generation, now),
      openUntil: now + call.openForMs,
      openings: row.openings + 1,
      lastOpenFor: call.openForMs,
      streak: 0,
      ring: '',
      failures: 0,
      leaseUntil: 0,
    }
    return { row: opened, answer: from, consecutiveOpenings: opened.openings }
  }
  if (row.state === 'HalfOpen') {
    // A new generation fences the freed probe's late outcome.
    if (call.outcome === 'Ignored') return { row: { ...row, generation: nextGeneration(row.generation, now), leaseUntil: 0 }, answer: 'none', consecutiveOpenings: row.openings }
    if (call.outcome === 'Failure') return open('halfopen-open')
    const closed: CircuitRow = { ...row, ...closedCircuit, openings: row.openings, lastOpenFor: row.lastOpenFor, generation: nextGeneration(row.generation, now), resetAt: now + row.lastOpenFor }
    return { row: closed, answer: 'halfopen-closed', consecutiveOpenings: row.openings }
  }
  if (row.state !== 'Closed' || call.outcome === 'Ignored') return { row, answer: 'none', consecutiveOpenings: row.openings }
  // The common case, a success under a consecutive-failure rule with no failure counted: nothing changes (and nothing is allocated).
  if (call.outcome === 'Success' && call.trip._tag === 'Consecutive' && row.streak === 0) return { row, answer: 'none', consecutiveOpenings: row.openings }
  const failed = call.outcome === 'Failure'
  const streak = failed ? row.streak + 1 : 0
  let { ring, failures } = row
  let trips: boolean
  if (call.trip._tag === 'Consecutive') {
    trips = streak >= call.trip.failures
  } else {
    ring += failed ? '1' : '0'
    if (failed) failures += 1
    if (ring.length > call.trip.size) {
      const dropped = ring.slice(0, ring.length - call.trip.size)
      failures -= [...dropped].filter((c) => c === '1').length
      ring = ring.slice(ring.length - call.trip.size)
    }
    trips = ring.length >= call.trip.minimumCalls && failures > 0 && failures / ring.length >= call.trip.threshold
  }
  if (trips) return open('closed-open')
  return { row: { ...row, streak, ring, failures }, answer: 'none', consecutiveOpenings: row.openings }
}

/** A circuit's state for reports, as Effect's `CircuitBreaker.State` has it. */
export function circuitState(row: CircuitRow | undefined, now: number): { state: CircuitRow['state']; retryAfterMs: number; openings: number; probing: boolean } {
  if (row === undefined) return { state: 'Closed', retryAfterMs: 0, openings: 0, probing: false }
  return { state: row.state, retryAfterMs: Math.max(0, row.openUntil - now), openings: row.openings, probing: row.leaseUntil > now }
}

/** A fixed-window counter as stored: its count and when it empties. */
export interface WindowRow {
  readonly count: number
  readonly expiresAt: number
}

/** Takes `tokens` from a fixed window (Effect's `fixedWindow`): the count after taking, and the milliseconds until it empties. */
export function takeFixedWindow(row: WindowRow | undefined, now: number, call: { readonly tokens: number; readonly refillRateMs: number; readonly limit: number | undefined }): { row: WindowRow; answer: readonly [count: number, ttl: number] } {
  const current = row === undefined || row.expiresAt <= now ? { count: 0, expiresAt: now } : row
  if (call.limit !== undefined && call.limit > 0 && current.count + call.tokens > call.limit) return { row: current, answer: [current.count + call.tokens, current.expiresAt - now] }
  const taken = { count: current.count + call.tokens, expiresAt: current.expiresAt + call.refillRateMs * call.tokens }
  return { row: taken, answer: [taken.count, taken.expiresAt - now] }
}

/** A token bucket as stored: tokens left and when it was last refilled. */
export interface BucketRow {
  readonly tokens: number
  readonly lastRefill: number
}

/** Takes `tokens` from a token bucket (Effect's `tokenBucket`): the tokens left after taking (negative when short), and the milliseconds since the refill interval started. */
export function takeTokenBucket(row: BucketRow | undefined, now: number, call: { readonly tokens: number; readonly limit: number; readonly refillRateMs: number; readonly allowOverflow: boolean }): { row: BucketRow; answer: readonly [remaining: number, elapsedMs: number] } {
  let { tokens, lastRefill } = row ?? { tokens: call.limit, lastRefill: now }
  const refills = Math.floor((now - lastRefill) / call.refillRateMs)
  if (refills > 0) {
    tokens = Math.min(call.limit, tokens + refills)
    lastRefill += refills * call.refillRateMs
  }
  if (tokens >= call.limit) lastRefill = now
  const left = tokens - call.tokens
  if (call.allowOverflow || left >= 0) tokens = left
  return { row: { tokens, lastRefill }, answer: [left, Math.max(0, now - lastRefill)] }
}
