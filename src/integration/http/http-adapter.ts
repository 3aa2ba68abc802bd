import { HttpDecodeError, HttpNetworkError, HttpResponseTooLargeError, HttpStatusError } from '../../core/integration-errors.js'
import type { CallContext } from '../../graph/call-context.js'
import { payloadDecoder } from '../../graph/event-payload.js'
import type { PayloadSchema } from '../../graph/task-context.js'
import { AdapterBase, type AdapterBaseOptions, type CallOptions } from '../adapter-base.js'
import { authHeaders, type AuthHeaders, type HttpAuth } from './http-auth.js'

/** Options of {@link HttpAdapter}. */
export interface HttpAdapterOptions extends AdapterBaseOptions {
  /** Every request's path is resolved against it, e.g. `'https://api.example.com/v1/'`. */
  readonly baseUrl: string
  /** How requests authenticate. @defaultValue none */
  readonly auth?: HttpAuth
  /** Headers sent with every request. */
  readonly headers?: Readonly<Record<string, string>>
  /** The header that carries a call's idempotency key (sent when the call has one: `ctx.use`, or `idempotencyKey`). @defaultValue `'Idempotency-Key'` */
  readonly idempotencyHeader?: string
  /** Largest response body read, in bytes; a larger one fails with `HttpResponseTooLargeError`. @defaultValue 10 MiB */
  readonly maxResponseBytes?: number
  /** What `health()` requests (`GET`); any answer below 500 is up. @defaultValue `'/'` */
  readonly healthPath?: string
}

/** One request. */
export interface HttpRequest {
  /** @defaultValue `'GET'` */
  readonly method?: string
  /** Relative to the base URL. */
  readonly path: string
  /** Query parameters. */
  readonly query?: Readonly<Record<string, string | number | boolean>>
  /** Sent as JSON. */
  readonly body?: unknown
  /** Headers of this request. */
  readonly headers?: Readonly<Record<string, string>>
  /** Decodes the JSON body into the call's result; without it the result is the parsed JSON (or text) as `unknown`. */
  readonly schema?: PayloadSchema
  /** The operation its counters and per-operation policies go by. @defaultValue the method */
  readonly operation?: string
}

/** The result of a request: the schema's type, or `unknown` without a schema. */
export type HttpResult<R extends { readonly schema?: PayloadSchema }> = R extends { readonly schema: infer S extends PayloadSchema } ? S['Type'] : unknown

/** A request's options besides method, path and body. */
export type HttpCallOptions = Omit<HttpRequest, 'method' | 'path' | 'body'>

/** What `ctx.use(http)` returns: the adapter's calls, bound to the task attempt (signal, idempotency key per call). */
export interface HttpClient {
  request<R extends HttpRequest>(request: R): Promise<HttpResult<R>>
  get<O extends HttpCallOptions = {}>(path: string, options?: O): Promise<HttpResult<O>>
  delete<O extends HttpCallOptions = {}>(path: string, options?: O): Promise<HttpResult<O>>
  post<O extends HttpCallOptions = {}>(path: string, body: unknown, options?: O): Promise<HttpResult<O>>
  put<O extends HttpCallOptions = {}>(path: string, body: unknown, options?: O): Promise<HttpResult<O>>
  patch<O extends HttpCallOptions = {}>(path: string, body: unknown, options?: O): Promise<HttpResult<O>>
}

const defaultMaxBytes = 10 * 1024 * 1024

