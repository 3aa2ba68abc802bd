import { describe, expect, it } from 'vitest'
import {
  CircuitOpenError,
  compileWorkflow,
  defineWorkflow,
  DependsOn,
  InvalidOptionsError,
  OnFailure,
  Recover,
  Retry,
  Task,
  Workflow,
  WorkflowBase,
  type Engine,
  type RecoverOptions,
  type TaskErrorClassified,
  type TaskFailure,
  type TaskRetrying,
} from 'weft-sdk'
import { memoryEngine } from '../../support/engines.js'
import { flush, virtualTime } from '../../support/test-clock.js'

/** An error as Node's `net` throws it when nothing listens. */
const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })
const invalid = () => new Error('Invalid data format detected')
const noDelay = { initial: 0, max: 0 } as const

/** A workflow whose one task throws `errors[attempt - 1]` while there is one, then returns `'done'`. */
function failing(errors: readonly (() => Error)[], options: { retry?: { maxAttempts: number; backoff?: object }; recover?: RecoverOptions }) {
  const calls: number[] = []
  const workflow = defineWorkflow({ name: 'failing', version: 1 })
    .task('call', options as object, (_input, ctx) => {
      calls.push(ctx.attempt)
      const error = errors[ctx.attempt - 1]
      if (error !== undefined) throw error()
      return 'done'
    })
    .build()
  return { workflow, calls }
}

/** Runs `workflow` once on a virtual clock, advancing it until the run ends. */
async function runOnClock(workflow: Parameters<Engine['start']>[0], engine?: Engine) {
  const time = virtualTime()
  const own = engine ?? memoryEngine({ clock: time.clock })
  const retries: TaskRetrying[] = []
  own.on('task.retrying', (event) => retries.push(event))
  const run = await own.start(workflow as never)
  let settled = false
  const outcome = run.outcome().then((o) => ((settled = true), o))
  for (let i = 0; i < 100 && !settled; i++) await time.advance(50)
  await flush()
  const stats = own.stats().recovery
  if (engine === undefined) await own.close()
  return { outcome: await outcome, retries, stats }
}

describe('@Recover with @Retry: precedence', () => {
  it('never retries a fail-fast class, even under @Retry', async () => {
    const { workflow, calls } = failing([invalid, invalid], {
      retry: { maxAttempts: 5, backoff: noDelay },
      recover: { rules: [{ message: 'invalid', as: 'validation' }], strategies: { validation: 'fail-fast' } },
    })
    const { outcome, stats } = await runOnClock(workflow)
    expect(calls).toEqual([1])
    expect(outcome.status).toBe('failed')
    expect(stats.byClass.validation).toEqual({ 'fail-fast': { occurrences: 1, recovered: 0, notRecovered: 1, timeToRecoverMs: { total: 0, max: 0, mean: 0 } } })
  })

  it("replaces @Retry's schedule with a class's own retry", async () => {
    const { workflow, calls } = failing([refused, refused, refused, refused], {
      retry: { maxAttempts: 2, backoff: noDelay },
      recover: { strategies: { connection: { retry: { maxAttempts: 4, backoff: { initial: 100, max: 100, jitter: 'none' } } } } },
    })
    const { outcome, retries } = await runOnClock(workflow)
    expect(calls).toEqual([1, 2, 3, 4])
    expect(outcome.status).toBe('failed')
    expect(retries.map((r) => [r.attempt, r.delayMs])).toEqual([[1, 100], [2, 100], [3, 100]])
  })

  it('leaves a class without a strategy to @Retry, counted as none', async () => {
    const { workflow, calls } = failing([() => new Error('boom'), () => new Error('boom'), () => new Error('boom')], {
      retry: { maxAttempts: 2, backoff: noDelay },
      recover: { strategies: { connection: 'fail-fast' } },
    })
    const { stats } = await runOnClock(workflow)
    expect(calls).toEqual([1, 2])
    expect(stats.byClass.unknown?.none).toMatchObject({ occurrences: 2, recovered: 0, notRecovered: 1 })
  })

  it('switches schedule with the class of each failure: a fail-fast failure after retried ones ends the task', async () => {
    const { workflow, calls } = failing([refused, refused, invalid], {
      retry: { maxAttempts: 10, backoff: noDelay },
      recover: { rules: [{ message: 'invalid', as: 'validation' }], strategies: { validation: 'fail-fast' } },
    })
    const { stats } = await runOnClock(workflow)
    expect(calls).toEqual([1, 2, 3])
    expect(stats.byClass.connection?.none).toMatchObject({ occurrences: 2, notRecovered: 0 })
    expect(stats.byClass.validation?.['fail-fast']).toMatchObject({ occurrences: 1, notRecovered: 1 })
  })
})

