/**
 * Weft's LLM adapter: a client of OpenAI-compatible chat completions on
 * `fetch` (OpenAI, Azure OpenAI, vLLM, Ollama, llama.cpp), with tool calls
 * and structured output decoded by Effect `Schema`s, streaming whose deltas
 * become `task.progress` events, token usage and cost per call, and a per-run
 * token/cost budget that survives recovery (usage is stored with the steps).
 * A separate entry point (`weft-sdk/llm`), like the other adapters with
 * their own wire formats.
 *
 * @example
 * ```ts
 * import { createEngine } from 'weft-sdk'
 * import { LlmAdapter } from 'weft-sdk/llm'
 * const llm = new LlmAdapter({ name: 'llm', baseUrl: process.env['OPENAI_BASE_URL'] ?? 'http://127.0.0.1:11434/v1/', model: 'llama3.2', budget: { tokens: 100_000 } })
 * const engine = createEngine({ adapters: [llm] })
 * ```
 *
 * @packageDocumentation
 */
export { LlmAdapter, type LlmAdapterOptions, type LlmClient } from './integration/llm/llm-adapter.js'
export { LlmStream } from './integration/llm/llm-stream.js'
export {
  defineTool,
  type LlmAssistantMessage,
  type LlmBudget,
  type LlmMessage,
  type LlmProgress,
  type LlmRequest,
  type LlmResponse,
  type LlmSchema,
  type LlmTool,
  type LlmToolCall,
  type LlmToolCallText,
  type LlmUsage,
  type ModelPrice,
  type ToolsOf,
} from './integration/llm/llm-types.js'
export { jsonSchemaOf } from './integration/llm/llm-wire.js'
export { BudgetExceededError, LlmOutputError, LlmResponseError } from './core/llm-errors.js'
