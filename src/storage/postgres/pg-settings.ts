// Settings on PostgreSQL: one row per name in weft_settings, upserted; a schema migrated before the table existed has
// no settings.
import { settingText, type SettingsStore } from '../settings-store.js'
import { prepared } from './pg-client.js'
import type { PgContext } from './pg-context.js'

/** Parameters: name. */
const selectSql = `select value from weft_settings where name = $1`
/** `to_regclass` is null when the table does not exist (a schema older than the settings). */
const tableSql = `select to_regclass('weft_settings') is not null as present`
/** Parameters: name, value, updated_at. */
const upsertSql = `insert into weft_settings (name, value, updated_at) values ($1, $2, $3)
  on conflict (name) do update set value = excluded.value, updated_at = excluded.updated_at`

/** The PostgreSQL store's settings. */
export class PgSettings implements SettingsStore {
  constructor(private readonly pg: PgContext) {}

  async get(name: string): Promise<unknown> {
    const table = await this.pg.db.query<{ present: boolean }>(tableSql)
    if (table.rows[0]?.present !== true) return undefined
    const rows = await this.pg.db.query<{ value: string }>(prepared(selectSql, [name]))
    return rows.rows.length === 0 ? undefined : (JSON.parse(rows.rows[0]!.value) as unknown)
  }

  async set(name: string, value: unknown, now: number): Promise<void> {
    await this.pg.db.query(prepared(upsertSql, [name, settingText(name, value), now]))
  }
}
