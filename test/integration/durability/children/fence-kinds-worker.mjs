// A worker of the zombie-fencing test's every-kind scenario. It executes six runs, each parked
// where its next store write is of one kind (RUN_PREFIX-<name> is the run of workflow fk-<name>):
//   step   task 'hold' then 'next'                → saveStep (a checkpoint, a task left)
//   final  task 'hold' alone                      → saveFinalStep (the last checkpoint ends the run)
//   fail   task 'hold' alone, then throws         → saveStep (its failure) and updateRun (the run failed)
//   sleep  task 'hold', then ctx.sleep            → timer
//   wait   waits for event 'go' (sent while it is frozen) → takeEvent
//   pause  task parked for good, asked to pause   → updateRun (paused) and clearAction
// 'hold' tasks print `parked` and wait for the gate.
//
// The freeze: when a lease renewal answers with a requested action (the test asks `pause` to pause
// once every run is parked), the worker stops itself with SIGSTOP right there: the renewal has
// answered, nothing else has run yet. The test takes the runs over and sends SIGCONT: the gates
// open, the renewal's answer is applied (pause, clear the request), and every run makes its next
// write with its stale epoch. Renewals called after SIGCONT are held until each run has attempted
// a fenced write (a slow network, as far as the engine can tell; at most HOLD_RENEWALS_MS), so a
// renewal reporting the leases lost cannot stop the runs before they try.
//
// Every write is reported (recordWrites, saveFinalStep included). After SIGCONT it prints
// `settled` once it executes nothing and has no write in flight.
import { createEngine, defineWorkflow } from 'weft-sdk'
import { engineOptions, failOnUncaught, marker, openStore, pendingWrites, recordWrites, sleep, stayAlive } from './common.mjs'

failOnUncaught()
const env = process.env
const RUNS = 6

let openGates
const gates = new Promise((resolve) => (openGates = resolve))
async function hold(ctx) {
  marker('parked', { runId: ctx.runId })
  await gates
}

const workflows = [
  defineWorkflow({ name: 'fk-step', version: 1 })
    .task('hold', async (_input, ctx) => (await hold(ctx), 'held'))
    .task('next', { dependsOn: ['hold'] }, (held) => `${held} then next`)
    .build(),
  defineWorkflow({ name: 'fk-final', version: 1 })
    .task('hold', async (_input, ctx) => (await hold(ctx), 'held'))
    .build(),
  defineWorkflow({ name: 'fk-fail', version: 1 })
    .task('hold', async (_input, ctx) => {
      await hold(ctx)
      throw new Error('failing after the freeze')
    })
    .build(),
  defineWorkflow({ name: 'fk-sleep', version: 1 })
    .task('hold', async (_input, ctx) => {
      await hold(ctx)
      await ctx.sleep('1 s')
      return 'slept'
    })
    .build(),
  defineWorkflow({ name: 'fk-wait', version: 1 })
    .task('wait', (_input, ctx) => ctx.waitForEvent('go'))
    .build(),
  defineWorkflow({ name: 'fk-pause', version: 1 })
    .task('hold', async (_input, ctx) => {
      marker('parked', { runId: ctx.runId })
      await new Promise(() => undefined)
    })
    .build(),
]

const fencedMethods = new Set(['updateRun', 'saveStep', 'saveFinalStep', 'timer', 'takeEvent', 'clearAction'])
const recorded = recordWrites(
  await openStore(),
  new Set(['createRun', 'claimRuns', 'noteUnclaimable', 'renewLeases', 'releaseRuns', 'requestAction', 'sendEvent', ...fencedMethods]),
)

let continued = false
const attempted = new Set()
let releaseRenewals
const renewalsReleased = new Promise((resolve) => (releaseRenewals = resolve))

const store = new Proxy(recorded, {
  get(target, property, receiver) {
    const value = Reflect.get(target, property, receiver)
    if (typeof value !== 'function') return value
    if (property === 'renewLeases') {
      return async (...args) => {
        if (continued) await Promise.race([renewalsReleased, sleep(Number(env.HOLD_RENEWALS_MS ?? 10_000))])
        const result = await value.apply(target, args)
        if (!continued && result.requested.length > 0) {
          marker('freezing', { requested: result.requested })
          process.kill(process.pid, 'SIGSTOP')
          // Continued (SIGCONT): nothing has run since the renewal answered.
          continued = true
          marker('continued')
          openGates()
        }
        return result
      }
    }
    if (fencedMethods.has(property)) {
      return (...args) => {
        if (continued) {
          attempted.add(args[0].runId)
          if (attempted.size === RUNS) releaseRenewals()
        }
        return value.apply(target, args)
      }
    }
    return value.bind(target)
  },
})

const engine = createEngine({ store, workflows, ...engineOptions() })
await engine.ready
marker('ready')

void (async () => {
  await gates
  // Let the continued process run its writes, then report once nothing runs and nothing is in flight.
  await sleep(50)
  while (engine.stats().runs.running > 0 || engine.stats().runs.paused > 0 || pendingWrites() > 0) await sleep(10)
  marker('settled', { stats: engine.stats().runs, attempted: [...attempted].sort() })
})()
stayAlive()
