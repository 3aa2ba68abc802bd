/**
 * The seed of a randomized test file: `SEED=<n>` replays a run; otherwise a
 * fresh seed is drawn. Printed so a failure can be replayed.
 */
export function testSeed(file: string): number {
  const fromEnv = process.env.SEED
  const seed = fromEnv === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(fromEnv)
  console.log(`${file}: SEED=${seed} (replay with SEED=${seed} npx vitest run ${file})`)
  return seed
}

/** A seeded pseudo-random generator (mulberry32): the same seed, the same sequence of numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
