import type { PolicyStateStore } from '../resilience/policy-services.js'
import { InvalidOptionsError } from '../core/errors.js'
import { isAdapter, type Adapter, type AdapterHealth, type AdapterState } from '../integration/adapter.js'
import type { AdapterEvent } from '../runtime/run-events.js'
import type { WorkflowResolver } from './workflow-resolver.js'

/**
 * What an adapter is registered under in the engine's container: a class
 * (constructor injection by type), a string or a symbol (`@inject(token)`).
 *
 * @example
 * ```ts
 * import { createEngine, HttpAdapter, type AdapterToken } from 'weft-sdk'
 * const Search: AdapterToken = Symbol('Search')
 * const engine = createEngine()
 * engine.adapters.register(Search, new HttpAdapter({ name: 'search', baseUrl: 'http://127.0.0.1:8081' }))
 * // in a workflow class: constructor(@inject(Search) private readonly search: HttpAdapter) {}
 * ```
 */
export type AdapterToken = string | symbol | (abstract new (...args: never[]) => unknown)

/**
 * An adapter to register (`createEngine({ adapters })`): alone, under its own
 * class, or with the token to register it under (for two adapters of the same
 * class, or injection by `@inject(token)`).
 *
 * @example
 * ```ts
 * import { createEngine, HttpAdapter, type AdapterRegistration } from 'weft-sdk'
 * const adapters: AdapterRegistration[] = [
 *   new HttpAdapter({ name: 'payments', baseUrl: 'http://127.0.0.1:8080' }),
 *   { token: 'Search', adapter: new HttpAdapter({ name: 'search', baseUrl: 'http://127.0.0.1:8081' }) },
 * ]
 * const engine = createEngine({ adapters })
 * ```
 */
export type AdapterRegistration =
  | Adapter
  | {
      /** The token to register the adapter under (what `@inject(token)` names). */
      readonly token: AdapterToken
      /** The adapter, one instance shared by every run of the engine. */
      readonly adapter: Adapter
    }

/**
 * One adapter's health in {@link EngineHealth}: its {@link AdapterHealth}
 * with its name and kind.
 *
 * @example
 * ```ts
 * import type { AdapterReport } from 'weft-sdk'
 * const line = (report: AdapterReport) => `${report.name} (${report.kind}): ${report.state} in ${report.latencyMs.toFixed(0)} ms${report.detail === undefined ? '' : ` - ${report.detail}`}`
 * ```
 */
export interface AdapterReport extends AdapterHealth {
  /** The adapter's name. */
  readonly name: string
  /** Its kind. */
  readonly kind: string
}

/**
 * What `engine.health()` reports: every adapter's health and the worst of
 * them.
 *
 * @example
 * ```ts
 * import { createEngine, type EngineHealth } from 'weft-sdk'
 * const health: EngineHealth = await createEngine().health()
 * if (health.state !== 'up') console.error(health.adapters.filter((adapter) => adapter.state !== 'up'))
 * ```
 */
export interface EngineHealth {
  /** `down` if an adapter is down, else `degraded` if one is degraded, else `up` (also with no adapter). */
  readonly state: AdapterState
  /** When it was checked (epoch milliseconds). */
  readonly checkedAt: number
  /** Each adapter, in registration order. */
  readonly adapters: readonly AdapterReport[]
}

/** How long the engine waits for an adapter's own `health()` before calling it down. */
const healthLimitMs = 10_000

/**
 * An engine's adapters: registered in its container (one instance per
 * engine, under a class or a token), their events forwarded to the engine's
 * listeners, their health reported and their connections closed with the
 * engine. `engine.adapters`.
 *
 * @example
 * ```ts
 * import { createEngine, HttpAdapter } from 'weft-sdk'
 * const engine = createEngine({ adapters: [new HttpAdapter({ name: 'payments', baseUrl: 'http://127.0.0.1:8080' })] })
 * engine.adapters.register('Search', new HttpAdapter({ name: 'search', baseUrl: 'http://127.0.0.1:8081' }))
 * engine.adapters.get('search')?.kind // 'http'
 * ```
 */
export class AdapterRegistry {
  private readonly byName = new Map<string, Adapter>()
  private readonly tokens = new Map<unknown, string>()
  private readonly unsubscribes: (() => void)[] = []

  /** @internal */
  constructor(
    private readonly resolver: WorkflowResolver,
    private readonly forward: (event: AdapterEvent) => void,
    private readonly policyState: PolicyStateStore | undefined,
  ) {}

