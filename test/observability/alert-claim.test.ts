/**
 * The claim rule of store rules' notifications (decideAlertClaim), case by
 * case: who delivers a firing and a resolution, when an engine waits for
 * another's delivery or takes it over, and what counts as a new episode.
 */
import { describe, expect, it } from 'vitest'
import { InvalidAlertError, createEngine } from 'weft-sdk'
import { decideAlertClaim, type AlertClaim, type ClaimAttempt } from '../../src/observability/alerts/alert-claim.js'
import { ClaimedNotifications } from '../../src/observability/alerts/claimed-notifications.js'
import { MemorySettings } from '../../src/storage/memory-settings.js'

const terms = { owner: 'me', now: 10_000, leaseMs: 1_000, staleAfterMs: 60_000 }
const firing: AlertClaim = { state: 'firing', since: 1_000, at: 1_000, owner: 'other', deliverBy: 11_000, delivered: true, seenAt: 9_000 }
const fired = (since: number): ClaimAttempt => ({ transition: 'fired', since, clearSince: since, at: since })
const resolved = (since: number, clearSince: number): ClaimAttempt => ({ transition: 'resolved', since, clearSince, at: terms.now })

describe('claims of store rules’ notifications', () => {
  it('delivers a firing nothing is recorded for, with a claim this engine owns until its lease ends', () => {
    expect(decideAlertClaim(undefined, fired(9_500), terms)).toEqual({ kind: 'deliver', firedFirst: false, claim: { state: 'firing', since: 9_500, at: 9_500, owner: 'me', deliverBy: 11_000, delivered: false, seenAt: 10_000 } })
  })

  it('skips a firing another engine delivered, and waits for one it is still delivering', () => {
    expect(decideAlertClaim(firing, fired(9_500), terms)).toEqual({ kind: 'skip' })
    expect(decideAlertClaim({ ...firing, delivered: false }, fired(9_500), terms)).toEqual({ kind: 'wait' })
  })

  it('takes over a firing whose owner did not deliver it within its lease', () => {
    const decision = decideAlertClaim({ ...firing, delivered: false, deliverBy: 10_000 }, fired(9_500), terms)
    expect(decision).toEqual({ kind: 'deliver', firedFirst: false, claim: { ...firing, delivered: false, owner: 'me', deliverBy: 11_000 } })
  })

  it('skips a firing seen at or before another engine resolved the episode, and delivers one that began after', () => {
    const resolution: AlertClaim = { ...firing, state: 'resolved', at: 9_000 }
    expect(decideAlertClaim(resolution, fired(9_000), terms)).toEqual({ kind: 'skip' })
    expect(decideAlertClaim(resolution, fired(9_001), terms).kind).toBe('deliver')
    expect(decideAlertClaim({ ...resolution, owner: 'me' }, fired(8_000), terms).kind).toBe('deliver')
  })

  it("waits to fire a new episode while another engine is still delivering the last one's resolution (the sink gets resolved, then fired), not after its lease", () => {
    const delivering: AlertClaim = { ...firing, state: 'resolved', at: 9_000, delivered: false, deliverBy: 10_500 }
    expect(decideAlertClaim(delivering, fired(9_001), terms)).toEqual({ kind: 'wait' })
    expect(decideAlertClaim({ ...delivering, deliverBy: 10_000 }, fired(9_001), terms).kind).toBe('deliver')
    expect(decideAlertClaim({ ...delivering, owner: 'me' }, fired(9_001), terms).kind).toBe('deliver')
  })

  it('delivers a firing over a stale one (nobody saw it firing for staleAfterMs) as a new episode', () => {
    expect(decideAlertClaim({ ...firing, seenAt: 10_000 - 60_001 }, fired(9_500), terms).kind).toBe('deliver')
    expect(decideAlertClaim({ ...firing, seenAt: 10_000 - 60_000 }, fired(9_500), terms)).toEqual({ kind: 'skip' })
  })

  it('delivers the first resolution of a delivered firing, and skips one of a firing that began after the engine saw it clear', () => {
    expect(decideAlertClaim(firing, resolved(900, 5_000), terms)).toEqual({ kind: 'deliver', firedFirst: false, claim: { state: 'resolved', since: 1_000, at: 10_000, owner: 'me', deliverBy: 11_000, delivered: false, seenAt: 9_000 } })
    expect(decideAlertClaim(firing, resolved(900, 999), terms)).toEqual({ kind: 'skip' })
    expect(decideAlertClaim({ ...firing, state: 'resolved', at: 9_000 }, resolved(900, 5_000), terms)).toEqual({ kind: 'skip' })
    expect(decideAlertClaim(undefined, resolved(900, 5_000), terms)).toEqual({ kind: 'skip' })
  })

  it('waits to resolve a firing another engine is still delivering, and delivers the firing first once its lease passed', () => {
    expect(decideAlertClaim({ ...firing, delivered: false }, resolved(900, 5_000), terms)).toEqual({ kind: 'wait' })
    expect(decideAlertClaim({ ...firing, delivered: false, deliverBy: 9_999 }, resolved(900, 5_000), terms)).toMatchObject({ kind: 'deliver', firedFirst: true })
    expect(decideAlertClaim({ ...firing, delivered: false, owner: 'me' }, resolved(900, 5_000), terms)).toMatchObject({ kind: 'deliver', firedFirst: false })
  })
})

