// The memory store's settings: a map of JSON texts (copied in and out, as the SQL stores' values are).
import { parseSettingText, settingText, type SettingsStore } from './settings-store.js'

/** Settings of one memory store, in this process only. */
export class MemorySettings implements SettingsStore {
  private readonly values = new Map<string, string>()

  async get(name: string): Promise<unknown> {
    const text = this.values.get(name)
    return text === undefined ? undefined : parseSettingText(text)
  }

  async set(name: string, value: unknown): Promise<void> {
    this.values.set(name, settingText(name, value))
  }

  /** Synchronous between reading and writing: nothing else runs in between. */
  async update(name: string, change: (value: unknown) => unknown): Promise<unknown> {
    const text = this.values.get(name)
    const value = text === undefined ? undefined : parseSettingText(text)
    const next = change(value)
    if (next === undefined) return value
    const written = settingText(name, next)
    this.values.set(name, written)
    return JSON.parse(written) as unknown
  }
}
