/**
 * The alert state machine (stepAlert) over random sequences of noisy
 * observations: it fires once and resolves once per episode, never resolves
 * within its hold time, fires only after the condition held for `for`, and
 * resolves only after it stayed clear for `hold`.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { stepAlert, type AlertPhase, type AlertTiming } from 'weft-sdk'
import { testSeed } from '../support/seed.js'

const seed = testSeed('test/observability/alert-state.property.test.ts')

/** An observation: time since the previous one, and whether the condition holds. */
const observations = fc.array(fc.record({ dt: fc.integer({ min: 0, max: 5_000 }), holds: fc.boolean() }), { minLength: 1, maxLength: 300 })
const timings = fc.record({ forMs: fc.integer({ min: 0, max: 10_000 }), holdMs: fc.integer({ min: 0, max: 20_000 }) })

interface Observed {
  readonly at: number
  readonly holds: boolean
  readonly transition: 'fired' | 'resolved' | undefined
}

function run(timing: AlertTiming, sequence: readonly { dt: number; holds: boolean }[]): Observed[] {
  let phase: AlertPhase = { kind: 'inactive' }
  let at = 1_000_000
  return sequence.map(({ dt, holds }) => {
    at += dt
    const step = stepAlert(phase, holds, at, timing)
    phase = step.phase
    return { at, holds, transition: step.transition }
  })
}

describe('the alert state machine', () => {
  it('never fires twice without a resolve in between, and resolves only what fired', () => {
    fc.assert(
      fc.property(timings, observations, (timing, sequence) => {
        const transitions = run(timing, sequence).flatMap((o) => (o.transition === undefined ? [] : [o.transition]))
        transitions.forEach((transition, i) => expect(transition).toBe(i % 2 === 0 ? 'fired' : 'resolved'))
      }),
      { seed, numRuns: 1_000 },
    )
  })

  it('never resolves within the hold time of its firing', () => {
    fc.assert(
      fc.property(timings, observations, (timing, sequence) => {
        let firedAt: number | undefined
        for (const o of run(timing, sequence)) {
          if (o.transition === 'fired') firedAt = o.at
          if (o.transition === 'resolved') expect(o.at - firedAt!).toBeGreaterThanOrEqual(timing.holdMs)
        }
      }),
      { seed, numRuns: 1_000 },
    )
  })

  it('fires only after the condition held at every observation for the for duration, and resolves only after it stayed clear for hold', () => {
    fc.assert(
      fc.property(timings, observations, (timing, sequence) => {
        const observed = run(timing, sequence)
        observed.forEach((o, i) => {
          if (o.transition === undefined) return
          const wanted = o.transition === 'fired'
          // The run of observations with the same condition that ends here.
          let start = i
          while (start > 0 && observed[start - 1]!.holds === wanted) start--
          expect(o.holds).toBe(wanted)
          expect(o.at - observed[start]!.at).toBeGreaterThanOrEqual(wanted ? timing.forMs : timing.holdMs)
        })
      }),
      { seed, numRuns: 1_000 },
    )
  })

  it('fires at the first observation that holds when for is 0, and a clear dip shorter than hold leaves it firing', () => {
    const timing = { forMs: 0, holdMs: 10_000 }
    const observed = run(timing, [
      { dt: 0, holds: true },
      { dt: 3_000, holds: false },
      { dt: 3_000, holds: true },
      { dt: 3_000, holds: false },
      { dt: 9_000, holds: false },
      { dt: 1_000, holds: false },
    ])
    expect(observed.map((o) => o.transition)).toEqual(['fired', undefined, undefined, undefined, undefined, 'resolved'])
  })

  it('keeps a condition that holds for less than for pending, then inactive without firing', () => {
    const observed = run({ forMs: 5_000, holdMs: 0 }, [
      { dt: 0, holds: true },
      { dt: 4_000, holds: true },
      { dt: 500, holds: false },
      { dt: 500, holds: true },
      { dt: 5_000, holds: true },
    ])
    expect(observed.map((o) => o.transition)).toEqual([undefined, undefined, undefined, undefined, 'fired'])
  })
})
