import Database from 'better-sqlite3'
import { sqliteStore } from 'weft-sdk'

/** The migration a "newer Weft" applied in tests: no version of Weft has it. */
export const futureMigration = '2099_01_01_999_future'

/** Creates a Weft SQLite database at `path` as a newer Weft would have left it: with a migration this version does not know. */
export async function sqliteMigratedByNewerWeft(path: string): Promise<void> {
  const store = sqliteStore({ path })
  await store.init()
  await store.close()
  const db = new Database(path)
  db.prepare(`insert into kysely_migration (name, timestamp) values (?, ?)`).run(futureMigration, new Date().toISOString())
  db.close()
}
