import { InvalidOptionsError } from '../../core/errors.js'
import { HttpDecodeError, HttpNetworkError, HttpResponseTooLargeError, HttpStatusError } from '../../core/integration-errors.js'
import type { CallContext } from '../../graph/call-context.js'
import { payloadDecoder } from '../../graph/event-payload.js'
import type { PayloadSchema } from '../../graph/task-context.js'
import { AdapterBase, type AdapterBaseOptions, type CallOptions } from '../adapter-base.js'
import { AttemptCut } from '../../resilience/attempt-cut.js'
import { CutDispatcher, fetchTakesDispatcher } from './cut-dispatcher.js'
import { authHeaders, networkReason, type AuthHeaders, type HttpAuth } from './http-auth.js'

/**
 * Options of {@link HttpAdapter}: where the API is, how to authenticate,
 * and the resilience of its calls ({@link AdapterBaseOptions}).
 *
 * @example
 * ```ts
 * import { HttpAdapter, type HttpAdapterOptions } from 'weft-sdk'
 * const options: HttpAdapterOptions = {
 *   name: 'crm',
 *   baseUrl: 'http://127.0.0.1:8083/api/',
 *   auth: { type: 'api-key', header: 'x-api-key', value: process.env['CRM_KEY'] ?? '' },
 *   headers: { 'user-agent': 'weft-worker' },
 *   maxResponseBytes: 1024 * 1024,
 *   healthPath: '/health',
 * }
 * const crm = new HttpAdapter(options)
 * ```
 */
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
  /** What `health()` requests (`GET`); any answer below 500 is up, but 401 and 403 (the credentials refused: down). @defaultValue `'/'` */
  readonly healthPath?: string
}

/**
 * One request made with `request()` (the `get`, `post`, … shortcuts take the
 * same fields as {@link HttpCallOptions}).
 *
 * @example
 * ```ts
 * import { Schema } from 'effect'
 * import { HttpAdapter } from 'weft-sdk'
 * const crm = new HttpAdapter({ name: 'crm', baseUrl: 'http://127.0.0.1:8083/api/' })
 * const Contact = Schema.Struct({ id: Schema.String, email: Schema.String })
 * const contacts = await crm.request({ method: 'GET', path: 'contacts', query: { limit: 10 }, schema: Schema.Array(Contact), operation: 'list-contacts' })
 * ```
 */
export interface HttpRequest {
  /** The HTTP method, in any case (sent upper-cased). @defaultValue `'GET'` */
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

/**
 * The result of a request: the type its `schema` decodes to, or `unknown`
 * without a schema.
 *
 * @example
 * ```ts
 * import { Schema } from 'effect'
 * import type { HttpResult } from 'weft-sdk'
 * const Charge = Schema.Struct({ id: Schema.String, amount: Schema.Number })
 * type Decoded = HttpResult<{ schema: typeof Charge }> // { readonly id: string; readonly amount: number }
 * type Raw = HttpResult<{}> // unknown
 * ```
 */
export type HttpResult<
  R extends {
    /** The schema the response body is decoded with, if any. */
    readonly schema?: PayloadSchema
  },
> = R extends {
  /** The schema the result's type is taken from. */
  readonly schema: infer S extends PayloadSchema
}
  ? S['Type']
  : unknown

/**
 * A request's options besides method, path and body: what the `get`,
 * `post`, … shortcuts take last.
 *
 * @example
 * ```ts
 * import { Schema } from 'effect'
 * import type { HttpCallOptions } from 'weft-sdk'
 * const options = { query: { status: 'open' }, headers: { 'accept-language': 'en' }, schema: Schema.Array(Schema.String), operation: 'list-tickets' } satisfies HttpCallOptions
 * ```
 */
export type HttpCallOptions = Omit<HttpRequest, 'method' | 'path' | 'body'>

/**
 * What `ctx.use(http)` returns: the adapter's calls, bound to the task
 * attempt. Each call carries the attempt's signal and an idempotency key of
 * its own (`<ctx.idempotencyKey>:<adapter>:<n>`), so a retried attempt sends
 * the same keys for the same calls. Each rejects like {@link HttpAdapter.request}.
 *
 * @example
 * ```ts
 * import { Schema } from 'effect'
 * import type { HttpClient } from 'weft-sdk'
 * declare const payments: HttpClient // ctx.use(this.payments) in a task
 * const Charge = Schema.Struct({ id: Schema.String, amount: Schema.Number })
 * const charge = await payments.post('charges', { amount: 500 }, { schema: Charge, operation: 'charge' })
 * await payments.delete(`charges/${charge.id}/hold`)
 * ```
 */
export interface HttpClient {
  /** Makes one request (method, path, query, body, headers, schema, operation). */
  request<R extends HttpRequest>(request: R): Promise<HttpResult<R>>
  /** `GET path`; the result is decoded with `options.schema` when given. */
  get<O extends HttpCallOptions = {}>(path: string, options?: O): Promise<HttpResult<O>>
  /** `DELETE path`. */
  delete<O extends HttpCallOptions = {}>(path: string, options?: O): Promise<HttpResult<O>>
  /** `POST path` with `body` sent as JSON. */
  post<O extends HttpCallOptions = {}>(path: string, body: unknown, options?: O): Promise<HttpResult<O>>
  /** `PUT path` with `body` sent as JSON. */
  put<O extends HttpCallOptions = {}>(path: string, body: unknown, options?: O): Promise<HttpResult<O>>
  /** `PATCH path` with `body` sent as JSON. */
  patch<O extends HttpCallOptions = {}>(path: string, body: unknown, options?: O): Promise<HttpResult<O>>
}

const defaultMaxBytes = 10 * 1024 * 1024
/** Paths whose resolved URL an adapter keeps (the first resolved is dropped past this). */
const maxCachedHrefs = 256

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
  /** What every request sends before its own headers and the auth's. */
  private readonly baseHeaders: Readonly<Record<string, string>>
  /** Resolved URLs of paths without a query, by path. */
  private readonly hrefs = new Map<string, string>()

