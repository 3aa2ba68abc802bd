import type { ModuleMetadata, OptionalFactoryDependency, InjectionToken } from '@nestjs/common'
import type { Adapter, AdapterRegistration, AdapterToken, AnyWorkflow, Caller, Duration, EngineConfig, PolicyStateStore } from '../index.js'
import type { WorkflowStore } from '../store.js'

/**
 * What a process does with Weft: a `worker` starts runs and executes them
 * (and those other processes start); an `api` process only starts, signals,
 * cancels and reads runs, which workers sharing its database execute.
 *
 * @example
 * ```ts
 * import type { WeftRole } from 'weft-sdk/nestjs'
 * const role: WeftRole = process.env.WEFT_ROLE === 'api' ? 'api' : 'worker'
 * ```
 */
export type WeftRole = 'worker' | 'api'

/**
 * An adapter for {@link WeftModuleOptions}' `adapters`: as the engine takes
 * it (an adapter, registered under its class, or `{ token, adapter }`), or
 * `{ token, adapter: () => adapter }` to have every application of the
 * module make its own (the engine closes its adapters when the application
 * shuts down).
 *
 * @example
 * ```ts
 * import { HttpAdapter } from 'weft-sdk'
 * import type { WeftAdapterRegistration } from 'weft-sdk/nestjs'
 * const payments: WeftAdapterRegistration = { token: 'Payments', adapter: () => new HttpAdapter({ name: 'payments', baseUrl: 'http://127.0.0.1:8080/' }) }
 * ```
 */
export type WeftAdapterRegistration =
  | AdapterRegistration
  | {
      /** The token to register the adapter under (and to provide it to Nest under). */
      readonly token: AdapterToken
      /** Makes the adapter, once per application. */
      readonly adapter: () => Adapter
    }

/**
 * How {@link WeftModule} sets up its engine: the engine's own settings
 * (`store`, `adapters`, `security`, `maxConcurrentTasks`, ...), the role of
 * the process, the drain time on shutdown, and how a request's caller is
 * found. The resolver is Nest's ({@link NestWorkflowResolver}); workflows are
 * declared with `forRoot`'s `workflows` or `forFeature`.
 *
 * The store, the adapters and the policy state may be given as factories:
 * each application of the module then makes its own and closes it when it
 * shuts down. Give factories to `forRoot` when one module makes several
 * applications (an e2e suite creating one per test): an instance given to
 * `forRoot` is made once, with the module, and closed by the first
 * application that shuts down; a later application is refused it at
 * bootstrap with `InvalidOptionsError`.
 *
 * @example
 * ```ts
 * import { sqliteStore } from 'weft-sdk'
 * import type { WeftModuleOptions } from 'weft-sdk/nestjs'
 * const options: WeftModuleOptions = { store: () => sqliteStore({ path: '.weft/app.sqlite' }), role: 'worker', drain: '20 s', maxConcurrentTasks: 16 }
 * ```
 */
export interface WeftModuleOptions extends Omit<EngineConfig, 'resolver' | 'container' | 'claimRuns' | 'workflows' | 'store' | 'adapters' | 'policyState'> {
  /**
   * Where runs and step results are recorded: a store, or a factory making
   * one per application (`() => sqliteStore({ path })`).
   * @defaultValue a SQLite file `.weft/weft.sqlite` in the working directory, made per application
   */
  readonly store?: WorkflowStore | (() => WorkflowStore)
  /**
   * Adapters registered in the engine and provided to Nest under their
   * tokens; `{ token, adapter: () => adapter }` makes one per application.
   * The engine closes them when the application shuts down.
   */
  readonly adapters?: readonly WeftAdapterRegistration[]
  /**
   * Where rate limits and circuit breakers keep their state (see the
   * engine's `policyState`), or a factory making it per application; closed
   * when the application shuts down. @defaultValue in memory, per process
   */
  readonly policyState?: PolicyStateStore | (() => PolicyStateStore)
  /**
   * `worker` executes runs (its own and those other processes start);
   * `api` only starts and reads them. @defaultValue `'worker'`
   */
  readonly role?: WeftRole
  /**
   * How long running tasks may take to finish when the application shuts
   * down (`app.close()`, or SIGTERM with `app.enableShutdownHooks()`),
   * before their runs are released to other workers. @defaultValue `'10 s'`
   */
  readonly drain?: Duration
  /**
   * Whether the module closes the store when the application shuts down,
   * after the engine (a store made by a factory, or an instance given: the
   * module takes it over). `false` leaves the store open for its owner to
   * close, and lets several applications share one instance. @defaultValue `true`
   */
  readonly closeStore?: boolean
  /**
   * Who calls, from an HTTP request: what {@link WeftCallerGuard} attaches
   * to the request for {@link WeftAccess} (a principal, a subject, or
   * credentials such as the bearer token). @defaultValue none: requests carry no caller
   */
  readonly caller?: (request: unknown) => Caller | undefined
}

/**
 * What `forRoot` and `forRootAsync` declare besides the engine's options:
 * whether the module is global, the workflows its own context builds, and
 * (for `forRootAsync`) the tokens of the adapters the factory registers, to
 * make them Nest providers too.
 *
 * @example
 * ```ts
 * import { HttpAdapter } from 'weft-sdk'
 * import type { WeftModuleDeclarations } from 'weft-sdk/nestjs'
 * const declarations: WeftModuleDeclarations = { global: true, adapterTokens: [HttpAdapter, 'Search'] }
 * ```
 */
export interface WeftModuleDeclarations {
  /**
   * Whether the module's providers (the engine, `WeftClient`, the health
   * indicator, the adapters) can be injected in every module without
   * importing it. @defaultValue `true`
   */
  readonly global?: boolean
  /**
   * Workflows built in the module's own context: their constructors may ask
   * for the adapters, global providers and (`forRootAsync`) the providers of
   * `imports`. A workflow that needs a module's providers is declared with
   * `WeftModule.forFeature` in that module.
   */
  readonly workflows?: readonly AnyWorkflow[]
  /**
   * Tokens of adapters that `useFactory` registers (`adapters: [...]`), to
   * provide them to Nest as well (with `forRoot`, every adapter's token is).
   * @defaultValue none
   */
  readonly adapterTokens?: readonly AdapterToken[]
}

/**
 * Options of `WeftModule.forRootAsync`: the module's options made by a
 * factory with injected providers (typically Nest's `ConfigService`).
 *
 * @example
 * ```ts
 * import { ConfigModule, ConfigService } from '@nestjs/config'
 * import { sqliteStore } from 'weft-sdk'
 * import type { WeftModuleAsyncOptions } from 'weft-sdk/nestjs'
 * const options: WeftModuleAsyncOptions = {
 *   imports: [ConfigModule],
 *   inject: [ConfigService],
 *   useFactory: (config: ConfigService) => ({ store: sqliteStore({ path: config.getOrThrow<string>('WEFT_DB') }) }),
 * }
 * ```
 */
export interface WeftModuleAsyncOptions extends WeftModuleDeclarations {
  /** Modules whose providers the factory injects. */
  readonly imports?: ModuleMetadata['imports']
  /** The providers passed to the factory, in order. */
  readonly inject?: readonly (InjectionToken | OptionalFactoryDependency)[]
  /** Makes the options. */
  readonly useFactory: (...args: never[]) => WeftModuleOptions | Promise<WeftModuleOptions>
}
