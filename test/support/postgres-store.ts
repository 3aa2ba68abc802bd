/**
 * A PostgreSQL store on a fresh test database of its own, initialized; its
 * `close()` also drops the database. For suites that open a store per test.
 */
import { postgresStore, type PostgresWorkflowStore } from '../../src/postgres.js'
import { createTestDatabase } from './postgres.js'

/** Opens a migrated PostgreSQL store on a new database, dropped when the store closes. */
export async function postgresStoreOnOwnDatabase(): Promise<PostgresWorkflowStore> {
  const database = await createTestDatabase()
  const store = postgresStore({ connectionString: database.url })
  await store.init()
  const close = store.close.bind(store)
  store.close = async () => {
    await close()
    await database.drop()
  }
  return store
}
