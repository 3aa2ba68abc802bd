import type { AdapterRegistration, AnyWorkflow, Engine, EngineConfig, WorkflowResolver } from '../index.js'

/** Marks a value made by {@link defineWorkerConfig} (a global symbol: it survives two copies of the package). */
const workerConfigBrand = Symbol.for('weft-sdk/worker-config')

/**
 * The engine's tsyringe container, as `register` receives it.
 *
 * @example
 * ```ts
 * import { token } from 'weft-sdk'
 * import type { WorkerContainer } from 'weft-sdk/cli'
 * const Region = token<string>('Region')
 * function registerServices(container: WorkerContainer): void {
 *   container.register(Region, { useValue: 'eu-west' })
 * }
 * ```
 */
export type WorkerContainer = Engine['container']

/**
 * Engine settings a worker module may choose (the command line chooses the store, and `--max-tasks` wins over `maxConcurrentTasks`).
 *
 * @example
 * ```ts
 * import type { WorkerEngineOptions } from 'weft-sdk/cli'
 * const settings: WorkerEngineOptions = { maxConcurrentTasks: 8, leaseDuration: '30 s' }
 * ```
 */
export type WorkerEngineOptions = Pick<
  EngineConfig,
  'maxConcurrentTasks' | 'maxConcurrentTasksPerRun' | 'leaseDuration' | 'heartbeatInterval' | 'claimInterval' | 'maxRecoveryAttempts' | 'pollInterval' | 'policyState'
>

/**
 * The part of a worker configuration every form has.
 *
 * @example
 * ```ts
 * import { defineWorkflow, HttpAdapter } from 'weft-sdk'
 * import type { WorkerConfigBase } from 'weft-sdk/cli'
 * const Hello = defineWorkflow({ name: 'hello', version: 1 }).task('say', () => 'hi').build()
 * const base: WorkerConfigBase = { workflows: [Hello], adapters: [new HttpAdapter({ name: 'search', baseUrl: 'http://127.0.0.1:8081' })], maxConcurrentTasksPerRun: 2 }
 * ```
 */
export interface WorkerConfigBase extends WorkerEngineOptions {
  /** The workflows the worker runs (@Workflow classes and `defineWorkflow(...).build()` definitions); at least one. */
  readonly workflows: readonly AnyWorkflow[]
  /**
   * Adapters registered on the worker engine (as `createEngine({ adapters })`
   * does: alone under its class, or `{ token, adapter }`), before its
   * workflows are checked. The engine reports their health (`weft status
   * --module` checks them too) and closes them when the worker stops.
   * Adapters of several modules add up; each needs a name of its own.
   * @defaultValue none
   */
  readonly adapters?: readonly AdapterRegistration[]
}

/**
 * A worker resolving through tsyringe: the worker engine's child container, where `register` puts adapters and services.
 *
 * @example
 * ```ts
 * import { defineWorkflow, token } from 'weft-sdk'
 * import { defineWorkerConfig, type TsyringeWorkerConfig } from 'weft-sdk/cli'
 * const Region = token<string>('Region')
 * const Hello = defineWorkflow({ name: 'hello', version: 1 }).task('say', () => 'hi').build()
 * const config: TsyringeWorkerConfig = { workflows: [Hello], register: (container) => void container.register(Region, { useValue: 'eu-west' }) }
 * export const weft = defineWorkerConfig(config)
 * ```
 */
export interface TsyringeWorkerConfig extends WorkerConfigBase {
  /**
   * The container the worker engine's child container is created from.
   * @defaultValue tsyringe's root container
   */
  readonly container?: WorkerContainer
  /**
   * Registers services on the worker engine's own container (adapters go in
   * `adapters`, where `engine.health()` and `weft status` see them),
   * before its workflows are registered (and their dependencies checked).
   * @defaultValue nothing is registered
   */
  readonly register?: (container: WorkerContainer) => void | Promise<void>
  /** Not with `container` or `register`. */
  readonly resolver?: undefined
}

/**
 * A worker resolving through another implementation of the resolver port.
 *
 * @example
 * ```ts
 * import { defineWorkflow, type WorkflowResolver } from 'weft-sdk'
 * import { defineWorkerConfig } from 'weft-sdk/cli'
 * declare const resolver: WorkflowResolver // your container behind Weft's resolver port
 * const Hello = defineWorkflow({ name: 'hello', version: 1 }).task('say', () => 'hi').build()
 * export const weft = defineWorkerConfig({ workflows: [Hello], resolver })
 * ```
 */
export interface ResolverWorkerConfig extends WorkerConfigBase {
  /** How workflow instances and their dependencies are resolved (see `createEngine({ resolver })`). */
  readonly resolver: WorkflowResolver
  /** Not with `resolver`: register in the resolver's own container. */
  readonly container?: undefined
  /** Not with `resolver`: register in the resolver's own container. */
  readonly register?: undefined
}

/**
 * What a module passed to `weft worker --module` exports (as `weft` or as its default export) to configure the worker's engine.
 *
 * @example
 * ```ts
 * import { defineWorkflow } from 'weft-sdk'
 * import type { WorkerConfig } from 'weft-sdk/cli'
 * const Hello = defineWorkflow({ name: 'hello', version: 1 }).task('say', () => 'hi').build()
 * const config: WorkerConfig = { workflows: [Hello], maxConcurrentTasks: 4 }
 * export default config // `weft worker --module dist/worker.js` reads it
 * ```
 */
export type WorkerConfig = TsyringeWorkerConfig | ResolverWorkerConfig

/**
 * Types the configuration a worker module exports, so that `weft worker
 * --module` registers its adapters and services on the worker's own engine
 * instead of tsyringe's root container. Export it as `weft` or as the
 * module's default export; the worker then runs the workflows it lists.
 *
 * @example
 * ```ts
 * import { defineWorkflow, token } from 'weft-sdk'
 * import { defineWorkerConfig } from 'weft-sdk/cli'
 *
 * interface Mailer { send(to: string): Promise<void> }
 * const MailerToken = token<Mailer>('Mailer')
 * const Welcome = defineWorkflow<{ email: string }>({ name: 'welcome', version: 1 })
 *   .services({ mailer: MailerToken })
 *   .task('send', (input, ctx) => ctx.services.mailer.send(input.email))
 *   .build()
 *
 * export const weft = defineWorkerConfig({
 *   workflows: [Welcome],
 *   register(container) {
 *     container.register(MailerToken, { useValue: { send: async () => undefined } })
 *   },
 * })
 * ```
 */
export function defineWorkerConfig(config: WorkerConfig): WorkerConfig {
  return Object.defineProperty({ ...config }, workerConfigBrand, { value: true, enumerable: false })
}

/** Whether a module's export is a worker configuration: made by {@link defineWorkerConfig}, or a plain object with a `workflows` array. */
export function isWorkerConfig(value: unknown): value is WorkerConfig {
  if (typeof value !== 'object' || value === null) return false
  if ((value as Record<symbol, unknown>)[workerConfigBrand] === true) return true
  return Array.isArray((value as { workflows?: unknown }).workflows) && !('graph' in value)
}
