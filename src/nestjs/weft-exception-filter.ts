import { Catch, type ArgumentsHost, type HttpServer } from '@nestjs/common'
import { BaseExceptionFilter } from '@nestjs/core'
import { isWeftError, type RateLimitedError, type WeftError, type WeftErrorCode } from '../index.js'

/** The HTTP status of each Weft error a client caused or can act on; any other Weft error is a 500. */
const statusByCode: Partial<Record<WeftErrorCode, number>> = {
  WEFT_INVALID_INPUT: 400,
  WEFT_INVALID_EVENT_PAYLOAD: 400,
  WEFT_INVALID_PRINCIPAL: 400,
  WEFT_UNAUTHENTICATED: 401,
  WEFT_FORBIDDEN: 403,
  WEFT_RUN_NOT_FOUND: 404,
  WEFT_RUN_CONFLICT: 409,
  WEFT_RUN_FINISHED: 409,
  WEFT_WRONG_WORKFLOW: 409,
  WEFT_RATE_LIMITED: 429,
  WEFT_ENGINE_CLOSED: 503,
}

/**
 * The HTTP status {@link WeftExceptionFilter} answers a Weft error with:
 * 400 for invalid input or event payloads, 401 unauthenticated, 403
 * forbidden, 404 no such run, 409 a run conflict (an id reused with another
 * input, an event to a finished run, the wrong workflow), 429 a rate limit,
 * 503 a closed engine; `undefined` for other errors (a 500).
 *
 * @example
 * ```ts
 * import { RunNotFoundError } from 'weft-sdk'
 * import { weftHttpStatus } from 'weft-sdk/nestjs'
 * weftHttpStatus(new RunNotFoundError('r-1')) // 404
 * ```
 */
export function weftHttpStatus(error: unknown): number | undefined {
  return isWeftError(error) ? statusByCode[error.code] : undefined
}

/**
 * An exception filter mapping Weft's typed errors to HTTP responses (see
 * {@link weftHttpStatus}): the body is `{ statusCode, code, message }` and a
 * rate limit's response carries `Retry-After` (seconds, rounded up). Other
 * errors (and Weft errors without a status) go to Nest's default handling.
 * Opt in globally with `app.useGlobalFilters(new WeftExceptionFilter(app.getHttpAdapter()))`,
 * or per controller with `@UseFilters(WeftExceptionFilter)`.
 *
 * @example
 * ```ts
 * import { NestFactory } from '@nestjs/core'
 * import { WeftExceptionFilter } from 'weft-sdk/nestjs'
 * declare const AppModule: new () => object
 *
 * const app = await NestFactory.create(AppModule)
 * app.useGlobalFilters(new WeftExceptionFilter(app.getHttpAdapter()))
 * await app.listen(3000)
 * ```
 */
@Catch()
export class WeftExceptionFilter extends BaseExceptionFilter {
  /** Answers a Weft error with its status, or hands the exception to Nest's default handling. */
  override catch(exception: unknown, host: ArgumentsHost): void {
    const status = weftHttpStatus(exception)
    const server = this.applicationRef ?? this.httpAdapterHost?.httpAdapter
    if (status === undefined || server === undefined) return super.catch(exception, host)
    const response: unknown = host.getArgByIndex(1)
    const error = exception as WeftError
    if (error.code === 'WEFT_RATE_LIMITED') server.setHeader(response, 'Retry-After', String(Math.max(1, Math.ceil((error as RateLimitedError).retryAfterMs / 1000))))
    ;(server as HttpServer).reply(response, { statusCode: status, code: error.code, message: error.message }, status)
  }
}
