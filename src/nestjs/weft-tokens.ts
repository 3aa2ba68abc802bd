import { Inject } from '@nestjs/common'
import { Engine } from '../index.js'

/** The module's options, as `forRoot` was given them or `forRootAsync`'s factory made them. */
export const weftOptionsToken = Symbol('weft:module-options')

/** The store the module's engine records runs in (the options' `store`, else a SQLite file). */
export const weftStoreToken = Symbol('weft:store')

/**
 * Injects the module's {@link Engine} (the `Engine` class is its token too:
 * a constructor parameter typed `Engine` needs no decorator when decorator
 * metadata is emitted).
 *
 * @example
 * ```ts
 * import { Injectable } from '@nestjs/common'
 * import type { Engine } from 'weft-sdk'
 * import { InjectEngine } from 'weft-sdk/nestjs'
 *
 * @Injectable()
 * export class Reports {
 *   constructor(@InjectEngine() private readonly engine: Engine) {}
 *   failedRuns() {
 *     return this.engine.listRuns({ status: 'failed' })
 *   }
 * }
 * ```
 */
export function InjectEngine(): PropertyDecorator & ParameterDecorator {
  return Inject(Engine)
}
