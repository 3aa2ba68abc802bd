import { HttpNetworkError, HttpStatusError } from '../../core/integration-errors.js'
import { BudgetExceededError } from '../../core/llm-errors.js'
import { InvalidOptionsError } from '../../core/errors.js'
import type { StepUsage } from '../../core/step-usage.js'
import type { CallContext } from '../../graph/call-context.js'
import { AdapterBase, type AdapterBaseOptions, type CallOptions } from '../adapter-base.js'
import { retryAfterMs } from '../http/http-adapter.js'
import { reveal, type Secret } from '../http/http-auth.js'
import { llmCallReport } from './llm-call-report.js'
import { CompletionAssembler, LlmStream, readChunks } from './llm-stream.js'
import type { LlmBudget, LlmProgress, LlmRequest, LlmResponse, LlmUsage, ModelPrice } from './llm-types.js'
import { parseCompletion, toResponse, toWireBody, usageOf, type WireCompletion } from './llm-wire.js'

/**
 * Options of {@link LlmAdapter}: where the server is, the key, the default
 * model, prices and a per-run budget, and the resilience of its calls
 * ({@link AdapterBaseOptions}: give it a `retry` to retry 429 and 5xx).
 *
 * @example
 * ```ts
 * import { Redacted } from 'effect'
 * import { LlmAdapter, type LlmAdapterOptions } from 'weft-sdk/llm'
 * const options: LlmAdapterOptions = {
 *   name: 'writer',
 *   baseUrl: 'https://api.openai.com/v1/',
 *   apiKey: Redacted.make(process.env['OPENAI_API_KEY'] ?? ''),
 *   model: 'gpt-4o-mini',
 *   pricing: { 'gpt-4o-mini': { inputPerMillion: 0.15, outputPerMillion: 0.6 } },
 *   budget: { tokens: 200_000, costUsd: 0.5 },
 *   retry: { maxAttempts: 5, backoff: { initial: '1 s', max: '60 s' } },
 *   timeout: '120 s',
 * }
 * const writer = new LlmAdapter(options)
 * ```
 */
export interface LlmAdapterOptions extends AdapterBaseOptions {
  /** The API's base, under which `chat/completions` and `models` are: `https://api.openai.com/v1/`, `http://127.0.0.1:11434/v1/` (Ollama), `http://127.0.0.1:8000/v1/` (vLLM, llama.cpp), or an Azure deployment's `https://<resource>.openai.azure.com/openai/deployments/<deployment>/`. */
  readonly baseUrl: string
  /** The API key (`Authorization: Bearer`, or Azure's `api-key` header); redacted from every error and event. @defaultValue none (local servers) */
  readonly apiKey?: Secret
  /** The model of calls that name none. */
  readonly model: string
  /** Azure OpenAI: the key goes in the `api-key` header and every request carries `?api-version=`. */
  readonly azure?: {
    /** The API version, e.g. `'2024-10-21'`. */
    readonly apiVersion: string
  }
  /** Headers sent with every request. */
  readonly headers?: Readonly<Record<string, string>>
  /** Prices per model (the name the call asks for), for each call's `usage.costUsd` and cost budgets. */
  readonly pricing?: Readonly<Record<string, ModelPrice>>
  /** The budget of each run that calls the adapter through `ctx.use` (a call's `budget` replaces it). @defaultValue none */
  readonly budget?: LlmBudget
  /** Largest answer read (not streamed), in bytes. @defaultValue 10 MiB */
  readonly maxResponseBytes?: number
  /** What `health()` requests (`GET`, relative to `baseUrl`); 2xx–4xx but 401 and 403 is up. @defaultValue `'models'` */
  readonly healthPath?: string
  /** The `gen_ai.system` its calls report to traces (OpenTelemetry's GenAI conventions), e.g. `'ollama'`. @defaultValue `'openai'` */
  readonly system?: string
}

