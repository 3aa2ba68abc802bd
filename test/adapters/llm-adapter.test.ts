/**
 * The LLM adapter against a scripted OpenAI-compatible node:http server:
 * completions, typed tool calls, structured output, 429/503/400 handling,
 * malformed answers, SSE streams read to the end or cancelled mid-way,
 * Azure's key header and api-version, health, and the key kept secret.
 */
import { Redacted, Schema } from 'effect'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HttpStatusError, type RetryOptions } from 'weft-sdk'
import { BudgetExceededError, defineTool, jsonSchemaOf, LlmAdapter, LlmOutputError, LlmResponseError, type LlmAdapterOptions } from 'weft-sdk/llm'
import { completion, json, raw, ScriptedServer, sse, sseThenHang, timed, toolCall, usage } from './llm-server.js'

const server = new ScriptedServer()
beforeAll(() => server.start())
afterAll(() => server.stop())

const fastRetry: RetryOptions = { maxAttempts: 4, backoff: { initial: '1 ms', max: '5 s', jitter: 'none' } }

function llm(options: Partial<LlmAdapterOptions> = {}): LlmAdapter {
  return new LlmAdapter({ name: 'writer', baseUrl: `${server.url}v1`, model: 'test-model', ...options })
}

function bodyOf(index: number): Record<string, unknown> {
  return JSON.parse(server.received[index]!.body) as Record<string, unknown>
}

const weather = defineTool({ name: 'weather', description: 'Current weather of a city', parameters: Schema.Struct({ city: Schema.String, days: Schema.Number }) })
const clock = defineTool({ name: 'clock', parameters: Schema.Struct({ zone: Schema.String }) })
const Verdict = Schema.Struct({ approve: Schema.Boolean, reason: Schema.String })

