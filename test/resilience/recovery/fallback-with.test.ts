/**
 * `@Recover`'s `fallbackWith`: other work that runs once `@Retry` gives up on
 * a class whose strategy falls back, with the task's arguments and the error,
 * and whose result is the task's output — and what happens when that work
 * fails, runs out of time, or is cut by `@Retry`'s deadline. On a virtual
 * clock: no real sleeps.
 */
import { describe, expect, it } from 'vitest'
import {
  createErrorClassifier,
  defineWorkflow,
  FallbackFailedError,
  InvalidOptionsError,
  MemoryWorkflowStore,
  OnFailure,
  Recover,
  Retry,
  Task,
  TaskTimeoutError,
  Workflow,
  WorkflowBase,
  type Engine,
  type FallbackContext,
  type TaskErrorClassified,
  type TaskFailure,
} from 'weft-sdk'
import { memoryEngine } from '../../support/engines.js'
import { flush, virtualTime, type VirtualTime } from '../../support/test-clock.js'

/** An error as Node's `net` throws it when nothing listens. */
const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })
const noDelay = { initial: 0, max: 0 } as const

interface Quote {
  readonly price: number
  readonly live: boolean
}

/**
 * Starts `workflow` on an engine with a virtual clock (its own, unless given one with its clock); `settle()`
 * advances the clock until the run ends, then closes the engine it made.
 */
async function started(workflow: Parameters<Engine['start']>[0], input?: unknown, options: { time?: VirtualTime; store?: MemoryWorkflowStore; engine?: Engine } = {}) {
  const time = options.time ?? virtualTime()
  const engine = options.engine ?? memoryEngine({ clock: time.clock, ...(options.store === undefined ? {} : { store: options.store }) })
  const events: TaskErrorClassified[] = []
  engine.on('task.error-classified', (event) => events.push(event))
  const run = await engine.start(workflow as never, input as never)
  let settled = false
  const outcome = run.outcome().then((o) => ((settled = true), o))
  const settle = async (stepMs = 50) => {
    for (let i = 0; i < 200 && !settled; i++) await time.advance(stepMs)
    await flush()
    const result = { outcome: await outcome, stats: engine.stats().recovery, events }
    if (options.engine === undefined) await engine.close()
    return result
  }
  return { engine, time, run, events, settle }
}

