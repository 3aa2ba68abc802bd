// The cost of the secure path per start: the same one-task workflow started and awaited on the same SQLite file,
// without security and with all of it — a JWT (EdDSA) verified by JwtAuthenticator (its cache warm, as for a client
// that sends the same token for its session), Rbac, a per-principal limit (in memory, high enough never to refuse),
// and the store's hash-chained audit log written in the start's transaction. The two engines take turns round by
// round (interleaved, so the machine's drifts fall on both); the figure is the median µs per run, the overhead the
// ratio of the medians. Also the secure path alone (admission without a run): authenticate + authorize + limit.

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { JwtAuthenticator, JwtIssuer, PrincipalLimits, Rbac, createEngine, defineWorkflow, generateJwtKeys, sqliteStore } from '../dist/index.js'
import { median } from './timing.mjs'

const Hello = defineWorkflow({ name: 'hello', version: 1 }).task('greet', () => 'hi').build()

async function securedConfig() {
  const keys = await generateJwtKeys('EdDSA')
  const issuer = new JwtIssuer({ privateKey: keys.privateKey, kid: keys.kid, algorithm: 'EdDSA', issuer: 'https://auth.bench', audience: 'weft', lifetime: '1 h' })
  const token = await issuer.issue({ subject: 'user:bench', roles: ['clerk'], tenant: 'acme' })
  const security = {
    authorizer: new Rbac({ roles: { clerk: ['start:hello', 'read:hello'] } }),
    authenticator: new JwtAuthenticator({ algorithms: ['EdDSA'], issuer: 'https://auth.bench', audience: 'weft', keys: keys.publicJwks, cacheTtl: '1 h' }),
    limits: new PrincipalLimits({ limits: { start: { limit: 1_000_000, window: '1 s' } } }),
  }
  return { security, token }
}

/** µs per run of `runs` sequential start + result calls of `start`. */
async function timeRuns(start, runs) {
  const began = performance.now()
  for (let i = 0; i < runs; i++) {
    const run = await start()
    if ((await run.result()).output('greet') !== 'hi') throw new Error('wrong output')
  }
  return ((performance.now() - began) * 1000) / runs
}

/**
 * Measures a start through the secure path against one without security, on SQLite files.
 * @returns {{ plain: number, secured: number, ratio: number, auditEntries: number, runs: number }}
 */
export async function measureSecurePath({ rounds = 7, runs = 300 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'weft-bench-secure-'))
  const { security, token } = await securedConfig()
  const plainStore = sqliteStore({ path: join(dir, 'plain.sqlite') })
  const securedStore = sqliteStore({ path: join(dir, 'secured.sqlite') })
  const plain = createEngine({ store: plainStore, workflows: [Hello] })
  const secured = createEngine({ store: securedStore, workflows: [Hello], security })
  const caller = secured.as({ token })
  try {
    await timeRuns(() => plain.start(Hello), 50)
    await timeRuns(() => caller.start(Hello), 50)
    const plainSamples = []
    const securedSamples = []
    for (let r = 0; r < rounds; r++) {
      plainSamples.push(await timeRuns(() => plain.start(Hello), runs))
      securedSamples.push(await timeRuns(() => caller.start(Hello), runs))
    }
    // The starts' entries (the log also holds the engine's policy.changed and the token's auth.succeeded).
    const auditEntries = (await securedStore.audit.listAudit({ action: 'run.start', limit: 1_000_000 })).entries.length
    const p = median(plainSamples)
    const s = median(securedSamples)
    return { plain: p, secured: s, ratio: s / p, auditEntries, runs: 50 + rounds * runs }
  } finally {
    await plain.close()
    await secured.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Prints the section's table and notes. */
export function printSecurePath(result, table, us) {
  table(
    ['start + result, one task, SQLite file', 'µs per run (median)', 'vs without security'],
    [
      ['without security', us(result.plain), '1.00×'],
      ['secure path: JWT (cached) + Rbac + limit + audit in the same transaction', us(result.secured), `${result.ratio.toFixed(2)}×`],
    ],
  )
  console.log(`  ${result.auditEntries} audit entries for ${result.runs} secured starts (one each, written with its run).`)
}
