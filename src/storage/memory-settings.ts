// The memory store's settings: a map of JSON texts (copied in and out, as the SQL stores' values are).
import { settingText, type SettingsStore } from './settings-store.js'

/** Settings of one memory store, in this process only. */
export class MemorySettings implements SettingsStore {
  private readonly values = new Map<string, string>()

  async get(name: string): Promise<unknown> {
    const text = this.values.get(name)
    return text === undefined ? undefined : JSON.parse(text)
  }

  async set(name: string, value: unknown): Promise<void> {
    this.values.set(name, settingText(name, value))
  }
}
