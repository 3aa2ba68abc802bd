import type { ServerResponse } from 'node:http'
import { json, type Script } from './http-server.js'

export { ScriptedServer, json, raw, type Received, type Script } from './http-server.js'

/** Usage as servers report it. */
export interface WireUsage {
  readonly prompt_tokens: number
  readonly completion_tokens: number
  readonly total_tokens: number
}

/** A usage of `prompt` + `completion` tokens. */
export function usage(prompt: number, completion: number): WireUsage {
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion }
}

/** A tool call as a completion carries it. */
export function toolCall(id: string, name: string, args: unknown): unknown {
  return { id, type: 'function', function: { name, arguments: typeof args === 'string' ? args : JSON.stringify(args) } }
}

/** Answers with a chat completion whose message says `content` (and calls `toolCalls`). */
export function completion(content: string | null, options: { usage?: WireUsage; toolCalls?: unknown[]; model?: string; finish?: string } = {}): Script {
  const message = { role: 'assistant', content, ...(options.toolCalls === undefined ? {} : { tool_calls: options.toolCalls }) }
  return json(200, {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    model: options.model ?? 'test-model',
    choices: [{ index: 0, message, finish_reason: options.finish ?? (options.toolCalls === undefined ? 'stop' : 'tool_calls') }],
    usage: options.usage ?? usage(10, 5),
  })
}

/** One SSE chunk of a streamed completion. */
export function chunk(delta: Record<string, unknown>, finish: string | null = null): string {
  return sseData({ id: 'chatcmpl-1', object: 'chat.completion.chunk', model: 'test-model', choices: [{ index: 0, delta, finish_reason: finish }] })
}

/** The final usage chunk (`stream_options.include_usage`): no choices. */
export function usageChunk(wire: WireUsage): string {
  return sseData({ id: 'chatcmpl-1', object: 'chat.completion.chunk', model: 'test-model', choices: [], usage: wire })
}

function sseData(value: unknown): string {
  return `data: ${JSON.stringify(value)}\n\n`
}

function startSse(response: ServerResponse): void {
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
  response.flushHeaders()
}

/** Streams `pieces` as content deltas (one write each, `gapMs` apart), a finish chunk, the usage chunk, and `[DONE]`. */
export function sse(pieces: readonly string[], wire: WireUsage, gapMs = 1): Script {
  return (_request, response) => {
    startSse(response)
    const events = [chunk({ role: 'assistant', content: '' }), ...pieces.map((piece) => chunk({ content: piece })), chunk({}, 'stop'), usageChunk(wire), 'data: [DONE]\n\n']
    let i = 0
    const next = (): void => {
      if (response.destroyed) return
      if (i === events.length) return void response.end()
      response.write(events[i++])
      setTimeout(next, gapMs)
    }
    next()
  }
}

/**
 * Streams `pieces` and then keeps the connection open without ending it;
 * `onClosed` is called when the client closes the connection (what a
 * cancelled stream must do).
 */
export function sseThenHang(pieces: readonly string[], onClosed: () => void): Script {
  return (_request, response) => {
    startSse(response)
    response.on('close', onClosed)
    for (const piece of pieces) response.write(chunk({ content: piece }))
  }
}

/** `script`, noting the time each request arrived in `times`. */
export function timed(times: number[], script: Script): Script {
  return (request, response) => {
    times.push(Date.now())
    script(request, response)
  }
}
