import type { Schema } from 'effect'

/**
 * A schema the LLM adapter can both describe to the model (as JSON Schema)
 * and decode the model's answer with: any Effect `Schema` without services,
 * such as `Schema.Struct({...})`.
 *
 * @example
 * ```ts
 * import { Schema } from 'effect'
 * import type { LlmSchema } from 'weft-sdk/llm'
 * const Verdict: LlmSchema = Schema.Struct({ approve: Schema.Boolean, reason: Schema.String })
 * ```
 */
export type LlmSchema = Schema.Codec<unknown, unknown, never, never>

/**
 * A tool the model may call: its name, what it does, and the `Schema` of its
 * arguments (sent as JSON Schema; the model's arguments are decoded with it).
 * Make one with {@link defineTool} to keep its name's literal type.
 *
 * @example
 * ```ts
 * import { Schema } from 'effect'
 * import type { LlmTool } from 'weft-sdk/llm'
 * const City = Schema.Struct({ city: Schema.String })
 * const weather: LlmTool<'weather', typeof City> = { name: 'weather', description: 'Current weather of a city', parameters: City }
 * ```
 */
export interface LlmTool<N extends string = string, S extends LlmSchema = LlmSchema> {
  /** The function's name the model calls it by (`^[a-zA-Z0-9_-]{1,64}$`). */
  readonly name: N
  /** What it does and when to call it, for the model. */
  readonly description?: string
  /** Its arguments. */
  readonly parameters: S
}

/**
 * Declares a tool, keeping its name and argument types for the tool calls of
 * the response.
 *
 * @example
 * ```ts
 * import { Schema } from 'effect'
 * import { defineTool } from 'weft-sdk/llm'
 * const weather = defineTool({ name: 'weather', description: 'Current weather of a city', parameters: Schema.Struct({ city: Schema.String }) })
 * ```
 */
export function defineTool<const N extends string, S extends LlmSchema>(tool: LlmTool<N, S>): LlmTool<N, S> {
  if (!/^[a-zA-Z0-9_-]{1,64}$/.test(tool.name)) throw new TypeError(`tool name ${JSON.stringify(tool.name)} is refused by chat-completions servers: use 1 to 64 letters, digits, "_" or "-"`)
  return tool
}

/**
 * A tool call as the conversation carries it: the arguments as the JSON text
 * the model wrote. Send it back in an assistant message, followed by a `tool`
 * message with the result for its `id`.
 *
 * @example
 * ```ts
 * import type { LlmToolCallText } from 'weft-sdk/llm'
 * const call: LlmToolCallText = { id: 'call_1', name: 'weather', arguments: '{"city":"Oslo"}' }
 * ```
 */
export interface LlmToolCallText {
  /** The call's id; the tool message that answers it names it. */
  readonly id: string
  /** The tool called. */
  readonly name: string
  /** The arguments, JSON text. */
  readonly arguments: string
}

/**
 * One message of a conversation: `system` instructions, a `user` turn, an
 * `assistant` turn (text and/or tool calls; a response's `message` is one),
 * or a `tool` result answering a tool call.
 *
 * @example
 * ```ts
 * import type { LlmMessage } from 'weft-sdk/llm'
 * const messages: LlmMessage[] = [
 *   { role: 'system', content: 'You answer in one sentence.' },
 *   { role: 'user', content: 'What is the weather in Oslo?' },
 *   { role: 'assistant', content: null, toolCalls: [{ id: 'call_1', name: 'weather', arguments: '{"city":"Oslo"}' }] },
 *   { role: 'tool', toolCallId: 'call_1', content: '{"celsius":-3}' },
 * ]
 * ```
 */
export type LlmMessage =
  | {
      /** Instructions for the model. */
      readonly role: 'system'
      /** The text. */
      readonly content: string
    }
  | {
      /** A user's turn. */
      readonly role: 'user'
      /** The text. */
      readonly content: string
    }
  | LlmAssistantMessage
  | {
      /** A tool's result. */
      readonly role: 'tool'
      /** The id of the tool call it answers. */
      readonly toolCallId: string
      /** The result, as text (JSON for structured results). */
      readonly content: string
    }

