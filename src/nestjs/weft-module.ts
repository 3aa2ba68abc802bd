import 'reflect-metadata'
import { Module, type DynamicModule, type FactoryProvider, type Provider } from '@nestjs/common'
import { ModuleRef } from '@nestjs/core'
import { createEngine, Engine, InvalidOptionsError, isAdapter, sqliteStore, type AdapterToken, type AnyWorkflow } from '../index.js'
import type { WorkflowStore } from '../store.js'
import { DeclaredWorkflows } from './declared-workflows.js'
import { DrainFirstModule } from './drain-first-module.js'
import { adaptersOf, policyStateOf, storeOf } from './module-resources.js'
import { NestWorkflowResolver } from './nest-workflow-resolver.js'
import { WeftCallerGuard } from './weft-caller-guard.js'
import { WeftClient } from './weft-client.js'
import { WeftHealthIndicator } from './weft-health-indicator.js'
import { WeftLifecycle } from './weft-lifecycle.js'
import type { WeftAdapterRegistration, WeftModuleAsyncOptions, WeftModuleDeclarations, WeftModuleOptions } from './weft-module-options.js'
import { weftOptionsToken, weftStoreToken } from './weft-tokens.js'
import { tokenName } from './workflow-construction.js'

/** The providers every application of the module has, whatever made its options. */
const coreProviders: Provider[] = [
  { provide: NestWorkflowResolver, useFactory: (moduleRef: ModuleRef) => new NestWorkflowResolver(moduleRef), inject: [ModuleRef] },
  { provide: weftStoreToken, useFactory: (options: WeftModuleOptions) => storeOf(options) ?? sqliteStore(), inject: [weftOptionsToken] },
  { provide: Engine, useFactory: engineOf, inject: [weftOptionsToken, weftStoreToken, NestWorkflowResolver] },
  WeftClient,
  WeftHealthIndicator,
  WeftCallerGuard,
  WeftLifecycle,
]

const exportedProviders = [Engine, WeftClient, WeftHealthIndicator, WeftCallerGuard, NestWorkflowResolver, weftOptionsToken]

function engineOf(options: WeftModuleOptions, store: WorkflowStore, resolver: NestWorkflowResolver): Engine {
  const { role = 'worker', drain: _drain, closeStore: _closeStore, caller: _caller, store: _store, adapters: _adapters, policyState: _policyState, ...config } = options
  if (role !== 'worker' && role !== 'api') throw new InvalidOptionsError(`WeftModule: role must be 'worker' or 'api', got ${JSON.stringify(role)}`)
  const [adapters, policyState] = [adaptersOf(options), policyStateOf(options)]
  return createEngine({ ...config, store, resolver, claimRuns: role === 'worker', ...(adapters === undefined ? {} : { adapters }), ...(policyState === undefined ? {} : { policyState }) })
}

/** An adapter's token: the one it was registered under, else its class. */
function tokenOfRegistration(registration: WeftAdapterRegistration): AdapterToken {
  return isAdapter(registration) ? (registration.constructor as AdapterToken) : registration.token
}

/** Each adapter token as a Nest provider of the adapter the engine registered under it. */
function adapterProviders(tokens: readonly AdapterToken[]): FactoryProvider[] {
  return tokens.map((token) => ({
    provide: token,
    useFactory: (resolver: NestWorkflowResolver, _engine: Engine) => {
      if (!resolver.hasValue(token)) throw new InvalidOptionsError(`WeftModule: adapterTokens names ${tokenName(token)}, but the options register no adapter under it: add it to adapters ({ token, adapter }), or remove it from adapterTokens`)
      return resolver.resolve(token as never)
    },
    // The engine registers the adapters when it is created: it comes first.
    inject: [NestWorkflowResolver, Engine],
  }))
}

function rootModule(declarations: WeftModuleDeclarations, options: Provider, imports: DynamicModule['imports'], adapterTokens: readonly AdapterToken[]): DynamicModule {
  const adapters = adapterProviders(adapterTokens)
  return {
    module: WeftModule,
    global: declarations.global ?? true,
    imports: [DrainFirstModule, ...(imports ?? [])],
    providers: [options, ...coreProviders, ...adapters, { provide: DeclaredWorkflows, useValue: new DeclaredWorkflows(declarations.workflows ?? [], 'self') }],
    exports: [...exportedProviders, ...adapters.map((provider) => provider.provide)],
  }
}