/**
 * An {@link LlmAdapter} bound to a task attempt (`ctx.use(llm)`): its calls
 * carry the attempt's signal and idempotency keys, meter their usage to the
 * attempt's step, respect the run's budget, and publish a stream's progress
 * as `task.progress` events.
 *
 * @example
 * ```ts
 * import type { LlmClient } from 'weft-sdk/llm'
 * async function summarize(llm: LlmClient, text: string): Promise<string> {
 *   const answer = await llm.chat({ messages: [{ role: 'system', content: 'Summarize in one sentence.' }, { role: 'user', content: text }] })
 *   return answer.text
 * }
 * ```
 */
export interface LlmClient {
  /** One call; see {@link LlmAdapter.chat}. */
  chat<R extends LlmRequest>(request: R): Promise<LlmResponse<R>>
  /** One streamed call; see {@link LlmAdapter.stream}. */
  stream<R extends LlmRequest>(request: R): LlmStream<R>
}

/** What a call through `ctx.use` reports to its run; absent for a call made outside a task. */
type RunMeter = Pick<CallContext, 'progress' | 'meter' | 'spent' | 'report'>

const defaultMaxBytes = 10 * 1024 * 1024

/**
 * A client of OpenAI-compatible chat completions on `fetch` (OpenAI, Azure
 * OpenAI, vLLM, Ollama, llama.cpp, …): messages, tools whose call arguments
 * are decoded by an Effect `Schema`, structured output decoded by a
 * `Schema`, streaming over SSE, token usage and cost per call, and a per-run
 * budget that survives recovery (usage is stored with the steps). 429 and
 * 5xx are `HttpStatusError`s, retried by the adapter's `retry` honouring
 * `Retry-After`; other 4xx are not retried.
 *
 * @example
 * ```ts
 * import { Schema } from 'effect'
 * import { Task, Workflow, WorkflowBase, type TaskContext } from 'weft-sdk'
 * import { LlmAdapter } from 'weft-sdk/llm'
 *
 * const Verdict = Schema.Struct({ approve: Schema.Boolean, reason: Schema.String })
 *
 * @Workflow({ name: 'review', version: 1 })
 * class Review extends WorkflowBase<{ text: string }> {
 *   constructor(private readonly llm: LlmAdapter) {
 *     super()
 *   }
 *
 *   @Task()
 *   async judge(input: { text: string }, ctx: TaskContext) {
 *     const answer = await ctx.use(this.llm).chat({ messages: [{ role: 'user', content: `Approve this? ${input.text}` }], output: Verdict })
 *     return answer.output // { approve: boolean; reason: string }
 *   }
 * }
 * const llm = new LlmAdapter({ name: 'llm', baseUrl: 'http://127.0.0.1:11434/v1/', model: 'llama3.2', retry: { maxAttempts: 4 } })
 * ```
 */
export class LlmAdapter extends AdapterBase<LlmClient> {
  readonly kind = 'llm'
  private readonly baseUrl: URL
  private readonly headers: Readonly<Record<string, string>>
  private readonly maxBytes: number

