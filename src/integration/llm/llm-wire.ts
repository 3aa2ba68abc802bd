// The chat-completions wire format: request bodies built from an LlmRequest,
// answers (whole or assembled from stream chunks) checked with a Schema and
// turned into an LlmResponse with decoded tool calls and output.
import { Schema } from 'effect'
import { LlmOutputError, LlmResponseError } from '../../core/llm-errors.js'
import { payloadDecoder, type DecodedPayload } from '../../graph/event-payload.js'
import type { LlmMessage, LlmRequest, LlmResponse, LlmSchema, LlmTool, LlmToolCall, LlmUsage, ModelPrice } from './llm-types.js'

const WireToolCall = Schema.Struct({
  id: Schema.String,
  function: Schema.Struct({ name: Schema.String, arguments: Schema.String }),
})

const WireUsage = Schema.Struct({ prompt_tokens: Schema.Number, completion_tokens: Schema.Number, total_tokens: Schema.Number })

/** A chat completion as servers answer it (the fields Weft reads; others are ignored). */
const WireCompletion = Schema.Struct({
  model: Schema.optional(Schema.String),
  choices: Schema.NonEmptyArray(
    Schema.Struct({
      message: Schema.Struct({
        content: Schema.optional(Schema.NullOr(Schema.String)),
        tool_calls: Schema.optional(Schema.NullOr(Schema.Array(WireToolCall))),
      }),
      finish_reason: Schema.optional(Schema.NullOr(Schema.String)),
    }),
  ),
  usage: Schema.optional(Schema.NullOr(WireUsage)),
})

/** A chat completion on the wire. */
export type WireCompletion = typeof WireCompletion.Type

/** One chunk of a streamed completion. */
const WireChunk = Schema.Struct({
  model: Schema.optional(Schema.String),
  choices: Schema.optional(
    Schema.Array(
      Schema.Struct({
        delta: Schema.optional(
          Schema.Struct({
            content: Schema.optional(Schema.NullOr(Schema.String)),
            tool_calls: Schema.optional(
              Schema.NullOr(
                Schema.Array(
                  Schema.Struct({
                    index: Schema.Number,
                    id: Schema.optional(Schema.String),
                    function: Schema.optional(Schema.Struct({ name: Schema.optional(Schema.String), arguments: Schema.optional(Schema.String) })),
                  }),
                ),
              ),
            ),
          }),
        ),
        finish_reason: Schema.optional(Schema.NullOr(Schema.String)),
      }),
    ),
  ),
  usage: Schema.optional(Schema.NullOr(WireUsage)),
})

/** A stream chunk on the wire. */
export type WireChunk = typeof WireChunk.Type

const decodeCompletion = payloadDecoder(WireCompletion)
const decodeChunk = payloadDecoder(WireChunk)

/** Decoders of the JSON form of each schema, made once per schema. */
const jsonDecoders = new WeakMap<LlmSchema, (value: unknown) => DecodedPayload>()

function jsonDecoder(schema: LlmSchema): (value: unknown) => DecodedPayload {
  let decode = jsonDecoders.get(schema)
  if (decode === undefined) jsonDecoders.set(schema, (decode = payloadDecoder(Schema.toCodecJson(schema))))
  return decode
}

/**
 * The JSON Schema of `schema` as chat-completions servers take it: the
 * document's root with its definitions under `$defs`, objects closed
 * (`additionalProperties: false`, which strict structured output requires).
 * What the adapter sends for a tool's `parameters` and an `output` schema.
 *
 * @example
 * ```ts
 * import { Schema } from 'effect'
 * import { jsonSchemaOf } from 'weft-sdk/llm'
 * jsonSchemaOf(Schema.Struct({ city: Schema.String }))
 * // { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false }
 * ```
 */
export function jsonSchemaOf(schema: LlmSchema): Record<string, unknown> {
  const document = Schema.toJsonSchemaDocument(schema, { onExcessProperty: 'error' })
  const root = document.schema as Record<string, unknown>
  return Object.keys(document.definitions).length === 0 ? root : { ...root, $defs: document.definitions }
}

/** The request body of `request` (`stream` adds `stream_options.include_usage`, so the last chunk carries the usage). */
export function toWireBody(request: LlmRequest, model: string, stream: boolean): Record<string, unknown> {
  const body: Record<string, unknown> = { ...request.extra, model, messages: request.messages.map(toWireMessage) }
  if (request.tools !== undefined && request.tools.length > 0) body['tools'] = request.tools.map(toWireTool)
  if (request.toolChoice !== undefined) body['tool_choice'] = wireToolChoice(request.toolChoice)
  if (request.output !== undefined) {
    body['response_format'] = { type: 'json_schema', json_schema: { name: request.outputName ?? 'output', strict: true, schema: jsonSchemaOf(request.output) } }
  }
  if (request.temperature !== undefined) body['temperature'] = request.temperature
  if (request.maxTokens !== undefined) body['max_tokens'] = request.maxTokens
  if (request.stop !== undefined) body['stop'] = request.stop
  if (stream) {
    body['stream'] = true
    body['stream_options'] = { include_usage: true }
  }
  return body
}