/**
 * A model's turn: its text, and the tools it called.
 *
 * @example
 * ```ts
 * import type { LlmAssistantMessage } from 'weft-sdk/llm'
 * const turn: LlmAssistantMessage = { role: 'assistant', content: 'It is -3 °C in Oslo.' }
 * ```
 */
export interface LlmAssistantMessage {
  /** The model's turn. */
  readonly role: 'assistant'
  /** Its text; `null` when it only called tools. */
  readonly content: string | null
  /** The tools it called, arguments as text. */
  readonly toolCalls?: readonly LlmToolCallText[]
}

/**
 * Token usage of one call, from the server's `usage`, and its cost when the
 * adapter has a price for the model.
 *
 * @example
 * ```ts
 * import type { LlmUsage } from 'weft-sdk/llm'
 * const line = (usage: LlmUsage) => `${usage.promptTokens} in, ${usage.completionTokens} out, $${usage.costUsd.toFixed(4)}`
 * ```
 */
export interface LlmUsage {
  /** Tokens of the prompt. */
  readonly promptTokens: number
  /** Tokens of the answer. */
  readonly completionTokens: number
  /** Their sum, as the server counts it. */
  readonly totalTokens: number
  /** The cost in US dollars from the adapter's `pricing`; 0 when the model has no price. */
  readonly costUsd: number
}

/**
 * A model's price, in US dollars per million tokens (an entry of the
 * adapter's `pricing`).
 *
 * @example
 * ```ts
 * import type { ModelPrice } from 'weft-sdk/llm'
 * const gpt4oMini: ModelPrice = { inputPerMillion: 0.15, outputPerMillion: 0.6 }
 * ```
 */
export interface ModelPrice {
  /** US dollars per million prompt tokens. */
  readonly inputPerMillion: number
  /** US dollars per million completion tokens. */
  readonly outputPerMillion: number
}

/**
 * A per-run budget: a call is refused with `BudgetExceededError` when the run
 * has already spent `tokens` or `costUsd` (summed over every metered call of
 * the run, in every process that ran it). A call that starts under the budget
 * may end past it: the budget bounds when calls start, not their size (bound
 * that with `maxTokens`).
 *
 * @example
 * ```ts
 * import type { LlmBudget } from 'weft-sdk/llm'
 * const budget: LlmBudget = { tokens: 200_000, costUsd: 0.5 }
 * ```
 */
export interface LlmBudget {
  /** Most tokens a run may spend. */
  readonly tokens?: number
  /** Most US dollars a run may spend (needs a `pricing` entry for each model used). */
  readonly costUsd?: number
}

/**
 * One chat-completions call: the conversation, and optionally tools, a
 * structured `output` schema, sampling options, and its own model or budget.
 *
 * @example
 * ```ts
 * import { Schema } from 'effect'
 * import { defineTool, type LlmRequest } from 'weft-sdk/llm'
 * const weather = defineTool({ name: 'weather', parameters: Schema.Struct({ city: Schema.String }) })
 * const request: LlmRequest = { messages: [{ role: 'user', content: 'Weather in Oslo?' }], tools: [weather], temperature: 0, maxTokens: 200 }
 * ```
 */
export interface LlmRequest {
  /** The conversation so far. */
  readonly messages: readonly LlmMessage[]
  /** The model. @defaultValue the adapter's `model` */
  readonly model?: string
  /** Tools the model may call; their arguments are decoded into the response's `toolCalls`. */
  readonly tools?: readonly LlmTool[]
  /** `'auto'` (the model decides), `'none'`, `'required'`, or the name of the one tool to call. @defaultValue the server's (`'auto'` with tools) */
  readonly toolChoice?: 'auto' | 'none' | 'required' | (string & {})
  /** Asks for a JSON answer of this shape (`response_format: json_schema`, strict); the response's `output` is it, decoded. */
  readonly output?: LlmSchema
  /** The name of the output schema, for the server. @defaultValue `'output'` */
  readonly outputName?: string
  /** Sampling temperature. */
  readonly temperature?: number
  /** Most tokens of the answer (`max_tokens`). */
  readonly maxTokens?: number
  /** Stop sequences. */
  readonly stop?: readonly string[]
  /** Other body fields, sent as they are (e.g. `{ seed: 1 }`); the adapter's own fields win. */
  readonly extra?: Readonly<Record<string, unknown>>
  /** This call's budget instead of the adapter's. */
  readonly budget?: LlmBudget
  /** The operation its counters and per-operation policies go by. @defaultValue `'chat'` (`'stream'` for a stream) */
  readonly operation?: string
}

