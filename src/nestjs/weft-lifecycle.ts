import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common'
import { ModulesContainer } from '@nestjs/core'
import { Engine, type AnyWorkflow } from '../index.js'
import type { WorkflowStore } from '../store.js'
import { declaredWorkflows } from './declared-workflows.js'
import { NestWorkflowResolver } from './nest-workflow-resolver.js'
import type { WeftModuleOptions } from './weft-module-options.js'
import { weftOptionsToken, weftStoreToken } from './weft-tokens.js'
import { resolveConstruction } from './workflow-construction.js'

/** Where the engine is in the application's life: one phase, its moves checked by the hooks below. */
type Phase = 'created' | 'resolved' | 'running' | 'closing' | 'closed'

/**
 * The engine's life inside the application: at module init, Nest resolves
 * what each declared workflow needs (a worker only: an API process never
 * builds one); at bootstrap the workflows are registered, which starts the
 * worker claiming their runs; on shutdown the engine drains and closes its
 * adapters, then the store is closed. A failed bootstrap closes them too.
 */
@Injectable()
export class WeftLifecycle implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown {
  private phase: Phase = 'created'
  private workflows: AnyWorkflow[] = []
  private closing: Promise<void> | undefined

  constructor(
    private readonly modules: ModulesContainer,
    private readonly resolver: NestWorkflowResolver,
    private readonly engine: Engine,
    @Inject(weftStoreToken) private readonly store: WorkflowStore,
    @Inject(weftOptionsToken) private readonly options: WeftModuleOptions,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.closingOnFailure(async () => {
      const { homes, all } = declaredWorkflows(this.modules)
      this.workflows = all
      if ((this.options.role ?? 'worker') === 'worker') {
        for (const home of homes) this.resolver.addWorkflow(home.workflow, await resolveConstruction(home.workflow, home.moduleRef, home.moduleName))
      }
      this.phase = 'resolved'
    })
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.phase !== 'resolved') return
    await this.closingOnFailure(async () => {
      this.engine.register(...this.workflows)
      await this.engine.ready
      this.phase = 'running'
    })
  }

  /** Drains the engine (`drain`), closes its adapters, then the store (unless `closeStore: false`). */
  beforeApplicationShutdown(): Promise<void> {
    this.closing ??= this.close()
    return this.closing
  }

  private async close(): Promise<void> {
    this.phase = 'closing'
    try {
      await this.engine.close({ drain: this.options.drain ?? '10 s' })
    } finally {
      if (this.options.closeStore !== false) await this.store.close()
      this.phase = 'closed'
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
