// Errors of adapters: an HTTP response or connection that failed a call,
// a body that does not decode or is too large, a token that cannot be had.
import { WeftError } from './weft-error.js'

/**
 * An HTTP call got a response whose status is not 2xx. Retryable for 408,
 * 425, 429 and 5xx except 501 and 505 (the server may answer next time), not
 * for other 4xx (the request itself is wrong). `retryAfterMs` is the
 * response's `Retry-After`, honoured by retry policies.
 *
 * @example
 * ```ts
 * import { HttpStatusError } from 'weft-sdk'
 * const error: unknown = new HttpStatusError('payments', 'POST', '/charges', 429, 'slow down', 2000)
 * if (error instanceof HttpStatusError && error.isRetryable) console.log(error.status, error.retryAfterMs) // 429 2000
 * ```
 */
export class HttpStatusError extends WeftError {
  readonly code = 'WEFT_HTTP_STATUS'
  readonly _tag = 'HttpStatusError'
  override readonly isRetryable: boolean
  constructor(
    /** The adapter's name. */
    readonly adapter: string,
    /** The request method. */
    readonly method: string,
    /** The request path (relative to the adapter's base URL, without the query string). */
    readonly path: string,
    /** The response status. */
    readonly status: number,
    /** The start of the response body (at most 200 characters, secrets redacted). */
    readonly body: string,
    /** The response's `Retry-After`, in milliseconds; `undefined` when it had none. */
    readonly retryAfterMs: number | undefined,
  ) {
    const retry = isRetryableStatus(status) ? 'retryable' : 'not retryable: the request must change'
    const after = retryAfterMs === undefined ? '' : `, retry after ${retryAfterMs} ms`
    super(`adapter "${adapter}": ${method} ${path} answered ${status} (${retry}${after})${body === '' ? '' : `: ${body}`}`)
    this.isRetryable = isRetryableStatus(status)
  }
}

/**
 * Whether a response status says the same request may succeed later: 408,
 * 425, 429 and the 5xx statuses but 501 and 505. Other statuses (4xx) say the
 * request must change.
 *
 * @example
 * ```ts
 * import { isRetryableStatus } from 'weft-sdk'
 * isRetryableStatus(503) // true
 * isRetryableStatus(429) // true
 * isRetryableStatus(404) // false
 * ```
 */
export function isRetryableStatus(status: number): boolean {
  if (status === 408 || status === 425 || status === 429) return true
  return status >= 500 && status !== 501 && status !== 505
}

/**
 * An HTTP call failed without a response: the connection was refused or
 * reset, DNS failed, the socket closed mid-body. Retryable.
 *
 * @example
 * ```ts
 * import { HttpNetworkError } from 'weft-sdk'
 * const error = new HttpNetworkError('payments', 'GET', '/health', 'ECONNREFUSED')
 * error.isRetryable // true
 * ```
 */
export class HttpNetworkError extends WeftError {
  readonly code = 'WEFT_HTTP_NETWORK'
  readonly _tag = 'HttpNetworkError'
  override readonly isRetryable = true
  constructor(
    /** The adapter's name. */
    readonly adapter: string,
    /** The request method. */
    readonly method: string,
    /** The request path. */
    readonly path: string,
    /** What went wrong (the system error's code or message, secrets redacted). */
    readonly reason: string,
  ) {
    super(`adapter "${adapter}": ${method} ${path} failed without a response (${reason}); retryable: check that the server is up and reachable`)
  }
}

/**
 * A response body is not what the call expected: not JSON, or JSON its
 * `Schema` refuses. Not retryable: the server answers something else than
 * the schema describes.
 *
 * @example
 * ```ts
 * import { HttpDecodeError } from 'weft-sdk'
 * const error = new HttpDecodeError('payments', 'GET', '/charges/1', 'at amount: Expected number, got "12"')
 * error.isRetryable // false
 * ```
 */
export class HttpDecodeError extends WeftError {
  readonly code = 'WEFT_HTTP_DECODE'
  readonly _tag = 'HttpDecodeError'
  constructor(
    /** The adapter's name. */
    readonly adapter: string,
    /** The request method. */
    readonly method: string,
    /** The request path. */
    readonly path: string,
    /** Why the body was refused. */
    readonly issues: string,
  ) {
    super(`adapter "${adapter}": the response to ${method} ${path} does not decode: ${issues}; fix the schema given to the call or the server`)
  }
}

/**
 * A response body is larger than the adapter's `maxResponseBytes`; reading
 * stopped there. Not retryable.
 *
 * @example
 * ```ts
 * import { HttpResponseTooLargeError } from 'weft-sdk'
 * new HttpResponseTooLargeError('files', 'GET', '/dump', 1_048_576).message
 * ```
 */
export class HttpResponseTooLargeError extends WeftError {
  readonly code = 'WEFT_HTTP_RESPONSE_TOO_LARGE'
  readonly _tag = 'HttpResponseTooLargeError'
  constructor(
    /** The adapter's name. */
    readonly adapter: string,
    /** The request method. */
    readonly method: string,
    /** The request path. */
    readonly path: string,
    /** The limit that was passed, in bytes. */
    readonly limitBytes: number,
  ) {
    super(`adapter "${adapter}": the response to ${method} ${path} is larger than ${limitBytes} bytes; raise maxResponseBytes on the adapter or ask for less`)
  }
}

/**
 * An adapter was used after `close()` (the engine that owns it was closed).
 *
 * @example
 * ```ts
 * import { AdapterClosedError } from 'weft-sdk'
 * new AdapterClosedError('payments').message
 * ```
 */
export class AdapterClosedError extends WeftError {
  readonly code = 'WEFT_ADAPTER_CLOSED'
  readonly _tag = 'AdapterClosedError'
  constructor(
    /** The adapter's name. */
    readonly adapter: string,
  ) {
    super(`adapter "${adapter}" is closed (its engine was closed): create a new one`)
  }
}
