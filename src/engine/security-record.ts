// What an engine with security records in its store when it opens, for the processes that cannot see its
// configuration (the CLI, other workers): that security is enabled, and a fingerprint of the authorizer's rules.
// Each change is audited as `policy.changed` by the engine that saw it first.
import { enableSecuritySetting, readSecuritySetting, type SettingsStore } from '../storage/settings-store.js'

/** The name of the setting that holds the fingerprint of the rules in force. */
export const policySettingName = 'policy'

/** The rules in force, as the store records them. */
interface PolicySetting {
  /** The authorizer's fingerprint (never the rules). */
  readonly fingerprint: string
  /** When the store recorded it (epoch milliseconds). */
  readonly since: number
}

/** How the engine's secure path is seen from here. */
export interface SecurityRecordWiring {
  /** The authorizer's fingerprint, when it gives one. */
  readonly fingerprint: string | undefined
  /** Audits a change (`policy.changed`). */
  policyChanged(reason: string): Promise<void>
}

/**
 * Records that security is enabled and which rules are in force, and audits
 * what changed since the last engine opened the store: security enabled
 * (first, or again after `weft security disable`), the rules changed.
 */
export async function recordSecurity(settings: SettingsStore, wiring: SecurityRecordWiring, now: number): Promise<void> {
  const before = await readSecuritySetting(settings)
  await enableSecuritySetting(settings, now)
  const fingerprint = wiring.fingerprint
  let previous: PolicySetting | undefined
  let rulesChanged = false
  // One atomic update: of two engines opening with new rules at once, one sees the other's record and audits nothing.
  if (fingerprint !== undefined) {
    await settings.update(
      policySettingName,
      (value) => {
        previous = toPolicySetting(value)
        rulesChanged = previous?.fingerprint !== fingerprint
        return rulesChanged ? ({ fingerprint, since: now } satisfies PolicySetting) : undefined
      },
      now,
    )
  }
  if (before?.enabled !== true) {
    const again = before === undefined ? '' : ` again${before.changedBy === undefined ? '' : ` (disabled by ${before.changedBy})`}`
    await wiring.policyChanged(`security enabled${again}${fingerprint === undefined ? '' : `; rules ${fingerprint}`}`)
  } else if (rulesChanged) {
    const before: PolicySetting | undefined = previous
    await wiring.policyChanged(before === undefined ? `rules recorded: ${fingerprint}` : `rules changed: ${before.fingerprint} → ${fingerprint}`)
  }
}

/** A stored value as a {@link PolicySetting}; anything malformed reads as none (the next engine records its own). */
function toPolicySetting(value: unknown): PolicySetting | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const { fingerprint, since } = value as Record<string, unknown>
  return typeof fingerprint === 'string' ? { fingerprint, since: typeof since === 'number' ? since : 0 } : undefined
}