/**
 * An adapter for an HTTP API on Node's `fetch`: base URL, auth (bearer, API
 * key, basic, OAuth2 client credentials), JSON bodies decoded with an Effect
 * `Schema`, a response size limit, failures classified (4xx not retryable;
 * 408, 429, 5xx and network errors retryable, `Retry-After` honoured),
 * the call's idempotency key in a header, secrets redacted from errors and
 * events, and the task policies (retry, timeout, breaker, rate limit,
 * bulkhead) per adapter and per operation.
 *
 * @example
 * ```ts
 * import { Redacted, Schema } from 'effect'
 * import { HttpAdapter } from 'weft-sdk'
 *
 * const Charge = Schema.Struct({ id: Schema.String, amount: Schema.Number })
 * const payments = new HttpAdapter({
 *   name: 'payments',
 *   baseUrl: 'http://127.0.0.1:8080/v1/',
 *   auth: { type: 'bearer', token: Redacted.make('sk_test_123') },
 *   retry: { maxAttempts: 4, backoff: { initial: '200 ms', max: '5 s' } },
 *   timeout: '5 s',
 *   circuitBreaker: { consecutiveFailures: 5, halfOpenAfter: '30 s' },
 *   operations: { charge: { rateLimit: { limit: 20, window: '1 s' } } },
 * })
 * // in a task: const charge = await ctx.use(payments).post('charges', { amount: 5 }, { schema: Charge, operation: 'charge' })
 * ```
 */
export class HttpAdapter extends AdapterBase<HttpClient> {
  readonly kind = 'http'
  private readonly baseUrl: URL
  private readonly auth: AuthHeaders
  private readonly idempotencyHeader: string
  private readonly maxBytes: number

  constructor(private readonly options: HttpAdapterOptions) {
    super(options)
    this.baseUrl = new URL(options.baseUrl)
    this.auth = authHeaders(options.name, options.auth, (value) => this.addSecret(value))
    this.idempotencyHeader = options.idempotencyHeader ?? 'Idempotency-Key'
    this.maxBytes = options.maxResponseBytes ?? defaultMaxBytes
  }

  /** Makes one request (with the adapter's policies); `options` carries a signal and an idempotency key. */
  request<R extends HttpRequest>(request: R, options: CallOptions = {}): Promise<HttpResult<R>> {
    const method = (request.method ?? 'GET').toUpperCase()
    return this.call(request.operation ?? method, options, (signal) => this.send(method, request, options.idempotencyKey, signal)) as Promise<HttpResult<R>>
  }

  get<O extends HttpCallOptions = {}>(path: string, options?: O, call?: CallOptions): Promise<HttpResult<O>> {
    return this.request({ ...options, method: 'GET', path }, call) as Promise<HttpResult<O>>
  }

  delete<O extends HttpCallOptions = {}>(path: string, options?: O, call?: CallOptions): Promise<HttpResult<O>> {
    return this.request({ ...options, method: 'DELETE', path }, call) as Promise<HttpResult<O>>
  }

  post<O extends HttpCallOptions = {}>(path: string, body: unknown, options?: O, call?: CallOptions): Promise<HttpResult<O>> {
    return this.request({ ...options, method: 'POST', path, body }, call) as Promise<HttpResult<O>>
  }

  put<O extends HttpCallOptions = {}>(path: string, body: unknown, options?: O, call?: CallOptions): Promise<HttpResult<O>> {
    return this.request({ ...options, method: 'PUT', path, body }, call) as Promise<HttpResult<O>>
  }

  patch<O extends HttpCallOptions = {}>(path: string, body: unknown, options?: O, call?: CallOptions): Promise<HttpResult<O>> {
    return this.request({ ...options, method: 'PATCH', path, body }, call) as Promise<HttpResult<O>>
  }

  bind(call: CallContext): HttpClient {
    const bound = (): CallOptions => ({ signal: call.signal, idempotencyKey: call.nextIdempotencyKey(this.name) })
    return {
      request: (request) => this.request(request, bound()),
      get: (path, options) => this.get(path, options, bound()),
      delete: (path, options) => this.delete(path, options, bound()),
      post: (path, body, options) => this.post(path, body, options, bound()),
      put: (path, body, options) => this.put(path, body, options, bound()),
      patch: (path, body, options) => this.patch(path, body, options, bound()),
    }
  }