describe('@Recover strategies', () => {
  it('falls back to a value once @Retry gives up, and times the recovery on the engine clock', async () => {
    const { workflow, calls } = failing([refused, refused, refused], {
      retry: { maxAttempts: 3, backoff: { initial: 100, max: 1000, jitter: 'none' } },
      recover: { strategies: { connection: { fallbackValue: 'cached' } } },
    })
    const { outcome, stats } = await runOnClock(workflow)
    expect(calls).toEqual([1, 2, 3])
    expect(outcome.outputs).toEqual({ call: 'cached' })
    // Failures at t0, t0+100 and t0+300 (delays 100 and 200): recovered 300 ms after the first.
    expect(stats.byClass.connection?.fallback).toEqual({ occurrences: 3, recovered: 1, notRecovered: 0, timeToRecoverMs: { total: 300, max: 300, mean: 300 } })
  })

  it("falls back to a dependency's output", async () => {
    const workflow = defineWorkflow({ name: 'quotes', version: 1 })
      .task('cached', () => ({ price: 10, live: false }))
      .task('live', { dependsOn: ['cached'], recover: { strategies: { connection: { fallbackTo: 'cached' } } } }, (_cached): { price: number; live: boolean } => {
        throw refused()
      })
      .build()
    const { outcome } = await runOnClock(workflow)
    expect(outcome.outputs).toMatchObject({ live: { price: 10, live: false } })
  })

  it("compensates by failing the task so that its @OnFailure handler runs", async () => {
    const handled: TaskFailure[] = []
    @Workflow({ name: 'saga', version: 1 })
    class Saga extends WorkflowBase<void> {
      @Task()
      @Retry({ maxAttempts: 2, backoff: noDelay })
      @Recover({ rules: [{ message: 'database', as: 'database' }], strategies: { database: 'compensate' } })
      charge(_input: void): string {
        throw new Error('Database connection lost')
      }

      @OnFailure('charge') refund(failure: TaskFailure) {
        handled.push(failure)
        return 'refunded'
      }
    }
    const { outcome, stats } = await runOnClock(Saga)
    expect(handled.map((failure) => [failure.task, failure.attempts, failure.message])).toEqual([['charge', 2, 'Database connection lost']])
    expect(outcome.outputs).toEqual({ refund: 'refunded' })
    expect(stats.byClass.database?.compensate).toMatchObject({ occurrences: 2, recovered: 0, notRecovered: 1 })
  })

  it('escalates: fails the task and counts it under escalate', async () => {
    const { workflow } = failing([() => new Error('forbidden'), () => new Error('forbidden')], {
      recover: { rules: [{ message: 'forbidden', as: 'authorization' }], strategies: { authorization: 'escalate' } },
    })
    const { outcome, stats } = await runOnClock(workflow)
    expect(outcome.status).toBe('failed')
    expect(stats.byClass.authorization?.escalate).toMatchObject({ occurrences: 1, notRecovered: 1 })
  })

  it('breaks a circuit of its own on failures of its class only, then refuses without calling the task', async () => {
    const time = virtualTime()
    const engine = memoryEngine({ clock: time.clock })
    const script: (() => Error)[] = [invalid, invalid, invalid, refused, refused]
    let calls = 0
    const workflow = defineWorkflow({ name: 'guarded', version: 1 })
      .task('call', { recover: { rules: [{ message: 'invalid', as: 'validation' }], strategies: { connection: { circuitBreak: { consecutiveFailures: 2, halfOpenAfter: '1 h' } } } } }, () => {
        throw script[calls++]!()
      })
      .build()
    const outcomes = []
    for (let i = 0; i < 6; i++) outcomes.push((await runOnClock(workflow, engine)).outcome)
    expect(calls).toBe(5)
    expect(outcomes.map((o) => (o.error?.cause as Error).name)).toEqual(['Error', 'Error', 'Error', 'Error', 'Error', 'CircuitOpenError'])
    expect((outcomes[5]!.error?.cause as CircuitOpenError).breaker).toBe('guarded.call:connection')
    expect(engine.stats().recovery.byClass.connection?.['circuit-break']).toMatchObject({ occurrences: 3, notRecovered: 3 })
    await engine.close()
  })

  it('reports each classified failure to listeners as task.error-classified, an escalation as escalated', async () => {
    const time = virtualTime()
    const engine = memoryEngine({ clock: time.clock })
    const events: TaskErrorClassified[] = []
    engine.on('task.error-classified', (event) => events.push(event))
    const { workflow } = failing([refused, () => new Error('forbidden'), () => new Error('forbidden')], {
      retry: { maxAttempts: 3, backoff: noDelay },
      recover: { rules: [{ message: 'forbidden', as: 'authorization' }], strategies: { authorization: 'escalate' } },
    })
    const { outcome } = await runOnClock(workflow, engine)
    expect(events.map((e) => [e.runId, e.workflow, e.task, e.attempt, e.errorClass, e.strategy, e.outcome, e.error.message])).toEqual([
      [outcome.runId, 'failing', 'call', 1, 'connection', 'none', 'retrying', 'connect ECONNREFUSED 127.0.0.1:5432'],
      [outcome.runId, 'failing', 'call', 2, 'authorization', 'escalate', 'retrying', 'forbidden'],
      [outcome.runId, 'failing', 'call', 3, 'authorization', 'escalate', 'escalated', 'forbidden'],
    ])
    await engine.close()
  })

  it("sits outside the task's @CircuitBreaker: the breaker counts every failed attempt, and its refusal (connection) meets the connection strategy", async () => {
    const time = virtualTime()
    const engine = memoryEngine({ clock: time.clock })
    let calls = 0
    const workflow = defineWorkflow({ name: 'breaker-then-fallback', version: 1 })
      .task('call', { circuitBreaker: { consecutiveFailures: 2, halfOpenAfter: '1 h' }, recover: { strategies: { connection: { fallbackValue: 'cached' } } } }, (): string => {
        calls++
        throw refused()
      })
      .build()
    const outputs = []
    for (let i = 0; i < 3; i++) outputs.push((await runOnClock(workflow, engine)).outcome.outputs)
    expect(outputs).toEqual([{ call: 'cached' }, { call: 'cached' }, { call: 'cached' }])
    expect(calls).toBe(2)
    expect(engine.stats().recovery.byClass.connection?.fallback).toMatchObject({ occurrences: 3, recovered: 3 })
    await engine.close()
  })

  it('never caches a fallback as the task\'s result (recovery sits outside @Cache)', async () => {
    const time = virtualTime()
    const engine = memoryEngine({ clock: time.clock })
    let calls = 0
    const workflow = defineWorkflow({ name: 'cached-fallback', version: 1 })
      .task('call', { cache: { ttl: '1 h' }, recover: { strategies: { connection: { fallbackValue: 'fallback' } } } }, (): string => {
        if (++calls === 1) throw refused()
        return 'live'
      })
      .build()
    const outputs = []
    for (let i = 0; i < 3; i++) outputs.push((await runOnClock(workflow, engine)).outcome.outputs)
    expect(outputs).toEqual([{ call: 'fallback' }, { call: 'live' }, { call: 'live' }])
    expect(calls).toBe(2)
    await engine.close()
  })

  it('counts nothing for a task that succeeds at once', async () => {
    const { workflow } = failing([], { recover: { strategies: { connection: 'fail-fast' } } })
    const { outcome, stats } = await runOnClock(workflow)
    expect(outcome.status).toBe('completed')
    expect(stats).toEqual({ byClass: {}, totals: { occurrences: 0, recovered: 0, notRecovered: 0 } })
  })
})

