/**
 * WeftCallerGuard with bearerCredentials over real HTTP: the bearer token of
 * each request is authenticated by the engine (a JWT signed with a real key
 * pair), so the run is started and read as the token's subject; a token
 * signed with another key is a 401, a role without the permission a 403, a
 * request without a token a 401.
 */
import { Body, Controller, Get, Param, Post, UseGuards } from '@nestjs/common'
import { beforeAll, describe, expect, it } from 'vitest'
import { defineWorkflow, generateJwtKeys, JwtAuthenticator, JwtIssuer, Rbac, sqliteStore, type AccessOptions } from 'weft-sdk'
import { bearerCredentials, WeftAccess, WeftCallerGuard, WeftClient, WeftExceptionFilter, WeftModule } from 'weft-sdk/nestjs'
import { useNestSuite, type RunningApp } from './nest-app.js'

const files = useNestSuite()

const Invoice = defineWorkflow<{ amount: number }>({ name: 'nest-invoice', version: 1 })
  .task('issue', (input) => `invoice of ${input.amount}`)
  .build()

@Controller('invoices')
@UseGuards(WeftCallerGuard)
class InvoicesController {
  constructor(private readonly weft: WeftClient) {}

  @Post()
  async start(@Body() body: { amount: number }, @WeftAccess() access: AccessOptions) {
    return { runId: (await this.weft.start(Invoice, body, access)).id }
  }

  @Get(':id')
  read(@Param('id') id: string, @WeftAccess() access: AccessOptions) {
    return this.weft.read(id, access)
  }
}

const jwt = { issuer: 'https://auth.test', audience: 'weft' } as const
let issue: (subject: string, roles: string[]) => Promise<string>
let forge: (subject: string, roles: string[]) => Promise<string>
let authenticator: JwtAuthenticator

beforeAll(async () => {
  const [keys, otherKeys] = [await generateJwtKeys('EdDSA'), await generateJwtKeys('EdDSA')]
  const issuer = new JwtIssuer({ privateKey: keys.privateKey, kid: keys.kid, algorithm: 'EdDSA', ...jwt, lifetime: '5 m' })
  const forger = new JwtIssuer({ privateKey: otherKeys.privateKey, kid: keys.kid, algorithm: 'EdDSA', ...jwt, lifetime: '5 m' })
  issue = (subject, roles) => issuer.issue({ subject, roles })
  forge = (subject, roles) => forger.issue({ subject, roles })
  authenticator = new JwtAuthenticator({ algorithms: ['EdDSA'], ...jwt, keys: keys.publicJwks })
})

async function app(path = files.path('bearer')): Promise<RunningApp> {
  const security = { authenticator, authorizer: new Rbac({ roles: { clerk: ['start:nest-invoice', 'read:*'], viewer: ['read:*'] } }) }
  return files.listen(
    { imports: [WeftModule.forRoot({ store: () => sqliteStore({ path }), security, caller: bearerCredentials })], controllers: [InvoicesController] },
    (nest) => nest.useGlobalFilters(new WeftExceptionFilter(nest.getHttpAdapter())),
  )
}

async function send(running: RunningApp, method: string, path: string, token: string | undefined, body?: unknown) {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) }
  const response = await fetch(`${running.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

describe('WeftCallerGuard with bearerCredentials over HTTP', () => {
  it("starts and reads a run as the bearer token's subject", async () => {
    const path = files.path('subject')
    const running = await app(path)
    const token = await issue('user:ada', ['clerk'])
    const started = await send(running, 'POST', '/invoices', token, { amount: 12 })
    expect(started.status).toBe(201)
    const runId = started.body['runId'] as string
    const run = await running.app.get(WeftClient).engine.getRun(runId as never, { credentials: bearerCredentials({ headers: { authorization: `Bearer ${token}` } }) as never })
    await run!.result()
    const store = sqliteStore({ path })
    expect((await store.getRun(runId as never))?.principal).toBe('user:ada')
    await store.close()
    expect(await send(running, 'GET', `/invoices/${runId}`, token)).toMatchObject({ status: 200, body: { status: 'completed', outputs: { issue: 'invoice of 12' } } })
  })

  it('answers a token signed with another key with 401, and no token with 401', async () => {
    const running = await app()
    expect(await send(running, 'POST', '/invoices', await forge('user:eve', ['clerk']), { amount: 1 })).toMatchObject({ status: 401, body: { code: 'WEFT_UNAUTHENTICATED' } })
    expect(await send(running, 'POST', '/invoices', undefined, { amount: 1 })).toMatchObject({ status: 401, body: { code: 'WEFT_UNAUTHENTICATED' } })
  })

  it("answers a valid token whose roles lack the permission with 403, naming the token's subject", async () => {
    const running = await app()
    const refused = await send(running, 'POST', '/invoices', await issue('user:vic', ['viewer']), { amount: 1 })
    expect(refused).toMatchObject({ status: 403, body: { code: 'WEFT_FORBIDDEN' } })
    expect(refused.body['message']).toContain('"user:vic" may not start nest-invoice')
  })
})