function toWireMessage(message: LlmMessage): Record<string, unknown> {
  switch (message.role) {
    case 'tool':
      return { role: 'tool', tool_call_id: message.toolCallId, content: message.content }
    case 'assistant': {
      const wire: Record<string, unknown> = { role: 'assistant', content: message.content }
      if (message.toolCalls !== undefined && message.toolCalls.length > 0) {
        wire['tool_calls'] = message.toolCalls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } }))
      }
      return wire
    }
    default:
      return { role: message.role, content: message.content }
  }
}

function toWireTool(tool: LlmTool): Record<string, unknown> {
  const fn: Record<string, unknown> = { name: tool.name, parameters: jsonSchemaOf(tool.parameters) }
  if (tool.description !== undefined) fn['description'] = tool.description
  return { type: 'function', function: fn }
}

function wireToolChoice(choice: string): unknown {
  return choice === 'auto' || choice === 'none' || choice === 'required' ? choice : { type: 'function', function: { name: choice } }
}

/** The completion in `text` (a whole answer's body). @throws LlmResponseError */
export function parseCompletion(adapter: string, text: string): WireCompletion {
  const decoded = decodeCompletion(parseJson(adapter, text, 'the body'))
  if (!decoded.ok) throw new LlmResponseError(adapter, `the body is not a chat completion: ${decoded.issues}`)
  return decoded.value as WireCompletion
}

/** The chunk in an SSE event's data. @throws LlmResponseError */
export function parseChunk(adapter: string, data: string): WireChunk {
  const decoded = decodeChunk(parseJson(adapter, data, 'a stream chunk'))
  if (!decoded.ok) throw new LlmResponseError(adapter, `a stream chunk is not a chat-completion chunk: ${decoded.issues}`)
  return decoded.value as WireChunk
}

function parseJson(adapter: string, text: string, what: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    throw new LlmResponseError(adapter, `${what} is not JSON: ${JSON.stringify(text.slice(0, 80))}`)
  }
}

/** The usage of a completion, priced by `price` (zeros when the server reported none). */
export function usageOf(completion: Pick<WireCompletion, 'usage'>, price: ModelPrice | undefined): LlmUsage {
  const usage = completion.usage ?? { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 }
  const costUsd = price === undefined ? 0 : (usage.prompt_tokens * price.inputPerMillion + usage.completion_tokens * price.outputPerMillion) / 1_000_000
  return { promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens, totalTokens: usage.total_tokens, costUsd }
}

/**
 * The response to `request` from its completion: tool calls and output
 * decoded by their schemas.
 * @throws LlmOutputError when the model's output or a tool call's arguments do not decode
 */
export function toResponse<R extends LlmRequest>(adapter: string, request: R, completion: WireCompletion, model: string, usage: LlmUsage): LlmResponse<R> {
  const choice = completion.choices[0]
  const text = choice.message.content ?? ''
  const calls = choice.message.tool_calls ?? []
  const message = {
    role: 'assistant' as const,
    content: choice.message.content ?? null,
    ...(calls.length === 0 ? {} : { toolCalls: calls.map((call) => ({ id: call.id, name: call.function.name, arguments: call.function.arguments })) }),
  }
  const toolCalls = calls.map((call) => decodeToolCall(adapter, request.tools ?? [], call)) as unknown as LlmResponse<R>['toolCalls']
  const output = (request.output === undefined ? undefined : decodeJsonAnswer(adapter, 'output', request.output, text)) as LlmResponse<R>['output']
  return { model: completion.model ?? model, message, text, toolCalls, output, finishReason: choice.finish_reason ?? 'stop', usage }
}

function decodeToolCall(adapter: string, tools: readonly LlmTool[], call: typeof WireToolCall.Type): LlmToolCall {
  const tool = tools.find((t) => t.name === call.function.name)
  const part = `tool:${call.function.name}`
  if (tool === undefined) throw new LlmOutputError(adapter, part, `the model called a tool the request did not offer (offered: ${tools.map((t) => t.name).join(', ') || 'none'})`, call.function.arguments.slice(0, 200))
  return { id: call.id, name: tool.name, arguments: decodeJsonAnswer(adapter, part, tool.parameters, call.function.arguments) }
}

/** JSON text the model wrote, decoded by `schema`. @throws LlmOutputError */
function decodeJsonAnswer(adapter: string, part: string, schema: LlmSchema, text: string): unknown {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (error) {
    throw new LlmOutputError(adapter, part, `not JSON (${error instanceof Error ? error.message : String(error)})`, text.slice(0, 200))
  }
  const decoded = jsonDecoder(schema)(parsed)
  if (!decoded.ok) throw new LlmOutputError(adapter, part, decoded.issues, text.slice(0, 200))
  return decoded.value
}
