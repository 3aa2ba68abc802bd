/** The adapter counters' percentiles against a sort-based reference (nearest rank over the last window). */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { LatencyWindow, nearestRank } from 'weft-sdk'

function reference(samples: readonly number[], size: number, p: number): number {
  const window = samples.slice(-size).sort((a, b) => a - b)
  const rank = Math.max(1, Math.ceil((p / 100) * window.length))
  return window[rank - 1]!
}

describe('LatencyWindow', () => {
  it('gives the nearest-rank p50/p95/p99 of the last `size` samples', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 300 }), (size, samples) => {
        const window = new LatencyWindow(size)
        for (const sample of samples) window.add(sample)
        const expected = { p50: reference(samples, size, 50), p95: reference(samples, size, 95), p99: reference(samples, size, 99) }
        expect(window.percentiles()).toEqual(expected)
        expect(window.length).toBe(Math.min(size, samples.length))
      }),
    )
  })

  it('has no percentiles before the first sample; nearest rank of one sample is that sample', () => {
    expect(new LatencyWindow().percentiles()).toBeUndefined()
    expect(nearestRank([7], 99)).toBe(7)
  })
})
