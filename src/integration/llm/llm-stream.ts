import { Sse } from 'effect/encoding'
import { LlmResponseError } from '../../core/llm-errors.js'
import type { LlmProgress, LlmRequest, LlmResponse } from './llm-types.js'
import { parseChunk, type WireChunk, type WireCompletion } from './llm-wire.js'

/** A tool call being assembled from stream chunks. */
interface PartialToolCall {
  id: string
  name: string
  arguments: string
}

/**
 * Assembles a streamed completion: the text and tool calls of its deltas,
 * its finish reason, and the usage of its last chunk
 * (`stream_options.include_usage`).
 */
export class CompletionAssembler {
  private text = ''
  private sawText = false
  private readonly calls: PartialToolCall[] = []
  private finishReason: string | null = null
  private model: string | undefined
  private usage: WireCompletion['usage'] = undefined
  private chunks = 0

  /** Adds a chunk; returns what it added (its progress). */
  add(chunk: WireChunk): LlmProgress {
    this.chunks++
    this.model ??= chunk.model
    if (chunk.usage !== undefined && chunk.usage !== null) this.usage = chunk.usage
    const choice = chunk.choices?.[0]
    if (choice === undefined) return { text: '', toolCalls: [] }
    if (choice.finish_reason !== undefined && choice.finish_reason !== null) this.finishReason = choice.finish_reason
    const text = choice.delta?.content ?? ''
    if (choice.delta?.content !== undefined && choice.delta.content !== null) this.sawText = true
    this.text += text
    const touched: number[] = []
    for (const delta of choice.delta?.tool_calls ?? []) {
      const call = (this.calls[delta.index] ??= { id: '', name: '', arguments: '' })
      if (delta.id !== undefined) call.id = delta.id
      if (delta.function?.name !== undefined) call.name += delta.function.name
      if (delta.function?.arguments !== undefined) call.arguments += delta.function.arguments
      touched.push(delta.index)
    }
    return { text, toolCalls: touched }
  }

  /** The whole completion. @throws LlmResponseError when the stream held no chunk. */
  completion(adapter: string): WireCompletion {
    if (this.chunks === 0) throw new LlmResponseError(adapter, 'the stream ended without a chunk')
    const toolCalls = this.calls.filter((call) => call !== undefined).map((call) => ({ id: call.id, function: { name: call.name, arguments: call.arguments } }))
    const message = { content: this.sawText || toolCalls.length === 0 ? this.text : null, ...(toolCalls.length === 0 ? {} : { tool_calls: toolCalls }) }
    return { model: this.model, choices: [{ message, finish_reason: this.finishReason }], usage: this.usage }
  }
}

/**
 * The chunks of an SSE body, parsed with Effect's SSE parser, until
 * `data: [DONE]` or the end of the body.
 */
export async function* readChunks(adapter: string, body: ReadableStream<Uint8Array>): AsyncGenerator<WireChunk, void, undefined> {
  const events: string[] = []
  const parser = Sse.makeParser((event) => {
    if (event._tag === 'Event') events.push(event.data)
  })
  const decoder = new TextDecoder()
  for await (const bytes of body) {
    const failure = parser.feed(decoder.decode(bytes, { stream: true }))
    if (failure !== undefined) throw new LlmResponseError(adapter, `the event stream is malformed: ${failure.message}`)
    while (events.length > 0) {
      const data = events.shift()!
      if (data.trim() === '[DONE]') return
      yield parseChunk(adapter, data)
    }
  }
}

/**
 * A streamed chat completion: iterate it for each chunk's progress (text
 * added, tool calls touched), and/or await `result()` for the whole answer
 * (decoded like a plain call's, with the usage of its final chunk).
 * `cancel()`, breaking out of a `for await`, or the call's signal firing
 * (the task's, through `ctx.use`) closes the connection.
 *
 * @example
 * ```ts
 * import { LlmAdapter } from 'weft-sdk/llm'
 * const llm = new LlmAdapter({ name: 'writer', baseUrl: 'http://127.0.0.1:11434/v1/', model: 'llama3.2' })
 * const stream = llm.stream({ messages: [{ role: 'user', content: 'Write a haiku about rivers.' }] })
 * for await (const progress of stream) process.stdout.write(progress.text)
 * const answer = await stream.result()
 * console.log(`\n${answer.usage.totalTokens} tokens`)
 * ```
 */
export class LlmStream<R extends LlmRequest = LlmRequest> implements AsyncIterable<LlmProgress> {
  private readonly queue: LlmProgress[] = []
  private wake: (() => void) | undefined
  private started: Promise<LlmResponse<R>> | undefined
  private iterated = false
  private done = false

  /** @internal */
  constructor(
    /** Runs the stream, calling `onProgress` per chunk; resolves with the response. */
    private readonly run: (onProgress: (progress: LlmProgress) => void) => Promise<LlmResponse<R>>,
    private readonly abort: (reason: unknown) => void,
  ) {}

  /** The whole answer, once the stream ends (reads it to the end when nobody iterates). */
  result(): Promise<LlmResponse<R>> {
    return this.start()
  }

  /** Stops the stream and closes its connection; `result()` rejects with `reason`. */
  cancel(reason: unknown = new Error('the LLM stream was cancelled')): void {
    this.abort(reason)
  }

  /** The progress of each chunk, in order; ends with the stream (throwing its error), and leaving the loop early cancels it. */
  async *[Symbol.asyncIterator](): AsyncGenerator<LlmProgress, void, undefined> {
    this.iterated = true
    const result = this.start()
    result.catch(() => undefined)
    try {
      for (;;) {
        while (this.queue.length > 0) yield this.queue.shift()!
        if (this.done) break
        await new Promise<void>((resolve) => (this.wake = resolve))
      }
      await result
    } finally {
      // Leaving the loop early (break, a throw in its body) stops the stream.
      if (!this.done) this.cancel()
    }
  }

  private start(): Promise<LlmResponse<R>> {
    this.started ??= this.run((progress) => {
      if (this.iterated) this.queue.push(progress)
      this.notify()
    }).finally(() => {
      this.done = true
      this.notify()
    })
    return this.started
  }

  private notify(): void {
    const wake = this.wake
    this.wake = undefined
    wake?.()
  }
}
