import { describe, expect, it } from 'vitest'
import { createEngine, defineWorkflow, MemoryWorkflowStore, RunCancelledError, type RunEvent, type WeftEvent, type WorkflowBuilder } from 'weft-sdk'
import { flush } from '../support/test-clock.js'
import { memoryEngine } from '../support/engines.js'

function gate() {
  const waiting: (() => void)[] = []
  return {
    wait: () => new Promise<void>((resolve) => waiting.push(resolve)),
    openOne: () => waiting.shift()?.(),
    openAll: () => waiting.splice(0).forEach((open) => open()),
    get waiting() {
      return waiting.length
    },
  }
}

describe('cancel', () => {
  it('interrupts every running task, fires each signal and ends the run as cancelled', async () => {
    const signals: AbortSignal[] = []
    const hold = gate()
    const workflow = defineWorkflow({ name: 'cancellable', version: 1 })
      .task('a', async (_i, ctx) => {
        signals.push(ctx.signal)
        await hold.wait()
      })
      .task('b', async (_i, ctx) => {
        signals.push(ctx.signal)
        await hold.wait()
      })
      .task('c', { dependsOn: ['a', 'b'] }, () => 'never')
      .build()
    const engine = memoryEngine()
    const run = await engine.start(workflow)
    await flush()
    expect(signals).toHaveLength(2)
    await run.cancel()
    const outcome = await run.outcome()
    expect(outcome.status).toBe('cancelled')
    expect(outcome.error).toBeInstanceOf(RunCancelledError)
    expect(signals.every((s) => s.aborted)).toBe(true)
    expect(outcome.tasks.map((t) => t.status)).toEqual(['cancelled', 'cancelled', 'cancelled'])
    expect(await run.cancel()).toBe(false)
    expect(engine.stats().runs.cancelled).toBe(1)
    await engine.close()
  })
})

describe('the run owns every attempt, bare or wrapped by policies', () => {
  it('interrupts a bare task, a retried one and a loop body alike when the run stops: every signal fires, nothing is recorded', async () => {
    const signals = new Map<string, AbortSignal>()
    const hold = gate()
    const waitAs = async (name: string, ctx: { readonly signal: AbortSignal }) => {
      signals.set(name, ctx.signal)
      await hold.wait()
      return name
    }
    const workflow = defineWorkflow({ name: 'owned', version: 1 })
      .task('bare', (_input, ctx) => waitAs('bare', ctx))
      .task('retried', { retry: { maxAttempts: 3 }, timeout: '1 h' }, (_input, ctx) => waitAs('retried', ctx))
      .loop('looped', { while: () => true, maxIterations: 3 }, async (state, ctx) => (await waitAs('looped', ctx), state))
      .build()
    const store = new MemoryWorkflowStore()
    const engine = createEngine({ store })
    const run = await engine.start(workflow)
    await flush()
    expect([...signals.keys()].sort()).toEqual(['bare', 'looped', 'retried'])
    await run.cancel()
    const outcome = await run.outcome()
    expect(outcome.status).toBe('cancelled')
    expect([...signals.values()].map((s) => s.aborted)).toEqual([true, true, true])
    hold.openAll()
    await flush(5)
    expect((await store.loadSteps(run.id)).filter((s) => s.status === 'completed')).toEqual([])
    expect(outcome.tasks.map((t) => t.status)).toEqual(['cancelled', 'cancelled', 'cancelled'])
    await engine.close()
  })
})