describe('fallbackWith in defineWorkflow', () => {
  it('runs the fallback once @Retry gives up, with the error, the task\'s arguments and a context, and completes the task with its value', async () => {
    const calls: number[] = []
    const seen: { error: unknown; symbol: string; ctx: FallbackContext }[] = []
    const workflow = defineWorkflow<string>({ name: 'quotes', version: 1 })
      .task(
        'live',
        {
          retry: { maxAttempts: 3, backoff: { initial: 100, max: 1000, jitter: 'none' } },
          recover: {
            strategies: {
              connection: {
                fallbackWith: (error, symbol, ctx) => {
                  seen.push({ error, symbol, ctx })
                  return { price: symbol.length, live: false }
                },
              },
            },
          },
        },
        (symbol, ctx): Quote => {
          calls.push(ctx.attempt)
          throw refused()
        },
      )
      .task('report', { dependsOn: ['live'] }, (quote) => `${quote.price} (${quote.live ? 'live' : 'cached'})`)
      .build()
    const { run, settle } = await started(workflow, 'ACME')
    const { outcome, stats, events } = await settle()

    expect(calls).toEqual([1, 2, 3])
    expect(outcome.outputs).toEqual({ live: { price: 4, live: false }, report: '4 (cached)' })
    expect(seen).toHaveLength(1)
    expect((seen[0]!.error as Error).message).toBe('connect ECONNREFUSED 127.0.0.1:5432')
    expect(seen[0]!.symbol).toBe('ACME')
    expect(seen[0]!.ctx).toMatchObject({ runId: run.id, workflow: 'quotes', task: 'live', input: 'ACME', errorClass: 'connection', attempts: 3, idempotencyKey: `${run.id}:live:fallback` })
    expect(seen[0]!.ctx.signal.aborted).toBe(true) // fired once the fallback returned
    // Failures at t0, t0+100, t0+300; the fallback answers at once.
    expect(stats.byClass.connection?.fallback).toEqual({ occurrences: 3, recovered: 1, notRecovered: 0, timeToRecoverMs: { total: 300, max: 300, mean: 300 } })
    expect(events.map((e) => [e.attempt, e.strategy, e.outcome])).toEqual([
      [1, 'fallback', 'retrying'],
      [2, 'fallback', 'retrying'],
      [3, 'fallback', 'falling-back'],
    ])
  })

  it('waits for an async fallback, and counts its time in the time to recover', async () => {
    let release: ((quote: Quote) => void) | undefined
    const workflow = defineWorkflow<string>({ name: 'slow-fallback', version: 1 })
      .task('live', { recover: { strategies: { connection: { fallbackWith: () => new Promise<Quote>((resolve) => (release = resolve)) } } } }, async (): Promise<Quote> => {
        throw refused()
      })
      .build()
    const { time, settle } = await started(workflow, 'X')
    await flush()
    expect(release).toBeTypeOf('function')
    await time.advance(250)
    release!({ price: 9, live: false })
    const { outcome, stats } = await settle()
    expect(outcome.outputs).toEqual({ live: { price: 9, live: false } })
    expect(stats.byClass.connection?.fallback).toMatchObject({ occurrences: 1, recovered: 1, notRecovered: 0, timeToRecoverMs: { total: 250, max: 250 } })
  })

  it("fails the task with FallbackFailedError when the fallback throws: the task's failure as its cause, counted as not recovered", async () => {
    const store = new MemoryWorkflowStore()
    const workflow = defineWorkflow<string>({ name: 'double-fault', version: 1 })
      .task('live', { retry: { maxAttempts: 2, backoff: noDelay }, recover: { strategies: { connection: { fallbackWith: async (): Promise<Quote> => Promise.reject(new Error('cache miss')) } } } }, (): Quote => {
        throw refused()
      })
      .build()
    const { run, settle } = await started(workflow, 'X', { store })
    const { outcome, stats, events } = await settle()

    expect(outcome.status).toBe('failed')
    const error = outcome.error?.cause
    expect(error).toBeInstanceOf(FallbackFailedError)
    const failed = error as FallbackFailedError
    expect(failed).toMatchObject({ code: 'WEFT_FALLBACK_FAILED', _tag: 'FallbackFailedError', task: 'live', fallback: undefined, errorClass: 'connection' })
    expect(failed.message).toBe('task "live": fell back to its fallbackWith function after a connection failure (connect ECONNREFUSED 127.0.0.1:5432), and the fallback failed: cache miss')
    expect((failed.cause as Error).message).toBe('connect ECONNREFUSED 127.0.0.1:5432')
    expect(failed.failure).toBe(failed.cause)
    expect((failed.fallbackError as Error).message).toBe('cache miss')
    expect(failed.errors).toEqual([failed.fallbackError])
    // Classifying the task's error finds the original class, through its cause.
    expect(createErrorClassifier().classify(failed).errorClass).toBe('connection')
    expect(stats.byClass.connection?.fallback).toMatchObject({ occurrences: 2, recovered: 0, notRecovered: 1 })
    expect(stats.totals).toEqual({ occurrences: 2, recovered: 0, notRecovered: 1 })
    expect(events.map((e) => e.outcome)).toEqual(['retrying', 'falling-back'])
    // The stored record keeps both: the original failure among its causes, the fallback's error among its errors.
    const step = (await store.loadSteps(run.id)).find((s) => s.key === 'live')!
    expect(step.error).toMatchObject({ name: 'FallbackFailedError', code: 'WEFT_FALLBACK_FAILED', causes: [{ message: 'connect ECONNREFUSED 127.0.0.1:5432', code: 'ECONNREFUSED' }], errors: [{ name: 'Error', message: 'cache miss' }] })
    expect(createErrorClassifier().classifyRecord(step.error!).errorClass).toBe('connection')
    expect(step.history?.recovery).toMatchObject({ last: { errorClass: 'connection', strategy: 'fallback' } })
  })

  it("gives the fallback the task's @Timeout as a limit of its own: its signal fires and the task fails with the timeout as the fallback's error", async () => {
    let signal: AbortSignal | undefined
    const workflow = defineWorkflow<string>({ name: 'hanging-fallback', version: 1 })
      .task(
        'live',
        {
          timeout: '100 ms',
          recover: {
            strategies: {
              connection: {
                fallbackWith: (_error, _symbol, ctx) => {
                  signal = ctx.signal
                  return new Promise<Quote>(() => undefined)
                },
              },
            },
          },
        },
        (): Quote => {
          throw refused()
        },
      )
      .build()
    const { settle } = await started(workflow, 'X')
    const { outcome, stats } = await settle(25)
    const failed = outcome.error?.cause as FallbackFailedError
    expect(failed).toBeInstanceOf(FallbackFailedError)
    expect(failed.fallbackError).toBeInstanceOf(TaskTimeoutError)
    expect((failed.fallbackError as TaskTimeoutError).timeoutMs).toBe(100)
    expect(signal?.aborted).toBe(true)
    expect(stats.byClass.connection?.fallback).toMatchObject({ occurrences: 1, recovered: 0, notRecovered: 1 })
  })

  it("lets @Retry's deadline cut a fallback: the task times out, not recovered", async () => {
    let signal: AbortSignal | undefined
    const workflow = defineWorkflow<string>({ name: 'deadline-fallback', version: 1 })
      .task(
        'live',
        {
          retry: { maxAttempts: 2, backoff: { initial: 100, max: 100, jitter: 'none' }, deadline: '1 s' },
          recover: { strategies: { connection: { fallbackWith: (_error, _symbol, ctx) => ((signal = ctx.signal), new Promise<Quote>(() => undefined)) } } },
        },
        (): Quote => {
          throw refused()
        },
      )
      .build()
    const { settle } = await started(workflow, 'X')
    const { outcome, stats, events } = await settle()
    expect(outcome.error?.cause).toBeInstanceOf(TaskTimeoutError)
    expect((outcome.error?.cause as TaskTimeoutError).timeoutMs).toBe(1000)
    expect(signal?.aborted).toBe(true)
    expect(events.map((e) => e.outcome)).toEqual(['retrying', 'falling-back'])
    expect(stats.byClass.connection?.fallback).toMatchObject({ occurrences: 2, recovered: 0, notRecovered: 1 })
  })

  it("stops a fallback when the run is cancelled: its signal fires, the failure is counted, the execution neither recovered nor not", async () => {
    let signal: AbortSignal | undefined
    const workflow = defineWorkflow<string>({ name: 'cancelled-fallback', version: 1 })
      .task('live', { recover: { strategies: { connection: { fallbackWith: (_error, _symbol, ctx) => ((signal = ctx.signal), new Promise<Quote>(() => undefined)) } } } }, (): Quote => {
        throw refused()
      })
      .build()
    const { run, settle } = await started(workflow, 'X')
    await flush()
    expect(signal?.aborted).toBe(false)
    await run.cancel()
    const { outcome, stats } = await settle()
    expect(outcome.status).toBe('cancelled')
    expect(signal?.aborted).toBe(true)
    expect(stats.byClass.connection?.fallback).toMatchObject({ occurrences: 1, recovered: 0, notRecovered: 0 })
  })

  it("counts an execution cut by @Retry's deadline during a backoff as not recovered", async () => {
    const workflow = defineWorkflow({ name: 'deadline-backoff', version: 1 })
      .task('live', { retry: { maxAttempts: 5, backoff: { initial: 400, max: 400, jitter: 'none' }, deadline: '1 s' }, recover: { strategies: { connection: { fallbackValue: 'cached' } } } }, (): string => {
        throw refused()
      })
      .build()
    const { settle } = await started(workflow)
    const { outcome, stats } = await settle()
    expect(outcome.error?.cause).toBeInstanceOf(TaskTimeoutError)
    // Attempts at 0, 400 and 800 ms; the deadline falls in the third backoff.
    expect(stats.byClass.connection?.fallback).toMatchObject({ occurrences: 3, recovered: 0, notRecovered: 1 })
  })

  it('never caches what a fallback returned as the task\'s result', async () => {
    const time = virtualTime()
    const engine = memoryEngine({ clock: time.clock })
    let calls = 0
    const workflow = defineWorkflow({ name: 'cached-fallback-with', version: 1 })
      .task('call', { cache: { ttl: '1 h' }, recover: { strategies: { connection: { fallbackWith: () => 'fallback' } } } }, (): string => {
        if (++calls === 1) throw refused()
        return 'live'
      })
      .build()
    const outputs = []
    for (let i = 0; i < 3; i++) outputs.push((await (await started(workflow, undefined, { time, engine })).settle()).outcome.outputs)
    expect(outputs).toEqual([{ call: 'fallback' }, { call: 'live' }, { call: 'live' }])
    expect(calls).toBe(2)
    await engine.close()
  })

  it("gives a loop iteration's fallback the state and makes its value the next state", async () => {
    const workflow = defineWorkflow<number>({ name: 'countdown', version: 1 })
      .loop('halve', { while: (n) => n > 1, maxIterations: 10, recover: { strategies: { connection: { fallbackWith: (_error, n) => n - 1 } } } }, (n) => {
        if (n === 6) throw refused()
        return Math.floor(n / 2)
      })
      .build()
    const { settle } = await started(workflow, 12)
    const { outcome } = await settle()
    // 12 → 6; at 6 the body fails and the fallback gives 5; 5 → 2 → 1.
    expect(outcome.outputs['halve']).toMatchObject({ iterations: 4, iterationResults: [6, 5, 2, 1], finalState: 1 })
  })
})

