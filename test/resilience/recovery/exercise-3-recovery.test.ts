/**
 * The reference's exercise 3, its recovery part: workflow steps fail with
 * "Connection refused by remote server", "Database connection lost",
 * "Invalid data format detected" and "Operation timeout exceeded"; patterns
 * sort them into classes, each class has its recovery strategy, and the
 * statistics say how often each occurred and was recovered. The reference
 * draws its failures at random (10% / 5% / 5% / 5%) and recovers by luck;
 * here each step's failures are scripted (one table test), then drawn by
 * fast-check from a seed (a property test of the statistics' invariants),
 * on a virtual clock.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DependsOn, OnFailure, Recover, Retry, Task, Workflow, WorkflowBase, type Engine, type RecoverOptions, type TaskContext, type TaskFailure } from 'weft-sdk'
import { memoryEngine } from '../../support/engines.js'
import { testSeed } from '../../support/seed.js'
import { flush, virtualTime } from '../../support/test-clock.js'

const seed = testSeed('test/resilience/recovery/exercise-3-recovery.test.ts')

/** The reference's four failures, by the class its patterns give them. */
const failures = {
  connection: () => new Error('Connection refused by remote server'),
  database: () => new Error('Database connection lost'),
  validation: () => new Error('Invalid data format detected'),
  timeout: () => new Error('Operation timeout exceeded'),
} as const
type FailureKind = keyof typeof failures

/** The reference's `register_error_pattern` calls, as rules; and a strategy for each class. */
const recovery: RecoverOptions = {
  rules: [
    { message: 'connection refused', as: 'connection' },
    { message: 'database', as: 'database' },
    { message: 'invalid', as: 'validation' },
    { message: 'timeout', as: 'timeout' },
  ],
  strategies: {
    // Network errors: retry with exponential backoff (the reference waits 2 s and hopes).
    connection: { retry: { maxAttempts: 4, backoff: { initial: 100, max: 1_000, jitter: 'none' } } },
    // A lost database: @Retry's schedule, then the snapshot read before the steps.
    database: { fallbackTo: 'snapshot' },
    // Invalid data never gets better by retrying: fail at once; the step's @OnFailure handler sanitizes.
    validation: 'fail-fast',
    // A timeout: retry after a longer pause (the reference raises the timeout by half).
    timeout: { retry: { maxAttempts: 3, backoff: { initial: 500, max: 500, jitter: 'none' } } },
  },
}

/** Which failure each attempt of each step throws (attempt 1 first); past the script, the step succeeds. */
type Script = Readonly<Record<'stepA' | 'stepB' | 'stepC' | 'stepD' | 'stepE', readonly FailureKind[]>>
let script: Script

function step(name: keyof Script, data: string, ctx: TaskContext<unknown>): string {
  const failure = script[name][ctx.attempt - 1]
  if (failure !== undefined) throw failures[failure]()
  return `${name}(${data})`
}

@Workflow({ name: 'exercise-3', version: 1 })
class SecureProcessing extends WorkflowBase<void> {
  @Task() snapshot(_input: void) { return 'snapshot' }
  @DependsOn('snapshot') @Recover(recovery) @Retry({ maxAttempts: 3, backoff: { initial: 100, max: 1_000, jitter: 'none' } })
  stepA(data: string, ctx: TaskContext<void>) { return step('stepA', data, ctx) }
  @DependsOn('snapshot') @Recover(recovery) @Retry({ maxAttempts: 3, backoff: { initial: 100, max: 1_000, jitter: 'none' } })
  stepB(data: string, ctx: TaskContext<void>) { return step('stepB', data, ctx) }
  @DependsOn('snapshot') @Recover(recovery) @Retry({ maxAttempts: 3, backoff: { initial: 100, max: 1_000, jitter: 'none' } })
  stepC(data: string, ctx: TaskContext<void>) { return step('stepC', data, ctx) }
  @DependsOn('snapshot') @Recover(recovery) @Retry({ maxAttempts: 3, backoff: { initial: 100, max: 1_000, jitter: 'none' } })
  stepD(data: string, ctx: TaskContext<void>) { return step('stepD', data, ctx) }
  @DependsOn('snapshot') @Recover(recovery) @Retry({ maxAttempts: 3, backoff: { initial: 100, max: 1_000, jitter: 'none' } })
  stepE(data: string, ctx: TaskContext<void>) { return step('stepE', data, ctx) }
  @OnFailure('stepA') sanitizeA(failure: TaskFailure) { return `sanitized after ${failure.message}` }
  @OnFailure('stepB') sanitizeB(failure: TaskFailure) { return `sanitized after ${failure.message}` }
  @OnFailure('stepC') sanitizeC(failure: TaskFailure) { return `sanitized after ${failure.message}` }
  @OnFailure('stepD') sanitizeD(failure: TaskFailure) { return `sanitized after ${failure.message}` }
  @OnFailure('stepE') sanitizeE(failure: TaskFailure) { return `sanitized after ${failure.message}` }
}

