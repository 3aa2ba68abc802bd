// A worker of the outbox crash test: claims runs of 'outbox-crash', whose one task
// records a durable publish (publishDurably) to EXCHANGE with the run's routing key,
// and delivers outbox entries through an AmqpAdapter on AMQP_URL (topology: EXCHANGE,
// and QUEUE bound to it with ROUTING_KEY).
// Faults, chosen by the environment, to put a crash in one window deterministically:
//   TASK=die-after-record      the task records its publish, appends a `recorded` effect, and dies before returning
//   CLAIM=die                  the first claim of outbox entries after a step was committed appends a `claiming`
//                              effect and dies: the entry is committed and nobody has claimed it
//   DELIVER=hang               each delivery prints `delivering` and never ends (nothing is sent): the test kills it
//   DELIVER=die-after-confirm  each delivery publishes (the broker confirmed), appends a `confirmed` effect, and dies
//                              before the record
// What a child does right before it dies goes to EFFECTS_FILE (written synchronously), not stdout: the test
// may see the exit before it has read the last lines of the pipe.
// OUTBOX_POLL_MS sets the outbox's poll interval; LEASE_MS the lease of runs and entries.
import { createEngine, defineWorkflow } from 'weft-sdk'
import { AmqpAdapter } from 'weft-sdk/amqp'
import { die, effect, engineOptions, failOnUncaught, marker, openStore, stayAlive } from './common.mjs'

failOnUncaught()
const env = process.env

/** The adapter with the test's fault around the real delivery. */
class FaultyAmqp extends AmqpAdapter {
  async deliver(entry, signal) {
    const fields = { id: entry.id, attempts: entry.attempts, owner: entry.leaseOwner }
    if (env.DELIVER === 'hang') {
      marker('delivering', fields)
      // Ignores the signal too: the claim stays this worker's until it dies or its lease ends.
      return new Promise(() => undefined)
    }
    await super.deliver(entry, signal)
    if (env.DELIVER === 'die-after-confirm') {
      effect({ runId: entry.runId, step: 'confirmed', ...fields })
      die()
    }
  }
}

const events = new FaultyAmqp({
  name: 'events',
  url: env.AMQP_URL,
  connectionWait: '5 s',
  topology: {
    exchanges: [{ name: env.EXCHANGE, type: 'direct' }],
    queues: [{ name: env.QUEUE }],
    bindings: [{ exchange: env.EXCHANGE, queue: env.QUEUE, routingKey: env.ROUTING_KEY }],
  },
})

/**
 * The store, dying at the first outbox claim made once a step was committed (CLAIM=die). A claim
 * called while the step's write is in flight waits for it (its statement would run after it: on SQLite
 * the writes queue up), then dies: the entry is committed and never claimed.
 */
function dieOnClaimAfterCommit(store) {
  let stepWrite
  let committed = false
  const outbox = Object.create(store.outbox)
  outbox.claimOutbox = async (request) => {
    await stepWrite?.catch(() => undefined)
    if (!committed) return store.outbox.claimOutbox(request)
    effect({ runId: null, step: 'claiming', ids: request.ids ?? null })
    return die()
  }
  const watched = (method) => (...args) => {
    stepWrite = store[method](...args)
    stepWrite.then(() => (committed = true), () => undefined)
    return stepWrite
  }
  return new Proxy(store, {
    get(target, property) {
      if (property === 'outbox') return outbox
      if ((property === 'saveStep' || property === 'saveFinalStep') && typeof target[property] === 'function') return watched(property)
      const value = Reflect.get(target, property, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

const Notify = defineWorkflow({ name: 'outbox-crash', version: 1 })
  .services({ events: AmqpAdapter })
  .task('notify', (input, ctx) => {
    effect({ runId: ctx.runId, step: 'notify', attempt: ctx.attempt })
    const id = ctx.use(ctx.services.events).publishDurably(env.EXCHANGE, input.routingKey, { runId: ctx.runId, n: input.n })
    if (env.TASK === 'die-after-record') {
      effect({ runId: ctx.runId, step: 'recorded', id })
      die()
    }
    return id
  })
  .build()

const engine = createEngine({
  store: env.CLAIM === 'die' ? dieOnClaimAfterCommit(await openStore()) : await openStore(),
  workflows: [Notify],
  adapters: [{ token: AmqpAdapter, adapter: events }],
  outbox: { pollInterval: Number(env.OUTBOX_POLL_MS ?? 200), retry: { maxAttempts: 5, backoff: { initial: 50, max: 200 } } },
  ...engineOptions(),
})
engine.on('run.completed', (event) => marker('run-completed', { runId: event.runId }))
engine.on('outbox.delivered', (event) => marker('outbox-delivered', { id: event.id, attempts: event.attempts }))
engine.on('outbox.failed', (event) => marker('outbox-failed', { id: event.id, attempts: event.attempts, error: event.error }))
await engine.ready
marker('ready', { workerId: engine.workerId })
stayAlive()
