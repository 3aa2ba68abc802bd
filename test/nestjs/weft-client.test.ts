import { Injectable, Module } from '@nestjs/common'
import { Redacted } from 'effect'
import { describe, expect, it } from 'vitest'
import { defineWorkflow, Engine, InvalidOptionsError, RunNotFoundError, sqliteStore, token, type TaskContext } from 'weft-sdk'
import { bearerCredentials, InjectEngine, NestWorkflowResolver, WeftClient, WeftModule } from 'weft-sdk/nestjs'
import { listen, useNestSuite, type RunningApp } from './nest-app.js'

const files = useNestSuite()

/** A Nest service a defineWorkflow definition names among its services. */
const Greetings = token<{ greet(name: string): string }>('Greetings')

const Greeting = defineWorkflow<{ name: string }>({ name: 'nest-greeting', version: 1 })
  .services({ greetings: Greetings })
  .task('greet', (input, ctx) => ctx.services.greetings.greet(input.name))
  .build()

const Approval = defineWorkflow({ name: 'nest-held', version: 1 })
  .task('hold', (_input: void, ctx: TaskContext<void>) => ctx.waitForEvent<{ ok: boolean }>('released'))
  .build()

@Injectable()
class Reports {
  constructor(@InjectEngine() readonly engine: Engine) {}
}

async function app(): Promise<RunningApp> {
  @Module({ providers: [Reports, { provide: Greetings, useValue: { greet: (name: string) => `hello ${name}` } }], exports: [Greetings] })
  class ServicesModule {}
  return files.listen({ imports: [WeftModule.forRoot({ store: sqliteStore({ path: files.path('client') }), workflows: [Greeting, Approval] }), ServicesModule] })
}

describe('WeftClient and the engine as providers', () => {
  it('@InjectEngine() and the Engine class give the module\'s one engine', async () => {
    const running = await app()
    expect(running.app.get(Reports).engine).toBe(running.app.get(Engine))
    expect(running.app.get(WeftClient).engine).toBe(running.app.get(Engine))
  })

  it("resolves a definition's services from Nest's container (any module)", async () => {
    const running = await app()
    const run = await running.app.get(WeftClient).start(Greeting, { name: 'Ada' })
    expect((await run.result()).output('greet')).toBe('hello Ada')
    expect(running.app.get(NestWorkflowResolver).isRegistered(Greetings)).toBe(true)
    expect(running.app.get(NestWorkflowResolver).isRegistered('Unregistered')).toBe(false)
  })

  it('signals a waiting run, reads it, and cancels another; an unknown id is RunNotFoundError', async () => {
    const running = await app()
    const client = running.app.get(WeftClient)
    const released = await client.start(Approval)
    const cancelled = await client.start(Approval)
    await client.signal(released.id, 'released', { ok: true })
    await released.result()
    expect(await client.read(released.id)).toMatchObject({ status: 'completed', outputs: { hold: { ok: true } } })
    expect(await client.cancel(cancelled.id, 'not needed')).toBe(true)
    await cancelled.outcome()
    expect(await client.read(cancelled.id)).toMatchObject({ status: 'cancelled', error: expect.stringContaining('not needed') })
    await expect(client.read('nope')).rejects.toBeInstanceOf(RunNotFoundError)
    await expect(client.cancel('nope')).rejects.toBeInstanceOf(RunNotFoundError)
  })
})

describe('WeftModule options', () => {
  it('is global by default, and not with global: false', () => {
    expect(WeftModule.forRoot({}).global).toBe(true)
    expect(WeftModule.forRoot({ global: false }).global).toBe(false)
  })

  it('refuses forFeature without a workflow, and a role that is neither worker nor api', async () => {
    expect(() => WeftModule.forFeature([])).toThrow(InvalidOptionsError)
    const booting = listen({ imports: [WeftModule.forRoot({ store: sqliteStore({ path: files.path('role') }), role: 'both' as never })] })
    await expect(booting).rejects.toThrow("WeftModule: role must be 'worker' or 'api', got \"both\"")
  })
})

describe('bearerCredentials', () => {
  it('reads a bearer token from the Authorization header, kept redacted', () => {
    const caller = bearerCredentials({ headers: { authorization: 'Bearer abc.def.ghi' } }) as { token: Redacted.Redacted<string> }
    expect(Redacted.value(caller.token)).toBe('abc.def.ghi')
    expect(String(caller.token)).not.toContain('abc')
  })

  it('gives nothing without a bearer header', () => {
    expect(bearerCredentials({ headers: {} })).toBeUndefined()
    expect(bearerCredentials({ headers: { authorization: 'Basic dXNlcg==' } })).toBeUndefined()
  })
})
