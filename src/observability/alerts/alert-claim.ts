// Who delivers a store rule's notification when several engines share a database. A store rule (dead-letters,
// run-waiting) reads the shared store, so every engine given it sees the same alert fire and resolve; each
// transition is claimed in the store's settings before it is delivered, and the engine whose claim is written
// delivers it. This file is the pure rule, decideAlertClaim, over the recorded claim and one engine's transition
// (no clock, no I/O): claimed-notifications.ts reads and writes the claims atomically and acts on the decisions.
//
// A claim records the alert's last transition fleet-wide: its state, the episode's start (`since`), when the
// transition happened (`at`), who delivers it until when (`owner`, `deliverBy`), whether it was delivered, and when
// an engine last saw it firing (`seenAt`). Times are each writer's own clock: they are compared across engines only
// where a skew of a few seconds is harmless (see guides/observability.md, "Several workers").

/** The record of one store rule's alert (a rule and a label set) in the store's settings. */
export interface AlertClaim {
  readonly state: 'firing' | 'resolved'
  /** When the episode began, on the clock of the engine that fired it. */
  readonly since: number
  /** When the alert fired or resolved. */
  readonly at: number
  /** The engine (its `workerId`) delivering this transition's notification. */
  readonly owner: string
  /** Until when the owner has to deliver it; after that another engine delivers it instead (at least once). */
  readonly deliverBy: number
  /** Whether the owner delivered it (every sink settled). */
  readonly delivered: boolean
  /** When an engine last saw the alert firing (refreshed while it fires); a firing nobody saw for long is over. */
  readonly seenAt: number
}

/** One engine's transition of a store rule's alert, to be claimed. */
export interface ClaimAttempt {
  readonly transition: 'fired' | 'resolved'
  /** When the engine saw the episode begin. */
  readonly since: number
  /** Since when the condition was clear (a resolution; for a firing, its `at`). */
  readonly clearSince: number
  /** When the transition happened. */
  readonly at: number
}

/** The engine claiming, its clock now, and the claims' timing. */
export interface ClaimTerms {
  readonly owner: string
  readonly now: number
  /** How long an owner has to deliver before another engine may. */
  readonly leaseMs: number
  /** A firing claim no engine has seen firing for this long is over: a new firing is a new episode. */
  readonly staleAfterMs: number
}

/**
 * What an engine does with its transition: `deliver` it (the claim to write; `firedFirst` when it takes over a
 * resolution whose firing was never delivered, so the sink gets the firing first), `skip` it (another engine
 * delivers or delivered it: the engine keeps the transition in its own state only), or `wait` (the engine that
 * claimed what comes before is still delivering it: try again at the next evaluation).
 */
export type ClaimDecision = { readonly kind: 'deliver'; readonly claim: AlertClaim; readonly firedFirst: boolean } | { readonly kind: 'skip' } | { readonly kind: 'wait' }

const skip: ClaimDecision = { kind: 'skip' }
const wait: ClaimDecision = { kind: 'wait' }

/** The decision on one engine's transition against the claim recorded (`undefined`: none). */
export function decideAlertClaim(stored: AlertClaim | undefined, attempt: ClaimAttempt, terms: ClaimTerms): ClaimDecision {
  return attempt.transition === 'fired' ? decideFired(stored, attempt, terms) : decideResolved(stored, attempt, terms)
}

/**
 * A firing is a new episode when nothing is recorded, when the recorded firing is stale, or when the recorded
 * resolution came before it (this engine's own resolution always did: its transitions are claimed in order). A
 * firing seen at or before another engine's resolution is that episode seen late: skipped. A new episode waits
 * while another engine is still delivering the last one's resolution.
 */
