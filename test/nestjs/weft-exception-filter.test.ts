import { Body, Controller, Get, Param, Post, UseFilters, UseGuards } from '@nestjs/common'
import { Schema } from 'effect'
import { describe, expect, it } from 'vitest'
import { defineWorkflow, principal, PrincipalLimits, RateLimitedError, Rbac, RunConflictError, RunNotFoundError, sqliteStore, type AccessOptions, type RunId } from 'weft-sdk'
import { WeftAccess, WeftCallerGuard, WeftClient, WeftExceptionFilter, WeftModule, weftHttpStatus } from 'weft-sdk/nestjs'
import { useNestSuite, type RunningApp } from './nest-app.js'

const files = useNestSuite()

const Parcel = defineWorkflow({ name: 'nest-parcel', version: 1, input: Schema.Struct({ weightKg: Schema.Number }) })
  .task('label', (input) => `parcel of ${input.weightKg} kg`)
  .build()

@Controller('parcels')
@UseGuards(WeftCallerGuard)
class ParcelsController {
  constructor(private readonly weft: WeftClient) {}

  @Post()
  async start(@Body() body: { weightKg: unknown; runId?: string }, @WeftAccess() access: AccessOptions) {
    const run = await this.weft.start(Parcel, { weightKg: body.weightKg as number }, { ...access, ...(body.runId === undefined ? {} : { runId: body.runId as RunId }) })
    return { runId: run.id }
  }

  @Get(':id')
  read(@Param('id') id: string, @WeftAccess() access: AccessOptions) {
    return this.weft.read(id, access)
  }

  @Get('broken/now')
  broken(): never {
    throw new Error('a bug that is not Weft\'s')
  }
}

/** The caller from two headers, as an application would take it from its session or token. */
function callerFromHeaders(request: unknown) {
  const headers = (request as { headers: Record<string, string | undefined> }).headers
  const subject = headers['x-user']
  return subject === undefined ? undefined : principal({ subject, roles: [headers['x-role'] ?? 'clerk'] })
}

async function securedApp(): Promise<RunningApp> {
  const security = {
    authorizer: new Rbac({ roles: { clerk: ['start:nest-parcel', 'read:*'], viewer: ['read:*'] } }),
    limits: new PrincipalLimits({ limits: { start: { limit: 2, window: '1 m' } } }),
  }
  return files.listen({ imports: [WeftModule.forRoot({ store: sqliteStore({ path: files.path('secured') }), security, caller: callerFromHeaders })], controllers: [ParcelsController] }, (app) =>
    app.useGlobalFilters(new WeftExceptionFilter(app.getHttpAdapter())),
  )
}

async function send(app: RunningApp, method: string, path: string, headers: Record<string, string>, body?: unknown) {
  const response = await fetch(`${app.url}${path}`, { method, headers: { 'content-type': 'application/json', ...headers }, body: body === undefined ? undefined : JSON.stringify(body) })
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as { statusCode: number; code?: string; message: string } }
}

