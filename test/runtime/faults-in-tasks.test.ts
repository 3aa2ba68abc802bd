/**
 * What tasks do that the runtime must survive: keep their context after
 * their attempt, throw values that cannot be printed, retry a million times,
 * name themselves `__proto__`, and clean up forever.
 */
import { describe, expect, it } from 'vitest'
import {
  Always,
  ContextClosedError,
  createEngine,
  defineWorkflow,
  InvalidWorkflowError,
  maxLoggedRetriesPerTask,
  MemoryWorkflowStore,
  RunCancelledError,
  RunFailedError,
  Task,
  Timeout,
  TaskTimeoutError,
  UninspectableThrowError,
  Workflow,
  WorkflowBase,
  type TaskContext,
} from 'weft-sdk'
import { memoryEngine } from '../support/engines.js'
import { flush, virtualTime } from '../support/test-clock.js'

describe('a context kept after its attempt ended', () => {
  it('refuses steps, map items, sleeps and waits with ContextClosedError, and records nothing', async () => {
    let kept: TaskContext | undefined
    const store = new MemoryWorkflowStore()
    const workflow = defineWorkflow({ name: 'kept', version: 1 })
      .task('leaky', (_input, ctx) => {
        kept = ctx
        return 'done'
      })
      .build()
    const engine = createEngine({ store })
    const run = await engine.start(workflow)
    await run.result()
    const calls: string[] = []
    const attempts = [
      ['ctx.step("late")', () => kept!.step('late', () => calls.push('step'))],
      ['ctx.map', () => kept!.map([1], () => calls.push('map'))],
      ['ctx.sleep', () => kept!.sleep(1)],
      ['ctx.waitForEvent("e")', () => kept!.waitForEvent('e')],
    ] as const
    for (const [what, attempt] of attempts) {
      const error = await attempt().catch((e: unknown) => e)
      expect(error, what).toBeInstanceOf(ContextClosedError)
      expect(error).toMatchObject({
        code: 'WEFT_CONTEXT_CLOSED',
        message: `task "leaky" of run ${run.id}: ${what} was called after the task's attempt ended; await every ctx call inside the task instead of keeping the context for later`,
      })
    }
    expect(() => kept!.events('e')).toThrow(ContextClosedError)
    expect(calls).toEqual([])
    expect((await store.loadSteps(run.id)).map((s) => s.key)).toEqual(['leaky'])
    await engine.close()
  })

  it('stops a wait the task started and did not await: the event goes to the task that waits for it', async () => {
    const store = new MemoryWorkflowStore()
    let leftover: Promise<unknown> | undefined
    const workflow = defineWorkflow({ name: 'leftover-wait', version: 1 })
      .task('a', (_input, ctx) => {
        leftover = ctx.waitForEvent('e').catch((error: unknown) => error)
        return 1
      })
      .task('b', { dependsOn: ['a'] }, (_a, ctx) => ctx.waitForEvent<string>('e'))
      .build()
    const engine = createEngine({ store })
    const bStarted = new Promise<void>((resolve) => engine.on('task.started', (event) => event.task === 'b' && resolve()))
    const run = await engine.start(workflow)
    await bStarted
    await flush()
    await run.signal('e', 'for b')
    expect((await run.result()).output('b')).toBe('for b')
    expect(await leftover).toBeInstanceOf(ContextClosedError)
    expect((await store.loadSteps(run.id)).map((s) => s.key).sort()).toEqual(['a', 'b', 'b/wait:e#0'])
    await engine.close()
  })

  it('does not record the sub-step a timed-out attempt finishes late', async () => {
    const time = virtualTime()
    const store = new MemoryWorkflowStore()
    let release!: () => void
    const workflow = defineWorkflow({ name: 'late-step', version: 1 })
      .task('slow', { timeout: 100 }, (_input, ctx) => ctx.step('call', () => new Promise<string>((resolve) => (release = () => resolve('late')))))
      .build()
    const engine = createEngine({ store, clock: time.clock })
    const run = await engine.start(workflow)
    await flush()
    await time.advance(100)
    const error = await run.result().catch((e: unknown) => e)
    expect((error as RunFailedError).cause).toBeInstanceOf(TaskTimeoutError)
    release()
    await flush()
    expect((await store.loadSteps(run.id)).map((s) => s.key)).toEqual(['slow'])
    await engine.close()
  })
})

