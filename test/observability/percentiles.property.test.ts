import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { InvalidOptionsError } from '../../src/core/errors.js'
import { percentile, percentiles } from '../../src/observability/percentiles.js'
import { testSeed } from '../support/seed.js'

const seed = testSeed('test/observability/percentiles.property.test.ts')

/** Nearest rank as its textbook statement: the smallest value v with at least p % of the values ≤ v (integer arithmetic). */
function referenceNearestRank(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  const n = sorted.length
  for (let k = 1; k <= n; k++) if (k * 100 >= p * n) return sorted[k - 1]!
  return sorted[n - 1]!
}

/** Linear interpolation (type 7) written as a weighted mean of the two neighbours. */
function referenceLinear(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  const h = ((sorted.length - 1) * p) / 100
  const j = Math.floor(h)
  const w = h - j
  return j + 1 < sorted.length ? (1 - w) * sorted[j]! + w * sorted[j + 1]! : sorted[j]!
}

const durations = fc.array(fc.integer({ min: 0, max: 10_000_000 }), { minLength: 1, maxLength: 500 })
const fractional = fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 300 })
const percent = fc.integer({ min: 0, max: 100 })

describe('exact percentiles', () => {
  it('by nearest rank equal a sort-based reference on random data', () => {
    fc.assert(
      fc.property(durations, percent, (values, p) => {
        expect(percentile(values, p)).toBe(referenceNearestRank(values, p))
      }),
      { seed, numRuns: 500 },
    )
  })

  it('by nearest rank are always one of the values', () => {
    fc.assert(
      fc.property(fractional, percent, (values, p) => {
        expect(values).toContain(percentile(values, p))
      }),
      { seed, numRuns: 300 },
    )
  })

  it('by linear interpolation equal a sort-based reference on random data', () => {
    fc.assert(
      fc.property(fractional, percent, (values, p) => {
        const expected = referenceLinear(values, p)
        const got = percentile(values, p, { definition: 'linear' })!
        expect(Math.abs(got - expected)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expected)))
      }),
      { seed, numRuns: 500 },
    )
  })

  it('are monotonic in p and bounded by the minimum and maximum', () => {
    fc.assert(
      fc.property(fractional, fc.constantFrom('nearest-rank' as const, 'linear' as const), (values, definition) => {
        const ps = [0, 1, 25, 50, 75, 90, 95, 99, 100]
        const got = percentiles(values, ps, { definition }) as number[]
        for (let i = 1; i < got.length; i++) expect(got[i]!).toBeGreaterThanOrEqual(got[i - 1]!)
        expect(got[0]).toBe(Math.min(...values))
        expect(got.at(-1)).toBe(Math.max(...values))
      }),
      { seed, numRuns: 300 },
    )
  })

  it('give the documented values on a small example', () => {
    expect(percentiles([120, 80, 300, 95], [50, 99])).toEqual([95, 300])
    expect(percentile([10, 20, 30, 40], 50, { definition: 'linear' })).toBe(25)
    expect(percentile([1, 2, 3, 4], 95, { definition: 'linear' })).toBeCloseTo(3.85, 12)
  })

  it('sort numerically, not as text', () => {
    expect(percentile([9, 10, 100], 50)).toBe(10)
  })

  it('are undefined for no values', () => {
    expect(percentiles([], [50, 99])).toEqual([undefined, undefined])
  })

  it('refuse a percentile outside 0 to 100 and values that are not finite', () => {
    expect(() => percentile([1], 101)).toThrow(InvalidOptionsError)
    expect(() => percentile([1], Number.NaN)).toThrow(/from 0 to 100, got NaN/)
    expect(() => percentile([1, Number.POSITIVE_INFINITY], 50)).toThrow(/finite numbers, got Infinity/)
  })
})
