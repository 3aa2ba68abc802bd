// A worker of the unregistered-version test: registers workflow 'versioned' in the
// versions listed in VERSIONS (e.g. "1,3"). START=<run id> starts a run of VERSION;
// its task prints `working` and then waits (the test kills the worker there) unless FINISH=1.
import { createEngine, defineWorkflow } from 'weft-sdk'
import { effect, engineOptions, failOnUncaught, marker, openStore, recordWrites, sleep, stayAlive } from './common.mjs'

failOnUncaught()
const env = process.env

const versions = env.VERSIONS.split(',').map(Number)
const definitions = new Map(
  versions.map((version) => [
    version,
    defineWorkflow({ name: 'versioned', version })
      .task('work', async (input, ctx) => {
        effect({ runId: ctx.runId, step: 'work', version })
        marker('working', { runId: ctx.runId, version })
        if (env.FINISH !== '1') await sleep(600_000)
        return { version }
      })
      .build(),
  ]),
)

const store = await openStore()
// Its claim sweeps are reported (`write` markers), so the test can wait for a few of them.
const engine = createEngine({ store: recordWrites(store, new Set(['claimRuns'])), workflows: [...definitions.values()], ...engineOptions() })
engine.on('run.completed', (event) => marker('run-completed', { runId: event.runId }))
await engine.ready
marker('ready')
if (env.START) await engine.start(definitions.get(Number(env.VERSION)), {}, { runId: env.START })
stayAlive()