describe('a task that throws a value that cannot be printed', () => {
  const values: [string, () => unknown][] = [
    ['an object without a prototype', () => Object.create(null)],
    ['an object whose toString throws', () => ({ toString: () => { throw new Error('no') }, toJSON: () => { throw new Error('no') } })],
    ['an Error whose message getter throws', () => Object.defineProperty(new Error(), 'message', { get: () => { throw new Error('no') } })],
  ]

  for (const [what, make] of values) {
    for (const style of ['sync', 'async'] as const) {
      it(`fails the run with the value as its cause (${what}, ${style})`, async () => {
        const thrown = make()
        const workflow = defineWorkflow({ name: 'odd-throw', version: 1 })
          .task('odd', style === 'sync' ? () => { throw thrown } : async () => { throw thrown })
          .build()
        const engine = memoryEngine()
        const run = await engine.start(workflow)
        const outcome = await run.outcome()
        expect(outcome.status).toBe('failed')
        expect((outcome.error as RunFailedError).cause).toBe(thrown)
        expect(outcome.tasks[0]).toMatchObject({ task: 'odd', status: 'failed' })
        expect(typeof outcome.tasks[0]!.error!.message).toBe('string')
        await engine.close()
      })
    }
  }

  it('wraps a revoked Proxy in UninspectableThrowError, which names the task', async () => {
    const { proxy, revoke } = Proxy.revocable({}, {})
    revoke()
    const workflow = defineWorkflow({ name: 'revoked', version: 1 })
      .task('odd', { retry: { maxAttempts: 2, backoff: { initial: 0 } } }, async () => {
        throw proxy
      })
      .build()
    const engine = memoryEngine()
    const outcome = await (await engine.start(workflow)).outcome()
    const cause = (outcome.error as RunFailedError).cause
    expect(cause).toBeInstanceOf(UninspectableThrowError)
    expect(cause).toMatchObject({
      code: 'WEFT_UNINSPECTABLE_THROW',
      task: 'odd',
      message: 'task "odd" threw a object that cannot be inspected (a revoked Proxy, or a Proxy whose traps throw); throw an Error instead',
    })
    expect(outcome.tasks[0]).toMatchObject({ status: 'failed', attempts: 2 })
    await engine.close()
  })
})

describe('a task retried very many times', () => {
  it(`keeps ${maxLoggedRetriesPerTask} task.retrying events in the run's log while listeners get every one`, async () => {
    const attempts = 5_000
    const workflow = defineWorkflow({ name: 'stubborn', version: 1 })
      .task('flaky', { retry: { maxAttempts: attempts, backoff: { initial: 0, max: 0 } } }, (_input, ctx) => {
        if (ctx.attempt < attempts) throw new Error(`attempt ${ctx.attempt}`)
        return ctx.attempt
      })
      .build()
    const engine = memoryEngine()
    let heard = 0
    engine.on('task.retrying', () => heard++)
    const run = await engine.start(workflow)
    expect((await run.result()).output('flaky')).toBe(attempts)
    const logged = []
    for await (const event of run.events()) logged.push(event)
    const retrying = logged.filter((e) => e.type === 'task.retrying')
    expect(retrying).toHaveLength(maxLoggedRetriesPerTask)
    expect(retrying.map((e) => (e as { attempt: number }).attempt)).toEqual(Array.from({ length: maxLoggedRetriesPerTask }, (_, i) => i + 1))
    expect(heard).toBe(attempts - 1)
    expect(logged.find((e) => e.type === 'task.completed')).toMatchObject({ attempts })
    await engine.close()
  })
})

describe('a task named __proto__', () => {
  it('is an output like any other, in memory and read back from the store', async () => {
    const workflow = defineWorkflow({ name: 'proto', version: 1 })
      .task('__proto__', () => ({ polluted: false }))
      .task('constructor', { dependsOn: ['__proto__'] }, (p) => p.polluted)
      .build()
    const store = new MemoryWorkflowStore()
    const engine = createEngine({ store })
    const result = await engine.run(workflow)
    expect(result.output('__proto__')).toEqual({ polluted: false })
    expect(result.output('constructor')).toBe(false)
    expect(Object.getPrototypeOf(result.outputs)).toBeNull()
    const reader = createEngine({ store, claimRuns: false })
    const stored = await (await reader.getRun(result.runId))!.outcome()
    expect(stored.outputs['__proto__']).toEqual({ polluted: false })
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    await Promise.all([engine.close(), reader.close()])
  })
})

