/**
 * A `fallbackWith` fallback's own calls and its place in a trace: an LLM
 * call made through `FallbackContext.use` (a cheaper model, after the task's
 * own call failed) is metered into the task's step usage with its attempts'
 * calls, reported as `task.call` under the task and the attempt it answers,
 * and traced under the fallback's span; the attempt that fell back ends as
 * a failed span with the classification as an event. A scripted
 * OpenAI-compatible server on node:http answers.
 */
import { SpanStatusCode } from '@opentelemetry/api'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ContextClosedError, createEngine, defineWorkflow, MemoryWorkflowStore, type Bindable, type CallContext, type FallbackContext, type TaskCallReported } from 'weft-sdk'
import { stepAttempts } from 'weft-sdk/store'
import { LlmAdapter } from 'weft-sdk/llm'
import { weftTracing, WeftSpanAttributes as A } from 'weft-sdk/otel'
import { completion, raw, ScriptedServer, usage } from '../adapters/llm-server.js'

const server = new ScriptedServer()
beforeAll(() => server.start())
afterAll(() => server.stop())

/** A span time (seconds, nanoseconds) in milliseconds. */
const millis = ([seconds, nanos]: readonly [number, number]) => seconds * 1e3 + nanos / 1e6

const ask = { messages: [{ role: 'user' as const, content: 'Summarize' }] }
const pricing = { 'big-model': { inputPerMillion: 1_000, outputPerMillion: 10_000 }, 'small-model': { inputPerMillion: 100, outputPerMillion: 1_000 } }
/** Every request the server gets after the first fails with 503: a task that calls twice, then its fallback's call is answered. */
const overloaded = raw(503, 'overloaded')

function engineWith(options: { traced?: boolean } = {}) {
  const exporter = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
  const llm = new LlmAdapter({ name: 'llm', baseUrl: `${server.url}v1/`, model: 'big-model', retry: { maxAttempts: 1 }, pricing })
  const store = new MemoryWorkflowStore()
  const tracing = options.traced === true ? weftTracing({ tracer: provider.getTracer('fallback'), useActiveContext: false }) : undefined
  const engine = createEngine({ store, adapters: [llm], ...(tracing === undefined ? {} : { tracing }) })
  return { engine, store, spans: () => exporter.getFinishedSpans() }
}

/** `summary` asks the big model (the first call answers, the second is refused with a 503), then falls back to the small one. */
const Summaries = defineWorkflow<string>({ name: 'summaries', version: 1 })
  .services({ llm: LlmAdapter })
  .task(
    'summary',
    {
      recover: {
        strategies: {
          connection: {
            fallbackWith: async (_error, _text, ctx) => (await ctx.use(ctx.services.llm).chat({ ...ask, model: 'small-model' })).text,
          },
        },
      },
    },
    async (_text, ctx) => {
      const client = ctx.use(ctx.services.llm)
      const outline = await client.chat(ask)
      return `${outline.text}: ${(await client.chat(ask)).text}`
    },
  )
  .build({ result: 'summary' })

describe('FallbackContext.use', () => {
  it("meters the fallback's LLM call into the task's step usage, with the calls of its attempts", async () => {
    server.answer(completion('outline', { usage: usage(100, 10) }), overloaded, completion('short summary', { usage: usage(40, 4), model: 'small-model' }))
    const { engine, store } = engineWith()
    const calls: TaskCallReported[] = []
    engine.on('task.call', (event) => calls.push(event))
    const run = await engine.start(Summaries, 'a long text', { runId: 'summary-1' })
    expect(await run.result()).toBe('short summary')
    await engine.close()

    const [step] = await store.loadSteps('summary-1')
    // big-model: 100 in, 10 out at 1,000 / 10,000 per million; small-model: 40 in, 4 out at 100 / 1,000 per million.
    expect(step!.usage?.tokens).toBe(154)
    expect(step!.usage?.costUsd).toBeCloseTo((100 * 1_000 + 10 * 10_000 + 40 * 100 + 4 * 1_000) / 1e6, 12)
    expect(stepAttempts(step!).map((a) => a.outcome)).toEqual(['failed', 'fallback'])
    // The fallback's call: reported under the task and the attempt it answers, with its own idempotency key.
    expect(calls.map((c) => [c.task, c.attempt, c.attributes['gen_ai.request.model'], c.error?.code])).toEqual([
      ['summary', 1, 'big-model', undefined],
      ['summary', 1, 'big-model', 'WEFT_HTTP_STATUS'],
      ['summary', 1, 'small-model', undefined],
    ])
    expect(server.received.map((r) => r.headers['idempotency-key'])).toEqual(['summary-1:summary:llm:1', 'summary-1:summary:llm:2', 'summary-1:summary:fallback:llm:1'])
  })

  it('binds any adapter as ctx.use does, and refuses once the fallback has returned', async () => {
    const seen: string[] = []
    let late: FallbackContext | undefined
    const metering: Bindable<{ spend(tokens: number): void }> = {
      bind: (call: CallContext) => ({
        spend: (tokens) => {
          seen.push(call.nextIdempotencyKey('meter'))
          call.meter({ tokens, costUsd: tokens / 1000 })
        },
      }),
    }
    const Metered = defineWorkflow({ name: 'metered-fallback', version: 1 })
      .task('work', { recover: { strategies: { unknown: { fallbackWith: (_error, _input, ctx) => ((late = ctx), ctx.use(metering).spend(7), ctx.use(metering).spend(5), 'fallback') } } } }, (_input, ctx): string => {
        ctx.use(metering).spend(3)
        throw new Error('boom')
      })
      .build({ result: 'work' })
    const { engine, store } = engineWith()
    const run = await engine.start(Metered, undefined, { runId: 'metered-1' })
    expect(await run.result()).toBe('fallback')
    await engine.close()
    const [step] = await store.loadSteps('metered-1')
    expect(step!.usage?.tokens).toBe(15)
    expect(step!.usage?.costUsd).toBeCloseTo(0.015, 12)
    // Keys numbered per adapter across the fallback's use() calls, apart from the attempt's.
    expect(seen).toEqual(['metered-1:work:meter:1', 'metered-1:work:fallback:meter:1', 'metered-1:work:fallback:meter:2'])
    expect(() => late!.use(metering)).toThrow(ContextClosedError)
  })
})

