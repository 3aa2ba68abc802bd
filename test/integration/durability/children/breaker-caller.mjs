// One worker process calling a failing API through an HttpAdapter with a
// circuit breaker (2 consecutive failures open it for 30 s) whose state is
// where the test says (STATE=redis|postgres|sqlite|memory, STATE_URL, STATE_SPACE).
// Makes CALLS calls and reports each one's outcome.
import { HttpAdapter, memoryPolicyState, sqlitePolicyState } from 'weft-sdk'
import { failOnUncaught, marker } from './common.mjs'

failOnUncaught()
const env = process.env

async function policyState() {
  if (env.STATE === 'memory') return memoryPolicyState()
  if (env.STATE === 'redis') return (await import('weft-sdk/redis')).redisPolicyState({ url: env.STATE_URL, prefix: `${env.STATE_SPACE}:` })
  if (env.STATE === 'sqlite') return sqlitePolicyState({ path: env.STATE_URL, table: env.STATE_SPACE })
  if (env.STATE === 'postgres') return (await import('weft-sdk/postgres')).postgresPolicyState({ connectionString: env.STATE_URL, table: env.STATE_SPACE })
  throw new Error(`STATE must be memory, redis, postgres or sqlite, got ${env.STATE}`)
}

const state = await policyState()
const api = new HttpAdapter({ name: 'ledger', baseUrl: env.TARGET_URL, policyState: state, circuitBreaker: { consecutiveFailures: 2, halfOpenAfter: '30 s' } })
const outcomes = []
for (let i = 0; i < Number(env.CALLS); i++) {
  outcomes.push(await api.get('entries').then(() => 'ok', (error) => error.name))
}
const health = await api.health()
await api.close()
await state.close()
marker('done', { outcomes, breakers: health.breakers })
