// Settings on PostgreSQL: one row per name in weft_settings, upserted; a schema migrated before the table existed has
// no settings.
import { parseSettingText, settingText, type SettingsStore } from '../settings-store.js'
import { prepared, type PgQueryable } from './pg-client.js'
import type { PgContext } from './pg-context.js'

/** Parameters: name. */
const selectSql = `select value from weft_settings where name = $1`
/** `to_regclass` is null when the table does not exist (a schema older than the settings). */
const tableSql = `select to_regclass('weft_settings') is not null as present`
/** Parameters: name, value, updated_at. */
const upsertSql = `insert into weft_settings (name, value, updated_at) values ($1, $2, $3)
  on conflict (name) do update set value = excluded.value, updated_at = excluded.updated_at`
/**
 * Parameters: the setting's lock name. Held until the transaction ends; it serializes updates of a setting that
 * may not have a row yet (a row lock would not).
 */
const lockSql = `select pg_advisory_xact_lock(hashtext($1))`

/** The PostgreSQL store's settings. */
export class PgSettings implements SettingsStore {
  constructor(private readonly pg: PgContext) {}

  async get(name: string): Promise<unknown> {
    const table = await this.pg.db.query<{ present: boolean }>(tableSql)
    if (table.rows[0]?.present !== true) return undefined
    return stored(this.pg.db, name)
  }

  async set(name: string, value: unknown, now: number): Promise<void> {
    await this.pg.db.query(prepared(upsertSql, [name, settingText(name, value), now]))
  }

  update(name: string, change: (value: unknown) => unknown, now: number): Promise<unknown> {
    return this.pg.transaction(async (client) => {
      await client.query(prepared(lockSql, [`weft_settings:${name}`]))
      const value = await stored(client, name)
      const next = change(value)
      if (next === undefined) return value
      await client.query(prepared(upsertSql, [name, settingText(name, next), now]))
      return next
    })
  }
}

async function stored(db: PgQueryable, name: string): Promise<unknown> {
  const { rows } = await db.query<{ value: string }>(prepared(selectSql, [name]))
  return rows.length === 0 ? undefined : parseSettingText(rows[0]!.value)
}
