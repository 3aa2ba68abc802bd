import type { DependencyContainer, FactoryProvider, ValueProvider } from 'tsyringe'
import type { ServiceToken } from '../authoring/service-token.js'

/**
 * Registrations under a {@link ServiceToken}, typed by it: the value (or the
 * factory's result) must be the token's type, and a function in it gets its
 * parameter types from that type (tsyringe's own `register` cannot read a
 * type from a string key).
 *
 * @example
 * ```ts
 * import { createEngine, token } from 'weft-sdk'
 * const Clock = token<() => number>('Clock')
 * const registrations = createEngine().container
 * registrations.register(Clock, { useFactory: () => () => Date.now() })
 * registrations.registerInstance(Clock, () => 0) // a number instead would not compile
 * ```
 */
export interface TokenRegistrations {
  /** Registers a value under a typed token (`{ useValue }`): the value must be the token's type. */
  register<T>(token: ServiceToken<T>, provider: ValueProvider<T>): DependencyContainer
  /** Registers a factory under a typed token (`{ useFactory }`): it must return the token's type. */
  register<T>(token: ServiceToken<T>, provider: FactoryProvider<T>): DependencyContainer
  /** Registers an instance under a typed token. */
  registerInstance<T>(token: ServiceToken<T>, instance: T): DependencyContainer
}

/**
 * The engine's tsyringe container (`engine.container`, a worker
 * configuration's `register(container)`): tsyringe's `DependencyContainer`,
 * whose `register` and `registerInstance` type what is registered under a
 * {@link ServiceToken} by the token.
 *
 * @example
 * ```ts
 * import { createEngine, token, type WeftContainer } from 'weft-sdk'
 * interface Mailer { send(to: string): Promise<void> }
 * const MailerToken = token<Mailer>('Mailer')
 * const container: WeftContainer = createEngine().container
 * container.register(MailerToken, { useValue: { send: async (to) => console.log(`mail to ${to.toUpperCase()}`) } })
 * ```
 */
export type WeftContainer = TokenRegistrations & DependencyContainer
