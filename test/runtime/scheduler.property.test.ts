import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { defineWorkflow, MemoryWorkflowStore, RunFailedError, type WorkflowDefinition } from 'weft-sdk'
import type { Fence, StepRecord } from 'weft-sdk/store'
import { dagArbitrary, taskName, type RandomDag } from '../support/random-dag.js'
import { testSeed } from '../support/seed.js'
import { memoryEngine } from '../support/engines.js'

const seed = testSeed('test/runtime/scheduler.property.test.ts')

/** A store that counts how often each step is written. */
class CountingStore extends MemoryWorkflowStore {
  readonly writes = new Map<string, number>()
  override async saveStep(fence: Fence, step: StepRecord): Promise<StepRecord> {
    this.writes.set(step.key, (this.writes.get(step.key) ?? 0) + 1)
    return super.saveStep(fence, step)
  }
}

interface Pending {
  readonly task: number
  readonly settle: () => void
}

/** Runs a random DAG, settling task bodies one at a time in an order drawn by `pick`. */
async function runDag(dag: RandomDag, failing: ReadonlySet<number>, concurrency: number, pick: (n: number) => number) {
  const started: number[] = []
  const finished = new Set<number>()
  const pending: Pending[] = []
  let running = 0
  let maxRunning = 0
  const violations: string[] = []
  const body = (i: number) => async (...args: unknown[]) => {
    for (const dep of dag.deps[i]!) if (!finished.has(dep)) violations.push(`t${i} started before t${dep} succeeded`)
    started.push(i)
    running++
    maxRunning = Math.max(maxRunning, running)
    await new Promise<void>((resolve) => pending.push({ task: i, settle: resolve }))
    running--
    if (failing.has(i)) throw new Error(`t${i} failed`)
    finished.add(i)
    return `${i}(${args.slice(0, -1).join(',')})`
  }
  let builder: any = defineWorkflow({ name: 'random', version: 1 })
  for (let i = 0; i < dag.size; i++) {
    const deps = dag.deps[i]!.map(taskName)
    builder = deps.length === 0 ? builder.task(taskName(i), body(i)) : builder.task(taskName(i), { dependsOn: deps }, body(i))
  }
  const store = new CountingStore()
  const engine = memoryEngine({ store, maxConcurrentTasksPerRun: concurrency })
  const run = await engine.start(builder.build() as WorkflowDefinition<void, Record<string, string>>)
  let done = false
  const outcome = run.outcome().then((o) => ((done = true), o))
  while (!done) {
    await new Promise((resolve) => setImmediate(resolve))
    if (pending.length > 0) pending.splice(pick(pending.length), 1)[0]!.settle()
  }
  await engine.close()
  return { outcome: await outcome, started, violations, maxRunning, writes: store.writes }
}

/** What the run must produce whatever the interleaving: outputs computed from the DAG alone. */
function expectedOutputs(dag: RandomDag): Map<number, string> {
  const out = new Map<number, string>()
  for (let i = 0; i < dag.size; i++) out.set(i, `${i}(${dag.deps[i]!.map((d) => out.get(d)).join(',')})`)
  return out
}

/** Failing tasks whose ancestors all succeed: at least one of them is reached in every interleaving. */
function reachableFailures(dag: RandomDag, failing: ReadonlySet<number>): number[] {
  const clean = new Array<boolean>(dag.size)
  const reached: number[] = []
  for (let i = 0; i < dag.size; i++) {
    const ancestorsOk = dag.deps[i]!.every((d) => clean[d])
    clean[i] = ancestorsOk && !failing.has(i)
    if (ancestorsOk && failing.has(i)) reached.push(i)
  }
  return reached
}

const scenario = dagArbitrary(200).chain((dag) =>
  fc.record({
    dag: fc.constant(dag),
    failing: fc.oneof(fc.constant([] as number[]), fc.uniqueArray(fc.nat(dag.size - 1), { maxLength: 3 })),
    concurrency: fc.integer({ min: 1, max: 16 }),
    order: fc.infiniteStream(fc.nat()),
  }),
)

describe('scheduler on random DAGs', () => {
  it('respects dependencies and limits, records each task once, and ends the same whatever the interleaving', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ dag, failing, concurrency, order }) => {
        const draws = order[Symbol.iterator]()
        const failSet = new Set(failing)
        const result = await runDag(dag, failSet, concurrency, (n) => draws.next().value! % n)

        expect(result.violations).toEqual([])
        expect(result.maxRunning).toBeLessThanOrEqual(concurrency)
        for (const count of result.writes.values()) expect(count).toBe(1)
        expect(new Set(result.started).size).toBe(result.started.length)

        const reached = reachableFailures(dag, failSet)
        if (reached.length === 0) {
          expect(result.outcome.status).toBe('completed')
          const expected = expectedOutputs(dag)
          for (let i = 0; i < dag.size; i++) expect(result.outcome.outputs[taskName(i)]).toBe(expected.get(i))
        } else {
          expect(result.outcome.status).toBe('failed')
          expect(result.outcome.error).toBeInstanceOf(RunFailedError)
          expect(failSet.has(Number((result.outcome.error as RunFailedError).task!.slice(1)))).toBe(true)
          // No dependent of a failed task ever started.
          const failedTasks = result.outcome.tasks.filter((t) => t.status === 'failed').map((t) => Number(t.task.slice(1)))
          for (const f of failedTasks) for (let i = 0; i < dag.size; i++) if (dag.deps[i]!.includes(f)) expect(result.started).not.toContain(i)
        }
      }),
      { seed, numRuns: 60 },
    )
  }, 120_000)
})
