import { Injectable, Module, type OnModuleDestroy } from '@nestjs/common'
import { ModuleRef, ModulesContainer } from '@nestjs/core'
import { WeftLifecycle } from './weft-lifecycle.js'

/** The part of a Nest module (`@nestjs/core`'s `Module`, not exported by name) this file changes. */
interface OrderedModule {
  readonly metatype: unknown
  distance: number
}

/**
 * Drains the engine from the first `onModuleDestroy` Nest calls, before any
 * provider of the application is destroyed. Nest calls the hook module by
 * module in ascending `distance` (the root module is 1, what it imports
 * deeper, global modules last), and sorts the modules once, when the
 * application initializes: built before that, this provider puts its module
 * at distance -1, first of all to be destroyed (and last to be initialized,
 * which it does not need). Without it, Nest would destroy the services a
 * running task uses (a connection closed in `onModuleDestroy`) before
 * `beforeApplicationShutdown`, where a drain could start otherwise.
 */
@Injectable()
class DrainFirst implements OnModuleDestroy {
  constructor(private readonly moduleRef: ModuleRef) {}

  onModuleDestroy(): Promise<void> {
    return this.moduleRef.get(WeftLifecycle, { strict: false }).drain()
  }
}

/** Puts the module holding {@link DrainFirst} before every other one in Nest's destroy order. */
function drainFirst(modules: ModulesContainer, moduleRef: ModuleRef): DrainFirst {
  for (const node of modules.values() as unknown as Iterable<OrderedModule>) {
    if (node.metatype === DrainFirstModule) node.distance = -1
  }
  return new DrainFirst(moduleRef)
}

/** Imported by `WeftModule`: holds {@link DrainFirst}, alone in its module so that only its order changes. */
@Module({ providers: [{ provide: DrainFirst, useFactory: drainFirst, inject: [ModulesContainer, ModuleRef] }] })
export class DrainFirstModule {}
