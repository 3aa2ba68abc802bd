// One worker process taking per-principal permits as fast as it can, its
// buckets where the test says: STATE=memory|sqlite|postgres with STATE_URL (a
// file or a database URL) and STATE_SPACE (the table). Waits for "go" on stdin
// (so both workers start together), then for DURATION_MS takes "start" for
// SUBJECT in a loop; half-way, if OTHER_SUBJECT is set, takes for that
// principal in a row until one is refused (at most 4 · LIMIT). Reports when
// each take began and ended.
import { memoryPolicyState, RateLimitedError } from 'weft-sdk'
// Not yet in the entry point's export list: from the built files (the integrator adds them to 'weft-sdk').
import { PrincipalLimits } from '../../../../dist/security/principal-limits.js'
import { principal } from '../../../../dist/security/principal.js'
import { sqlitePolicyState } from '../../../../dist/integration/shared-state/sqlite-policy-state.js'
import { describe, failOnUncaught, marker, nextLine } from './common.mjs'

failOnUncaught()
const env = process.env

async function policyState() {
  if (env.STATE === 'memory') return memoryPolicyState()
  if (env.STATE === 'sqlite') return sqlitePolicyState({ path: env.STATE_URL, table: env.STATE_SPACE })
  if (env.STATE === 'postgres') {
    const { postgresPolicyState } = await import('weft-sdk/postgres')
    return postgresPolicyState({ connectionString: env.STATE_URL, table: env.STATE_SPACE, maxConnections: 2 })
  }
  throw new Error(`STATE must be memory, sqlite or postgres, got ${env.STATE}`)
}

const limit = Number(env.LIMIT)
const state = await policyState()
const limits = new PrincipalLimits({ limits: { start: { limit, window: Number(env.WINDOW_MS) } }, state })
const subject = principal({ subject: env.SUBJECT, roles: ['user'] })
const other = env.OTHER_SUBJECT === undefined ? undefined : principal({ subject: env.OTHER_SUBJECT, roles: ['user'] })

/** Takes once: the granted take's [began, ended] (ms since the epoch), or null when refused. Other errors are reported. */
async function takeOnce(who, failures) {
  const began = Date.now()
  try {
    await limits.take(who, 'start')
    return [began, Date.now()]
  } catch (error) {
    if (!(error instanceof RateLimitedError)) failures.push(describe(error))
    else if (!(error.retryAfterMs > 0)) failures.push({ name: 'bad retryAfterMs', message: String(error.retryAfterMs) })
    return null
  }
}

// Warm up the connection and the table on a principal nobody else uses.
await limits.take(principal({ subject: `warmup-${process.pid}`, roles: [] }), 'start')
marker('ready')
await nextLine()
const firstAt = Date.now()
const until = firstAt + Number(env.DURATION_MS)
const granted = []
const failures = []
let refused = 0
let otherTakes
while (Date.now() < until) {
  if (other !== undefined && otherTakes === undefined && Date.now() >= firstAt + Number(env.DURATION_MS) / 2) {
    otherTakes = []
    for (let i = 0; i < 4 * limit; i++) {
      const began = Date.now()
      const take = await takeOnce(other, failures)
      otherTakes.push({ began, ended: Date.now(), granted: take !== null })
      if (take === null) break
    }
  }
  const take = await takeOnce(subject, failures)
  if (take === null) refused += 1
  else granted.push(take)
}
await limits.close()
await state.close()
marker('done', { firstAt, granted, refused, failures, otherTakes })
