/**
 * OpenTelemetry tracing (weft-sdk/otel): spans per run and per task attempt
 * from the engine's events, parents passed explicitly, the trace context
 * recorded with the run and continued by the worker that resumes it.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SpanKind, SpanStatusCode, trace, TraceFlags } from '@opentelemetry/api'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, TraceIdRatioBasedSampler, type ReadableSpan } from '@opentelemetry/sdk-trace-base'
import { afterEach, describe, expect, it } from 'vitest'
import { createEngine, defineWorkflow, MemoryWorkflowStore, sqliteStore, type EngineConfig } from 'weft-sdk'
import { postgresStore } from 'weft-sdk/postgres'
import type { WorkflowStore } from 'weft-sdk/store'
import { parseTraceparent, toTraceparent, weftTracing, WeftSpanAttributes as A, type WeftTracing } from 'weft-sdk/otel'
import { createTestDatabase, describePostgres } from '../support/postgres.js'
import { virtualTime } from '../support/test-clock.js'

/** A tracer provider of its own ("a process") exporting to memory. */
function tracedProcess(options: { readonly sampled?: boolean } = {}) {
  const exporter = new InMemorySpanExporter()
  const sampler = options.sampled === false ? new TraceIdRatioBasedSampler(0) : undefined
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)], ...(sampler === undefined ? {} : { sampler }) })
  const tracing = weftTracing({ tracer: provider.getTracer('weft-test'), useActiveContext: false })
  return { exporter, tracing, spans: () => exporter.getFinishedSpans() }
}

function named(spans: readonly ReadableSpan[], name: string): ReadableSpan[] {
  return spans.filter((span) => span.name === name)
}

function only(spans: readonly ReadableSpan[], name: string): ReadableSpan {
  const found = named(spans, name)
  expect(found.map((span) => span.name)).toEqual([name])
  return found[0]!
}

function parentOf(span: ReadableSpan): string | undefined {
  return span.parentSpanContext?.spanId
}

function memoryEngine(tracing: WeftTracing, config: EngineConfig = {}) {
  return createEngine({ store: new MemoryWorkflowStore(), tracing, ...config })
}

/**
 * A store that tells when a run has looked in its inbox for an event and
 * found none: from then on its task waits for that event (the wait's start
 * is taken before it looks). Every call goes to the real store.
 */
function watchInbox(store: WorkflowStore): { store: WorkflowStore; waiting(name: string): Promise<void> } {
  const lookers = new Map<string, () => void>()
  const pendingEvents: WorkflowStore['pendingEvents'] = async (runId, name, since) => {
    const events = await store.pendingEvents(runId, name, since)
    if (events.length === 0) lookers.get(name)?.()
    return events
  }
  const watched = new Proxy(store, {
    get: (target, key) => {
      if (key === 'pendingEvents') return pendingEvents
      const value: unknown = Reflect.get(target, key, target)
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
    },
  })
  return { store: watched, waiting: (name) => new Promise<void>((resolve) => lookers.set(name, resolve)) }
}

const pipeline = defineWorkflow({ name: 'pipeline', version: 3 })
  .task('load', () => 2)
  .task('double', { dependsOn: ['load'] }, (n) => n * 2)
  .build()