/**
 * Weft in a NestJS application: one engine (a worker, or an API process that
 * only starts and reads runs), workflows built by Nest's injector, adapters
 * as Nest providers, the engine drained and closed with the application.
 *
 * - `forRoot(options)` / `forRootAsync({ imports, inject, useFactory })`: the
 *   engine, once, in the application's root module. Global unless
 *   `global: false`. Provides `Engine` (or {@link InjectEngine}),
 *   {@link WeftClient}, {@link WeftHealthIndicator}, {@link WeftCallerGuard}
 *   and every adapter under its token.
 * - `forFeature([workflows])`: in the module whose providers the workflows'
 *   constructors ask for (with Nest's `@Inject(token)` where the type is no class).
 *
 * A workflow class's dependencies are resolved once, at bootstrap, in the
 * module that declares it: a missing one fails the bootstrap with
 * `InvalidWorkflowError` naming the workflow, the token and the module, and
 * so does a request-scoped or transient one (a run outlives its request;
 * every run would share the transient instance), and a workflow class
 * declared in two modules. Every run gets a fresh instance. A worker
 * registers the workflows on application bootstrap and starts claiming runs
 * then. On shutdown (`app.close()`, or SIGTERM after
 * `app.enableShutdownHooks()`) the drain comes first, before Nest destroys
 * any provider (`onModuleDestroy`): running tasks get `drain` to finish with
 * the services they use still open, the rest are released to other workers,
 * the adapters are closed; the store is closed in `beforeApplicationShutdown`.
 * Start runs from `onApplicationBootstrap` on (or from requests), not from
 * another provider's `onModuleInit`: the workflows are resolved during
 * module init. Give the store and adapters as factories
 * (`store: () => sqliteStore(...)`) when one module makes several
 * applications, as e2e tests do.
 *
 * @example
 * ```ts
 * import { Injectable, Module } from '@nestjs/common'
 * import { Task, Workflow, WorkflowBase, sqliteStore } from 'weft-sdk'
 * import { WeftModule } from 'weft-sdk/nestjs'
 *
 * @Injectable()
 * export class Prices {
 *   of(sku: string): number {
 *     return sku.length * 10
 *   }
 * }
 *
 * @Workflow({ name: 'quote', version: 1 })
 * export class Quote extends WorkflowBase<{ sku: string }> {
 *   constructor(private readonly prices: Prices) {
 *     super()
 *   }
 *   @Task()
 *   price(input: { sku: string }): number {
 *     return this.prices.of(input.sku)
 *   }
 * }
 *
 * @Module({ imports: [WeftModule.forFeature([Quote])], providers: [Prices] })
 * export class QuotesModule {}
 *
 * @Module({ imports: [WeftModule.forRoot({ store: () => sqliteStore({ path: '.weft/app.sqlite' }) }), QuotesModule] })
 * export class AppModule {}
 * ```
 */
@Module({})
export class WeftModule {
  /**
   * The engine, configured with `options`. Every adapter in `options.adapters`
   * is also a Nest provider under its token (its class, or `{ token }`).
   * @throws `InvalidOptionsError` at bootstrap for bad engine options.
   */
  static forRoot(options: WeftModuleOptions & WeftModuleDeclarations = {}): DynamicModule {
    const { global, workflows, adapterTokens, ...engine } = options
    const tokens = [...(engine.adapters ?? []).map(tokenOfRegistration), ...(adapterTokens ?? [])]
    // A factory, not useValue: Nest hashes a dynamic module's values to identify it, and a store is large to hash.
    return rootModule({ global, workflows }, { provide: weftOptionsToken, useFactory: () => engine }, [], [...new Set(tokens)])
  }

  /**
   * The engine, configured by `useFactory` (given the providers `inject`
   * names, from `imports`: typically `ConfigService`). The adapters the
   * factory registers are Nest providers only if `adapterTokens` names them.
   * @throws `InvalidOptionsError` at bootstrap for bad engine options, or an adapter token the factory does not register.
   */
  static forRootAsync(options: WeftModuleAsyncOptions): DynamicModule {
    const factory: FactoryProvider = { provide: weftOptionsToken, useFactory: options.useFactory as (...args: unknown[]) => unknown, inject: [...(options.inject ?? [])] }
    return rootModule(options, factory, options.imports, options.adapterTokens ?? [])
  }

  /**
   * Declares workflows built in the context of the importing module: their
   * constructors get its providers, what it imports, the global providers
   * and the adapters. Import it in that module.
   */
  static forFeature(workflows: readonly AnyWorkflow[]): DynamicModule {
    if (workflows.length === 0) throw new InvalidOptionsError('WeftModule.forFeature needs at least one workflow: forFeature([OrderWorkflow])')
    return { module: WeftFeatureModule, providers: [{ provide: DeclaredWorkflows, useValue: new DeclaredWorkflows(workflows, 'importer') }] }
  }
}

/** The module `WeftModule.forFeature` returns: it holds the declared workflows for the root module to find. */
@Module({})
export class WeftFeatureModule {}
