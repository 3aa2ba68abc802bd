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
