/** SqlAdapter on MariaDB/MySQL (mysql2, a fresh database on the test server): the shared suite. */
import { sql } from 'kysely'
import { createMysqlDatabase, describeMysql } from '../support/mariadb.js'
import { sqlAdapterSuite, withPort } from './sql-conformance.js'

describeMysql('SqlAdapter on MariaDB', () => {
  sqlAdapterSuite(async () => {
    const database = await createMysqlDatabase()
    return {
      dialect: 'mysql',
      options: () => ({ name: 'sql', dialect: 'mysql', url: database.url, poolSize: 4 }),
      // Port 1: nobody listens there, so the connection is refused at once.
      unreachable: () => ({ name: 'gone', dialect: 'mysql', url: withPort(database.url, 1) }),
      killFrom: async (admin, victim) => {
        const { rows } = await sql<{ id: number }>`select connection_id() as id`.execute(victim)
        await sql`KILL ${sql.raw(String(Number(rows[0]!.id)))}`.execute(admin)
      },
      suicide: 'KILL CONNECTION_ID()',
      cleanup: () => database.drop(),
    }
  })
})