describe('fallbackWith in @Recover: a method of the workflow class', () => {
  it('calls the named method on the same workflow instance with the error and the task\'s arguments; a failure reaches @OnFailure as FallbackFailedError', async () => {
    const handled: TaskFailure[] = []
    @Workflow({ name: 'decorated-quotes', version: 1 })
    class Quotes extends WorkflowBase<string> {
      private readonly cache = new Map([['ACME', 7]])

      @Task()
      @Retry({ maxAttempts: 2, backoff: noDelay })
      @Recover({ strategies: { connection: { fallbackWith: 'quoteFromCache' } } })
      live(symbol: string): Quote {
        void symbol
        throw refused()
      }

      @OnFailure('live') alert(failure: TaskFailure) {
        handled.push(failure)
        return 'alerted'
      }

      private quoteFromCache(error: unknown, symbol: string, ctx: FallbackContext): Quote {
        const price = this.cache.get(symbol)
        if (price === undefined) throw new Error(`no cached quote for ${symbol} (${ctx.errorClass} after ${ctx.attempts} attempts: ${(error as Error).message})`)
        return { price, live: false }
      }
    }
    const hit = await (await started(Quotes, 'ACME')).settle()
    expect(hit.outcome.outputs).toEqual({ live: { price: 7, live: false } })
    expect(handled).toEqual([])

    const miss = await (await started(Quotes, 'NOPE')).settle()
    expect(miss.outcome.outputs).toEqual({ alert: 'alerted' })
    expect(handled).toHaveLength(1)
    expect(handled[0]!.error).toBeInstanceOf(FallbackFailedError)
    expect(handled[0]!.message).toBe(
      'task "live": fell back to "quoteFromCache" after a connection failure (connect ECONNREFUSED 127.0.0.1:5432), and the fallback failed: no cached quote for NOPE (connection after 2 attempts: connect ECONNREFUSED 127.0.0.1:5432)',
    )
    expect((handled[0]!.error as FallbackFailedError).fallback).toBe('quoteFromCache')
    expect(miss.stats.byClass.connection?.fallback).toMatchObject({ occurrences: 2, recovered: 0, notRecovered: 1 })
  })
})