describe('workflow-wide @Recover', () => {
  it("applies to every task, a task's own strategy of a class replacing the workflow's", async () => {
    const workflow = defineWorkflow({ name: 'wide', version: 1, recover: { strategies: { connection: { fallbackValue: 'workflow' }, timeout: 'fail-fast' } } })
      .task('a', (): string => {
        throw refused()
      })
      .task('b', { recover: { strategies: { connection: { fallbackValue: 'task' } } } }, (): string => {
        throw refused()
      })
      .build()
    const { outcome } = await runOnClock(workflow)
    expect(outcome.outputs).toEqual({ a: 'workflow', b: 'task' })
    expect(Object.keys(workflow.graph.taskByName.get('b')!.policies.recover!.strategies).sort()).toEqual(['connection', 'timeout'])
  })

  it('is what @Workflow({ recover }) and the @Recover decorator compile to, as defineWorkflow does', () => {
    const recover: RecoverOptions = { rules: [{ code: 'E1', as: 'validation' }], strategies: { validation: 'fail-fast', database: { retry: { maxAttempts: 3 } } } }
    @Workflow({ name: 'twin', version: 1, recover: { strategies: { timeout: 'escalate' } } })
    class Twin extends WorkflowBase<void> {
      @Task() first(_input: void) { return 1 }
      @DependsOn('first') @Recover(recover) second(n: number) { return n }
    }
    const defined = defineWorkflow({ name: 'twin', version: 1, recover: { strategies: { timeout: 'escalate' } } })
      .task('first', () => 1)
      .task('second', { dependsOn: ['first'], recover }, (n) => n)
      .build()
    const policiesOf = (graph: ReturnType<typeof compileWorkflow>) => graph.tasks.map((task) => JSON.stringify(task.policies.recover, (_k, v) => (v instanceof RegExp ? String(v) : v)))
    expect(policiesOf(compileWorkflow(Twin))).toEqual(policiesOf(defined.graph))
  })
})

