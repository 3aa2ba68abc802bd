// One worker process calling a rate-limited API through an HttpAdapter whose
// limiter state is where the test says: STATE=memory|redis|postgres|sqlite with
// STATE_URL and STATE_SPACE. Waits for "go" on stdin (so both workers start
// together), makes CALLS calls one after another, and reports how they went.
import { HttpAdapter, memoryPolicyState, sqlitePolicyState } from 'weft-sdk'
import { describe, failOnUncaught, marker, nextLine } from './common.mjs'

failOnUncaught()
const env = process.env

async function policyState() {
  if (env.STATE === 'memory') return memoryPolicyState()
  if (env.STATE === 'redis') {
    const { redisPolicyState } = await import('weft-sdk/redis')
    return redisPolicyState({ url: env.STATE_URL, prefix: `${env.STATE_SPACE}:` })
  }
  if (env.STATE === 'sqlite') return sqlitePolicyState({ path: env.STATE_URL, table: env.STATE_SPACE })
  if (env.STATE === 'postgres') {
    const { postgresPolicyState } = await import('weft-sdk/postgres')
    return postgresPolicyState({ connectionString: env.STATE_URL, table: env.STATE_SPACE })
  }
  throw new Error(`STATE must be memory, redis, postgres or sqlite, got ${env.STATE}`)
}

const state = await policyState()
const api = new HttpAdapter({
  name: 'partner-api',
  baseUrl: env.TARGET_URL,
  policyState: state,
  rateLimit: { limit: Number(env.LIMIT), window: Number(env.WINDOW_MS), onLimit: 'wait' },
  // The API's own 429s are retried after its Retry-After.
  retry: { maxAttempts: 20, backoff: { initial: '50 ms', max: '5 s' } },
})
// Warm up: the first request of a process opens its connection (tens of ms), which would make the first
// granted call arrive late and crowd the next window; the API does not count /warmup.
await fetch(new URL('warmup', env.TARGET_URL)).then((response) => response.arrayBuffer())
marker('ready')
await nextLine()
let ok = 0
const failures = []
for (let i = 0; i < Number(env.CALLS); i++) {
  try {
    await api.get(`items/${i}`)
    ok += 1
  } catch (error) {
    failures.push(describe(error))
  }
}
await api.close()
await state.close()
marker('done', { ok, failures })
