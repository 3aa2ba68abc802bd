/** SqlAdapter on PostgreSQL (pg, a fresh database on the test server): the shared suite. */
import { sql } from 'kysely'
import { createTestDatabase, describePostgres } from '../support/postgres.js'
import { sqlAdapterSuite, withPort } from './sql-conformance.js'

describePostgres('SqlAdapter on PostgreSQL', () => {
  sqlAdapterSuite(async () => {
    const database = await createTestDatabase()
    return {
      dialect: 'postgres',
      options: () => ({ name: 'sql', dialect: 'postgres', url: database.url, poolSize: 4 }),
      // Port 1: nobody listens there, so the connection is refused at once.
      unreachable: () => ({ name: 'gone', dialect: 'postgres', url: withPort(database.url, 1) }),
      killFrom: async (admin, victim) => {
        const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(victim)
        // The second argument waits (up to 5 s) until the backend has gone.
        await sql`select pg_terminate_backend(${rows[0]!.pid}, 5000)`.execute(admin)
      },
      suicide: 'select pg_terminate_backend(pg_backend_pid())',
      cleanup: () => database.drop(),
    }
  })
})