describe('a traced task that fell back', () => {
  it('ends the failed attempt as an error span with the classification, and traces the fallback and its call in a span of its own', async () => {
    server.answer(completion('outline', { usage: usage(100, 10) }), overloaded, completion('short summary', { usage: usage(40, 4), model: 'small-model' }))
    const { engine, spans } = engineWith({ traced: true })
    await (await engine.start(Summaries, 'a long text')).result()
    await engine.close()

    const run = spans().find((s) => s.name === 'weft.run summaries')!
    const attempt = spans().find((s) => s.name === 'weft.task summary')!
    const fallback = spans().find((s) => s.name === 'weft.fallback summary')!
    expect(attempt.status).toMatchObject({ code: SpanStatusCode.ERROR })
    expect(attempt.attributes).toMatchObject({ [A.taskOutcome]: 'fell-back', [A.attempt]: 1, 'error.type': 'WEFT_HTTP_STATUS' })
    const classified = attempt.events.find((e) => e.name === 'weft.task.error-classified')
    expect(classified?.attributes).toEqual({ [A.errorClass]: 'connection', [A.recoveryStrategy]: 'fallback', [A.recoveryOutcome]: 'falling-back' })
    expect(attempt.events.map((e) => e.name)).toEqual(['weft.task.error-classified', 'exception'])

    // The fallback: the attempts' sibling under the run, from the failure to the task's end, OK.
    expect(fallback.parentSpanContext?.spanId).toBe(run.spanContext().spanId)
    expect(fallback.status.code).toBe(SpanStatusCode.UNSET)
    expect(fallback.attributes).toMatchObject({ [A.task]: 'summary', [A.attempt]: 1, [A.errorClass]: 'connection', [A.recoveryStrategy]: 'fallback', [A.taskOutcome]: 'completed' })
    // It starts where the attempt ended (its call's measured start may lie a fraction of a millisecond before).
    expect(Math.abs(millis(fallback.startTime) - millis(attempt.endTime))).toBeLessThan(1)

    const calls = spans().filter((s) => s.name.startsWith('chat '))
    expect(calls.map((c) => [c.attributes['gen_ai.request.model'], c.parentSpanContext?.spanId])).toEqual([
      ['big-model', attempt.spanContext().spanId],
      ['big-model', attempt.spanContext().spanId],
      ['small-model', fallback.spanContext().spanId],
    ])
  })

  it('marks the fallback span failed when the fallback fails too', async () => {
    server.answer(completion('outline', { usage: usage(1, 1) }), overloaded, overloaded)
    const { engine, spans } = engineWith({ traced: true })
    await expect((await engine.start(Summaries, 'text')).result()).rejects.toMatchObject({ code: 'WEFT_RUN_FAILED', cause: { code: 'WEFT_FALLBACK_FAILED' } })
    await engine.close()
    const fallback = spans().find((s) => s.name === 'weft.fallback summary')!
    expect(fallback.status).toMatchObject({ code: SpanStatusCode.ERROR })
    expect(fallback.attributes).toMatchObject({ [A.taskOutcome]: 'failed', 'error.type': 'WEFT_FALLBACK_FAILED' })
    expect(spans().find((s) => s.name === 'weft.task summary')?.attributes[A.taskOutcome]).toBe('fell-back')
  })
})