/** Runs the workflow once on a virtual clock; the engine's recovery statistics after it. */
async function runExercise(engine: Engine, advance: (ms: number) => Promise<void>) {
  const run = await engine.start(SecureProcessing)
  let settled = false
  const outcome = run.outcome().then((o) => ((settled = true), o))
  for (let i = 0; i < 200 && !settled; i++) await advance(100)
  await flush()
  return await outcome
}

describe("exercise 3's error recovery", () => {
  it('maps connection refused, database, invalid and timeout errors to their strategies, with statistics', async () => {
    script = { stepA: ['connection', 'connection'], stepB: ['database', 'database', 'database'], stepC: ['validation'], stepD: ['timeout'], stepE: [] }
    const time = virtualTime()
    const engine = memoryEngine({ clock: time.clock })
    const outcome = await runExercise(engine, (ms) => time.advance(ms))
    expect(outcome.status).toBe('completed')
    expect(outcome.outputs).toMatchObject({
      stepA: 'stepA(snapshot)', // retried twice, third attempt works
      stepB: 'snapshot', // three database failures under @Retry, then the snapshot
      sanitizeC: 'sanitized after Invalid data format detected', // failed at once, sanitized
      stepD: 'stepD(snapshot)', // retried after 500 ms
      stepE: 'stepE(snapshot)',
    })
    expect(outcome.tasks.find((task) => task.task === 'stepC')).toMatchObject({ status: 'failed', attempts: 1 })
    const { byClass, totals } = engine.stats().recovery
    expect(byClass).toEqual({
      connection: { retry: { occurrences: 2, recovered: 1, notRecovered: 0, timeToRecoverMs: { total: 300, max: 300, mean: 300 } } },
      database: { fallback: { occurrences: 3, recovered: 1, notRecovered: 0, timeToRecoverMs: { total: 300, max: 300, mean: 300 } } },
      validation: { 'fail-fast': { occurrences: 1, recovered: 0, notRecovered: 1, timeToRecoverMs: { total: 0, max: 0, mean: 0 } } },
      timeout: { retry: { occurrences: 1, recovered: 1, notRecovered: 0, timeToRecoverMs: { total: 500, max: 500, mean: 500 } } },
    })
    expect(totals).toEqual({ occurrences: 7, recovered: 3, notRecovered: 1 })
    await engine.close()
  })

  it('keeps its statistics consistent with what the steps threw, over random failure scripts', async () => {
    const kinds = Object.keys(failures) as FailureKind[]
    const attempts = fc.array(fc.constantFrom(...kinds), { maxLength: 4 })
    await fc.assert(
      fc.asyncProperty(fc.record({ stepA: attempts, stepB: attempts, stepC: attempts, stepD: attempts, stepE: attempts }), async (drawn) => {
        script = drawn
        const time = virtualTime()
        const engine = memoryEngine({ clock: time.clock })
        const outcome = await runExercise(engine, (ms) => time.advance(ms))
        const { byClass, totals } = engine.stats().recovery
        // Each attempt made while the script had a failure for it threw (a fallback completes a task whose last attempt threw).
        const thrown = outcome.tasks.filter((task) => task.task in drawn).reduce((sum, task) => sum + Math.min(task.attempts, drawn[task.task as keyof Script].length), 0)
        const failingSteps = Object.values(drawn).filter((list) => list.length > 0).length
        expect(outcome.status).toBe('completed')
        expect(totals.occurrences).toBe(thrown)
        expect(totals.recovered + totals.notRecovered).toBe(failingSteps)
        expect(byClass.validation?.['fail-fast']?.recovered ?? 0).toBe(0)
        for (const strategies of Object.values(byClass)) for (const counts of Object.values(strategies)) expect(counts!.recovered + counts!.notRecovered).toBeLessThanOrEqual(counts!.occurrences)
        await engine.close()
      }),
      { seed, numRuns: 25 },
    )
  })
})
