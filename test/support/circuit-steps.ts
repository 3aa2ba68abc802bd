// Random sequences of circuit-breaker operations, for the property tests that compare Weft's breaker states
// (in memory, on SQLite) with Effect's own store.
import fc from 'fast-check'

/** One step: let time pass, ask for admission, or record a call's outcome (under a permit). */
export type CircuitStep = { readonly kind: 'advance'; readonly ms: number } | { readonly kind: 'admit' } | { readonly kind: 'record'; readonly permit: number; readonly outcome: 'Success' | 'Failure' | 'Ignored' }

/** Sequences of up to `maxLength` steps, time moving by at most 3 s a step. */
export function circuitSteps(maxLength: number): fc.Arbitrary<CircuitStep[]> {
  return fc.array(
    fc.oneof(
      fc.integer({ min: 0, max: 3_000 }).map((ms) => ({ kind: 'advance' as const, ms })),
      fc.constant({ kind: 'admit' as const }),
      fc.record({ permit: fc.nat(), outcome: fc.constantFrom('Success' as const, 'Failure' as const, 'Ignored' as const) }).map((r) => ({ kind: 'record' as const, ...r })),
    ),
    { maxLength },
  )
}
