/**
 * The definition-time analysis behind a declared result, held against the
 * real scheduler: a task the analysis accepts as a required result task (not
 * declared optional) has an output in every run that completes, whatever the
 * conditions, failures, failure handlers and optional dependencies.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { defineWorkflow, ResultDeclarationError, type WorkflowDefinition } from 'weft-sdk'
import { dagArbitrary, taskName } from '../support/random-dag.js'
import { memoryEngine } from '../support/engines.js'
import { testSeed } from '../support/seed.js'

const seed = testSeed('test/engine/declared-result.property.test.ts')

/** What one task of a random workflow does. */
interface TaskPlan {
  readonly deps: readonly number[]
  /** Which dependencies are optional (by position in `deps`). */
  readonly optional: readonly boolean[]
  /** `undefined`: no condition; else what the condition answers. */
  readonly when: boolean | undefined
  readonly fails: boolean
  /** Whether an @OnFailure handler takes the task's failure. */
  readonly handled: boolean
}

const plans = dagArbitrary(12).chain((dag) =>
  fc.tuple(
    ...dag.deps.map((deps) =>
      fc.record({
        deps: fc.constant(deps),
        optional: fc.array(fc.boolean(), { minLength: deps.length, maxLength: deps.length }),
        when: fc.option(fc.boolean(), { nil: undefined }),
        fails: fc.boolean(),
        handled: fc.boolean(),
      }),
    ),
  ),
)

/** The workflow a plan describes; every task returns its own name, handlers `h<i>`. */
function build(plans: readonly TaskPlan[]): { builder: any; names: string[] } {
  let builder: any = defineWorkflow({ name: 'result-property', version: 1 })
  const names: string[] = []
  plans.forEach((plan, i) => {
    const dependsOn = plan.deps.map((d, k) => (plan.optional[k] ? { task: taskName(d), optional: true } : taskName(d)))
    const when = plan.when === undefined ? undefined : () => plan.when!
    const body = () => {
      if (plan.fails) throw new Error(`${taskName(i)} failed`)
      return taskName(i)
    }
    builder = builder.task(taskName(i), { dependsOn, ...(when === undefined ? {} : { when }) }, body)
    names.push(taskName(i))
    if (plan.handled) {
      builder = builder.onFailure(`h${i}`, taskName(i), () => `h${i}`)
      names.push(`h${i}`)
    }
  })
  return { builder, names }
}

/** Whether the analysis accepts `task` as a required result task. */
function acceptedAsRequired(builder: any, task: string): boolean {
  try {
    builder.build({ result: task })
    return true
  } catch (error) {
    if (error instanceof ResultDeclarationError && error.reason === 'may-be-skipped') return false
    throw error
  }
}

describe('the result analysis', () => {
  it('accepts as required only tasks that have an output in every completed run', async () => {
    let checked = 0
    await fc.assert(
      fc.asyncProperty(plans, async (taskPlans) => {
        const { builder, names } = build(taskPlans)
        const engine = memoryEngine()
        const outcome = await (await engine.start(builder.build() as WorkflowDefinition<void, Record<string, string>>)).outcome()
        await engine.close()
        if (outcome.status !== 'completed') return
        const required = names.filter((name) => acceptedAsRequired(builder, name))
        checked += required.length
        expect(required.filter((name) => !Object.hasOwn(outcome.outputs, name))).toEqual([])
      }),
      { seed, numRuns: 150 },
    )
    // The property held over tasks the analysis accepted, not vacuously.
    expect(checked).toBeGreaterThan(0)
  }, 120_000)
})
