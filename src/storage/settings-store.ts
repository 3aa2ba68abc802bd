// The store role of database-wide settings: named JSON values every process sharing the database reads, such as the
// record that security is enabled (which the CLI, opening the database directly, honours before reading anything).

/**
 * Database-wide settings: one JSON value per name, shared by every process
 * using the database (memory, SQLite and PostgreSQL have them, as `store.settings`).
 *
 * @example
 * ```ts
 * import { sqliteStore } from 'weft-sdk'
 * const store = sqliteStore({ path: 'runs.sqlite' })
 * await store.init()
 * await store.settings.set('retention', { days: 30 }, Date.now())
 * const retention = await store.settings.get('retention') // { days: 30 }
 * await store.settings.update('retention', (value) => (value === undefined ? { days: 7 } : undefined), Date.now()) // kept: it is set
 * ```
 */
export interface SettingsStore {
  /** The value of a setting, or `undefined` when it was never set. */
  get(name: string): Promise<unknown>
  /** Sets a setting (inserted, or replaced) at `now` (epoch milliseconds). The value must be JSON. */
  set(name: string, value: unknown, now: number): Promise<void>
  /**
   * Replaces a setting with what `change` makes of its value (`undefined`
   * when unset), with no other write of the setting in between: two processes
   * updating it at once both see the other's change. `change` returns
   * `undefined` to leave the setting as it is (nothing is written). Resolves
   * with the setting's value afterwards.
   */
  update(name: string, change: (value: unknown) => unknown, now: number): Promise<unknown>
}

/**
 * The name of the setting recording that security is enabled.
 *
 * @example
 * ```ts
 * import { sqliteStore } from 'weft-sdk'
 * import { securitySettingName } from 'weft-sdk/store'
 * const store = sqliteStore({ path: 'runs.sqlite', readOnly: true })
 * await store.init()
 * console.log(await store.settings.get(securitySettingName)) // { enabled: true, since: 1796… } once an engine with security opened it
 * ```
 */
export const securitySettingName = 'security'

/**
 * What a store records once an engine with security opened it: from then on
 * every `weft` command needs credentials (`--config`, `--token`).
 *
 * @example
 * ```ts
 * import type { SecuritySetting } from 'weft-sdk/store'
 * const setting: SecuritySetting = { enabled: true, since: Date.parse('2026-12-08T00:00:00Z') }
 * ```
 */
export interface SecuritySetting {
  /** Whether security is enabled. */
  readonly enabled: boolean
  /** When it was first enabled (epoch milliseconds). */
  readonly since: number
  /** Who or what changed it last, when an operator did (`weft security disable`). */
  readonly changedBy?: string | undefined
}

/**
 * The security setting a store holds, or `undefined` when it has none (security never enabled).
 *
 * @example
 * ```ts
 * import { sqliteStore } from 'weft-sdk'
 * import { readSecuritySetting } from 'weft-sdk/store'
 * const store = sqliteStore({ path: 'runs.sqlite', readOnly: true })
 * await store.init()
 * const secured = (await readSecuritySetting(store.settings))?.enabled === true
 * ```
 */
export async function readSecuritySetting(settings: SettingsStore | undefined): Promise<SecuritySetting | undefined> {
  if (settings === undefined) return undefined
  return toSecuritySetting(await settings.get(securitySettingName))
}

/** A stored value as a {@link SecuritySetting}: anything else than a well-formed one counts as enabled (failing closed). */
function toSecuritySetting(value: unknown): SecuritySetting | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'object' || value === null) return { enabled: true, since: 0 }
  const { enabled, since, changedBy } = value as Record<string, unknown>
  return { enabled: enabled !== false, since: typeof since === 'number' ? since : 0, changedBy: typeof changedBy === 'string' ? changedBy : undefined }
}

/**
 * Records that security is enabled, unless it already is (the first `since` is kept).
 *
 * @example
 * ```ts
 * import { sqliteStore } from 'weft-sdk'
 * import { enableSecuritySetting } from 'weft-sdk/store'
 * const store = sqliteStore({ path: 'runs.sqlite' })
 * await store.init()
 * await enableSecuritySetting(store.settings, Date.now())
 * ```
 */
export async function enableSecuritySetting(settings: SettingsStore, now: number): Promise<SecuritySetting> {
  const current = await readSecuritySetting(settings)
  if (current?.enabled === true) return current
  const setting: SecuritySetting = { enabled: true, since: now }
  await settings.set(securitySettingName, setting, now)
  return setting
}

/**
 * The value of a setting's stored text. Text that is not JSON (edited by hand)
 * reads as that text, which no reader of a setting takes for a well-formed
 * value: the security setting counts it as enabled (failing closed), the
 * record of key ids as unknown.
 */
export function parseSettingText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch {
    return text
  }
}

/** The JSON text of a setting's value. @throws `TypeError` when the value is not JSON. */
export function settingText(name: string, value: unknown): string {
  const text = JSON.stringify(value)
  if (text === undefined) throw new TypeError(`setting "${name}" must be a JSON value`)
  return text
}
