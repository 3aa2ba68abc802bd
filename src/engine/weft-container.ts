import type { DependencyContainer, FactoryProvider, ValueProvider } from 'tsyringe'
import type { ServiceToken } from '../authoring/service-token.js'

/**
 * Registrations under a {@link ServiceToken}, typed by it: the value (or the
 * factory's result) must be the token's type, and a function in it gets its
 * parameter types from that type (tsyringe's own `register` cannot read a
 * type from a string key).
 */
export interface TokenRegistrations {
  /** Registers a value, or a factory, under a typed token. */
  register<T>(token: ServiceToken<T>, provider: ValueProvider<T>): DependencyContainer
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