describe('@Recover options are checked when the workflow is defined', () => {
  const define = (recover: unknown, build: (w: ReturnType<typeof defineWorkflow>) => ReturnType<typeof defineWorkflow> = (w) => w) =>
    build(defineWorkflow({ name: 'checked', version: 1 }).task('load', () => 1) as never)
      .task('call', { dependsOn: ['load'], recover } as never, () => 1)
      .build()

  it.each([
    ['a rule without a matcher', { rules: [{ as: 'x' }], strategies: {} }, '@Recover rules[0] must be given at least one of name, instanceOf, code, message, status, when'],
    ['an unknown strategy', { strategies: { connection: 'pray' } }, "@Recover strategies.connection must be one of 'fail-fast', 'compensate', 'escalate'"],
    ['two strategies at once', { strategies: { connection: { fallbackValue: 1, retry: { maxAttempts: 2 } } } }, '@Recover strategies.connection must be exactly one of retry, fallbackValue, fallbackTo, fallbackWith, circuitBreak'],
    ['a class retry with a deadline', { strategies: { timeout: { retry: { maxAttempts: 2, deadline: '1 s' } } } }, "@Recover strategies.timeout.retry.deadline must be left out"],
    ['a bad class retry', { strategies: { timeout: { retry: { maxAttempts: 0 } } } }, '@Recover strategies.timeout.retry maxAttempts must be an integer ≥ 1, got 0'],
    ['a fallback to a task that is not a dependency', { strategies: { connection: { fallbackTo: 'other' } } }, 'fallbackTo names "other", which is not a dependency of "call" (its dependencies: "load")'],
    ['a strategy for a class no rule gives', { strategies: { conection: 'fail-fast' } }, '@Recover strategies.conection must be for a class a rule gives (did you mean "connection"?)'],
    ['compensate without an @OnFailure handler', { strategies: { database: 'compensate' } }, 'no @OnFailure task handles "call"'],
  ])('refuses %s', (_label, recover, message) => {
    expect(() => define(recover)).toThrow(InvalidOptionsError)
    expect(() => define(recover)).toThrow(message)
  })

  it('refuses a workflow-wide fallback to a task', () => {
    expect(() => defineWorkflow({ name: 'wide', version: 1, recover: { strategies: { connection: { fallbackTo: 'load' } } } }).task('load', () => 1).build()).toThrow(
      'workflow "wide": @Recover strategies.connection.fallbackTo is only for a task\'s own @Recover',
    )
  })
})
