// Errors of the LLM adapter: a server answer that is not a chat completion,
// a model answer its Schema refuses, a run past its token or cost budget.
import { WeftError } from './weft-error.js'

/**
 * The server's answer is not a chat completion: not JSON, no `choices`, a
 * stream that ends without its final chunk. Not retryable: the server (or the
 * base URL) is not an OpenAI-compatible chat-completions endpoint, or a proxy
 * in front of it answers something else.
 *
 * @example
 * ```ts
 * import { LlmResponseError } from 'weft-sdk/llm'
 * const error = new LlmResponseError('writer', 'the body is not JSON: "{\\"id\\": "')
 * error.isRetryable // false
 * ```
 */
export class LlmResponseError extends WeftError {
  readonly code = 'WEFT_LLM_RESPONSE'
  readonly _tag = 'LlmResponseError'
  constructor(
    /** The adapter's name. */
    readonly adapter: string,
    /** What is wrong with the answer (secrets redacted). */
    readonly reason: string,
  ) {
    super(`adapter "${adapter}": the answer is not a chat completion (${reason}); check that baseUrl points at an OpenAI-compatible /chat/completions endpoint`)
  }
}

/**
 * The model answered, but not in the shape the call asked for: its
 * structured output is not JSON or its `Schema` refuses it, or a tool call's
 * arguments do not decode with the tool's `parameters`. Not retryable by the
 * adapter (a retry spends tokens again): catch it and ask again with the
 * issues, or fix the schema. `raw` is the start of what the model said.
 *
 * @example
 * ```ts
 * import { LlmOutputError } from 'weft-sdk/llm'
 * const error: unknown = new LlmOutputError('writer', 'output', 'at score: Expected number, got "high"', '{"score":"high"}')
 * if (error instanceof LlmOutputError) console.log(`${error.part}: ${error.issues}`)
 * ```
 */
export class LlmOutputError extends WeftError {
  readonly code = 'WEFT_LLM_OUTPUT'
  readonly _tag = 'LlmOutputError'
  constructor(
    /** The adapter's name. */
    readonly adapter: string,
    /** Which part was refused: the structured `output`, or the arguments of the tool call named `tool:<name>`. */
    readonly part: string,
    /** Why it was refused: the schema's messages, each at its path, or the JSON error. */
    readonly issues: string,
    /** The start of what the model said (at most 200 characters). */
    readonly raw: string,
  ) {
    super(`adapter "${adapter}": the model's ${part === 'output' ? 'structured output' : `${part} arguments`} does not decode: ${issues}; ask again with these issues or loosen the schema`)
  }
}

/**
 * A call was refused before it started because the run has already spent its
 * budget (tokens or cost, summed over its recorded steps and its calls in
 * progress, across processes and restarts). Not retryable: the run needs a
 * larger budget, or less work.
 *
 * @example
 * ```ts
 * import { BudgetExceededError } from 'weft-sdk/llm'
 * const error: unknown = new BudgetExceededError('writer', 'tokens', 10_000, 10_240)
 * if (error instanceof BudgetExceededError) console.log(`${error.limit}: ${error.spent} of ${error.budget}`)
 * ```
 */
export class BudgetExceededError extends WeftError {
  readonly code = 'WEFT_BUDGET_EXCEEDED'
  readonly _tag = 'BudgetExceededError'
  constructor(
    /** The adapter's name. */
    readonly adapter: string,
    /** Which limit was reached. */
    readonly limit: 'tokens' | 'costUsd',
    /** The limit's value. */
    readonly budget: number,
    /** What the run had spent when the call was refused. */
    readonly spent: number,
  ) {
    const unit = limit === 'tokens' ? 'tokens' : 'USD'
    super(`adapter "${adapter}": the run has spent ${spent} ${unit} of its budget of ${budget} ${unit}; the call was not made. Raise the adapter's budget (or the call's) or make the run do less`)
  }
}