/**
 * A decoded tool call of a response: for each tool of the request, its name
 * and its arguments of the type its `parameters` decode to.
 *
 * @example
 * ```ts
 * import { Schema } from 'effect'
 * import { defineTool, type LlmToolCall } from 'weft-sdk/llm'
 * const weather = defineTool({ name: 'weather', parameters: Schema.Struct({ city: Schema.String }) })
 * declare const call: LlmToolCall<typeof weather>
 * if (call.name === 'weather') console.log(call.arguments.city)
 * ```
 */
export type LlmToolCall<T extends LlmTool = LlmTool> = T extends LlmTool<infer N, infer S>
  ? {
      /** The call's id (answer it with a `tool` message naming it). */
      readonly id: string
      /** The tool called. */
      readonly name: N
      /** Its arguments, decoded by the tool's `parameters`. */
      readonly arguments: S['Type']
    }
  : never

/**
 * The answer to a call: the assistant's message (to append to the
 * conversation), its text, its tool calls decoded, its structured output
 * decoded, why it stopped, and its usage.
 *
 * @example
 * ```ts
 * import type { LlmResponse, LlmRequest } from 'weft-sdk/llm'
 * declare const response: LlmResponse<LlmRequest>
 * console.log(response.text, response.finishReason, response.usage.totalTokens)
 * ```
 */
export interface LlmResponse<R extends LlmRequest = LlmRequest> {
  /** The model that answered, as the server names it. */
  readonly model: string
  /** The assistant's turn, to append to the conversation as it is. */
  readonly message: LlmAssistantMessage
  /** Its text (`''` when it only called tools). */
  readonly text: string
  /** Its tool calls, decoded (empty when none). */
  readonly toolCalls: readonly LlmToolCall<ToolsOf<R>>[]
  /** The structured output decoded by the request's `output` schema; `undefined` without one. */
  readonly output: R extends {
    /** The request's output schema. */
    readonly output: infer S extends LlmSchema
  }
    ? S['Type']
    : undefined
  /** Why the model stopped: `'stop'`, `'length'`, `'tool_calls'`, `'content_filter'`, …. */
  readonly finishReason: string
  /** Tokens spent and their cost. */
  readonly usage: LlmUsage
}

/**
 * The tools of a request, as a union (`never` without tools).
 *
 * @example
 * ```ts
 * import { Schema } from 'effect'
 * import { defineTool, type ToolsOf } from 'weft-sdk/llm'
 * const weather = defineTool({ name: 'weather', parameters: Schema.Struct({ city: Schema.String }) })
 * type Tools = ToolsOf<{ messages: []; tools: [typeof weather] }> // typeof weather
 * ```
 */
export type ToolsOf<R extends LlmRequest> = R extends {
  /** The request's tools. */
  readonly tools: readonly (infer T extends LlmTool)[]
}
  ? T
  : never

/**
 * What a streamed call publishes as progress (`task.progress` events with
 * `source` the adapter's name), once per chunk: the text added, and the
 * index of each tool call whose arguments grew.
 *
 * @example
 * ```ts
 * import { createEngine } from 'weft-sdk'
 * import type { LlmProgress } from 'weft-sdk/llm'
 * const engine = createEngine()
 * engine.on('task.progress', (event) => {
 *   if (event.source === 'writer') process.stdout.write((event.data as LlmProgress).text)
 * })
 * ```
 */
export interface LlmProgress {
  /** Text the chunk added (`''` when none). */
  readonly text: string
  /** Tool calls the chunk added to (their index in the answer). */
  readonly toolCalls: readonly number[]
}
