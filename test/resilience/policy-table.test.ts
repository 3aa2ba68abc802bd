import { Effect, Exit, Scope } from 'effect'
import { TaskThrew, type AttemptFailure } from '../../src/resilience/attempt-failure.js'
import { describe, expect, it } from 'vitest'
import { defineWorkflow, RateLimitedError, toMermaid, type TaskNode } from 'weft-sdk'
import { normalizePolicies } from '../../src/graph/normalize-policies.js'
import { policyKindTable, policyKinds, sharedPoliciesOf, type PolicyKind, type PolicyOptionsOf } from '../../src/graph/policy-kinds.js'
import { compositionOrder, policyWrappers } from '../../src/resilience/policy-wrappers.js'
import { makePolicyServices, TaskPolicyRunner } from '../../src/resilience/task-policies.js'

/** Valid options of every kind (the type demands one per kind). */
const sampleOptions: { readonly [K in PolicyKind]: PolicyOptionsOf<K> } = {
  retry: { maxAttempts: 2 },
  timeout: '1 s',
  circuitBreaker: { consecutiveFailures: 3, halfOpenAfter: '1 m' },
  rateLimit: { limit: 5, window: '1 s' },
  cache: { ttl: '1 m' },
  bulkhead: { maxConcurrent: 2 },
  recover: { strategies: { validation: 'fail-fast' } },
}

/** A compiled task with the given policy options. */
function taskWith(options: Parameters<typeof normalizePolicies>[2]): TaskNode {
  const graph = defineWorkflow({ name: 'table', version: 1 })
    // Typed as no options: the samples' cache key is not typed for this task's arguments.
    .task('work', options as object, () => 1)
    .build().graph
  return graph.tasks[0]!
}

/** Runs `task`'s attempts through a fresh runner; returns the exit and the attempts reported. */
async function runPolicies(runner: TaskPolicyRunner, task: TaskNode, attempt: (n: number) => Effect.Effect<number, AttemptFailure>) {
  const scope = Effect.runSync(Scope.make())
  const reported: number[] = []
  const program = runner.run(task, [], attempt, { onAttempt: (n) => reported.push(n), onRetry: () => {} })
  const exit = await Effect.runPromiseExit(Effect.provideContext(program, makePolicyServices(scope)))
  await Effect.runPromise(Scope.close(scope, Exit.void))
  return { exit, reported }
}

describe('the policy-kind table', () => {
  it('gives every kind a graph entry, a runtime wrapper and one place in the composition order', () => {
    const composed = [...compositionOrder.perAttempt, ...compositionOrder.perTask]
    expect([...policyKinds].sort()).toEqual(Object.keys(policyWrappers).sort())
    expect([...composed].sort()).toEqual([...policyKinds].sort())
    expect(new Set(composed).size).toBe(composed.length)
  })

  it('composes recover(cache(retry(rateLimit(bulkhead(breaker(timeout(attempt)))))))', () => {
    expect(compositionOrder).toEqual({ perAttempt: ['timeout', 'circuitBreaker', 'bulkhead', 'rateLimit'], perTask: ['retry', 'cache', 'recover'] })
  })

  it.each(policyKinds)('counts a task with only a %s policy as having policies', (kind) => {
    const task = taskWith({ [kind]: sampleOptions[kind] })
    expect(TaskPolicyRunner.hasPolicies(task)).toBe(true)
    expect(Object.entries(task.policies).filter(([, policy]) => policy !== undefined).map(([field]) => field)).toEqual([policyKindTable[kind].field])
  })

  it('counts a task without options as having no policy', () => {
    expect(TaskPolicyRunner.hasPolicies(taskWith({}))).toBe(false)
  })

  it('labels every kind in a diagram, in the table order', () => {
    const workflow = defineWorkflow({ name: 'labels', version: 1 }).task('all', sampleOptions as object, () => 1).build()
    expect(toMermaid(workflow.graph)).toContain('all<br/>retry ×2 · timeout 1000 ms · breaker labels.all · rate 5/1000 ms · cache 60000 ms · bulkhead 2 · recover validation')
  })

  it('lists the policies shared by name across the engine: breaker, rate limit and bulkhead', () => {
    const shared = sharedPoliciesOf(taskWith({ ...sampleOptions }).policies)
    expect(shared.map(({ noun, name }) => `${noun} ${name}`)).toEqual(['circuit breaker table.work', 'rate limit table.work', 'bulkhead table.work'])
  })

  it('names the decorator in a validation message', () => {
    expect(() => normalizePolicies('w', 't', { bulkhead: { maxConcurrent: 0 } })).toThrow('workflow "w" task "t": @Bulkhead maxConcurrent must be an integer ≥ 1, got 0')
  })
})

describe('TaskPolicyRunner composition', () => {
  it('puts the rate limit inside retry and reports an attempt it rejects before the body runs', async () => {
    const task = taskWith({
      retry: { maxAttempts: 3, backoff: { initial: 0, max: 0 } },
      rateLimit: { limit: 1, window: '1 h', onLimit: 'fail' },
    })
    let bodies = 0
    const body = Effect.suspend(() => {
      bodies++
      return Effect.fail(new TaskThrew(new Error('down')))
    })
    const { exit, reported } = await runPolicies(new TaskPolicyRunner(() => {}), task, () => body)
    expect(bodies).toBe(1)
    expect(reported).toEqual([1, 2, 3])
    expect(Exit.isFailure(exit) && Exit.findErrorOption(exit)).toMatchObject({ value: expect.any(RateLimitedError) })
  })

  it('puts the cache outside retry: a hit reports no attempt', async () => {
    const task = taskWith({ retry: { maxAttempts: 2 }, cache: { ttl: '1 h' } })
    const runner = new TaskPolicyRunner(() => {})
    const first = await runPolicies(runner, task, (n) => Effect.succeed(n * 10))
    const second = await runPolicies(runner, task, () => Effect.die('the body must not run on a hit'))
    expect(first.reported).toEqual([1])
    expect(second.reported).toEqual([])
    expect(second.exit).toEqual(Exit.succeed(10))
  })
})