  constructor(private readonly options: HttpAdapterOptions) {
    super(options)
    this.baseUrl = new URL(options.baseUrl)
    if (this.baseUrl.username !== '' || this.baseUrl.password !== '') {
      const shown = new URL(this.baseUrl)
      shown.username = shown.username === '' ? '' : '<user>'
      shown.password = ''
      throw new InvalidOptionsError(`adapter "${options.name}": baseUrl ${shown.href} carries credentials, which fetch refuses and errors would show; give them as auth: { type: 'basic', username, password } instead`)
    }
    this.auth = authHeaders(
      options.name,
      options.auth,
      (value) => this.addSecret(value),
      (value) => this.forgetSecret(value),
    )
    this.idempotencyHeader = options.idempotencyHeader ?? 'Idempotency-Key'
    this.maxBytes = options.maxResponseBytes ?? defaultMaxBytes
    this.baseHeaders = { accept: 'application/json', ...options.headers }
  }

  /**
   * Makes one request (with the adapter's policies); `options` carries a
   * signal and an idempotency key (in a task, use `ctx.use(adapter)`, which
   * sets both).
   * @throws `HttpStatusError` for a status of 400 or more (retryable for 408, 425, 429 and most 5xx), `HttpNetworkError`, `HttpDecodeError` for a body that is not JSON or that the schema refuses, `HttpResponseTooLargeError`, a policy's error (timeout, open circuit, …), `AdapterClosedError` after `close()`.
   */
  request<R extends HttpRequest>(request: R, options: CallOptions = {}): Promise<HttpResult<R>> {
    const method = (request.method ?? 'GET').toUpperCase()
    const operation = request.operation ?? method
    // Reads are cached (where a cache is set) by operation, method and URL; the operation keeps apart calls that decode one URL differently.
    const cacheKey = method === 'GET' || method === 'HEAD' ? () => `${operation} ${method} ${this.urlOf(request).href}` : undefined
    return this.callCut(operation, options, (cut) => this.send(method, request, options.idempotencyKey, cut), cacheKey) as Promise<HttpResult<R>>
  }

  /** `GET path`, decoded with `options.schema` when given; like {@link HttpAdapter.request}. */
  get<O extends HttpCallOptions = {}>(path: string, options?: O, call?: CallOptions): Promise<HttpResult<O>> {
    return this.request({ ...options, method: 'GET', path }, call) as Promise<HttpResult<O>>
  }

  /** `DELETE path`; like {@link HttpAdapter.request}. */
  delete<O extends HttpCallOptions = {}>(path: string, options?: O, call?: CallOptions): Promise<HttpResult<O>> {
    return this.request({ ...options, method: 'DELETE', path }, call) as Promise<HttpResult<O>>
  }

  /** `POST path` with `body` sent as JSON; like {@link HttpAdapter.request}. */
  post<O extends HttpCallOptions = {}>(path: string, body: unknown, options?: O, call?: CallOptions): Promise<HttpResult<O>> {
    return this.request({ ...options, method: 'POST', path, body }, call) as Promise<HttpResult<O>>
  }

  /** `PUT path` with `body` sent as JSON; like {@link HttpAdapter.request}. */
  put<O extends HttpCallOptions = {}>(path: string, body: unknown, options?: O, call?: CallOptions): Promise<HttpResult<O>> {
    return this.request({ ...options, method: 'PUT', path, body }, call) as Promise<HttpResult<O>>
  }

