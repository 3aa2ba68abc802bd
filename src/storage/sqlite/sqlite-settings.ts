// Settings on SQLite: one row per name in weft_settings, written in the write queue; a database migrated before the
// table existed (read-only commands do not migrate) has no settings.
import { parseSettingText, settingText, type SettingsStore } from '../settings-store.js'
import type { SqliteContext } from './sqlite-context.js'

const selectSql = `select value from weft_settings where name = @name`
const upsertSql = `insert into weft_settings (name, value, updated_at) values (@name, @value, @now)
  on conflict (name) do update set value = excluded.value, updated_at = excluded.updated_at`
const tableSql = `select 1 from sqlite_master where type = 'table' and name = 'weft_settings'`

/** The SQLite store's settings. */
export class SqliteSettings implements SettingsStore {
  constructor(private readonly sqlite: SqliteContext) {}

  get(name: string): Promise<unknown> {
    return this.sqlite.read('reading a setting', () => {
      if (this.sqlite.statement(tableSql).get() === undefined) return undefined
      return this.stored(name)
    })
  }

  async set(name: string, value: unknown, now: number): Promise<void> {
    const text = settingText(name, value)
    await this.sqlite.writes.run(() => void this.sqlite.statement(upsertSql).run({ name, value: text, now }))
  }

  /** Reads and writes inside one write of the queue: its `begin immediate` keeps other processes' writes out. */
  update(name: string, change: (value: unknown) => unknown, now: number): Promise<unknown> {
    return this.sqlite.writes.run(() => {
      const value = this.stored(name)
      const next = change(value)
      if (next === undefined) return value
      this.sqlite.statement(upsertSql).run({ name, value: settingText(name, next), now })
      return next
    })
  }

  private stored(name: string): unknown {
    const row = this.sqlite.statement(selectSql).get({ name }) as { value: string } | undefined
    return row === undefined ? undefined : parseSettingText(row.value)
  }
}
