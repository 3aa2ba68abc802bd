import { InvalidOptionsError } from '../core/errors.js'

/**
 * A string or symbol under which a container holds a service of type `T`:
 * the key you register the service under (`engine.container.register(key, …)`),
 * typed so that a `defineWorkflow` task receives a `T` without a cast. At
 * run time it is the key itself. Make one with {@link token}.
 *
 * @example
 * ```ts
 * import { token, type ServiceToken } from 'weft-sdk'
 * interface Mailer { send(to: string, text: string): Promise<void> }
 * const MailerToken: ServiceToken<Mailer> = token<Mailer>('Mailer')
 * ```
 */
export type ServiceToken<T> = (string | symbol) & {
  /**
   * @internal Phantom: never set at run time. A string key, not a unique
   * symbol, so that tokens typed by two copies of the package stay
   * compatible; required, so that a plain string (which names no type) is refused.
   */
  readonly '~weftServiceType': T
}

/**
 * What a workflow can be given a service under: a class (its instances) or a {@link ServiceToken}.
 *
 * @example
 * ```ts
 * import { token, type ServiceKey } from 'weft-sdk'
 * class PriceList { priceOf(sku: string): number { return sku.length } }
 * const byClass: ServiceKey<PriceList> = PriceList
 * const byToken: ServiceKey<PriceList> = token<PriceList>('PriceList')
 * ```
 */
export type ServiceKey<T = unknown> = (abstract new (...args: never[]) => T) | ServiceToken<T>

/**
 * The services a `defineWorkflow` definition declares, by the name its tasks read them under (`ctx.services.<name>`).
 *
 * @example
 * ```ts
 * import { token, type ServiceMap } from 'weft-sdk'
 * class PriceList { priceOf(sku: string): number { return sku.length } }
 * const services = { prices: PriceList, mailer: token<{ send(to: string): Promise<void> }>('Mailer') } satisfies ServiceMap
 * ```
 */
export type ServiceMap = Readonly<Record<string, ServiceKey>>

/**
 * The service types of a {@link ServiceMap}: a class token gives its instance type, a `ServiceToken<T>` gives `T`.
 *
 * @example
 * ```ts
 * import { token, type ServicesOf } from 'weft-sdk'
 * class PriceList { priceOf(sku: string): number { return sku.length } }
 * const services = { prices: PriceList, region: token<string>('Region') }
 * declare const resolved: ServicesOf<typeof services> // { prices: PriceList; region: string }
 * const price: number = resolved.prices.priceOf(`${resolved.region}-42`)
 * ```
 */
export type ServicesOf<M extends ServiceMap> = {
  readonly [K in keyof M]: M[K] extends ServiceToken<infer T> ? T : M[K] extends abstract new (...args: never[]) => infer R ? R : never
}

/**
 * Types a string or symbol key as the key of a service of type `T`, for
 * `defineWorkflow(...).services({ name: token })`: the value returned is the
 * key itself, so register the service under it as usual.
 *
 * @example
 * ```ts
 * import { createEngine, defineWorkflow, token } from 'weft-sdk'
 *
 * interface Mailer { send(to: string, text: string): Promise<void> }
 * const MailerToken = token<Mailer>('Mailer')
 *
 * const Welcome = defineWorkflow<{ email: string }>({ name: 'welcome', version: 1 })
 *   .services({ mailer: MailerToken })
 *   .task('send', (input, ctx) => ctx.services.mailer.send(input.email, 'Welcome!'))
 *   .build()
 *
 * const engine = createEngine()
 * engine.container.register(MailerToken, { useValue: { send: async () => undefined } })
 * engine.register(Welcome)
 * ```
 * @throws `InvalidOptionsError` when `key` is neither a non-empty string nor a symbol.
 */
export function token<T>(key: string | symbol): ServiceToken<T> {
  if (typeof key === 'symbol' || (typeof key === 'string' && key.length > 0)) return key as ServiceToken<T>
  throw new InvalidOptionsError(`token() needs a non-empty string or a symbol, got ${describeKey(key)}`)
}

/**
 * Checks the services of a definition: each value a class, a string or a symbol.
 * @throws `InvalidOptionsError` naming the workflow and the service otherwise.
 */
export function assertServiceMap(workflow: string, services: unknown): Readonly<Record<string, ServiceKey>> {
  if (typeof services !== 'object' || services === null || Array.isArray(services)) {
    throw new InvalidOptionsError(`workflow "${workflow}": services must be an object of tokens by name ({ prices: PriceList }), got ${describeKey(services)}`)
  }
  for (const [name, key] of Object.entries(services)) {
    if (typeof key !== 'function' && typeof key !== 'symbol' && !(typeof key === 'string' && key.length > 0)) {
      throw new InvalidOptionsError(
        `workflow "${workflow}": service "${name}" needs a class, a string or a symbol to be resolved by (token<T>('${name}') types a string), got ${describeKey(key)}`,
      )
    }
  }
  return Object.freeze({ ...(services as Record<string, ServiceKey>) })
}

function describeKey(key: unknown): string {
  if (key === null) return 'null'
  if (typeof key === 'string') return key.length === 0 ? 'an empty string' : JSON.stringify(key)
  return Array.isArray(key) ? 'an array' : typeof key
}
