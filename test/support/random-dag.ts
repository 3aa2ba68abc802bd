import fc from 'fast-check'

/** A random DAG: `deps[i]` lists indices smaller than `i`, so it has no cycle. */
export interface RandomDag {
  readonly size: number
  readonly deps: readonly (readonly number[])[]
}

/** Arbitrary DAGs of 1..maxSize tasks; each task depends on up to 4 earlier tasks. */
export function dagArbitrary(maxSize: number): fc.Arbitrary<RandomDag> {
  return fc.integer({ min: 1, max: maxSize }).chain((size) =>
    fc
      .tuple(...Array.from({ length: size }, (_, i) => (i === 0 ? fc.constant([]) : fc.uniqueArray(fc.nat(i - 1), { maxLength: Math.min(4, i) }))))
      .map((deps) => ({ size, deps: deps as number[][] })),
  )
}

/** Task names in random order, so declaration order differs from topological order. */
export function taskName(i: number): string {
  return `t${i}`
}
