/**
 * One AppModule, several applications (as e2e suites make one per test): with
 * the store and adapters given as factories each application makes its own
 * and closes it; an instance given to forRoot, closed by the first
 * application, is refused to the next one with the fix. And `global: false`:
 * only modules importing the Weft module can inject its providers.
 */
import { Injectable, Module } from '@nestjs/common'
import { Test } from '@nestjs/testing'
import { afterAll, describe, expect, it } from 'vitest'
import { Engine, HttpAdapter, InvalidOptionsError, sqliteStore } from 'weft-sdk'
import { WeftClient, WeftModule } from 'weft-sdk/nestjs'
import { emptyJsonServer, sqliteFolder } from './nest-app.js'
import { QuotesModule, QuoteWorkflow } from './quote-fixtures.js'

const files = sqliteFolder()
const catalog = emptyJsonServer()
afterAll(() => files.remove())

/** Creates an application of `module` (as an e2e test does), runs one quote, and closes it. */
async function quoteOnce(module: new () => object, sku: string) {
  const moduleRef = await Test.createTestingModule({ imports: [module] }).compile()
  const app = moduleRef.createNestApplication({ logger: false })
  await app.init()
  try {
    const run = await app.get(WeftClient).start(QuoteWorkflow, { sku })
    return { price: await run.result(), adapter: app.get(Engine).adapters.get('catalog'), engine: app.get(Engine) }
  } finally {
    await app.close()
  }
}

describe('one module, several applications', () => {
  it('with factories, each application makes its own store and adapters and closes them: create, close, create again', async () => {
    const path = files.path('factories')
    @Module({
      imports: [
        WeftModule.forRoot({ store: () => sqliteStore({ path }), adapters: [{ token: 'Catalog', adapter: () => new HttpAdapter({ name: 'catalog', baseUrl: catalog.url() }) }] }),
        QuotesModule,
      ],
    })
    class AppModule {}
    const first = await quoteOnce(AppModule, 'ab')
    const second = await quoteOnce(AppModule, 'abc')
    expect([first.price, second.price]).toEqual([20, 30])
    expect(second.adapter).not.toBe(first.adapter)
    expect(second.engine).not.toBe(first.engine)
  })

  it('refuses an instance given to forRoot once an earlier application closed it, naming the fix', async () => {
    @Module({ imports: [WeftModule.forRoot({ store: sqliteStore({ path: files.path('instance') }) }), QuotesModule] })
    class AppModule {}
    expect((await quoteOnce(AppModule, 'ab')).price).toBe(20)
    const second = await quoteOnce(AppModule, 'abc').catch((caught: unknown) => caught)
    expect(second).toBeInstanceOf(InvalidOptionsError)
    expect((second as Error).message).toBe(
      'WeftModule: the store given to forRoot was closed when an earlier application of this module shut down; give a factory so that each application makes its own: ' +
        'store: () => sqliteStore({ path }) (or () => postgresStore({ connectionString })), or closeStore: false to close the store yourself',
    )
  })

  it('refuses a closed adapter instance the same way', async () => {
    const adapter = new HttpAdapter({ name: 'catalog', baseUrl: catalog.url() })
    @Module({ imports: [WeftModule.forRoot({ store: () => sqliteStore({ path: files.path('adapter') }), adapters: [{ token: 'Catalog', adapter }] }), QuotesModule] })
    class AppModule {}
    expect((await quoteOnce(AppModule, 'ab')).adapter).toBe(adapter)
    await expect(quoteOnce(AppModule, 'abc')).rejects.toThrow(/^WeftModule: the adapter given to forRoot was closed .*\{ token, adapter: \(\) => new HttpAdapter\(\{ \.\.\. \}\) \}$/)
  })

  it('shares one store instance between applications with closeStore: false, and leaves it open', async () => {
    const store = sqliteStore({ path: files.path('shared') })
    @Module({ imports: [WeftModule.forRoot({ store, closeStore: false }), QuotesModule] })
    class AppModule {}
    expect((await quoteOnce(AppModule, 'ab')).price).toBe(20)
    expect((await quoteOnce(AppModule, 'abc')).price).toBe(30)
    expect((await store.listRuns({})).length).toBe(2)
    await store.close()
  })
})

describe('WeftModule with global: false', () => {
  @Injectable()
  class Reports {
    constructor(readonly engine: Engine) {}
  }

  it('is injectable only in modules that import it: a feature module that does not cannot ask for the Engine', async () => {
    @Module({ providers: [Reports] })
    class ReportsModule {}
    const compiling = Test.createTestingModule({ imports: [WeftModule.forRoot({ store: () => sqliteStore({ path: files.path('local') }), global: false }), ReportsModule] }).compile()
    await expect(compiling).rejects.toThrow(/Nest can't resolve dependencies of the Reports \(\?\)[\s\S]*ReportsModule/)
  })

  it('gives modules that import the same forRoot module its one engine', async () => {
    const weft = WeftModule.forRoot({ store: () => sqliteStore({ path: files.path('imported') }), global: false })
    @Module({ imports: [weft], providers: [Reports] })
    class ReportsModule {}
    const moduleRef = await Test.createTestingModule({ imports: [weft, ReportsModule] }).compile()
    const app = moduleRef.createNestApplication({ logger: false })
    await app.init()
    try {
      expect(app.get(Reports).engine).toBe(app.get(Engine))
    } finally {
      await app.close()
    }
  })
})