describe('a run cancelled by a task.started listener', () => {
  it('makes no attempt of the starting task, bare or wrapped by policies alike', async () => {
    const ran: string[] = []
    const bare = defineWorkflow({ name: 'cancelled-at-start-bare', version: 1 })
      .task('first', async () => 1)
      .task('second', { dependsOn: ['first'] }, () => void ran.push('bare'))
      .build()
    const wrapped = defineWorkflow({ name: 'cancelled-at-start-wrapped', version: 1 })
      .task('first', async () => 1)
      .task('second', { dependsOn: ['first'], retry: { maxAttempts: 2 } }, () => void ran.push('wrapped'))
      .build()
    const engine = memoryEngine()
    const handles = new Map<string, { cancel(): Promise<boolean> }>()
    engine.on('task.started', (event) => {
      if (event.task === 'second') void handles.get(event.runId)?.cancel()
    })
    for (const workflow of [bare, wrapped]) {
      const run = await engine.start(workflow)
      handles.set(run.id, run)
      const outcome = await run.outcome()
      expect(outcome.status).toBe('cancelled')
      expect(outcome.tasks.find((t) => t.task === 'second')).toMatchObject({ status: 'cancelled', attempts: 0, startedAt: undefined })
    }
    expect(ran).toEqual([])
    await engine.close()
  })
})

describe('tasks that finish late, throw, or start as their run is cancelled', () => {
  it('drops the result a task returns after the cancel: nothing is recorded, the task is cancelled', async () => {
    const store = new MemoryWorkflowStore()
    const engine = createEngine({ store })
    let finish: ((value: string) => void) | undefined
    let signal: AbortSignal | undefined
    const workflow = defineWorkflow({ name: 'late', version: 1 })
      .task('slow', (_i, ctx) => {
        signal = ctx.signal
        return new Promise<string>((resolve) => (finish = resolve))
      })
      .build()
    const run = await engine.start(workflow)
    await flush()
    await run.cancel()
    expect(signal!.aborted).toBe(true)
    finish!('too late')
    await flush()
    const outcome = await run.outcome()
    expect(outcome.status).toBe('cancelled')
    expect(outcome.tasks).toMatchObject([{ task: 'slow', status: 'cancelled', attempts: 1 }])
    expect(await store.loadSteps(run.id)).toEqual([])
    await engine.close()
  })

  it('fails a run whose task throws synchronously', async () => {
    const workflow = defineWorkflow({ name: 'throws', version: 1 })
      .task('bad', () => {
        throw new Error('bad input')
      })
      .task('after', { dependsOn: ['bad'] }, () => 'never')
      .build()
    const engine = memoryEngine()
    const run = await engine.start(workflow)
    const outcome = await run.outcome()
    expect(outcome.status).toBe('failed')
    expect(outcome.error?.message).toContain('bad input')
    expect(outcome.tasks.map((t) => [t.task, t.status])).toEqual([
      ['bad', 'failed'],
      ['after', 'cancelled'],
    ])
    await engine.close()
  })

  it('fails the task whose result is a thenable that throws when awaited', async () => {
    const workflow = defineWorkflow({ name: 'bad-thenable', version: 1 })
      .task('odd', () => ({
        then() {
          throw new Error('then exploded')
        },
      }))
      .build()
    const engine = memoryEngine()
    const outcome = await (await engine.start(workflow)).outcome()
    expect(outcome.status).toBe('failed')
    expect(outcome.error?.message).toContain('then exploded')
    expect(outcome.tasks).toMatchObject([{ task: 'odd', status: 'failed' }])
    await engine.close()
  })

  it.each([
    ['without policies (called directly)', {}],
    ['with a policy (run as a fiber)', { timeout: '1 s' }],
  ] as const)('does not call the body of a task %s whose run a task.started listener cancelled', async (_kind, policies) => {
    const engine = memoryEngine()
    let called = false
    const workflow = defineWorkflow({ name: 'cancelled-at-start', version: 1 })
      .task('first', async () => 1)
      .task('second', { dependsOn: ['first'], ...policies }, async () => {
        called = true
        return 2
      })
      .build()
    const run = await engine.start(workflow)
    engine.on('task.started', (event) => {
      if (event.task === 'second') void run.cancel()
    })
    const outcome = await run.outcome()
    expect(called).toBe(false)
    expect(outcome.status).toBe('cancelled')
    expect(outcome.tasks.map((t) => [t.task, t.status])).toEqual([
      ['first', 'completed'],
      ['second', 'cancelled'],
    ])
    await engine.close()
  })

  it('interrupts a running sibling when a task fails: its signal fires', async () => {
    let siblingSignal: AbortSignal | undefined
    const workflow = defineWorkflow({ name: 'rejects', version: 1 })
      .task('bad', async () => {
        await new Promise((resolve) => setTimeout(resolve, 1))
        throw new Error('bad input')
      })
      .task('slow', (_i, ctx) => {
        siblingSignal = ctx.signal
        return new Promise<never>(() => undefined)
      })
      .build()
    const engine = memoryEngine({ maxConcurrentTasksPerRun: 2 })
    const outcome = await engine.run(workflow).then(
      () => undefined,
      (error: unknown) => error,
    )
    expect(outcome).toMatchObject({ message: expect.stringContaining('bad input') })
    expect(siblingSignal?.aborted).toBe(true)
    await engine.close()
  })
})

