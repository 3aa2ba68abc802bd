import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Inject, Injectable, Module, Scope } from '@nestjs/common'
import { ConfigModule, ConfigService } from '@nestjs/config'
import { describe, expect, it } from 'vitest'
import { Engine, HttpAdapter, InvalidWorkflowError, sqliteStore, Task, Workflow, WorkflowBase, type RunId } from 'weft-sdk'
import { WeftHealthIndicator, WeftModule, type RunView } from 'weft-sdk/nestjs'
import { emptyJsonServer, listen, useNestSuite, type RunningApp } from './nest-app.js'
import { PriceBook, QuoteLog, QuotesController, QuotesModule, QuoteWorkflow } from './quote-fixtures.js'

const files = useNestSuite()

async function finished(app: RunningApp, runId: string): Promise<unknown> {
  const run = await app.app.get(Engine).getRun(QuoteWorkflow, runId as RunId)
  return run?.result()
}

describe('WeftModule.forRoot', () => {
  it('starts a run from a controller; the workflow gets its Nest service and token; the run reads back over HTTP', async () => {
    const running = await files.listen({ imports: [WeftModule.forRoot({ store: sqliteStore({ path: files.path('root') }) }), QuotesModule] })
    const started = await running.request('POST', '/quotes', { sku: 'abc' })
    expect(started.status).toBe(201)
    expect(await finished(running, started.body.runId)).toBe(30)
    const read = await running.request('GET', `/quotes/${started.body.runId}`)
    expect(read.body).toMatchObject({ id: started.body.runId, workflow: 'nest-quote', status: 'completed', outputs: { price: 30 } } satisfies Partial<RunView>)
  })

  it('builds a fresh workflow instance for every run, with the same singleton service', async () => {
    const running = await files.listen({ imports: [WeftModule.forRoot({ store: sqliteStore({ path: files.path('fresh') }) }), QuotesModule] })
    const first = await running.request('POST', '/quotes', { sku: 'a' })
    await finished(running, first.body.runId)
    const second = await running.request('POST', '/quotes', { sku: 'bb' })
    await finished(running, second.body.runId)
    // The list is one useValue shared by every application of QuotesModule: this test's runs wrote its last two lines.
    const log = running.app.get<string[]>(QuoteLog).slice(-2)
    expect(log.map((line) => line.split(' priced ')[1])).toEqual(['a', 'bb'])
    const instances = log.map((line) => /^instance (\d+)/.exec(line)![1])
    expect(new Set(instances).size).toBe(2)
    expect(running.app.get(PriceBook).calls).toBe(2)
  })

  it('an API process starts runs it never executes (still pending after a while), and needs none of the workflows\' dependencies', async () => {
    @Module({ imports: [WeftModule.forFeature([QuoteWorkflow])], controllers: [QuotesController] })
    class ApiOnlyQuotes {}
    const running = await files.listen({ imports: [WeftModule.forRoot({ store: () => sqliteStore({ path: files.path('api') }), role: 'api', claimInterval: '20 ms' }), ApiOnlyQuotes] })
    const started = await running.request('POST', '/quotes', { sku: 'abc' })
    // Long enough for a worker polling every 20 ms to have claimed it fifteen times over: nothing may take it here.
    await new Promise((resolve) => setTimeout(resolve, 300))
    const read = await running.request('GET', `/quotes/${started.body.runId}`)
    expect(read.body).toMatchObject({ status: 'pending', tasks: [{ task: 'price', status: 'pending', attempts: 0 }] })
  })
})

describe('property injection', () => {
  it("gives each run's instance the values Nest injects into its properties", async () => {
    @Workflow({ name: 'nest-property', version: 1 })
    class NoteWorkflow extends WorkflowBase {
      @Inject(QuoteLog) private readonly log!: string[]
      @Inject(PriceBook) private readonly prices!: PriceBook
      @Task()
      note(): number {
        this.log.push('noted')
        return this.prices.priceOf('note')
      }
    }
    @Module({ imports: [WeftModule.forFeature([NoteWorkflow])], providers: [PriceBook, { provide: QuoteLog, useValue: [] }] })
    class Notes {}
    const running = await files.listen({ imports: [WeftModule.forRoot({ store: sqliteStore({ path: files.path('property') }) }), Notes] })
    const run = await running.app.get(Engine).start(NoteWorkflow)
    expect((await run.result()).output('note')).toBe(40)
    expect(running.app.get<string[]>(QuoteLog)).toEqual(['noted'])
  })
})

