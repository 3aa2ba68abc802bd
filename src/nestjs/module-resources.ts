import { InvalidOptionsError, isAdapter, type Adapter, type AdapterRegistration, type PolicyStateStore } from '../index.js'
import type { WorkflowStore } from '../store.js'
import type { WeftAdapterRegistration, WeftModuleOptions } from './weft-module-options.js'

/**
 * Instances given to `WeftModule` (not made by a factory) that an
 * application of the module closed when it shut down. Nest builds a module's
 * providers once per application, but `forRoot`'s options are made once, when
 * the module is defined: a second application of the same module (an e2e
 * suite creating one per test) would be handed closed resources.
 */
const closedByWeft = new WeakSet<object>()

/** What each resource is called in a refusal, and how its factory is written. */
const factoryOf = {
  store: "store: () => sqliteStore({ path }) (or () => postgresStore({ connectionString })), or closeStore: false to close the store yourself",
  adapter: '{ token, adapter: () => new HttpAdapter({ ... }) }',
  policyState: 'policyState: () => redisPolicyState({ ... })',
} as const

/** The value a factory makes, or the instance given, refused when an earlier application of the module closed it. */
function made<T extends object>(value: T | (() => T), what: keyof typeof factoryOf): T {
  if (typeof value === 'function') return (value as () => T)()
  if (closedByWeft.has(value)) {
    throw new InvalidOptionsError(
      `WeftModule: the ${what === 'policyState' ? 'policy state' : what} given to forRoot was closed when an earlier application of this module shut down; ` +
        `give a factory so that each application makes its own: ${factoryOf[what]}`,
    )
  }
  return value
}

/** The store of one application: made by the options' factory, the instance given, else undefined. */
export function storeOf(options: WeftModuleOptions): WorkflowStore | undefined {
  return options.store === undefined ? undefined : made(options.store, 'store')
}

/** The adapters of one application, each made by its factory or given. */
export function adaptersOf(options: WeftModuleOptions): AdapterRegistration[] | undefined {
  return options.adapters?.map((registration) => {
    if (isAdapter(registration)) return made(registration, 'adapter')
    return { token: registration.token, adapter: made(registration.adapter, 'adapter') }
  })
}

/** The policy state of one application, made by the options' factory or given. */
export function policyStateOf(options: WeftModuleOptions): PolicyStateStore | undefined {
  return options.policyState === undefined ? undefined : made(options.policyState, 'policyState')
}

/** Records the instances the options gave that an application's shutdown just closed (not those factories made). */
export function markClosed(options: WeftModuleOptions): void {
  const given = (value: unknown): value is object => typeof value === 'object' && value !== null
  if (options.closeStore !== false && given(options.store)) closedByWeft.add(options.store)
  if (given(options.policyState)) closedByWeft.add(options.policyState)
  for (const registration of options.adapters ?? []) {
    const adapter: unknown = isAdapter(registration) ? registration : (registration as Exclude<WeftAdapterRegistration, Adapter>).adapter
    if (given(adapter)) closedByWeft.add(adapter)
  }
}
