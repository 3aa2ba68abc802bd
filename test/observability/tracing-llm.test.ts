/**
 * LLM calls in a trace: each call a task makes through `ctx.use(llm)` is a
 * client span under the attempt's span, with OpenTelemetry's GenAI
 * attributes; a scripted OpenAI-compatible server on node:http answers.
 */
import { SpanKind, SpanStatusCode } from '@opentelemetry/api'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEngine, defineWorkflow, MemoryWorkflowStore, type TaskCallReported } from 'weft-sdk'
import { LlmAdapter } from 'weft-sdk/llm'
import { weftTracing, WeftSpanAttributes as A } from 'weft-sdk/otel'
import { completion, raw, ScriptedServer, sse, usage } from '../adapters/llm-server.js'

const server = new ScriptedServer()
beforeAll(() => server.start())
afterAll(() => server.stop())

const ask = { messages: [{ role: 'user' as const, content: 'Tell me' }] }

function tracedEngine(system?: string) {
  const exporter = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
  const llm = new LlmAdapter({ name: 'writer', baseUrl: `${server.url}v1/`, model: 'test-model', retry: { maxAttempts: 1 }, ...(system === undefined ? {} : { system }) })
  const engine = createEngine({ store: new MemoryWorkflowStore(), adapters: [llm], tracing: weftTracing({ tracer: provider.getTracer('llm'), useActiveContext: false }) })
  return { engine, spans: () => exporter.getFinishedSpans() }
}

describe('an LLM call in a traced run', () => {
  it('is a client span under its attempt span, with the GenAI request, response and usage attributes', async () => {
    server.answer(completion('Rivers run', { usage: usage(20, 2), model: 'test-model-2024' }))
    const { engine, spans } = tracedEngine('ollama')
    const Story = defineWorkflow({ name: 'traced-story', version: 1 })
      .services({ llm: LlmAdapter })
      .task('write', async (_input, ctx) => (await ctx.use(ctx.services.llm).chat(ask)).text)
      .build()
    await (await engine.start(Story)).result()
    await engine.close()
    const attempt = spans().find((span) => span.name === 'weft.task write')!
    const call = spans().find((span) => span.name === 'chat test-model')!
    expect(call.parentSpanContext?.spanId).toBe(attempt.spanContext().spanId)
    expect(call.kind).toBe(SpanKind.CLIENT)
    expect(call.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.system': 'ollama',
      'gen_ai.request.model': 'test-model',
      'gen_ai.response.model': 'test-model-2024',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 20,
      'gen_ai.usage.output_tokens': 2,
      [A.task]: 'write',
      [A.attempt]: 1,
    })
  })

  it('reports a streamed call once, when its answer is complete', async () => {
    server.answer(sse(['Once', ' upon'], usage(12, 3)))
    const { engine, spans } = tracedEngine()
    const calls: TaskCallReported[] = []
    engine.on('task.call', (event) => calls.push(event))
    const Story = defineWorkflow({ name: 'traced-stream', version: 1 })
      .services({ llm: LlmAdapter })
      .task('write', async (_input, ctx) => (await ctx.use(ctx.services.llm).stream(ask).result()).text)
      .build()
    await (await engine.start(Story)).result()
    await engine.close()
    expect(calls.map((event) => [event.adapter, event.operation, event.attributes['gen_ai.usage.output_tokens']])).toEqual([['writer', 'chat test-model', 3]])
    const call = spans().filter((span) => span.name === 'chat test-model')
    expect(call.map((span) => span.attributes['gen_ai.system'])).toEqual(['openai'])
  })

  it('marks a failed call as an error span with the adapter error code', async () => {
    server.answer(raw(400, '{"error":"bad request"}'))
    const { engine, spans } = tracedEngine()
    const Story = defineWorkflow({ name: 'traced-refused', version: 1 })
      .services({ llm: LlmAdapter })
      .task('write', async (_input, ctx) => (await ctx.use(ctx.services.llm).chat(ask)).text)
      .build()
    await (await engine.start(Story)).result().catch(() => undefined)
    await engine.close()
    const call = spans().find((span) => span.name === 'chat test-model')!
    expect([call.status.code, call.attributes['error.type']]).toEqual([SpanStatusCode.ERROR, 'WEFT_HTTP_STATUS'])
    expect(call.attributes['gen_ai.usage.input_tokens']).toBeUndefined()
  })
})