describe('the alerts option deliveryLease', () => {
  it('is refused when shorter than 10 ms or not a duration, naming the field', () => {
    const rules = [{ kind: 'breaker-open', name: 'open' }] as const
    expect(() => createEngine({ alerts: { rules, deliveryLease: 5 } })).toThrow(InvalidAlertError)
    expect(() => createEngine({ alerts: { rules, deliveryLease: 5 } })).toThrow(/deliveryLease/)
    expect(() => createEngine({ alerts: { rules, deliveryLease: 'soon' as never } })).toThrow(/deliveryLease/)
  })
})

describe('an engine’s claimed notifications when the store fails to mark one delivered', () => {
  it('marks it again at the next settle, so no other engine delivers it again once the lease ends; a throwing store is reported, never an unhandled rejection', async () => {
    const settings = new MemorySettings()
    const failures: unknown[] = []
    let updates = 0
    const flaky = {
      get: (name: string) => settings.get(name),
      set: (name: string, value: unknown) => settings.set(name, value),
      // The first update claims; the next two mark the delivery and fail, one rejecting, one throwing synchronously.
      update: (name: string, change: (value: unknown) => unknown) => {
        updates++
        if (updates === 2) return Promise.reject(new Error('store unavailable'))
        if (updates === 3) throw new Error('store refused synchronously')
        return settings.update(name, change)
      },
    }
    const delivered: unknown[] = []
    const claims = new ClaimedNotifications({
      settings: flaky,
      owner: 'me',
      leaseMs: 1_000,
      refreshMs: 1_000,
      deliver: async (notification) => void delivered.push(notification),
      now: () => terms.now,
      reportError: (error) => failures.push(error),
    })
    const name = 'alert:["dead-letters",[]]'
    claims.add(name, { type: 'alert.fired' } as never, fired(9_500))
    await claims.settle(terms.now, [])
    await claims.idle()
    expect(delivered).toHaveLength(1)
    expect((await settings.get(name)) as AlertClaim).toMatchObject({ owner: 'me', delivered: false })
    await claims.settle(terms.now, [])
    expect((await settings.get(name)) as AlertClaim).toMatchObject({ owner: 'me', delivered: false })
    await claims.settle(terms.now, [])
    expect((await settings.get(name)) as AlertClaim).toMatchObject({ owner: 'me', delivered: true })
    expect(updates).toBe(4)
    expect(failures.map((error) => (error as Error).message)).toEqual(['store unavailable', 'store refused synchronously'])
    expect(delivered).toHaveLength(1)
  })
})