describe('fallbackWith is checked when the workflow is defined', () => {
  it('refuses a method name that is no method of the class, naming the closest one', () => {
    const define = () => {
      @Workflow({ name: 'typo', version: 1 })
      class Typo extends WorkflowBase<string> {
        @Task() @Recover({ strategies: { connection: { fallbackWith: 'quoteFromCach' } } })
        live(symbol: string) { return symbol }

        private quoteFromCache(_error: unknown, symbol: string) { return symbol }
      }
      return Typo
    }
    expect(define).toThrow(InvalidOptionsError)
    expect(define).toThrow(
      'workflow "typo" task "live": @Recover strategies.connection.fallbackWith names "quoteFromCach", which is not a method of Typo (did you mean "quoteFromCache"?): give the name of a private or protected method of the workflow class',
    )
  })

  it('refuses a method that is a task', () => {
    const define = () => {
      @Workflow({ name: 'task-as-fallback', version: 1 })
      class TaskAsFallback extends WorkflowBase<string> {
        @Task() cached(symbol: string) { return symbol }
        // @ts-expect-error a public method is a task by the class's type: tsc refuses it too
        @Task() @Recover({ strategies: { connection: { fallbackWith: 'cached' } } })
        live(symbol: string) { return symbol }
      }
      return TaskAsFallback
    }
    expect(define).toThrow(InvalidOptionsError)
    expect(define).toThrow('workflow "task-as-fallback" task "live": @Recover strategies.connection.fallbackWith names "cached", which is a task: a fallback runs inside the task that fails')
  })

  it('still refuses an undecorated method that no fallbackWith names', () => {
    const define = () => {
      @Workflow({ name: 'stray', version: 1 })
      class Stray extends WorkflowBase<string> {
        @Task() @Recover({ strategies: { connection: { fallbackWith: 'fromCache' } } })
        live(symbol: string) { return symbol }

        private fromCache(_error: unknown, symbol: string) { return symbol }
        private helper() { return 1 }
      }
      return Stray
    }
    expect(define).toThrow('workflow "stray": method "helper" of Stray is not a task')
  })

  it.each([
    ['a method name in defineWorkflow', { connection: { fallbackWith: 'fromCache' } }, 'task "call": @Recover strategies.connection.fallbackWith names "fromCache", but a defineWorkflow workflow has no methods: give a function'],
    ['neither a name nor a function', { connection: { fallbackWith: 42 } }, '@Recover strategies.connection.fallbackWith must be the name of a method of the workflow class, or a function, got 42'],
    ['two strategies at once', { connection: { fallbackWith: () => 1, fallbackValue: 2 } }, '@Recover strategies.connection must be exactly one of retry, fallbackValue, fallbackTo, fallbackWith, circuitBreak'],
  ])('refuses %s', (_label, strategies, message) => {
    const define = () => defineWorkflow({ name: 'checked', version: 1 }).task('call', { recover: { strategies } } as never, () => 1).build()
    expect(define).toThrow(InvalidOptionsError)
    expect(define).toThrow(message)
  })

  it("refuses a workflow-wide fallbackWith: it belongs to one task's arguments and output", () => {
    const recover = { strategies: { connection: { fallbackWith: () => 1 } } } as never
    expect(() => defineWorkflow({ name: 'wide', version: 1, recover }).task('load', () => 1).build()).toThrow(
      'workflow "wide": @Recover strategies.connection.fallbackWith is only for a task\'s own @Recover (it receives that task\'s arguments and returns its output)',
    )
  })
})
