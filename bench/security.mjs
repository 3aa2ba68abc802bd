// The cost of JwtAuthenticator.authenticate: a token seen before (the verification cache: SHA-256 of the token, one
// Map lookup) against a full verification (jose: base64url, JSON, the signature, the claims) for EdDSA, ES256 and
// RS256. Calls are sequential (await each), timed in rounds; the figure is the median round's µs per call.
// Target (issue 11): a cached verification ≤ 20 µs. The cache's TTL (default 30 s) is how late a revocation is seen.

import { createHash } from 'node:crypto'
import { JwtAuthenticator } from '../dist/security/jwt-authenticator.js'
import { generateJwtKeys, JwtIssuer } from '../dist/security/jwt-issuer.js'
import { median } from './timing.mjs'

const issuerName = 'https://auth.bench.local'

async function contender(algorithm, cacheTtl) {
  const keys = await generateJwtKeys(algorithm)
  const issuer = new JwtIssuer({ privateKey: keys.privateKey, kid: keys.kid, algorithm, issuer: issuerName, audience: 'weft', lifetime: '1 h' })
  const authenticator = new JwtAuthenticator({ algorithms: [algorithm], issuer: issuerName, audience: 'weft', keys: keys.publicJwks, cacheTtl })
  const token = await issuer.issue({ subject: 'user:bench', roles: ['analyst', 'operator'], tenant: 'acme', claims: { email: 'bench@example.com' } })
  return { authenticator, token }
}

/** µs per call of `call` (async), the median of `rounds` rounds of `calls` calls after a warm-up round; counts wrong answers. */
async function timeCalls(call, { rounds, calls }) {
  let wrong = 0
  const once = async () => {
    if ((await call()) !== true) wrong++
  }
  for (let i = 0; i < Math.min(calls, 2_000); i++) await once()
  const samples = []
  for (let r = 0; r < rounds; r++) {
    const start = performance.now()
    for (let i = 0; i < calls; i++) await once()
    samples.push(((performance.now() - start) * 1000) / calls)
  }
  return { us: median(samples), min: Math.min(...samples), max: Math.max(...samples), wrong }
}

/**
 * Measures cached and uncached `authenticate` calls.
 * @returns {{ cached, hash, uncached: Record<string, {us, min, max}>, tokenBytes, wrong }}
 */
export async function measureJwtAuthentication({ rounds = 7, cachedCalls = 20_000, uncachedCalls = 1_000 } = {}) {
  const cachedSetup = await contender('EdDSA', '1 h')
  const { authenticator, token } = cachedSetup
  const ok = (principal) => principal.subject === 'user:bench' && principal.tenant === 'acme'
  const cached = await timeCalls(async () => ok(await authenticator.authenticate({ token })), { rounds, calls: cachedCalls })
  const hash = await timeCalls(async () => createHash('sha256').update(token).digest('base64url').length === 43, { rounds, calls: cachedCalls })
  const uncached = {}
  let wrong = cached.wrong + hash.wrong
  for (const algorithm of ['EdDSA', 'ES256', 'RS256']) {
    const setup = await contender(algorithm, 0)
    uncached[algorithm] = await timeCalls(async () => ok(await setup.authenticator.authenticate({ token: setup.token })), { rounds, calls: uncachedCalls })
    wrong += uncached[algorithm].wrong
    if (setup.authenticator.stats().cacheHits !== 0) wrong++
  }
  if (authenticator.stats().verifications !== 1) wrong++
  return { cached, hash, uncached, tokenBytes: token.length, wrong }
}

/** Prints the section's table and notes. */
export function printJwtAuthentication(result, table, us) {
  const range = (m) => `${us(m.min)}–${us(m.max)}`
  table(
    ['authenticate()', 'µs per call (median)', 'min–max', 'vs cached'],
    [
      ['cached (EdDSA token seen before)', us(result.cached.us), range(result.cached), '1.00×'],
      ['  of which SHA-256 of the token', us(result.hash.us), range(result.hash), '—'],
      ...Object.entries(result.uncached).map(([alg, m]) => [`uncached, ${alg} (full verification)`, us(m.us), range(m), `${(m.us / result.cached.us).toFixed(0)}×`]),
    ],
  )
  console.log(`  A ${result.tokenBytes}-byte token with roles, tenant and an e-mail claim; sequential awaited calls. Cached entries`)
  console.log('  live until min(exp, cacheTtl = 30 s by default): the bound on how late a revocation is seen. Target: cached ≤ 20 µs.')
  if (result.wrong > 0) console.log(`  WRONG: ${result.wrong} calls returned another principal or missed/hit the cache unexpectedly`)
}
