import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common'
import { ModuleRef, ModulesContainer } from '@nestjs/core'
import { Engine, InvalidWorkflowError, type AnyWorkflow, type WorkflowDefinition } from '../index.js'
import type { WorkflowStore } from '../store.js'
import { declaredWorkflows } from './declared-workflows.js'
import { markClosed } from './module-resources.js'
import { NestWorkflowResolver } from './nest-workflow-resolver.js'
import type { WeftModuleOptions } from './weft-module-options.js'
import { weftOptionsToken, weftStoreToken } from './weft-tokens.js'
import { resolveConstruction, scopedServiceProblem, tokenName } from './workflow-construction.js'

/** Where the engine is in the application's life: one phase, its moves checked by the hooks below. */
type Phase = 'created' | 'resolved' | 'running' | 'closing' | 'closed'

/**
 * The engine's life inside the application: at module init, Nest resolves
 * what each declared workflow needs (a worker only: an API process never
 * builds one); at bootstrap the workflows are registered, which starts the
 * worker claiming their runs; on shutdown the engine drains and closes its
 * adapters, then the store is closed. A failed bootstrap closes them too.
 *
 * The drain runs from the first `onModuleDestroy` hook Nest calls (the
 * module's own, ordered before every other module's), so tasks in flight
 * finish while the services they use are still open. {@link drain} starts it
 * by hand, for an application that tears its providers down some other way.
 *
 * @example
 * ```ts
 * import { NestFactory } from '@nestjs/core'
 * import { WeftLifecycle } from 'weft-sdk/nestjs'
 * declare const AppModule: new () => object
 *
 * const app = await NestFactory.createApplicationContext(AppModule)
 * // ... later, before closing what the workflows' tasks use by other means:
 * await app.get(WeftLifecycle).drain()
 * await app.close()
 * ```
 */
@Injectable()
export class WeftLifecycle implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown {
  private phase: Phase = 'created'
  private workflows: AnyWorkflow[] = []
  private draining: Promise<void> | undefined
  private closing: Promise<void> | undefined

  constructor(
    private readonly modules: ModulesContainer,
    private readonly moduleRef: ModuleRef,
    private readonly resolver: NestWorkflowResolver,
    private readonly engine: Engine,
    @Inject(weftStoreToken) private readonly store: WorkflowStore,
    @Inject(weftOptionsToken) private readonly options: WeftModuleOptions,
  ) {}

  /** Nest's hook: finds the declared workflows and (a worker) has Nest resolve what each class needs, refusing what no run can be given. */
  async onModuleInit(): Promise<void> {
    await this.closingOnFailure(async () => {
      const { homes, all } = declaredWorkflows(this.modules)
      this.workflows = all
      if ((this.options.role ?? 'worker') === 'worker') {
        for (const home of homes) this.resolver.addWorkflow(home.workflow, await resolveConstruction(home.workflow, home.moduleRef, home.moduleName))
        for (const workflow of all) if (typeof workflow === 'object') this.assertDefaultScopedServices(workflow)
      }
      this.phase = 'resolved'
    })
  }

  /** Nest's hook: registers the workflows with the engine, which (a worker) starts claiming their runs. */
  async onApplicationBootstrap(): Promise<void> {
    if (this.phase !== 'resolved') return
    await this.closingOnFailure(async () => {
      this.engine.register(...this.workflows)
      await this.engine.ready
      this.phase = 'running'
    })
  }

  /**
   * Stops claiming runs, lets running tasks finish within the module's
   * `drain` time, releases the rest to other workers and closes the engine
   * and its adapters; the store stays open until the application shuts down.
   * Nest calls it first on `app.close()`; calling it again, or after, waits
   * for the same drain.
   */
  drain(): Promise<void> {
    this.draining ??= this.drainEngine()
    return this.draining
  }

  /** Drains the engine if nothing did yet, then closes the store (unless `closeStore: false`). */
  beforeApplicationShutdown(): Promise<void> {
    this.closing ??= this.close()
    return this.closing
  }

  private async drainEngine(): Promise<void> {
    this.phase = 'closing'
    await this.engine.close({ drain: this.options.drain ?? '10 s' })
  }

  private async close(): Promise<void> {
    try {
      await this.drain()
    } finally {
      if (this.options.closeStore !== false) await this.store.close()
      markClosed(this.options)
      this.phase = 'closed'
    }
  }

  /** A definition's services come from Nest's container for every run: only a default-scoped provider can be given. */
  private assertDefaultScopedServices(definition: WorkflowDefinition<unknown, unknown>): void {
    for (const [name, token] of Object.entries(definition.services ?? {})) {
      const problem = this.resolver.hasValue(token) ? undefined : scopedServiceProblem(token, this.moduleRef)
      if (problem !== undefined) throw new InvalidWorkflowError(`workflow "${definition.graph.name}": service "${name}" asks for ${tokenName(token)}, ${problem}`)
    }
  }

  /** Runs a bootstrap step; if it throws, the engine and the store are closed before the error reaches Nest (which calls no shutdown hook then). */
  private async closingOnFailure(step: () => Promise<void>): Promise<void> {
    try {
      await step()
    } catch (error) {
      await this.beforeApplicationShutdown().catch(() => undefined)
      throw error
    }
  }
}