  constructor(private readonly options: LlmAdapterOptions) {
    super(options)
    if (typeof options.model !== 'string' || options.model === '') throw new InvalidOptionsError(`adapter "${options.name}": give the model of calls that name none (options.model)`)
    this.baseUrl = new URL(options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`)
    this.headers = this.headersOf(options)
    this.maxBytes = options.maxResponseBytes ?? defaultMaxBytes
  }

  /**
   * One chat-completions call (with the adapter's policies). In a task use
   * `ctx.use(llm).chat(...)`: the call then meters its usage to the step and
   * respects the run's budget.
   * @throws `BudgetExceededError` (bound calls), `HttpStatusError` (429 and 5xx retryable), `HttpNetworkError`, `LlmResponseError` (not a chat completion), `LlmOutputError` (output or tool arguments refused by their schema), a policy's error, `AdapterClosedError`.
   */
  chat<R extends LlmRequest>(request: R, options: CallOptions = {}): Promise<LlmResponse<R>> {
    return this.chatFor(request, options, undefined)
  }

  /**
   * One streamed call: iterate the stream for its progress, await
   * `result()` for the answer. The connection is opened under the adapter's
   * policies (a 429 or 5xx before the first chunk is retried); once chunks
   * flow, a failure ends the stream. Errors as {@link LlmAdapter.chat}.
   */
  stream<R extends LlmRequest>(request: R, options: CallOptions = {}): LlmStream<R> {
    return this.streamFor(request, options, undefined)
  }

  bind(call: CallContext): LlmClient {
    const bound = (): CallOptions => ({ signal: call.signal, idempotencyKey: call.nextIdempotencyKey(this.name) })
    return {
      chat: (request) => this.chatFor(request, bound(), call),
      stream: (request) => this.streamFor(request, bound(), call),
    }
  }

  protected async ping(signal: AbortSignal): Promise<void> {
    const path = this.options.healthPath ?? 'models'
    const response = await this.fetchOrFail('GET', path, { method: 'GET', headers: this.headers, signal }, signal)
    await response.body?.cancel()
    if (response.status >= 500 || response.status === 401 || response.status === 403) throw new HttpStatusError(this.name, 'GET', path, response.status, '', undefined)
  }

  private async chatFor<R extends LlmRequest>(request: R, options: CallOptions, run: RunMeter | undefined): Promise<LlmResponse<R>> {
    const model = request.model ?? this.options.model
    this.assertWithinBudget(request, model, run)
    return this.reported(model, run, () =>
      this.call(request.operation ?? 'chat', options, async (signal) => {
        const response = await this.post(toWireBody(request, model, false), options.idempotencyKey, signal)
        const completion = parseCompletion(this.name, await this.readBody(response))
        return this.answered(request, model, completion, run)
      }),
    )
  }

  /** Runs a call and reports it to the attempt (`CallContext.report`), answered or failed, with its duration. */
  private async reported<T extends LlmResponse>(model: string, run: RunMeter | undefined, call: () => Promise<T>): Promise<T> {
    if (run === undefined) return call()
    const startedAt = performance.now()
    const facts = () => ({ adapter: this.name, system: this.options.system ?? 'openai', model, durationMs: performance.now() - startedAt })
    try {
      const response = await call()
      run.report(llmCallReport(facts(), { response }))
      return response
    } catch (error) {
      run.report(llmCallReport(facts(), { error }))
      throw error
    }
  }

  private streamFor<R extends LlmRequest>(request: R, options: CallOptions, run: RunMeter | undefined): LlmStream<R> {
    const model = request.model ?? this.options.model
    // The stream's own controller: the attempt's signal stops cutting the connection once the policies return it.
    const controller = new AbortController()
    const onAbort = () => controller.abort(options.signal?.reason)
    const consume = async (onProgress: (progress: LlmProgress) => void): Promise<LlmResponse<R>> => {
      this.assertWithinBudget(request, model, run)
      return this.reported(model, run, () => streamed(onProgress))
    }
    const streamed = async (onProgress: (progress: LlmProgress) => void): Promise<LlmResponse<R>> => {
      options.signal?.addEventListener('abort', onAbort, { once: true })
      if (options.signal?.aborted) onAbort()
      try {
        const body = toWireBody(request, model, true)
        const response = await this.call(request.operation ?? 'stream', options, (signal) => this.post(body, options.idempotencyKey, anySignal(signal, controller.signal)))
        const assembler = new CompletionAssembler()
        for await (const chunk of readChunks(this.name, response.body!)) {
          const progress = assembler.add(chunk)
          onProgress(progress)
          run?.progress(this.name, progress)
        }
        return this.answered(request, model, assembler.completion(this.name), run)
      } catch (error) {
        throw controller.signal.aborted ? controller.signal.reason : error
      } finally {
        options.signal?.removeEventListener('abort', onAbort)
      }
    }
    return new LlmStream<R>(consume, (reason) => controller.abort(reason))
  }

  /** A completion received: its usage metered to the run (even when its output is then refused: the tokens were spent), then decoded. */
  private answered<R extends LlmRequest>(request: R, model: string, completion: WireCompletion, run: RunMeter | undefined): LlmResponse<R> {
    const usage = usageOf(completion, this.options.pricing?.[model])
    run?.meter(toStepUsage(usage))
    return toResponse(this.name, request, completion, model, usage)
  }

  /** Refuses a call of a run that has spent its budget (only bound calls have a run). */
  private assertWithinBudget(request: LlmRequest, model: string, run: RunMeter | undefined): void {
    const budget = request.budget ?? this.options.budget
    if (budget === undefined || run === undefined) return
    if (budget.costUsd !== undefined && this.options.pricing?.[model] === undefined) {
      throw new InvalidOptionsError(`adapter "${this.name}": a cost budget needs the price of model "${model}"; add it to the adapter's pricing`)
    }
    const spent = run.spent()
    if (budget.tokens !== undefined && spent.tokens >= budget.tokens) throw new BudgetExceededError(this.name, 'tokens', budget.tokens, spent.tokens)
    if (budget.costUsd !== undefined && spent.costUsd >= budget.costUsd) throw new BudgetExceededError(this.name, 'costUsd', budget.costUsd, spent.costUsd)
  }