function decideFired(stored: AlertClaim | undefined, attempt: ClaimAttempt, terms: ClaimTerms): ClaimDecision {
  if (stored === undefined) return deliver(newClaim('firing', attempt.since, attempt, terms))
  if (stored.state === 'firing') return terms.now - stored.seenAt > terms.staleAfterMs ? deliver(newClaim('firing', attempt.since, attempt, terms)) : takeOver(stored, terms)
  if (stored.owner !== terms.owner && stored.at >= attempt.since) return skip
  // A new episode. Another engine still delivering the last one's resolution goes first (the sink gets resolved,
  // then fired); once its lease has passed, the firing no longer waits (that resolution is lost with its owner).
  if (!stored.delivered && stored.owner !== terms.owner && stored.deliverBy > terms.now) return wait
  return deliver(newClaim('firing', attempt.since, attempt, terms))
}

/**
 * A resolution is delivered once, by the first engine to claim it over the recorded firing, unless that firing
 * began after this engine saw the condition clear (a later episode: not the one this engine saw end). Over a
 * firing another engine is still delivering, it waits; over one whose delivery deadline passed, it delivers the
 * firing first.
 */
function decideResolved(stored: AlertClaim | undefined, attempt: ClaimAttempt, terms: ClaimTerms): ClaimDecision {
  if (stored === undefined) return skip
  if (stored.state === 'resolved') return stored.at < attempt.since ? skip : takeOver(stored, terms)
  const mine = stored.owner === terms.owner
  if (!mine && stored.since > attempt.clearSince) return skip
  if (!stored.delivered && !mine && stored.deliverBy > terms.now) return wait
  return { kind: 'deliver', claim: { ...newClaim('resolved', stored.since, attempt, terms), seenAt: stored.seenAt }, firedFirst: !stored.delivered && !mine }
}

/** The recorded transition is this engine's too: delivered already, or delivered by this engine once its owner's deadline passed. */
function takeOver(stored: AlertClaim, terms: ClaimTerms): ClaimDecision {
  if (stored.delivered) return skip
  if (stored.owner !== terms.owner && stored.deliverBy > terms.now) return wait
  return deliver({ ...stored, owner: terms.owner, deliverBy: terms.now + terms.leaseMs })
}

function newClaim(state: AlertClaim['state'], since: number, attempt: ClaimAttempt, terms: ClaimTerms): AlertClaim {
  return { state, since, at: attempt.at, owner: terms.owner, deliverBy: terms.now + terms.leaseMs, delivered: false, seenAt: terms.now }
}

function deliver(claim: AlertClaim): ClaimDecision {
  return { kind: 'deliver', claim, firedFirst: false }
}

/** A firing claim refreshed as seen firing now; `undefined` (nothing to write) unless it is firing and was last seen `refreshMs` ago or more. */
export function seenFiring(stored: AlertClaim | undefined, now: number, refreshMs: number): AlertClaim | undefined {
  return stored?.state === 'firing' && now - stored.seenAt >= refreshMs ? { ...stored, seenAt: now } : undefined
}

/** The claim, marked delivered; `undefined` (nothing to write) unless it is still this very claim, undelivered. */
export function markedDelivered(stored: AlertClaim | undefined, claim: AlertClaim): AlertClaim | undefined {
  const same = stored !== undefined && stored.owner === claim.owner && stored.state === claim.state && stored.at === claim.at && stored.since === claim.since
  return same && !stored.delivered ? { ...stored, delivered: true } : undefined
}

/** The name of an alert's claim among the store's settings: the rule and its labels, sorted (JSON: no NUL, which PostgreSQL's text refuses). */
export function alertClaimName(rule: string, labels: Readonly<Record<string, string>>): string {
  const sorted = Object.keys(labels)
    .sort()
    .map((name) => [name, labels[name]!])
  return `alert:${JSON.stringify([rule, sorted])}`
}

/** A stored setting as a claim; anything malformed (edited by hand) reads as no claim. */
export function parseAlertClaim(value: unknown): AlertClaim | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const v = value as Record<string, unknown>
  const numbers = [v['since'], v['at'], v['deliverBy'], v['seenAt']].every((n) => typeof n === 'number' && Number.isFinite(n))
  if (!numbers || (v['state'] !== 'firing' && v['state'] !== 'resolved') || typeof v['owner'] !== 'string' || typeof v['delivered'] !== 'boolean') return undefined
  return value as AlertClaim
}