  /** `PATCH path` with `body` sent as JSON; like {@link HttpAdapter.request}. */
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
    const response = await this.fetchOrFail('GET', path, new URL(path.replace(/^\//, ''), this.baseUrl), { method: 'GET', signal, headers: await this.auth.headers(signal) }, AttemptCut.of(signal))
    await response.body?.cancel()
    // 401/403: the server answers, but not to these credentials: for the workflows that need it, it is down.
    if (response.status >= 500 || response.status === 401 || response.status === 403) throw new HttpStatusError(this.name, 'GET', path, response.status, response.status < 500 ? 'the credentials were refused' : '', undefined)
  }

  /** One attempt: the request, its status classified, its body read within the limit and decoded. */
  private async send(method: string, request: HttpRequest, idempotencyKey: string | undefined, cut: AttemptCut | undefined): Promise<unknown> {
    const url = this.hrefOf(request)
    // The auth's headers without an await when at hand (an OAuth2 token to fetch takes the attempt's signal).
    const auth = this.auth.current() ?? (await this.auth.headers(cut?.signal))
    // Copied key by key, not spread: three spreads and two added keys made a new hidden class for every request (~2 µs each call, and undici then
    // builds that object's key cache again; bench section 3b).
    const headers: Record<string, string> = {}
    copyHeaders(headers, this.baseHeaders)
    copyHeaders(headers, request.headers)
    copyHeaders(headers, auth)
    if (idempotencyKey !== undefined) headers[this.idempotencyHeader] = idempotencyKey
    let body: string | undefined
    if (request.body !== undefined) {
      body = JSON.stringify(request.body)
      headers['content-type'] ??= 'application/json'
    }
    // What cuts the attempt aborts the request: through undici's own abort of it where fetch is Node's (no signal: CutDispatcher), else the signal.
    let signal: AbortSignal | undefined
    let dispatcher: CutDispatcher | undefined
    if (cut !== undefined) {
      signal = cut.madeSignal
      if (signal === undefined && fetchTakesDispatcher()) dispatcher = new CutDispatcher(cut)
      else signal ??= cut.signal
    }
    // `dispatcher` is undici's option (typed by @types/node as undici's full Dispatcher; fetch calls only `dispatch`).
    const init = { method, headers, body, signal, dispatcher } as RequestInit
    // fetch and the body read in this frame (no async function of their own for the common case: bench section 3b).
    let response: Response
    try {
      response = await fetch(url, init)
    } catch (error) {
      throw this.fetchFailed(method, request.path, error, cut)
    }
    const declared = Number(response.headers.get('content-length') ?? NaN)
    let text: string
    if (declared <= this.maxBytes && response.body !== null) {
      // A declared length within the limit: undici reads the body itself (and fails it if the server sends more or less).
      try {
        text = await response.text()
      } catch (error) {
        throw this.bodyCut(method, request.path, error)
      }
    } else text = await this.readBody(method, request.path, response, declared)
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

  /** The request's URL as fetch takes it; a path without a query is resolved once (parsing a URL is a few µs of every call: bench section 3b). */
  private hrefOf(request: HttpRequest): string {
    if (request.query !== undefined) return this.urlOf(request).href
    let href = this.hrefs.get(request.path)
    if (href === undefined) {
      href = this.urlOf(request).href
      if (this.hrefs.size >= maxCachedHrefs) this.hrefs.delete(this.hrefs.keys().next().value!)
      this.hrefs.set(request.path, href)
    }
    return href
  }

  private async fetchOrFail(method: string, path: string, url: URL | string, init: RequestInit, cut: AttemptCut | undefined): Promise<Response> {
    try {
      return await fetch(url, init)
    } catch (error) {
      throw this.fetchFailed(method, path, error, cut)
    }
  }

  /** What a failed fetch throws: the cut's reason when the attempt was cut, else a network error. */
  private fetchFailed(method: string, path: string, error: unknown, cut: AttemptCut | undefined): unknown {
    if (cut?.aborted) return cut.signal.reason
    return new HttpNetworkError(this.name, method, path, this.redact(networkReason(error)))
  }

  private bodyCut(method: string, path: string, error: unknown): HttpNetworkError {
    return new HttpNetworkError(this.name, method, path, `the body was cut: ${this.redact(networkReason(error))}`)
  }

  /** The body as text, at most `maxResponseBytes` (refused by its `Content-Length` before reading when it says more), when `send` does not read it itself (no length declared, or too long, or no body). */
  private async readBody(method: string, path: string, response: Response, declared: number): Promise<string> {
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
      throw this.bodyCut(method, path, error)
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

/** Copies `source`'s own headers into `target` (a header named `__proto__` is dropped, as fetch drops it from a spread object too). */
function copyHeaders(target: Record<string, string>, source: Readonly<Record<string, string>> | undefined): void {
  if (source === undefined) return
  for (const name in source) if (Object.hasOwn(source, name)) target[name] = source[name]!
}

/**
 * A `Retry-After` header in milliseconds: delay-seconds or an HTTP date
 * (counted from `now`, epoch milliseconds; a date in the past is 0);
 * `undefined` when absent or unreadable.
 *
 * @example
 * ```ts
 * import { retryAfterMs } from 'weft-sdk'
 * retryAfterMs('2') // 2000
 * retryAfterMs('Wed, 21 Oct 2015 07:28:05 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT')) // 5000
 * retryAfterMs(null) // undefined
 * ```
 */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined
  const seconds = Number(header)
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000)
  const date = Date.parse(header)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}


