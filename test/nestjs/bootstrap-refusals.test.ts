/**
 * What WeftModule refuses at bootstrap, each with InvalidWorkflowError naming
 * the workflow, what asked and the fix: a transient dependency (every run
 * would share it), a request-scoped provider injected into a property, a
 * scoped provider named by a definition's services, a service nothing
 * provides (in Nest's terms only), and one workflow class declared in two
 * modules.
 */
import { Inject, Injectable, Module, Scope } from '@nestjs/common'
import { describe, expect, it } from 'vitest'
import { defineWorkflow, InvalidWorkflowError, sqliteStore, Task, token, Workflow, WorkflowBase } from 'weft-sdk'
import { WeftModule } from 'weft-sdk/nestjs'
import { useNestSuite } from './nest-app.js'
import { PriceBook, QuoteLog, QuoteWorkflow } from './quote-fixtures.js'

const files = useNestSuite()

@Injectable({ scope: Scope.TRANSIENT })
class Counter {
  count = 0
}

@Injectable({ scope: Scope.REQUEST })
class RequestUser {
  readonly name = 'ada'
}

/** The error a bootstrap of `metadata` fails with (or a failure of this helper when it boots). */
async function refusal(imports: NonNullable<Parameters<typeof files.listen>[0]['imports']>): Promise<InvalidWorkflowError> {
  const error: unknown = await files.listen({ imports: [WeftModule.forRoot({ store: () => sqliteStore({ path: files.path('refused') }) }), ...imports] }).then(
    () => new Error('the application booted'),
    (caught: unknown) => caught,
  )
  expect(error).toBeInstanceOf(InvalidWorkflowError)
  expect((error as InvalidWorkflowError).code).toBe('WEFT_INVALID_WORKFLOW')
  return error as InvalidWorkflowError
}

describe('WeftModule refuses at bootstrap', () => {
  it('a transient constructor dependency, which every run would share', async () => {
    @Workflow({ name: 'nest-counting', version: 1 })
    class Counting extends WorkflowBase {
      constructor(private readonly counter: Counter) {
        super()
      }
      @Task()
      count(): number {
        return ++this.counter.count
      }
    }
    @Module({ imports: [WeftModule.forFeature([Counting])], providers: [Counter] })
    class Counts {}
    expect((await refusal([Counts])).message).toBe(
      "workflow Counting: parameter 1 of its constructor asks for Counter, which is transient; Weft resolves a workflow's dependencies once, at bootstrap, " +
        'so every run would share one instance of it: make it default-scoped, or inject a default-scoped factory that makes a fresh one when a task asks',
    )
  })

  it('a request-scoped provider injected into a property, naming the property and the token', async () => {
    @Workflow({ name: 'nest-greeter', version: 1 })
    class Greeter extends WorkflowBase {
      @Inject(RequestUser) private readonly user!: RequestUser
      @Task()
      greet(): string {
        return `hello ${this.user.name}`
      }
    }
    @Module({ imports: [WeftModule.forFeature([Greeter])], providers: [RequestUser] })
    class Greeters {}
    expect((await refusal([Greeters])).message).toBe(
      'workflow Greeter: its property user (@Inject) asks for RequestUser, which is request-scoped (or depends on a request-scoped provider); ' +
        "a run outlives the request that started it and may run in another process: inject a default-scoped provider and pass what the request knows in the run's input",
    )
  })

  it("a request-scoped provider a definition's services name, reported as scoped (not as missing)", async () => {
    const Users = token<RequestUser>('Users')
    const Welcome = defineWorkflow({ name: 'nest-welcome', version: 1 })
      .services({ users: Users })
      .task('welcome', (_input: void, ctx) => `welcome ${ctx.services.users.name}`)
      .build()
    @Module({ providers: [{ provide: Users, useClass: RequestUser, scope: Scope.REQUEST }], exports: [Users] })
    class UsersModule {}
    const error = await files.listen({ imports: [WeftModule.forRoot({ store: () => sqliteStore({ path: files.path('scoped-service') }), workflows: [Welcome] }), UsersModule] }).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(InvalidWorkflowError)
    expect((error as Error).message).toMatch(/^workflow "nest-welcome": service "users" asks for "Users", which is request-scoped \(or depends on a request-scoped provider\); a run outlives/)
  })

  it("a service nothing provides, with Nest's fix only", async () => {
    const Mailer = token<{ send(to: string): void }>('Mailer')
    const Notify = defineWorkflow({ name: 'nest-notify', version: 1 })
      .services({ mailer: Mailer })
      .task('notify', (_input: void, ctx) => ctx.services.mailer.send('ada'))
      .build()
    const error = await files.listen({ imports: [WeftModule.forRoot({ store: () => sqliteStore({ path: files.path('missing-service') }), workflows: [Notify] })] }).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(InvalidWorkflowError)
    expect((error as Error).message).toBe(
      'workflow "nest-notify": service "mailer" asks for Mailer, which nothing registered: register it first (add a provider of "Mailer" to a module ' +
        "(providers: [{ provide: \"Mailer\", useValue }]) and export it, or register it in WeftModule's adapters)",
    )
  })

  it('a workflow class declared in two modules, naming both', async () => {
    @Module({ imports: [WeftModule.forFeature([QuoteWorkflow])], providers: [PriceBook, { provide: QuoteLog, useValue: [] }] })
    class RetailQuotes {}
    @Module({ imports: [WeftModule.forFeature([QuoteWorkflow])], providers: [PriceBook, { provide: QuoteLog, useValue: [] }] })
    class WholesaleQuotes {}
    expect((await refusal([RetailQuotes, WholesaleQuotes])).message).toBe(
      "workflow QuoteWorkflow is declared in two modules, RetailQuotes and WholesaleQuotes (WeftModule.forFeature, or forRoot's workflows): " +
        'each would build it with its own providers; declare it in one module only, and import that module (or export what it needs) where the other uses it',
    )
  })
})