describe('pause and resume', () => {
  it('stops scheduling new tasks while paused and continues after resume', async () => {
    const hold = gate()
    const started: string[] = []
    const workflow = defineWorkflow({ name: 'pausable', version: 1 })
      .task('first', async () => {
        started.push('first')
        await hold.wait()
        return 1
      })
      .task('second', { dependsOn: ['first'] }, (n) => {
        started.push('second')
        return n + 1
      })
      .build()
    const engine = memoryEngine()
    const run = await engine.start(workflow)
    await flush()
    expect(await run.pause()).toBe(true)
    expect(run.status()).toBe('paused')
    expect(engine.stats().runs.paused).toBe(1)
    hold.openAll()
    await flush(10)
    expect(started).toEqual(['first'])
    expect(run.tasks().map((t) => t.status)).toEqual(['completed', 'pending'])
    expect(await run.resume()).toBe(true)
    expect((await run.result()).output('second')).toBe(2)
    expect(started).toEqual(['first', 'second'])
    const types: string[] = []
    for await (const event of run.events()) types.push(event.type)
    expect(types).toEqual(['run.started', 'task.started', 'run.paused', 'task.completed', 'run.resumed', 'task.started', 'task.completed', 'run.completed'])
    await engine.close()
  })

  it('can cancel a paused run', async () => {
    const hold = gate()
    const workflow = defineWorkflow({ name: 'paused-cancel', version: 1 })
      .task('first', () => hold.wait())
      .task('second', { dependsOn: ['first'] }, () => 2)
      .build()
    const engine = memoryEngine()
    const run = await engine.start(workflow)
    run.pause()
    run.cancel()
    expect((await run.outcome()).status).toBe('cancelled')
    await engine.close()
  })

  it('ends the pause of a run whose running task fails: its cleanup runs and the run fails without a resume', async () => {
    const hold = gate()
    const store = new MemoryWorkflowStore()
    const cleaned: string[] = []
    const workflow = defineWorkflow({ name: 'paused-failure', version: 1 })
      .task('first', async () => {
        await hold.wait()
        throw new Error('declined')
      })
      .task('second', { dependsOn: ['first'] }, () => 2)
      .always('cleanup', () => void cleaned.push('cleanup'))
      .build()
    const engine = createEngine({ store })
    const run = await engine.start(workflow)
    await flush()
    expect(await run.pause()).toBe(true)
    hold.openAll()
    const outcome = await run.outcome()
    expect(outcome.status).toBe('failed')
    expect(cleaned).toEqual(['cleanup'])
    expect(outcome.tasks.map((t) => [t.task, t.status])).toEqual([
      ['first', 'failed'],
      ['second', 'cancelled'],
      ['cleanup', 'completed'],
    ])
    expect((await store.getRun(run.id))?.status).toBe('failed')
    expect(engine.stats().runs).toMatchObject({ paused: 0, running: 0, failed: 1 })
    await engine.close()
  })
})