describe('LlmAdapter', () => {
  it('makes a plain completion with the bearer key, and reports text, usage and cost', async () => {
    server.answer(completion('Hello!', { usage: usage(12, 3) }))
    const adapter = llm({ apiKey: Redacted.make('sk-test-key'), pricing: { 'test-model': { inputPerMillion: 1, outputPerMillion: 4 } } })
    const answer = await adapter.chat({ messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }], temperature: 0, maxTokens: 20 })
    expect(answer.text).toBe('Hello!')
    expect(answer.message).toEqual({ role: 'assistant', content: 'Hello!' })
    expect(answer.finishReason).toBe('stop')
    expect(answer.usage).toEqual({ promptTokens: 12, completionTokens: 3, totalTokens: 15, costUsd: (12 * 1 + 3 * 4) / 1e6 })
    expect(server.received[0]).toMatchObject({ method: 'POST', url: '/v1/chat/completions' })
    expect(server.received[0]!.headers.authorization).toBe('Bearer sk-test-key')
    expect(bodyOf(0)).toEqual({ model: 'test-model', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }], temperature: 0, max_tokens: 20 })
    await adapter.close()
  })

  it('Azure: the key in the api-key header and api-version on every request', async () => {
    server.answer(completion('ok'))
    const adapter = llm({ baseUrl: `${server.url}openai/deployments/gpt/`, apiKey: 'az-key', azure: { apiVersion: '2024-10-21' } })
    await adapter.chat({ messages: [{ role: 'user', content: 'x' }] })
    expect(server.received[0]!.url).toBe('/openai/deployments/gpt/chat/completions?api-version=2024-10-21')
    expect(server.received[0]!.headers['api-key']).toBe('az-key')
    expect(server.received[0]!.headers.authorization).toBeUndefined()
    await adapter.close()
  })

  it('sends tools as JSON Schema and decodes the tool calls with their Schemas, typed by tool name', async () => {
    server.answer(completion(null, { toolCalls: [toolCall('call_1', 'weather', { city: 'Oslo', days: 2 }), toolCall('call_2', 'clock', { zone: 'UTC' })] }))
    const adapter = llm()
    const answer = await adapter.chat({ messages: [{ role: 'user', content: 'Weather and time?' }], tools: [weather, clock], toolChoice: 'auto' })
    const cities = answer.toolCalls.map((call) => (call.name === 'weather' ? call.arguments.city : call.arguments.zone))
    expect(cities).toEqual(['Oslo', 'UTC'])
    expect(answer.finishReason).toBe('tool_calls')
    expect(answer.message.toolCalls).toEqual([
      { id: 'call_1', name: 'weather', arguments: '{"city":"Oslo","days":2}' },
      { id: 'call_2', name: 'clock', arguments: '{"zone":"UTC"}' },
    ])
    const sent = bodyOf(0)
    expect(sent['tool_choice']).toBe('auto')
    expect(sent['tools']).toEqual([
      { type: 'function', function: { name: 'weather', description: 'Current weather of a city', parameters: jsonSchemaOf(weather.parameters) } },
      { type: 'function', function: { name: 'clock', parameters: jsonSchemaOf(clock.parameters) } },
    ])
    expect(jsonSchemaOf(clock.parameters)).toEqual({ type: 'object', properties: { zone: { type: 'string' } }, required: ['zone'], additionalProperties: false })

    // The conversation goes on with the assistant's turn and the tool results.
    server.answer(completion('Sunny, 12:00'))
    await adapter.chat({ messages: [{ role: 'user', content: 'Weather and time?' }, answer.message, { role: 'tool', toolCallId: 'call_1', content: '{"sky":"sunny"}' }] })
    expect((bodyOf(0)['messages'] as unknown[]).slice(1)).toEqual([
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo","days":2}' } }, { id: 'call_2', type: 'function', function: { name: 'clock', arguments: '{"zone":"UTC"}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: '{"sky":"sunny"}' },
    ])
    await adapter.close()
  })

  it('refuses tool arguments its Schema refuses, and a call of a tool not offered', async () => {
    const adapter = llm({ retry: fastRetry })
    server.answer(completion(null, { toolCalls: [toolCall('c', 'weather', { city: 'Oslo', days: 'two' })] }))
    const error = await adapter.chat({ messages: [{ role: 'user', content: 'x' }], tools: [weather] }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(LlmOutputError)
    expect(error).toMatchObject({ code: 'WEFT_LLM_OUTPUT', part: 'tool:weather', isRetryable: false })
    expect((error as Error).message).toContain('at days')
    expect(server.received).toHaveLength(1)
    server.answer(completion(null, { toolCalls: [toolCall('c', 'shell', { cmd: 'rm' })] }))
    await expect(adapter.chat({ messages: [{ role: 'user', content: 'x' }], tools: [weather] })).rejects.toMatchObject({ part: 'tool:shell' })
    await adapter.close()
  })

  it('asks for structured output with response_format json_schema and decodes the answer', async () => {
    server.answer(completion('{"approve":true,"reason":"fine"}'))
    const adapter = llm()
    const answer = await adapter.chat({ messages: [{ role: 'user', content: 'Approve?' }], output: Verdict, outputName: 'verdict' })
    const verdict: { readonly approve: boolean; readonly reason: string } = answer.output
    expect(verdict).toEqual({ approve: true, reason: 'fine' })
    expect(bodyOf(0)['response_format']).toEqual({ type: 'json_schema', json_schema: { name: 'verdict', strict: true, schema: jsonSchemaOf(Verdict) } })
    await adapter.close()
  })

  it('refuses a structured answer that is not JSON or that its Schema refuses, with a typed error', async () => {
    const adapter = llm()
    server.answer(completion('{"approve": "yes", "reason": "ok"}'))
    const refused = await adapter.chat({ messages: [{ role: 'user', content: 'x' }], output: Verdict }).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(LlmOutputError)
    expect(refused).toMatchObject({ part: 'output', raw: '{"approve": "yes", "reason": "ok"}' })
    expect((refused as LlmOutputError).issues).toContain('at approve')
    server.answer(completion('Sure! {"approve": true'))
    await expect(adapter.chat({ messages: [{ role: 'user', content: 'x' }], output: Verdict })).rejects.toMatchObject({ code: 'WEFT_LLM_OUTPUT', issues: expect.stringContaining('not JSON') })
    await adapter.close()
  })

  it('retries a 429 storm, waiting at least each Retry-After, then succeeds', async () => {
    const times: number[] = []
    const storm = timed(times, json(429, { error: { message: 'rate limited' } }, { 'retry-after': '0.2' }))
    server.answer(storm, storm, storm, timed(times, completion('finally')))
    const adapter = llm({ retry: fastRetry })
    const answer = await adapter.chat({ messages: [{ role: 'user', content: 'x' }] })
    expect(answer.text).toBe('finally')
    expect(server.received).toHaveLength(4)
    // Each retry waited at least its Retry-After (200 ms; 10 ms of slack for timer granularity).
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(190)
    await adapter.close()
  })

  it('retries a 503, does not retry a 400, and gives up on a Retry-After beyond backoff.max', async () => {
    const adapter = llm({ retry: fastRetry })
    server.answer(json(503, {}), completion('up again'))
    expect((await adapter.chat({ messages: [{ role: 'user', content: 'x' }] })).text).toBe('up again')
    expect(server.received).toHaveLength(2)
    server.answer(json(400, { error: { message: 'bad model' } }))
    const error = await adapter.chat({ messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(HttpStatusError)
    expect(error).toMatchObject({ status: 400, isRetryable: false })
    expect(server.received).toHaveLength(1)
    server.answer(json(429, {}, { 'retry-after': '60' }))
    await expect(adapter.chat({ messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({ status: 429, retryAfterMs: 60_000 })
    expect(server.received).toHaveLength(1)
    await adapter.close()
  })

  it('refuses malformed JSON and a body that is not a chat completion', async () => {
    const adapter = llm({ retry: fastRetry })
    server.answer(raw(200, '{"choices": [', { 'content-type': 'application/json' }))
    await expect(adapter.chat({ messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(LlmResponseError)
    server.answer(json(200, { choices: [] }))
    const error = await adapter.chat({ messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'WEFT_LLM_RESPONSE', isRetryable: false })
    expect((error as Error).message).toContain('at choices')
    expect(server.received).toHaveLength(1)
    await adapter.close()
  })

  it('streams: yields each delta, then the whole answer with the usage of the final chunk', async () => {
    server.answer(sse(['Once', ' upon', ' a time'], usage(9, 4)))
    const adapter = llm({ pricing: { 'test-model': { inputPerMillion: 1_000_000, outputPerMillion: 0 } } })
    const stream = adapter.stream({ messages: [{ role: 'user', content: 'A story' }] })
    const pieces: string[] = []
    for await (const progress of stream) pieces.push(progress.text)
    expect(pieces.filter((p) => p !== '')).toEqual(['Once', ' upon', ' a time'])
    const answer = await stream.result()
    expect(answer.text).toBe('Once upon a time')
    expect(answer.finishReason).toBe('stop')
    expect(answer.usage).toEqual({ promptTokens: 9, completionTokens: 4, totalTokens: 13, costUsd: 9 })
    expect(bodyOf(0)).toMatchObject({ stream: true, stream_options: { include_usage: true } })
    await adapter.close()
  })

  it('a stream cancelled mid-way closes its connection: the server sees the socket closed', async () => {
    let closed!: () => void
    const serverSawClose = new Promise<void>((resolve) => (closed = resolve))
    server.answer(sseThenHang(['Hello', ' wor'], () => closed()))
    const adapter = llm()
    const controller = new AbortController()
    const stream = adapter.stream({ messages: [{ role: 'user', content: 'x' }] }, { signal: controller.signal })
    const seen: string[] = []
    const reading = (async () => {
      for await (const progress of stream) {
        seen.push(progress.text)
        if (seen.join('') === 'Hello wor') controller.abort(new Error('user cancelled'))
      }
    })()
    await expect(reading).rejects.toThrow('user cancelled')
    await serverSawClose
    await expect(stream.result()).rejects.toThrow('user cancelled')
    await adapter.close()
  })

  it('health: up when GET models answers, down when the key is refused or the server is gone', async () => {
    const other = await new ScriptedServer().start()
    other.answer(json(200, { data: [] }))
    const adapter = new LlmAdapter({ name: 'other', baseUrl: `${other.url}v1/`, model: 'm', apiKey: 'k', healthTimeout: '1 s' })
    expect(await adapter.health()).toMatchObject({ state: 'up' })
    expect(other.received[0]).toMatchObject({ method: 'GET', url: '/v1/models' })
    other.answer(json(401, {}))
    expect(await adapter.health()).toMatchObject({ state: 'down' })
    await other.stop()
    expect((await adapter.health()).state).toBe('down')
    await adapter.close()
  })

  it('keeps the API key out of errors and events, even when the server echoes it', async () => {
    server.answer((request, response) => json(500, { echoed: request.headers.authorization })(request, response))
    const adapter = llm({ apiKey: Redacted.make('sk-canary-77') })
    const events: unknown[] = []
    adapter.observe((event) => events.push(event))
    const error = (await adapter.chat({ messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e)) as Error
    expect(error.message).toContain('<redacted>')
    expect(error.message).not.toContain('sk-canary-77')
    expect(events).toHaveLength(1)
    expect(JSON.stringify(events)).not.toContain('sk-canary-77')
    await adapter.close()
  })

  it('enforces no budget outside a run (no run to meter), and says how to fix a cost budget without a price', async () => {
    expect(new BudgetExceededError('w', 'tokens', 10, 12).message).toContain('12 tokens of its budget of 10 tokens')
    server.answer(completion('free'))
    const adapter = llm({ budget: { tokens: 0 } })
    expect((await adapter.chat({ messages: [{ role: 'user', content: 'x' }] })).text).toBe('free')
    await adapter.close()
  })
})