  protected async ping(signal: AbortSignal): Promise<void> {
    const path = this.options.healthPath ?? '/'
    const response = await this.fetchOrFail('GET', path, new URL(path.replace(/^\//, ''), this.baseUrl), { method: 'GET', signal, headers: await this.auth.headers(signal) }, signal)
    await response.body?.cancel()
    if (response.status >= 500) throw new HttpStatusError(this.name, 'GET', path, response.status, '', undefined)
  }

  /** One attempt: the request, its status classified, its body read within the limit and decoded. */
  private async send(method: string, request: HttpRequest, idempotencyKey: string | undefined, signal: AbortSignal | undefined): Promise<unknown> {
    const url = this.urlOf(request)
    const headers: Record<string, string> = { accept: 'application/json', ...this.options.headers, ...request.headers, ...(await this.auth.headers(signal)) }
    if (idempotencyKey !== undefined) headers[this.idempotencyHeader] = idempotencyKey
    let body: string | undefined
    if (request.body !== undefined) {
      body = JSON.stringify(request.body)
      headers['content-type'] ??= 'application/json'
    }
    const response = await this.fetchOrFail(method, request.path, url, { method, headers, body, signal }, signal)
    const text = await this.readBody(method, request.path, response)
    if (!response.ok) {
      if (response.status === 401) this.auth.rejected()
      throw new HttpStatusError(this.name, method, request.path, response.status, this.redact(text.slice(0, 200)), retryAfterMs(response.headers.get('retry-after')))
    }
    return this.decode(method, request, text, response.headers.get('content-type'))
  }

  private urlOf(request: HttpRequest): URL {
    const url = new URL(request.path.replace(/^\//, ''), this.baseUrl)
    for (const [key, value] of Object.entries(request.query ?? {})) url.searchParams.append(key, String(value))
    return url
  }

  private async fetchOrFail(method: string, path: string, url: URL, init: RequestInit, signal: AbortSignal | undefined): Promise<Response> {
    try {
      return await fetch(url, init)
    } catch (error) {
      if (signal?.aborted) throw signal.reason
      throw new HttpNetworkError(this.name, method, path, this.redact(networkReason(error)))
    }
  }

  /** The body as text, at most `maxResponseBytes` (refused by its `Content-Length` before reading when it says more). */
  private async readBody(method: string, path: string, response: Response): Promise<string> {
    const declared = Number(response.headers.get('content-length') ?? NaN)
    if (declared > this.maxBytes || response.body === null) {
      await response.body?.cancel()
      if (declared > this.maxBytes) throw new HttpResponseTooLargeError(this.name, method, path, this.maxBytes)
      return ''
    }
    const reader = response.body.getReader()
    const chunks: Uint8Array[] = []
    let size = 0
    try {
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        size += value.byteLength
        if (size > this.maxBytes) {
          await reader.cancel()
          throw new HttpResponseTooLargeError(this.name, method, path, this.maxBytes)
        }
        chunks.push(value)
      }
    } catch (error) {
      if (error instanceof HttpResponseTooLargeError) throw error
      throw new HttpNetworkError(this.name, method, path, `the body was cut: ${this.redact(networkReason(error))}`)
    }
    return Buffer.concat(chunks).toString('utf8')
  }

  private decode(method: string, request: HttpRequest, text: string, contentType: string | null): unknown {
    const json = request.schema !== undefined || (contentType ?? '').includes('json')
    if (!json) return text
    if (text === '' && request.schema === undefined) return undefined
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      throw new HttpDecodeError(this.name, method, request.path, `the body is not JSON: ${JSON.stringify(this.redact(text.slice(0, 80)))}`)
    }
    if (request.schema === undefined) return parsed
    const decoded = payloadDecoder(request.schema)(parsed)
    if (!decoded.ok) throw new HttpDecodeError(this.name, method, request.path, decoded.issues)
    return decoded.value
  }
}

/** A `Retry-After` in milliseconds: delay-seconds or an HTTP date; `undefined` when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined
  const seconds = Number(header)
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000)
  const date = Date.parse(header)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

/** What a failed `fetch` says: the system error's code (`ECONNRESET`), else the message. */
function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause
  if (typeof cause?.code === 'string') return cause.code
  if (typeof cause?.message === 'string') return cause.message
  return error instanceof Error ? error.message : String(error)
}