describe('concurrency limits', () => {
  it('caps tasks per run and across the engine', async () => {
    const hold = gate()
    let running = 0
    let peak = 0
    const body = async () => {
      running++
      peak = Math.max(peak, running)
      await hold.wait()
      running--
    }
    let builder = defineWorkflow({ name: 'wide', version: 1 }) as unknown as WorkflowBuilder<void, Record<string, void>>
    for (let i = 0; i < 10; i++) builder = builder.task(`t${i}` as never, body) as never
    const workflow = builder.build()
    const engine = memoryEngine({ maxConcurrentTasks: 5, maxConcurrentTasksPerRun: 3 })
    const runs = await Promise.all([engine.start(workflow), engine.start(workflow)])
    await flush()
    expect(running).toBe(5)
    while (hold.waiting > 0) {
      hold.openAll()
      await flush()
      expect(running).toBeLessThanOrEqual(5)
    }
    await Promise.all(runs.map((r) => r.result()))
    expect(peak).toBe(5)
    await engine.close()
  })

  it('rejects a limit below 1', () => {
    expect(() => memoryEngine({ maxConcurrentTasks: 0 })).toThrow('maxConcurrentTasks must be an integer ≥ 1 or Infinity, got 0')
  })
})

describe('events', () => {
  const workflow = defineWorkflow({ name: 'evented', version: 1 })
    .task('a', () => 1)
    .task('b', { dependsOn: ['a'], retry: { maxAttempts: 2, backoff: { initial: 1 } } }, (a, ctx) => {
      if (ctx.attempt === 1) throw new Error('once')
      return a + 1
    })
    .build()

  it('reports a run to listeners in order', async () => {
    const engine = memoryEngine()
    const seen: string[] = []
    engine.on((event: WeftEvent) => seen.push('task' in event ? `${event.type} ${event.task}` : event.type))
    await engine.run(workflow)
    expect(seen).toEqual([
      'run.started',
      'task.started a',
      'task.completed a',
      'task.started b',
      'task.retrying b',
      'task.completed b',
      'run.completed',
    ])
    await engine.close()
  })

  it('replays every event to an iterator created after the run ended', async () => {
    const engine = memoryEngine()
    const run = await engine.start(workflow)
    await run.result()
    const events: RunEvent[] = []
    for await (const event of run.events()) events.push(event)
    expect(events.map((e) => e.type)).toEqual(['run.started', 'task.started', 'task.completed', 'task.started', 'task.retrying', 'task.completed', 'run.completed'])
    expect(events.every((e) => e.runId === run.id)).toBe(true)
    expect(events.find((e) => e.type === 'task.completed' && e.task === 'b')).toMatchObject({ attempts: 2, fromCheckpoint: false })
    await engine.close()
  })

  it('stops calling a listener after unsubscribe and survives a listener that throws', async () => {
    const errors: unknown[] = []
    const engine = memoryEngine({ onListenerError: (error) => errors.push(error) })
    const completed: string[] = []
    const stop = engine.on('task.completed', (event) => completed.push(event.task))
    engine.on('run.started', () => {
      throw new Error('bad listener')
    })
    await engine.run(workflow)
    stop()
    await engine.run(workflow)
    expect(completed).toEqual(['a', 'b'])
    expect(errors).toHaveLength(2)
    await engine.close()
  })

  it('counts workflows, runs and tasks by status', async () => {
    const engine = memoryEngine()
    await engine.run(workflow)
    const stats = engine.stats()
    expect(stats.workflows).toBe(1)
    expect(stats.runs).toMatchObject({ running: 0, completed: 1 })
    expect(stats.tasks).toMatchObject({ pending: 0, running: 0, retrying: 0, completed: 2 })
    await engine.close()
  })
})

describe('listeners', () => {
  it('calls a function subscribed twice twice, and each unsubscribe removes one subscription', async () => {
    const engine = memoryEngine()
    const seen: string[] = []
    const listener = (event: WeftEvent) => {
      if (event.type === 'run.completed') seen.push(event.type)
    }
    const first = engine.on(listener)
    engine.on(listener)
    await engine.run(defineWorkflow({ name: 'twice', version: 1 }).task('a', () => 1).build())
    expect(seen).toHaveLength(2)
    first()
    await engine.run(defineWorkflow({ name: 'twice', version: 2 }).task('a', () => 1).build())
    expect(seen).toHaveLength(3)
    await engine.close()
  })
})
