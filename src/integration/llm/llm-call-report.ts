import { isWeftError } from '../../core/weft-error.js'
import type { CallReport } from '../../graph/call-context.js'
import type { LlmResponse } from './llm-types.js'

/** What an LLM call is reported as: its adapter, the GenAI system, the model asked for, and how long it took. */
export interface LlmCallFacts {
  readonly adapter: string
  /** `gen_ai.system` (OpenTelemetry's GenAI conventions). */
  readonly system: string
  /** The model the call asked for. */
  readonly model: string
  readonly durationMs: number
}

/**
 * An LLM call as a {@link CallReport}, with OpenTelemetry's GenAI semantic
 * conventions: `gen_ai.operation.name` (`chat`), `gen_ai.system`,
 * `gen_ai.request.model`, and once answered `gen_ai.response.model`,
 * `gen_ai.response.finish_reasons` and `gen_ai.usage.input_tokens` /
 * `output_tokens` (plus `weft.llm.cost_usd`, the cost from the adapter's
 * pricing). Named `chat <model>`, as the conventions name the span.
 */
export function llmCallReport(facts: LlmCallFacts, outcome: { readonly response: LlmResponse } | { readonly error: unknown }): CallReport {
  const attributes: Record<string, string | number | readonly string[]> = {
    'gen_ai.operation.name': 'chat',
    'gen_ai.system': facts.system,
    'gen_ai.request.model': facts.model,
  }
  const base = { adapter: facts.adapter, operation: `chat ${facts.model}`, durationMs: facts.durationMs }
  if ('error' in outcome) return { ...base, attributes, error: errorOf(outcome.error) }
  const { response } = outcome
  attributes['gen_ai.response.model'] = response.model
  attributes['gen_ai.response.finish_reasons'] = [response.finishReason]
  attributes['gen_ai.usage.input_tokens'] = response.usage.promptTokens
  attributes['gen_ai.usage.output_tokens'] = response.usage.completionTokens
  attributes['weft.llm.cost_usd'] = response.usage.costUsd
  return { ...base, attributes }
}

/** Name, message and Weft code of what a call threw (the adapter's errors are redacted already). */
function errorOf(error: unknown): NonNullable<CallReport['error']> {
  if (!(error instanceof Error)) return { name: typeof error, message: String(error) }
  return { name: error.name, message: error.message, code: isWeftError(error) ? error.code : undefined }
}