  /**
   * Registers an adapter under its own class (for constructor injection by
   * type), or under `token`. Names and tokens must be unique.
   * @throws `InvalidOptionsError` for a second adapter of the same name or token, a value that is not an adapter, or a resolver that cannot register values.
   */
  register(adapter: Adapter): this
  register(token: AdapterToken, adapter: Adapter): this
  register(tokenOrAdapter: AdapterToken | Adapter, maybeAdapter?: Adapter): this {
    const adapter = maybeAdapter ?? tokenOrAdapter
    if (!isAdapter(adapter)) throw new InvalidOptionsError(`engine.adapters.register: ${describe(adapter)} is not an adapter (it needs name, kind, health(), stats() and close())`)
    const token = maybeAdapter === undefined ? (adapter.constructor as AdapterToken) : (tokenOrAdapter as AdapterToken)
    this.assertNew(adapter, token)
    if (this.resolver.registerValue === undefined) {
      throw new InvalidOptionsError(`adapter "${adapter.name}": this engine's resolver cannot register values; register the adapter in its container yourself and pass it to createEngine({ adapters }) only with the default resolver`)
    }
    if (this.policyState !== undefined) adapter.usePolicyState?.(this.policyState)
    this.resolver.registerValue(token, adapter)
    this.byName.set(adapter.name, adapter)
    this.tokens.set(token, adapter.name)
    if (adapter.observe !== undefined) this.unsubscribes.push(adapter.observe(this.forward))
    return this
  }

  /** Registers each of `registrations`. */
  registerAll(registrations: readonly AdapterRegistration[]): this {
    for (const registration of registrations) {
      if (isAdapter(registration)) this.register(registration)
      else this.register(registration.token, registration.adapter)
    }
    return this
  }

  /** The adapter of this name, if registered. */
  get(name: string): Adapter | undefined {
    return this.byName.get(name)
  }

  /** Every registered adapter, in registration order. */
  list(): readonly Adapter[] {
    return [...this.byName.values()]
  }

  /** Every adapter's health, checked at once (each within its own timeout, and at most 10 s). */
  async health(now: number): Promise<EngineHealth> {
    const adapters = await Promise.all(this.list().map((adapter) => reportOf(adapter)))
    const state: AdapterState = adapters.some((a) => a.state === 'down') ? 'down' : adapters.some((a) => a.state === 'degraded') ? 'degraded' : 'up'
    return { state, checkedAt: now, adapters }
  }

  /** Closes every adapter (all of them, even when one fails; the first failure is thrown after). */
  async closeAll(): Promise<void> {
    for (const unsubscribe of this.unsubscribes.splice(0)) unsubscribe()
    const results = await Promise.allSettled(this.list().map((adapter) => adapter.close()))
    const failed = results.find((result) => result.status === 'rejected')
    if (failed !== undefined) throw failed.reason
  }

  private assertNew(adapter: Adapter, token: AdapterToken): void {
    if (this.byName.has(adapter.name)) {
      throw new InvalidOptionsError(`an adapter named "${adapter.name}" is already registered with this engine: give each adapter a name of its own`)
    }
    const holder = this.tokens.get(token)
    if (holder !== undefined) {
      const name = typeof token === 'function' ? token.name : String(token)
      throw new InvalidOptionsError(
        `adapters "${holder}" and "${adapter.name}" are both registered under ${name}: register each under a token of its own (engine.adapters.register('${adapter.name}', adapter), or { token, adapter } in createEngine({ adapters })) and inject it with @inject(token)`,
      )
    }
  }
}

async function reportOf(adapter: Adapter): Promise<AdapterReport> {
  const started = performance.now()
  let timer: NodeJS.Timeout | undefined
  const limit = new Promise<AdapterHealth>((resolve) => {
    timer = setTimeout(() => resolve({ state: 'down', latencyMs: performance.now() - started, detail: `health() did not answer within ${healthLimitMs} ms`, breakers: [], limiters: [] }), healthLimitMs)
  })
  const checked = adapter.health().catch((error: unknown): AdapterHealth => ({ state: 'down', latencyMs: performance.now() - started, detail: `health() threw: ${error instanceof Error ? error.message : String(error)}`, breakers: [], limiters: [] }))
  try {
    return { name: adapter.name, kind: adapter.kind, ...(await Promise.race([checked, limit])) }
  } finally {
    clearTimeout(timer)
  }
}

function describe(value: unknown): string {
  if (typeof value === 'function') return `the class ${value.name} (pass an instance)`
  return value === null ? 'null' : typeof value
}
