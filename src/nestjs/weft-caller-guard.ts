import { Redacted } from 'effect'
import { createParamDecorator, Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common'
import { AuthenticationError, type AccessOptions, type Caller } from '../index.js'
import type { WeftModuleOptions } from './weft-module-options.js'
import { weftOptionsToken } from './weft-tokens.js'

/** Where the guard leaves the caller on the request (a symbol: no clash with a framework's own fields). */
const accessKey = Symbol.for('weft:access')

/** A caller as the engine's operations take it: a principal or subject as `principal`, credentials as `credentials`. */
function accessOf(caller: Caller): AccessOptions {
  return typeof caller === 'object' && 'token' in caller ? { credentials: caller } : { principal: caller }
}

/**
 * Derives Weft's caller from an HTTP request with the module's `caller`
 * option (a principal, a subject, or credentials such as the bearer token)
 * and attaches it to the request, where {@link WeftAccess} finds it. The
 * engine's secure path then authenticates (credentials), authorizes, limits
 * and audits every operation the client performs with it. When the module has
 * `security` and the request yields no caller, the request is refused with
 * `AuthenticationError` (401 through {@link WeftExceptionFilter}).
 *
 * @example
 * ```ts
 * import { Controller, Post, UseGuards } from '@nestjs/common'
 * import { defineWorkflow, type AccessOptions } from 'weft-sdk'
 * import { WeftAccess, WeftCallerGuard, WeftClient } from 'weft-sdk/nestjs'
 *
 * const Report = defineWorkflow({ name: 'report', version: 1 }).task('build', () => 'done').build()
 *
 * @Controller('reports')
 * @UseGuards(WeftCallerGuard)
 * export class ReportsController {
 *   constructor(private readonly weft: WeftClient) {}
 *   @Post()
 *   async start(@WeftAccess() access: AccessOptions) {
 *     return { runId: (await this.weft.start(Report, undefined, access)).id }
 *   }
 * }
 * // WeftModule.forRoot({ security, caller: (request) => bearerCredentials(request) })
 * ```
 */
@Injectable()
export class WeftCallerGuard implements CanActivate {
  constructor(@Inject(weftOptionsToken) private readonly options: WeftModuleOptions) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<Record<symbol, unknown>>()
    const caller = this.options.caller?.(request)
    if (caller !== undefined) request[accessKey] = accessOf(caller)
    else if (this.options.security !== undefined) throw new AuthenticationError('missing', 'the request carries no caller Weft can use: send the credentials the module\'s caller option reads (e.g. an Authorization header)')
    return true
  }
}

/**
 * A controller parameter holding the caller {@link WeftCallerGuard} derived
 * from the request, as the access options of `WeftClient`'s and the
 * engine's operations (`{}` when the request has none).
 *
 * @example
 * ```ts
 * import { Controller, Param, Post, UseGuards } from '@nestjs/common'
 * import type { AccessOptions } from 'weft-sdk'
 * import { WeftAccess, WeftCallerGuard, WeftClient } from 'weft-sdk/nestjs'
 *
 * @Controller('runs')
 * @UseGuards(WeftCallerGuard)
 * export class RunsController {
 *   constructor(private readonly weft: WeftClient) {}
 *   @Post(':id/cancel')
 *   cancel(@Param('id') id: string, @WeftAccess() access: AccessOptions) {
 *     return this.weft.cancel(id, 'cancelled from the API', access)
 *   }
 * }
 * ```
 */
export const WeftAccess: () => ParameterDecorator = createParamDecorator((_data: unknown, context: ExecutionContext): AccessOptions => {
  const request = context.switchToHttp().getRequest<Record<symbol, unknown>>()
  return (request[accessKey] as AccessOptions | undefined) ?? {}
})

/**
 * Bearer credentials from a request's `Authorization` header, for the
 * module's `caller` option when the engine authenticates tokens (JWT,
 * sessions); `undefined` without such a header.
 *
 * @example
 * ```ts
 * import { WeftModule, bearerCredentials } from 'weft-sdk/nestjs'
 * const weft = WeftModule.forRoot({ caller: bearerCredentials })
 * ```
 */
export function bearerCredentials(request: unknown): Caller | undefined {
  const headers = (request as { readonly headers?: Readonly<Record<string, string | string[] | undefined>> }).headers
  const header = headers?.authorization
  const value = Array.isArray(header) ? header[0] : header
  const match = value === undefined ? null : /^Bearer\s+(\S+)$/i.exec(value)
  return match === null ? undefined : { token: Redacted.make(match[1]!) }
}