describe('WeftExceptionFilter over HTTP', () => {
  it('answers invalid input with 400 and the paths, and an unknown run with 404', async () => {
    const running = await files.listen({ imports: [WeftModule.forRoot({ store: sqliteStore({ path: files.path('open') }) })], controllers: [ParcelsController] }, (app) =>
      app.useGlobalFilters(new WeftExceptionFilter(app.getHttpAdapter())),
    )
    const invalid = await send(running, 'POST', '/parcels', {}, { weightKg: 'heavy' })
    expect(invalid.status).toBe(400)
    expect(invalid.body).toMatchObject({ statusCode: 400, code: 'WEFT_INVALID_INPUT' })
    expect(invalid.body.message).toContain('weightKg')
    const unknown = await send(running, 'GET', '/parcels/no-such-run', {})
    expect(unknown).toMatchObject({ status: 404, body: { code: 'WEFT_RUN_NOT_FOUND', message: 'no run has id "no-such-run"' } })
  })

  it('leaves other errors to Nest: a plain Error is a 500 that says nothing of it', async () => {
    const running = await files.listen({ imports: [WeftModule.forRoot({ store: sqliteStore({ path: files.path('bug') }) })], controllers: [ParcelsController] }, (app) =>
      app.useGlobalFilters(new WeftExceptionFilter(app.getHttpAdapter())),
    )
    expect(await send(running, 'GET', '/parcels/broken/now', {})).toMatchObject({ status: 500, body: { statusCode: 500, message: 'Internal server error' } })
  })

  it('answers a request without a caller on a secured engine with 401 (WeftCallerGuard)', async () => {
    const running = await securedApp()
    expect(await send(running, 'POST', '/parcels', {}, { weightKg: 1 })).toMatchObject({ status: 401, body: { code: 'WEFT_UNAUTHENTICATED' } })
  })

  it('answers a caller without the permission with 403', async () => {
    const running = await securedApp()
    const refused = await send(running, 'POST', '/parcels', { 'x-user': 'vic', 'x-role': 'viewer' }, { weightKg: 1 })
    expect(refused.status).toBe(403)
    expect(refused.body).toMatchObject({ code: 'WEFT_FORBIDDEN' })
    expect(refused.body.message).toContain('"vic" may not start nest-parcel')
  })

  it('answers a run id reused with another input with 409', async () => {
    const running = await securedApp()
    const ada = { 'x-user': 'ada' }
    expect((await send(running, 'POST', '/parcels', ada, { weightKg: 1, runId: 'parcel-1' })).status).toBe(201)
    expect(await send(running, 'POST', '/parcels', ada, { weightKg: 2, runId: 'parcel-1' })).toMatchObject({ status: 409, body: { code: 'WEFT_RUN_CONFLICT' } })
  })

  it('answers a caller over its start limit with 429 and Retry-After in seconds', async () => {
    const running = await securedApp()
    const bob = { 'x-user': 'bob' }
    for (const weightKg of [1, 2]) expect((await send(running, 'POST', '/parcels', bob, { weightKg })).status).toBe(201)
    const limited = await send(running, 'POST', '/parcels', bob, { weightKg: 3 })
    expect(limited).toMatchObject({ status: 429, body: { code: 'WEFT_RATE_LIMITED' } })
    expect(Number(limited.retryAfter)).toBeGreaterThanOrEqual(1)
    expect(Number(limited.retryAfter)).toBeLessThanOrEqual(60)
  })
})

describe('weftHttpStatus', () => {
  it('maps the errors a client can act on, and nothing else', () => {
    expect(weftHttpStatus(new RunConflictError('r-1' as RunId, 'input'))).toBe(409)
    expect(weftHttpStatus(new RateLimitedError('start', 1_000))).toBe(429)
    expect(weftHttpStatus(new RunNotFoundError('r-1'))).toBe(404)
    expect(weftHttpStatus(new Error('not ours'))).toBeUndefined()
  })
})

describe('WeftExceptionFilter on one controller (@UseFilters)', () => {
  @Controller('labels')
  @UseFilters(WeftExceptionFilter)
  class LabelsController {
    constructor(private readonly weft: WeftClient) {}
    @Get(':id')
    read(@Param('id') id: string) {
      return this.weft.read(id)
    }
  }

  @Controller('plain')
  class PlainController {
    constructor(private readonly weft: WeftClient) {}
    @Get(':id')
    read(@Param('id') id: string) {
      return this.weft.read(id)
    }
  }

  it("maps Weft's errors on that controller only: an unknown run is a 404 there, Nest's 500 elsewhere", async () => {
    const running = await files.listen({ imports: [WeftModule.forRoot({ store: () => sqliteStore({ path: files.path('per-controller') }) })], controllers: [LabelsController, PlainController] })
    expect(await send(running, 'GET', '/labels/no-such-run', {})).toMatchObject({ status: 404, body: { statusCode: 404, code: 'WEFT_RUN_NOT_FOUND', message: 'no run has id "no-such-run"' } })
    expect(await send(running, 'GET', '/plain/no-such-run', {})).toMatchObject({ status: 500, body: { statusCode: 500, message: 'Internal server error' } })
  })
})
