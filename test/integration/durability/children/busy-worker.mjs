// A process of the SQLite contention test: after `go` on stdin, runs RUNS runs of a
// write-heavy workflow at once (each item and task works WORK_MS, so commits spread out) (a fan-out of checkpointed items, sub-steps, a durable
// timer, a chain of tasks) and prints each run's outcome. Everything that reaches
// the user — a failed run, a rejected start, a background error — is reported.
import { createEngine, defineWorkflow } from 'weft-sdk'
import { describe, engineOptions, failOnUncaught, marker, nextLine, openStore, recordWrites, sleep } from './common.mjs'

failOnUncaught()
const env = process.env
const prefix = env.RUN_PREFIX
const ITEMS = Number(env.ITEMS)
const CHAIN = Number(env.CHAIN)
const WORK_MS = Number(env.WORK_MS)

let builder = defineWorkflow({ name: 'busy', version: 1 })
  .task('fan', async (input, ctx) => {
    const items = await ctx.map(Array.from({ length: ITEMS }, (_, i) => i), async (i) => (await sleep(WORK_MS), i * input.n), { concurrency: 4 })
    await ctx.sleep(1)
    const checked = await ctx.step('check', () => items.length)
    return items.reduce((a, b) => a + b, 0) + checked
  })
for (let i = 1; i <= CHAIN; i++) builder = builder.task(`c${i}`, { dependsOn: [i === 1 ? 'fan' : `c${i - 1}`] }, async (previous) => (await sleep(WORK_MS), previous + i))
const Busy = builder.build()

const store = await openStore()
const engine = createEngine({ store: recordWrites(store, new Set(['renewLeases', 'claimRuns'])), workflows: [Busy], ...engineOptions() })
await engine.ready
marker('ready')
await nextLine()
marker('go')

const runs = Array.from({ length: Number(env.RUNS) }, (_, n) =>
  engine.start(Busy, { n }, { runId: `${prefix}-${n}` }).then(
    async (run) => {
      const outcome = await run.outcome()
      return { runId: run.id, status: outcome.status, last: outcome.outputs[`c${CHAIN}`], error: outcome.error === undefined ? undefined : describe(outcome.error) }
    },
    (error) => ({ runId: `${prefix}-${n}`, status: 'not started', error: describe(error) }),
  ),
)
marker('results', { results: await Promise.all(runs) })
await engine.close()
await store.close()
