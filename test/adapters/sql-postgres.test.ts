/** SqlAdapter on PostgreSQL (pg, a fresh database on the test server): the shared suite, and a refused login's redaction. */
import { sql } from 'kysely'
import { expect, it } from 'vitest'
import { SqlAdapter } from 'weft-sdk/sql'
import { createTestDatabase, describePostgres, postgresUrl } from '../support/postgres.js'
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

describePostgres('SqlAdapter on PostgreSQL, a refused login', () => {
  const password = 'p@ss/w:rd%'
  const written = encodeURIComponent(password) // 'p%40ss%2Fw%3Ard%25', as the URL carries it

  /** The error of a query as `user` (a role that does not exist; the server names it in its refusal) with the password in the URL. */
  async function refusedAs(user: string): Promise<unknown> {
    const server = new URL(postgresUrl())
    const url = `postgres://${encodeURIComponent(user)}:${written}@${server.host}/postgres`
    const adapter = new SqlAdapter<Record<string, never>>({ name: 'refused', dialect: 'postgres', url, retry: { maxAttempts: 1 } })
    try {
      return await adapter.query('login', (db) => sql`select 1`.execute(db)).then(() => undefined, (error: unknown) => error)
    } finally {
      await adapter.close()
    }
  }

  // PostgreSQL quotes the role in its refusal: a role named like the password makes the server echo each form of it, as any driver or server message might.
  it.each([
    ['decoded', password],
    ['percent-encoded', written],
  ])('quotes the %s form of the URL\'s password nowhere in the error', async (_form, echoed) => {
    const error = await refusedAs(echoed)
    expect(error).toMatchObject({ code: 'WEFT_SQL_STATEMENT', reason: 'access', driverCode: '28000' })
    const text = `${String((error as Error).message)} ${JSON.stringify(error)}`
    expect(text).toContain('<redacted>')
    expect(text).not.toContain(password)
    expect(text).not.toContain(written)
  })
})
