import { Inject, Injectable } from '@nestjs/common'
import { describeCause, Engine, type AdapterState } from '../index.js'
import type { WorkflowStore } from '../store.js'
import { weftStoreToken } from './weft-tokens.js'

/** How long the store may take to answer the health check before it counts as down. */
const storeLimitMs = 5_000

/**
 * What {@link WeftHealthIndicator.isHealthy} reports under its key, in the
 * shape `@nestjs/terminus` reads (`status` up, degraded or down) with the
 * store's and each adapter's state.
 *
 * @example
 * ```ts
 * import type { WeftHealth } from 'weft-sdk/nestjs'
 * const health: WeftHealth = { status: 'up', store: { status: 'up', latencyMs: 1.2 }, adapters: {} }
 * ```
 */
export interface WeftHealth {
  /** `down` if the store or an adapter is down, else `degraded` if an adapter is, else `up`. */
  readonly status: AdapterState
  /** The store: whether it answered a read, how fast, and the error when it did not. */
  readonly store: {
    /** `down` when the read failed or took over 5 s. */
    readonly status: 'up' | 'down'
    /** How long the read took, in milliseconds. */
    readonly latencyMs: number
    /** Why it is down. */
    readonly error?: string
  }
  /** Each registered adapter by name: its state, latency, and detail when not up. */
  readonly adapters: Readonly<
    Record<
      string,
      {
        /** The adapter's state (its `health()`). */
        readonly status: AdapterState
        /** How long its check took, in milliseconds. */
        readonly latencyMs: number
        /** What its check said, when it said something. */
        readonly detail?: string
      }
    >
  >
}

/**
 * A health indicator for `@nestjs/terminus`: the store (a read, within 5 s)
 * and every adapter of the engine (`engine.health()`). Terminus's
 * `HealthCheckService.check` answers 503 when it reports `down`.
 *
 * @example
 * ```ts
 * import { Controller, Get } from '@nestjs/common'
 * import { HealthCheck, HealthCheckService } from '@nestjs/terminus'
 * import { WeftHealthIndicator } from 'weft-sdk/nestjs'
 *
 * @Controller('health')
 * export class HealthController {
 *   constructor(private readonly health: HealthCheckService, private readonly weft: WeftHealthIndicator) {}
 *   @Get()
 *   @HealthCheck()
 *   check() {
 *     return this.health.check([() => this.weft.isHealthy('weft')])
 *   }
 * }
 * ```
 */
@Injectable()
export class WeftHealthIndicator {
  constructor(
    private readonly engine: Engine,
    @Inject(weftStoreToken) private readonly store: WorkflowStore,
  ) {}

  /** Checks the store and the adapters; the result is keyed by `key` as terminus expects. */
  async isHealthy<K extends string = 'weft'>(key: K = 'weft' as K): Promise<Record<K, WeftHealth>> {
    const [store, engine] = await Promise.all([this.checkStore(), this.engine.health()])
    const adapters: Record<string, WeftHealth['adapters'][string]> = {}
    for (const { name, state, latencyMs, detail } of engine.adapters) adapters[name] = { status: state, latencyMs, ...(detail === undefined ? {} : { detail }) }
    const status: AdapterState = store.status === 'down' ? 'down' : engine.state
    return { [key]: { status, store, adapters } } as Record<K, WeftHealth>
  }

  private async checkStore(): Promise<WeftHealth['store']> {
    const started = performance.now()
    let timer: NodeJS.Timeout | undefined
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the store did not answer within ${storeLimitMs} ms`)), storeLimitMs)
    })
    try {
      await Promise.race([this.store.latestEventId(), limit])
      return { status: 'up', latencyMs: performance.now() - started }
    } catch (error) {
      return { status: 'down', latencyMs: performance.now() - started, error: describeCause(error) }
    } finally {
      clearTimeout(timer)
    }
  }
}
