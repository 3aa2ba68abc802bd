import { describe, expect, it } from 'vitest'
import {
  CycleError,
  DuplicateTaskError,
  EmptyWorkflowError,
  InvalidOptionsError,
  InvalidWorkflowError,
  UnknownDependencyError,
} from 'weft-sdk'
import { compileGraph } from '../../src/graph/compile-graph.js'
import type { TaskDraft, WorkflowDraft } from '../../src/graph/workflow-draft.js'
import { thrown } from '../support/thrown.js'

function task(name: string, dependsOn: TaskDraft['dependsOn'] = [], extra: Partial<TaskDraft> = {}): TaskDraft {
  return { name, method: name, kind: 'task', dependsOn, ...extra }
}

function draft(tasks: TaskDraft[], extra: Partial<WorkflowDraft> = {}): WorkflowDraft {
  return { name: 'orders', version: 1, tasks, source: {}, ...extra }
}


describe('compileGraph', () => {
  it('orders tasks so that dependencies come first and keeps declaration order otherwise', () => {
    const graph = compileGraph(draft([task('ship', ['charge']), task('load'), task('charge', ['load'])]))
    expect(graph.tasks.map((t) => t.name)).toEqual(['load', 'charge', 'ship'])
    expect(graph.taskByName.get('ship')!.dependencyIds).toEqual([graph.taskByName.get('charge')!.id])
  })

  it('freezes the graph and its nodes', () => {
    const graph = compileGraph(draft([task('a'), task('b', ['a'])]))
    expect(Object.isFrozen(graph)).toBe(true)
    expect(Object.isFrozen(graph.tasks)).toBe(true)
    expect(Object.isFrozen(graph.tasks[1])).toBe(true)
    expect(Object.isFrozen(graph.tasks[1]!.dependsOn)).toBe(true)
  })

  it('rejects a cycle with its full path in execution order', () => {
    const error = thrown(() => compileGraph(draft([task('fetch', ['score']), task('score', ['fetch'])])))
    expect(error).toBeInstanceOf(CycleError)
    expect((error as CycleError).code).toBe('WEFT_CYCLE')
    expect((error as CycleError).message).toBe('workflow "orders" has a cycle: fetch → score → fetch; remove one of these dependencies')
    expect((error as CycleError).path).toEqual(['fetch', 'score', 'fetch'])
  })

  it('names every task of a longer cycle and leaves out tasks outside it', () => {
    const error = thrown(() =>
      compileGraph(draft([task('start'), task('a', ['start', 'c']), task('b', ['a']), task('c', ['b']), task('end', ['c'])])),
    ) as CycleError
    expect(error.path).toEqual(['a', 'b', 'c', 'a'])
  })

  it('leaves out a dependent of the cycle declared before it: the path is only the cycle, its first task repeated at the end', () => {
    const error = thrown(() =>
      compileGraph(draft([task('end', ['c']), task('start'), task('a', ['start', 'c']), task('b', ['a']), task('c', ['b'])])),
    )
    expect(error).toBeInstanceOf(CycleError)
    expect((error as CycleError).code).toBe('WEFT_CYCLE')
    expect((error as CycleError).path).toEqual(['c', 'a', 'b', 'c'])
    expect((error as CycleError).message).toBe('workflow "orders" has a cycle: c → a → b → c; remove one of these dependencies')
  })

  it('leaves out a chain of dependents declared before the cycle', () => {
    const error = thrown(() =>
      compileGraph(draft([task('report', ['publish']), task('publish', ['score']), task('fetch', ['score']), task('score', ['fetch'])])),
    ) as CycleError
    expect(error).toBeInstanceOf(CycleError)
    expect(error.path).toEqual(['score', 'fetch', 'score'])
  })

  it('leaves out a dependent declared before a task that depends on itself', () => {
    const error = thrown(() => compileGraph(draft([task('after', ['loop']), task('loop', ['loop'])]))) as CycleError
    expect(error).toBeInstanceOf(CycleError)
    expect(error.path).toEqual(['loop', 'loop'])
    expect(error.message).toBe('workflow "orders" has a cycle: loop → loop; remove one of these dependencies')
  })

  it('rejects a task that depends on itself', () => {
    const error = thrown(() => compileGraph(draft([task('loop', ['loop'])]))) as CycleError
    expect(error.message).toBe('workflow "orders" has a cycle: loop → loop; remove one of these dependencies')
  })

  it('rejects an unknown dependency and suggests the closest name', () => {
    const error = thrown(() => compileGraph(draft([task('fetch'), task('score', ['fetc'])])))
    expect(error).toBeInstanceOf(UnknownDependencyError)
    expect((error as UnknownDependencyError).message).toBe(
      'workflow "orders": task "score" depends on unknown task "fetc" (did you mean "fetch"?)',
    )
    expect((error as UnknownDependencyError).code).toBe('WEFT_UNKNOWN_DEPENDENCY')
  })

  it('gives no suggestion when no name is close', () => {
    const error = thrown(() => compileGraph(draft([task('fetch'), task('score', ['zzzzzz'])]))) as UnknownDependencyError
    expect(error.message).toBe('workflow "orders": task "score" depends on unknown task "zzzzzz"')
    expect(error.suggestion).toBeUndefined()
  })

  it('rejects an unknown task named by a failure handler', () => {
    const error = thrown(() => compileGraph(draft([task('charge'), task('refund', [], { kind: 'on-failure', handles: 'charg' })])))
    expect((error as Error).message).toBe('workflow "orders": task "refund" depends on unknown task "charg" (did you mean "charge"?)')
  })

  it('rejects a duplicate task', () => {
    const error = thrown(() => compileGraph(draft([task('a'), task('a')])))
    expect(error).toBeInstanceOf(DuplicateTaskError)
    expect((error as Error).message).toBe('workflow "orders" defines task "a" twice; give each task a unique name')
  })

  it('rejects an empty workflow', () => {
    const error = thrown(() => compileGraph(draft([])))
    expect(error).toBeInstanceOf(EmptyWorkflowError)
    expect((error as Error).message).toBe('workflow "orders" has no tasks; mark at least one method with @Task()')
  })

  it('rejects a dependency listed twice', () => {
    const error = thrown(() => compileGraph(draft([task('a'), task('b', ['a', { task: 'a', optional: true }])])))
    expect(error).toBeInstanceOf(InvalidWorkflowError)
    expect((error as Error).message).toBe('workflow "orders": task "b" lists dependency "a" twice')
  })

  it('rejects a required dependency of an @Always task', () => {
    const error = thrown(() => compileGraph(draft([task('lock'), task('unlock', ['lock'], { kind: 'always' })])))
    expect((error as Error).message).toBe(
      `workflow "orders": task "unlock" is @Always, so its dependency "lock" may have failed: declare it optional ({ task: 'lock', optional: true })`,
    )
  })

  it('rejects dependencies on a failure handler', () => {
    const error = thrown(() => compileGraph(draft([task('a'), task('b'), task('h', ['b'], { kind: 'on-failure', handles: 'a' })])))
    expect((error as Error).message).toBe(
      'workflow "orders": task "h" is an @OnFailure handler and cannot also have @DependsOn; it receives the failure',
    )
  })

  it.each([
    ['a non-integer version', { version: 1.5 }, 'workflow "orders": version must be an integer ≥ 1, got 1.5'],
    ['version 0', { version: 0 }, 'workflow "orders": version must be an integer ≥ 1, got 0'],
    ['an empty name', { name: ' ' }, 'workflow name must be a non-empty string, got " "'],
  ])('rejects %s', (_, extra, message) => {
    const error = thrown(() => compileGraph(draft([task('a')], extra as Partial<WorkflowDraft>)))
    expect(error).toBeInstanceOf(InvalidOptionsError)
    expect((error as Error).message).toBe(message)
  })
})