describe('an @Always cleanup that never settles', () => {
  const never = () => new Promise<never>(() => undefined)

  it('fails under the default one-minute limit, so the run still ends', async () => {
    const time = virtualTime()
    const workflow = defineWorkflow({ name: 'stuck-cleanup', version: 1 })
      .task('work', () => 1)
      .always('cleanUp', never)
      .build()
    const engine = createEngine({ store: new MemoryWorkflowStore(), clock: time.clock })
    const run = await engine.start(workflow)
    await flush()
    await time.advance(59_999)
    expect(run.status()).toBe('running')
    await time.advance(1)
    const outcome = await run.outcome()
    expect(outcome.status).toBe('failed')
    expect((outcome.error as RunFailedError).cause).toBeInstanceOf(TaskTimeoutError)
    expect((outcome.error as RunFailedError).task).toBe('cleanUp')
    await engine.close()
  })

  it('takes its limit from .always(name, { timeout }, fn) and from @Always({ timeout })', async () => {
    const time = virtualTime()
    const Defined = defineWorkflow({ name: 'defined-cleanup', version: 1 }).task('work', () => 1).always('cleanUp', { timeout: '5 s' }, never).build()
    @Workflow({ name: 'decorated-cleanup', version: 1 })
    class Decorated extends WorkflowBase {
      @Task() work() {
        return 1
      }
      @Task() @Always({ timeout: '5 s' }) cleanUp() {
        return never()
      }
    }
    const engine = createEngine({ store: new MemoryWorkflowStore(), clock: time.clock })
    const runs = [await engine.start(Defined), await engine.start(Decorated)]
    await flush()
    await time.advance(5_000)
    for (const run of runs) expect(((await run.outcome()).error as RunFailedError).cause).toMatchObject({ _tag: 'TaskTimeoutError', timeoutMs: 5_000 })
    await engine.close()
  })

  it('runs under its limit after a first cancel, and is aborted by a second', async () => {
    const time = virtualTime()
    const signals: AbortSignal[] = []
    const workflow = defineWorkflow({ name: 'cancel-cleanup', version: 1 })
      .task('work', (_input, ctx) => new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('stopped')))))
      .always('cleanUp', (_input, ctx) => {
        signals.push(ctx.signal)
        return never()
      })
      .build()
    const engine = createEngine({ store: new MemoryWorkflowStore(), clock: time.clock })
    const run = await engine.start(workflow)
    await flush()
    expect(await run.cancel('first')).toBe(true)
    await flush()
    expect(signals).toHaveLength(1)
    expect(signals[0]!.aborted).toBe(false)
    await time.advance(30_000)
    expect(run.status()).toBe('running')
    expect(await run.cancel('second')).toBe(true)
    const outcome = await run.outcome()
    expect(outcome.status).toBe('cancelled')
    expect(outcome.error).toBeInstanceOf(RunCancelledError)
    expect(signals[0]!.aborted).toBe(true)
    expect(outcome.tasks.map((t) => [t.task, t.status])).toEqual([
      ['work', 'cancelled'],
      ['cleanUp', 'cancelled'],
    ])
    await engine.close()
  })

  it('refuses @Timeout and @Always({ timeout }) on one method', () => {
    const define = () => {
      @Workflow({ name: 'both-limits', version: 1 })
      class Both extends WorkflowBase {
        @Task() work() {
          return 1
        }
        @Task() @Always({ timeout: '5 s' }) @Timeout('1 s') cleanUp() {
          return 1
        }
      }
      return Both
    }
    let error: unknown
    try {
      createEngine({ store: new MemoryWorkflowStore() }).register(define())
    } catch (e) {
      error = e
    }
    expect(error).toMatchObject({
      constructor: InvalidWorkflowError,
      code: 'WEFT_INVALID_WORKFLOW',
      message: 'workflow "both-limits": method "cleanUp" has both @Timeout and @Always({ timeout }); keep one of them',
    })
  })
})
