// A worker running the 20-step chain of the crash-point sweep.
//
// RESUME=<run id>    await that run (claimed at startup from a killed worker) and print its outputs
// START=<run id>     then start that run (input { base: BASE })
// CRASH=<n>:start    SIGKILL itself at the start of step n's body (nothing of step n recorded)
// CRASH=<n>:effect   ... after step n's side effect, before its checkpoint commits
// CRASH=<n>:commit   ... after step n's checkpoint committed (in the task.completed listener)
// CRASH=random       the test kills it; after the run completes it waits for that
// STEP_DELAY_MS      how long each step works, half before its effect, half after (room for random kills)
import { createEngine, defineWorkflow } from 'weft-sdk'
import { die, effect, engineOptions, failOnUncaught, marker, openStore, resumedOutputs, sleep, stayAlive } from './common.mjs'

failOnUncaught()
const env = process.env
const steps = 20
const stepName = (i) => `s${String(i).padStart(2, '0')}`
const stepDelay = Number(env.STEP_DELAY_MS ?? 0)
const [crashStep, crashAt] = env.CRASH === undefined || env.CRASH === 'random' ? [undefined, env.CRASH] : [Number(env.CRASH.split(':')[0]), env.CRASH.split(':')[1]]

async function step(i, previous, ctx) {
  const crashHere = ctx.runId === env.START && crashStep === i
  if (crashHere && crashAt === 'start') die()
  if (stepDelay > 0) await sleep(stepDelay / 2)
  effect({ runId: ctx.runId, step: stepName(i) })
  if (crashHere && crashAt === 'effect') die()
  if (stepDelay > 0) await sleep(stepDelay / 2)
  return { step: i, value: (previous.value * 31 + i * i) % 1_000_003 }
}

let builder = defineWorkflow({ name: 'chain', version: 1 }).task(stepName(1), (input, ctx) => step(1, { value: input.base }, ctx))
for (let i = 2; i <= steps; i++) builder = builder.task(stepName(i), { dependsOn: [stepName(i - 1)] }, (previous, ctx) => step(i, previous, ctx))
const Chain = builder.build()

const store = await openStore()
const engine = createEngine({ store, workflows: [Chain], ...engineOptions() })
engine.on('task.completed', (event) => {
  if (crashAt === 'commit' && event.runId === env.START && event.task === stepName(crashStep) && !event.fromCheckpoint) die()
})
await engine.ready
marker('ready')

if (env.RESUME) marker('resumed', { runId: env.RESUME, outputs: await resumedOutputs(engine, env.RESUME) })

if (env.START) {
  const run = await engine.start(Chain, { base: Number(env.BASE ?? 1) }, { runId: env.START })
  marker('started', { runId: env.START })
  const result = await run.result()
  marker('completed', { runId: env.START, outputs: result.outputs })
  if (crashAt === 'random') stayAlive()
  else await shutDown()
} else await shutDown()

async function shutDown() {
  await engine.close()
  await store.close()
}