describe('a traced run', () => {
  it('has a start span, a run span as its child and an attempt span per task under the run span', async () => {
    const { tracing, spans } = tracedProcess()
    const engine = memoryEngine(tracing)
    const run = await engine.start(pipeline)
    await run.result()
    await engine.close()
    const start = only(spans(), 'weft.start pipeline')
    const runSpan = only(spans(), 'weft.run pipeline')
    expect(parentOf(runSpan)).toBe(start.spanContext().spanId)
    for (const task of ['load', 'double']) {
      const attempt = only(spans(), `weft.task ${task}`)
      expect(parentOf(attempt)).toBe(runSpan.spanContext().spanId)
      expect(attempt.spanContext().traceId).toBe(start.spanContext().traceId)
      expect(attempt.attributes).toMatchObject({ [A.workflow]: 'pipeline', [A.version]: 3, [A.runId]: run.id, [A.task]: task, [A.attempt]: 1, [A.taskOutcome]: 'completed' })
    }
    expect(runSpan.attributes).toMatchObject({ [A.workflow]: 'pipeline', [A.version]: 3, [A.runId]: run.id, [A.runOutcome]: 'completed' })
    expect(tracing.openRuns).toBe(0)
  })

  it('orders its spans in time: each attempt within the run span', async () => {
    const { tracing, spans } = tracedProcess()
    const engine = memoryEngine(tracing)
    await (await engine.start(pipeline)).result()
    await engine.close()
    const ms = (time: readonly [number, number]) => time[0] * 1e3 + time[1] / 1e6
    const runSpan = only(spans(), 'weft.run pipeline')
    const load = only(spans(), 'weft.task load')
    const double = only(spans(), 'weft.task double')
    expect(ms(load.startTime)).toBeGreaterThanOrEqual(ms(runSpan.startTime))
    expect(ms(double.startTime)).toBeGreaterThanOrEqual(ms(load.endTime))
    expect(ms(runSpan.endTime)).toBeGreaterThanOrEqual(ms(double.endTime))
  })

  it('records each retry as an attempt span of its own, failed ones with the error, all children of the run span', async () => {
    const { tracing, spans } = tracedProcess()
    const engine = memoryEngine(tracing)
    let calls = 0
    const flaky = defineWorkflow({ name: 'flaky', version: 1 })
      .task('call', { retry: { maxAttempts: 3, backoff: { initial: 1, max: 1 } } }, () => {
        if (++calls < 3) throw Object.assign(new Error(`refused ${calls}`), { code: 'ECONNREFUSED' })
        return 'ok'
      })
      .build()
    await (await engine.start(flaky)).result()
    await engine.close()
    const runSpan = only(spans(), 'weft.run flaky')
    const attempts = named(spans(), 'weft.task call').sort((a, b) => Number(a.attributes[A.attempt]) - Number(b.attributes[A.attempt]))
    expect(attempts.map((span) => [span.attributes[A.attempt], span.attributes[A.taskOutcome], span.status.code])).toEqual([
      [1, 'retried', SpanStatusCode.ERROR],
      [2, 'retried', SpanStatusCode.ERROR],
      [3, 'completed', SpanStatusCode.UNSET],
    ])
    expect(attempts.every((span) => parentOf(span) === runSpan.spanContext().spanId)).toBe(true)
    expect(attempts[0]!.attributes['error.type']).toBe('ECONNREFUSED')
    expect(attempts[0]!.events.find((event) => event.name === 'exception')?.attributes).toMatchObject({ 'exception.message': 'refused 1' })
  })

  it('marks a failed task and its run as errors, with the outcome', async () => {
    const { tracing, spans } = tracedProcess()
    const engine = memoryEngine(tracing)
    const failing = defineWorkflow({ name: 'failing', version: 1 })
      .task('charge', () => {
        throw new TypeError('card declined')
      })
      .build()
    await (await engine.start(failing)).result().catch(() => undefined)
    await engine.close()
    const attempt = only(spans(), 'weft.task charge')
    const runSpan = only(spans(), 'weft.run failing')
    expect([attempt.attributes[A.taskOutcome], attempt.status]).toEqual(['failed', { code: SpanStatusCode.ERROR, message: 'card declined' }])
    expect([runSpan.attributes[A.runOutcome], runSpan.status.code, runSpan.attributes['error.type']]).toEqual(['failed', SpanStatusCode.ERROR, 'TypeError'])
  })

  it('records a skipped task as an event of the run span, not as an attempt', async () => {
    const { tracing, spans } = tracedProcess()
    const engine = memoryEngine(tracing)
    const conditional = defineWorkflow({ name: 'conditional', version: 1 })
      .task('never', { when: () => false }, () => 1)
      .build()
    await (await engine.start(conditional)).result()
    await engine.close()
    expect(named(spans(), 'weft.task never')).toEqual([])
    const skipped = only(spans(), 'weft.run conditional').events.filter((event) => event.name === 'weft.task.skipped')
    expect(skipped.map((event) => event.attributes)).toEqual([{ [A.task]: 'never', [A.skipReason]: 'condition' }])
  })

  it('ends an attempt interrupted by a cancel as cancelled, and the run span with it', async () => {
    const { tracing, spans } = tracedProcess()
    const inbox = watchInbox(new MemoryWorkflowStore())
    const engine = createEngine({ store: inbox.store, tracing })
    const waiting = defineWorkflow({ name: 'waiting', version: 1 })
      .task('approve', (_input, ctx) => ctx.waitForEvent('approved'))
      .build()
    const approving = inbox.waiting('approved')
    const run = await engine.start(waiting)
    await approving
    await run.cancel()
    await run.outcome()
    await engine.close()
    expect(only(spans(), 'weft.task approve').attributes[A.taskOutcome]).toBe('cancelled')
    expect(only(spans(), 'weft.run waiting').attributes[A.runOutcome]).toBe('cancelled')
  })

  it('continues the trace of an explicit traceparent given to start', async () => {
    const { tracing, spans } = tracedProcess()
    const engine = memoryEngine(tracing)
    const caller = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
    await (await engine.start(pipeline, undefined, { traceparent: caller })).result()
    await engine.close()
    const start = only(spans(), 'weft.start pipeline')
    expect([start.spanContext().traceId, parentOf(start)]).toEqual(['4bf92f3577b34da6a3ce929d0e0e4736', '00f067aa0ba902b7'])
    expect(only(spans(), 'weft.task double').spanContext().traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736')
  })

  it('makes no spans and follows no run when its sampler drops the run', async () => {
    const { tracing, spans } = tracedProcess({ sampled: false })
    const engine = memoryEngine(tracing)
    await (await engine.start(pipeline)).result()
    expect(tracing.openRuns).toBe(0)
    await engine.close()
    expect(spans()).toEqual([])
  })

  it('listens to the engine only while it follows a run, and never with the API alone (no SDK registered)', async () => {
    const listening = { subscribed: 0, unsubscribed: 0 }
    const counted = (tracing: WeftTracing): WeftTracing => ({
      ...tracing,
      attach: (subscribe) =>
        tracing.attach((listener) => {
          listening.subscribed++
          const stop = subscribe(listener)
          return () => (listening.unsubscribed++, stop())
        }),
    })
    const alone = createEngine({ store: new MemoryWorkflowStore(), tracing: counted(weftTracing({ tracer: trace.getTracer('no-sdk') })) })
    await (await alone.start(pipeline)).result()
    await alone.close()
    expect(listening).toEqual({ subscribed: 0, unsubscribed: 0 })
    const traced = createEngine({ store: new MemoryWorkflowStore(), tracing: counted(tracedProcess().tracing) })
    await (await traced.start(pipeline)).result()
    await (await traced.start(pipeline)).result()
    await traced.close()
    expect(listening).toEqual({ subscribed: 2, unsubscribed: 2 })
  })

  it('records nothing with the API alone (no SDK registered): no spans open, no trace context stored', async () => {
    const tracing = weftTracing({ tracer: trace.getTracer('no-sdk') })
    const store = new MemoryWorkflowStore()
    const engine = createEngine({ store, tracing })
    const run = await engine.start(pipeline)
    await run.result()
    expect(tracing.openRuns).toBe(0)
    expect((await store.getRun(run.id))?.traceContext).toBeUndefined()
    await engine.close()
  })
})

const approval = defineWorkflow({ name: 'approval', version: 1 })
  .task('request', () => 'asked')
  .task('approve', { dependsOn: ['request'] }, (_asked, ctx) => ctx.waitForEvent<boolean>('approved'))
  .build()

/**
 * A run started by one engine ("worker A", its own tracer provider), released
 * by its close while a task waits, and resumed by a second engine on the same
 * database (worker B, another provider): B's spans must continue A's trace.
 */
async function resumeOnAnotherWorker(openStore: () => WorkflowStore): Promise<void> {
  const first = tracedProcess()
  const inbox = watchInbox(openStore())
  const engineA = createEngine({ store: inbox.store, tracing: first.tracing, workflows: [approval] })
  const approving = inbox.waiting('approved')
  const run = await engineA.start(approval)
  await approving
  await engineA.close({ drain: 0 })
  expect(first.tracing.openRuns).toBe(0) // closing released the run: its spans ended here
  expect([only(first.spans(), 'weft.run approval').attributes[A.runOutcome], only(first.spans(), 'weft.task approve').attributes[A.taskOutcome]]).toEqual(['abandoned', 'abandoned'])
  const start = only(first.spans(), 'weft.start approval')
  const reader = openStore()
  const stored = parseTraceparent((await reader.getRun(run.id))?.traceContext)
  await reader.close()
  expect(stored?.spanId).toBe(start.spanContext().spanId)

  const second = tracedProcess()
  const engineB = createEngine({ store: openStore(), tracing: second.tracing, workflows: [approval], claimInterval: '10 ms' })
  const waiting = new Promise<void>((resolve) => engineB.on('task.started', (event) => event.task === 'approve' && resolve()))
  await waiting
  const resumed = (await engineB.getRun(run.id))!
  await resumed.signal('approved', true)
  await resumed.result()
  await engineB.close()
  const runSpan = only(second.spans(), 'weft.run approval')
  expect(runSpan.spanContext().traceId).toBe(start.spanContext().traceId)
  expect(parentOf(runSpan)).toBe(start.spanContext().spanId)
  expect(runSpan.attributes[A.runEpoch]).toBe(2)
  expect(named(second.spans(), 'weft.task request')).toEqual([]) // replayed from its checkpoint
  expect(runSpan.events.some((event) => event.name === 'weft.task.replayed' && event.attributes?.[A.task] === 'request')).toBe(true)
  expect(parentOf(only(second.spans(), 'weft.task approve'))).toBe(runSpan.spanContext().spanId)
}

/** Waits for an approval (a signal), then sleeps, then maps three items of which item 1 fails once. */
const approvals = defineWorkflow({ name: 'approvals', version: 1 })
  .task('review', async (_input, ctx) => {
    const approval = await ctx.waitForEvent<{ by: string }>('approved')
    await ctx.sleep(30)
    const checked = await ctx.map([1, 2, 3], (n, _i, _signal, item) => {
      if (n === 2 && item.attempt === 1) throw new Error('flaky check')
      return n * 10
    }, { retry: { maxAttempts: 2, backoff: { initial: 0, max: 0 } } })
    return { by: approval.by, checked }
  })
  .build()

describe('waits, sleeps and map items of a traced attempt', () => {
  /** The run on a virtual clock (the spans' times are the engine clock's): approved 20 ms into its wait, then its 30 ms sleep. */
  async function tracedApproval() {
    const { tracing, spans } = tracedProcess()
    const time = virtualTime()
    await time.advance(Date.now()) // from today rather than 1970, as a real clock would be
    const inbox = watchInbox(new MemoryWorkflowStore())
    const engine = createEngine({ store: inbox.store, tracing, clock: time.clock })
    const approving = inbox.waiting('approved')
    const run = await engine.start(approvals)
    await approving
    await time.advance(20)
    await run.signal('approved', { by: 'ada' })
    let settled = false
    const result = run.result().finally(() => (settled = true))
    for (let i = 0; i < 100 && !settled; i++) await time.advance(10)
    expect((await result).outputs.review).toEqual({ by: 'ada', checked: [10, 20, 30] })
    await engine.close()
    return { spans: spans(), attempt: only(spans(), 'weft.task review') }
  }

  it('records the wait for an event as an internal span under the attempt, from the wait to the event', async () => {
    const { spans, attempt } = await tracedApproval()
    const wait = only(spans, 'weft.wait approved')
    expect(parentOf(wait)).toBe(attempt.spanContext().spanId)
    expect(wait.kind).toBe(SpanKind.INTERNAL)
    expect(wait.attributes).toMatchObject({ [A.operation]: 'wait', [A.eventName]: 'approved', [A.waitOutcome]: 'received', [A.task]: 'review', [A.runId]: attempt.attributes[A.runId] })
    expect(durationMs(wait)).toBe(20)
  })

  it('records a durable sleep as an internal span of about its length', async () => {
    const { spans, attempt } = await tracedApproval()
    const sleep = only(spans, 'weft.sleep')
    expect(parentOf(sleep)).toBe(attempt.spanContext().spanId)
    expect(sleep.attributes).toMatchObject({ [A.operation]: 'sleep', [A.sleepMs]: 30, [A.stepKey]: expect.stringContaining('review') })
    expect(durationMs(sleep)).toBe(30)
  })

  it('records each map item as an internal span with its index and attempts, after the wait and the sleep', async () => {
    const { spans, attempt } = await tracedApproval()
    const items = named(spans, 'weft.map.item review').sort((a, b) => Number(a.attributes[A.mapIndex]) - Number(b.attributes[A.mapIndex]))
    expect(items.map((span) => [span.attributes[A.mapIndex], span.attributes[A.mapAttempts], parentOf(span)])).toEqual([
      [0, 1, attempt.spanContext().spanId],
      [1, 2, attempt.spanContext().spanId],
      [2, 1, attempt.spanContext().spanId],
    ])
    expect(items.every((span) => span.status.code !== SpanStatusCode.ERROR)).toBe(true)
    const sleepEnd = endMs(only(spans, 'weft.sleep'))
    expect(items.every((span) => startMs(span) >= sleepEnd - 1)).toBe(true)
  })

  it('marks a wait that timed out as failed, with the outcome timed-out', async () => {
    const { tracing, spans } = tracedProcess()
    const engine = memoryEngine(tracing)
    const waiting = defineWorkflow({ name: 'waiting', version: 1 }).task('await', (_input, ctx) => ctx.waitForEvent('never', { timeout: 20 })).build()
    await expect((await engine.start(waiting)).result()).rejects.toThrow()
    await engine.close()
    const wait = only(spans(), 'weft.wait never')
    expect(wait.attributes[A.waitOutcome]).toBe('timed-out')
    expect(wait.status.code).toBe(SpanStatusCode.ERROR)
    expect(wait.attributes['error.type']).toBe('WEFT_EVENT_TIMEOUT')
  })

  it('follows no run with the API alone (no SDK registered): the reports reach a listener, the tracing makes nothing of them', async () => {
    const tracing = weftTracing({ tracer: trace.getTracer('no-sdk') })
    const inbox = watchInbox(new MemoryWorkflowStore())
    const engine = createEngine({ store: inbox.store, tracing })
    const calls: string[] = []
    engine.on('task.call', (event) => calls.push(event.operation))
    const approving = inbox.waiting('approved')
    const run = await engine.start(approvals)
    await approving
    expect(tracing.openRuns).toBe(0) // waiting, and not followed
    await run.signal('approved', { by: 'ada' })
    await run.result()
    await engine.close()
    expect(calls).toEqual(['weft.wait approved', 'weft.sleep', 'weft.map.item review', 'weft.map.item review', 'weft.map.item review'])
  })
})

const startMs = (span: ReadableSpan) => span.startTime[0] * 1000 + span.startTime[1] / 1e6
const endMs = (span: ReadableSpan) => span.endTime[0] * 1000 + span.endTime[1] / 1e6
const durationMs = (span: ReadableSpan) => endMs(span) - startMs(span)

describe('a run resumed by another worker on the same SQLite file', () => {
  const dirs: string[] = []
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
  })

  it('continues the same trace: its run span on the second worker is a child of the context recorded with the run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-otel-'))
    dirs.push(dir)
    const path = join(dir, 'runs.db')
    await resumeOnAnotherWorker(() => sqliteStore({ path }))
  })
})

describePostgres('a run resumed by another worker on the same PostgreSQL database', () => {
  it('continues the same trace: its run span on the second worker is a child of the context recorded with the run', async () => {
    const database = await createTestDatabase()
    try {
      await resumeOnAnotherWorker(() => postgresStore({ connectionString: database.url }))
    } finally {
      await database.drop()
    }
  })
})

describe('traceparent', () => {
  it('writes and reads back a span context', () => {
    const context = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED }
    expect(toTraceparent(context)).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01')
    expect(parseTraceparent(toTraceparent(context))).toEqual({ ...context, isRemote: true })
  })

  it.each([
    ['not a header'],
    ['00-00000000000000000000000000000000-b7ad6b7169203331-01'],
    ['00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01'],
    ['ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'],
    ['00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra'],
    ['00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01'],
  ])('refuses %s', (header) => {
    expect(parseTraceparent(header)).toBeUndefined()
  })
})