describe('WeftModule.forRootAsync', () => {
  it('takes its options from a factory given ConfigService', async () => {
    const path = files.path('async')
    const running = await files.listen({
      imports: [
        WeftModule.forRootAsync({
          imports: [ConfigModule.forRoot({ ignoreEnvFile: true, load: [() => ({ WEFT_DATABASE: path })] })],
          inject: [ConfigService],
          useFactory: (config: ConfigService) => ({ store: sqliteStore({ path: config.getOrThrow<string>('WEFT_DATABASE') }) }),
        }),
        QuotesModule,
      ],
    })
    const started = await running.request('POST', '/quotes', { sku: 'abcd' })
    expect(await finished(running, started.body.runId)).toBe(40)
    // The run is in the file the configuration named.
    const store = sqliteStore({ path })
    try {
      expect((await store.getRun(started.body.runId))?.status).toBe('completed')
    } finally {
      await store.close()
    }
  })
})

describe('adapters', () => {
  const catalog = emptyJsonServer()

  it('are Nest providers under their tokens, the same instances the engine registered', async () => {
    @Injectable()
    class CatalogUser {
      constructor(@Inject('Catalog') readonly catalog: HttpAdapter) {}
    }
    @Module({ providers: [CatalogUser] })
    class CatalogModule {}
    const adapter = new HttpAdapter({ name: 'catalog', baseUrl: catalog.url() })
    const running = await files.listen({ imports: [WeftModule.forRoot({ store: sqliteStore({ path: files.path('adapters') }), adapters: [{ token: 'Catalog', adapter }] }), CatalogModule] })
    expect(running.app.get(CatalogUser).catalog).toBe(adapter)
    expect(running.app.get(Engine).adapters.get('catalog')).toBe(adapter)
  })

  it('are each reported by the health indicator, down when their server does not answer', async () => {
    const gone = createServer().listen(0, '127.0.0.1')
    await new Promise((resolve) => gone.once('listening', resolve))
    const goneUrl = `http://127.0.0.1:${(gone.address() as AddressInfo).port}`
    await new Promise<void>((resolve) => gone.close(() => resolve()))
    const adapters = [new HttpAdapter({ name: 'catalog', baseUrl: catalog.url() }), new HttpAdapter({ name: 'search', baseUrl: goneUrl })]
    const running = await files.listen({ imports: [WeftModule.forRoot({ store: sqliteStore({ path: files.path('health') }), adapters: adapters.map((adapter) => ({ token: adapter.name, adapter })) })] })
    const { weft } = await running.app.get(WeftHealthIndicator).isHealthy()
    expect(weft).toMatchObject({ status: 'down', store: { status: 'up' }, adapters: { catalog: { status: 'up' }, search: { status: 'down' } } })
  })

  it('forRootAsync provides the adapters adapterTokens names, and refuses a token the factory does not register', async () => {
    const adapter = new HttpAdapter({ name: 'catalog', baseUrl: catalog.url() })
    const store = sqliteStore({ path: files.path('async-adapters') })
    const running = await files.listen({ imports: [WeftModule.forRootAsync({ adapterTokens: ['Catalog'], useFactory: () => ({ store, adapters: [{ token: 'Catalog', adapter }] }) })] })
    expect(running.app.get('Catalog')).toBe(adapter)
    const refused = listen({ imports: [WeftModule.forRootAsync({ adapterTokens: ['Search'], useFactory: () => ({ store: sqliteStore({ path: files.path('no-search') }) }) })] })
    await expect(refused).rejects.toThrow(/adapterTokens names "Search", but the options register no adapter under it/)
  })
})

describe('a workflow Nest cannot build', () => {
  it('fails the bootstrap with InvalidWorkflowError naming the workflow, the missing token and the module', async () => {
    @Module({ imports: [WeftModule.forFeature([QuoteWorkflow])], providers: [PriceBook] })
    class QuotesWithoutLog {}
    const booting = listen({ imports: [WeftModule.forRoot({ store: sqliteStore({ path: files.path('missing') }) }), QuotesWithoutLog] })
    const error = await booting.catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(InvalidWorkflowError)
    expect((error as InvalidWorkflowError).code).toBe('WEFT_INVALID_WORKFLOW')
    expect((error as Error).message).toMatch(/^workflow QuoteWorkflow \(declared in QuotesWithoutLog\) cannot be built by Nest: .*QuoteLog.*QuotesWithoutLog/)
  })

  it('refuses a request-scoped dependency at bootstrap, naming the workflow and the token', async () => {
    @Module({ imports: [WeftModule.forFeature([QuoteWorkflow])], providers: [PriceBook, { provide: QuoteLog, useFactory: () => [], scope: Scope.REQUEST }] })
    class QuotesPerRequest {}
    const booting = listen({ imports: [WeftModule.forRoot({ store: sqliteStore({ path: files.path('request') }) }), QuotesPerRequest] })
    const error = await booting.catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(InvalidWorkflowError)
    expect((error as Error).message).toBe(
      'workflow QuoteWorkflow: parameter 2 of its constructor asks for "QuoteLog", which is request-scoped (or depends on a request-scoped provider); ' +
        "a run outlives the request that started it and may run in another process: inject a default-scoped provider and pass what the request knows in the run's input",
    )
  })
})
