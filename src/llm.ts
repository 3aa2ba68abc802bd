/**
 * Weft's LLM adapter: a client of OpenAI-compatible chat completions on `fetch`, with tool calls, structured output, streaming, token usage and budgets.
 *
 * @packageDocumentation
 */
export {}