describe('policy options', () => {
  const where = 'workflow "orders" task "charge"'
  it.each([
    ['maxAttempts < 1', { retry: { maxAttempts: 0 } }, `${where}: @Retry maxAttempts must be an integer ≥ 1, got 0`],
    ['NaN maxAttempts', { retry: { maxAttempts: Number.NaN } }, `${where}: @Retry maxAttempts must be an integer ≥ 1, got NaN`],
    ['fractional maxAttempts', { retry: { maxAttempts: 2.5 } }, `${where}: @Retry maxAttempts must be an integer ≥ 1, got 2.5`],
    [
      'a negative backoff',
      { retry: { maxAttempts: 3, backoff: { initial: -5 } } },
      `${where}: @Retry backoff.initial must be a duration (milliseconds ≥ 0, or '250 ms', '5 s', '2 m', '1 h', '2 d'), got -5`,
    ],
    [
      'a malformed duration',
      { retry: { maxAttempts: 3, backoff: { max: '5 parsecs' } } },
      `${where}: @Retry backoff.max must be a duration (milliseconds ≥ 0, or '250 ms', '5 s', '2 m', '1 h', '2 d'), got "5 parsecs"`,
    ],
    [
      'max below initial',
      { retry: { maxAttempts: 3, backoff: { initial: '2 s', max: '1 s' } } },
      `${where}: @Retry backoff.max must be ≥ backoff.initial (2000 ms), got 1000`,
    ],
    ['factor below 1', { retry: { maxAttempts: 3, backoff: { factor: 0.5 } } }, `${where}: @Retry backoff.factor must be a finite number ≥ 1, got 0.5`],
    ['a zero timeout', { timeout: 0 }, `${where}: @Timeout must be longer than 0 ms, got 0`],
    ['a NaN timeout', { timeout: Number.NaN }, `${where}: @Timeout must be a duration (milliseconds ≥ 0, or '250 ms', '5 s', '2 m', '1 h', '2 d'), got NaN`],
    [
      'a breaker without a trip',
      { circuitBreaker: { halfOpenAfter: '1 s' } },
      `${where}: @CircuitBreaker must be given consecutiveFailures or failureRate (or both), got {"halfOpenAfter":"1 s"}`,
    ],
    [
      'a failure-rate threshold above 1',
      { circuitBreaker: { failureRate: { threshold: 1.5, window: 10 }, halfOpenAfter: '1 s' } },
      `${where}: @CircuitBreaker failureRate.threshold must be a number > 0 and ≤ 1, got 1.5`,
    ],
    [
      'minimumCalls above the window',
      { circuitBreaker: { failureRate: { threshold: 0.5, window: 10, minimumCalls: 11 }, halfOpenAfter: '1 s' } },
      `${where}: @CircuitBreaker failureRate.minimumCalls must be ≤ failureRate.window (10), got 11`,
    ],
    ['a zero rate limit', { rateLimit: { limit: 0, window: '1 s' } }, `${where}: @RateLimit limit must be an integer ≥ 1, got 0`],
    ['an unknown onLimit', { rateLimit: { limit: 1, window: '1 s', onLimit: 'drop' } }, `${where}: @RateLimit onLimit must be one of 'wait', 'fail', got "drop"`],
    ['a negative bulkhead queue', { bulkhead: { maxConcurrent: 2, maxQueue: -1 } }, `${where}: @Bulkhead maxQueue must be an integer ≥ 0, got -1`],
    ['a bulkhead of 0', { bulkhead: { maxConcurrent: 0 } }, `${where}: @Bulkhead maxConcurrent must be an integer ≥ 1, got 0`],
    ['a cache key that is not a function', { cache: { ttl: '1 m', key: 'id' } }, `${where}: @Cache key must be a function, got "id"`],
  ])('rejects %s with an exact message', (_, options, message) => {
    const error = thrown(() => compileGraph(draft([task('charge', [], options as Partial<TaskDraft>)])))
    expect(error).toBeInstanceOf(InvalidOptionsError)
    expect((error as InvalidOptionsError).code).toBe('WEFT_INVALID_OPTIONS')
    expect((error as Error).message).toBe(message)
  })

  it('fills in defaults', () => {
    const graph = compileGraph(draft([task('charge', [], { retry: { maxAttempts: 3 }, bulkhead: { maxConcurrent: 2 } })]))
    const { retry, bulkhead } = graph.tasks[0]!.policies
    expect(retry).toMatchObject({ maxAttempts: 3, initialDelayMs: 100, maxDelayMs: 30_000, factor: 2, jitter: 'full' })
    expect(bulkhead).toEqual({ name: 'orders.charge', maxConcurrent: 2, maxQueue: Infinity })
  })

  it('rejects an invalid loop cap', () => {
    const loop = { while: () => true, maxIterations: 0 }
    const error = thrown(() => compileGraph(draft([task('spin', [], { kind: 'loop', loop })])))
    expect((error as Error).message).toBe('workflow "orders" task "spin": @Loop maxIterations must be an integer ≥ 1, got 0')
  })
})

describe('did-you-mean', () => {
  it('never suggests the task itself', () => {
    const error = thrown(() => compileGraph(draft([task('a', ['b']), task('c')]))) as UnknownDependencyError
    expect(error.message).toBe('workflow "orders": task "a" depends on unknown task "b"')
  })
})