  /** POSTs a body to `chat/completions`; a status of 400 or more is an `HttpStatusError` (with its `Retry-After`). */
  private async post(body: Record<string, unknown>, idempotencyKey: string | undefined, signal: AbortSignal | undefined): Promise<Response> {
    const headers: Record<string, string> = { ...this.headers, 'content-type': 'application/json' }
    if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey
    const response = await this.fetchOrFail('POST', 'chat/completions', { method: 'POST', headers, body: JSON.stringify(body), signal }, signal)
    if (response.ok) return response
    const text = await response.text().catch(() => '')
    throw new HttpStatusError(this.name, 'POST', 'chat/completions', response.status, this.redact(text.slice(0, 200)), retryAfterMs(response.headers.get('retry-after')))
  }

  private async fetchOrFail(method: string, path: string, init: RequestInit, signal: AbortSignal | undefined): Promise<Response> {
    const url = new URL(path.replace(/^\//, ''), this.baseUrl)
    if (this.options.azure !== undefined) url.searchParams.set('api-version', this.options.azure.apiVersion)
    try {
      return await fetch(url, init)
    } catch (error) {
      if (signal?.aborted) throw signal.reason
      throw new HttpNetworkError(this.name, method, path, this.redact(networkReason(error)))
    }
  }

  /** A whole answer's body, at most `maxResponseBytes`. */
  private async readBody(response: Response): Promise<string> {
    const declared = Number(response.headers.get('content-length') ?? NaN)
    const text = declared > this.maxBytes ? undefined : await response.text().catch((error: unknown) => {
      throw new HttpNetworkError(this.name, 'POST', 'chat/completions', `the body was cut: ${this.redact(networkReason(error))}`)
    })
    if (text === undefined || Buffer.byteLength(text) > this.maxBytes) {
      await response.body?.cancel().catch(() => undefined)
      throw new HttpNetworkError(this.name, 'POST', 'chat/completions', `the answer is larger than maxResponseBytes (${this.maxBytes})`)
    }
    return text
  }

  private headersOf(options: LlmAdapterOptions): Readonly<Record<string, string>> {
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers }
    if (options.apiKey === undefined) return headers
    const key = reveal(options.apiKey)
    this.addSecret(key)
    if (options.azure !== undefined) headers['api-key'] = key
    else headers['authorization'] = `Bearer ${key}`
    return headers
  }
}

/** A call's usage as the step's meter counts it. */
function toStepUsage(usage: LlmUsage): StepUsage {
  return { tokens: usage.totalTokens, costUsd: usage.costUsd }
}

/** A signal that fires when either fires (`a` may be absent). */
function anySignal(a: AbortSignal | undefined, b: AbortSignal): AbortSignal {
  return a === undefined ? b : AbortSignal.any([a, b])
}

/** What a failed `fetch` says: the system error's code (`ECONNRESET`), else the message. */
function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause
  if (typeof cause?.code === 'string') return cause.code
  if (typeof cause?.message === 'string') return cause.message
  return error instanceof Error ? error.message : String(error)
}
