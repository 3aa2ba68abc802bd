/**
 * MariaDB / MySQL for tests. The server is found (or started) once per run by
 * mariadb-global-setup.ts, in this order (see mariadb-server.ts): the one at
 * `WEFT_TEST_MYSQL_URL` (it must answer), else the standard local one
 * (`mysql://root@127.0.0.1:3306`, root without a password, as CI and this
 * project's machines run it) when it answers, else a throwaway `mariadbd`
 * from the installed binaries on a free port, else none: `describeMysql`
 * suites are then reported as skipped with the reason in their name (failed
 * in CI). A test file asks for a fresh, uniquely named database and drops it
 * afterwards:
 *
 * ```ts
 * describeMysql('my adapter on MariaDB', () => {
 *   let db: TestMysqlDatabase
 *   beforeAll(async () => { db = await createMysqlDatabase() })
 *   afterAll(() => db.drop())
 *   it('...', async () => { const adapter = new SqlAdapter({ name: 'm', dialect: 'mysql', url: db.url }) })
 * })
 * ```
 */
import { describeWithServer } from './server-suites.js'
import { randomBytes } from 'node:crypto'
import mysql from 'mysql2/promise'
import { inject } from 'vitest'

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the run's MariaDB/MySQL server (no database in its path); `null` when there is none. */
    mysqlUrl: string | null
    /** Why MariaDB/MySQL tests are skipped; `null` when they run. */
    mysqlSkipReason: string | null
  }
}

export interface TestMysqlDatabase {
  /** `mysql://<user>[:<password>]@<host>:<port>/<name>` */
  readonly url: string
  readonly name: string
  /** Drops the database. Idempotent. */
  drop(): Promise<void>
}

/** Where the test server is, or why there is none. */
export type MysqlServer = { readonly url: string } | { readonly skip: string }

/** The server the tests use (found once per run by mariadb-global-setup.ts). */
export function findMysqlServer(): MysqlServer {
  const url = inject('mysqlUrl')
  if (url) return { url }
  return { skip: inject('mysqlSkipReason') ?? 'mariadb-global-setup.ts is not in vitest.config.ts globalSetup' }
}

const server = findMysqlServer()

/** Why MariaDB/MySQL tests are skipped in this file, or `null` when they run. */
export function mysqlSkipReason(): string | null {
  return 'skip' in server ? server.skip : null
}

/** `describe` for suites that need MariaDB/MySQL: skipped, with the reason in its name, when no server answers (in CI: failed). */
export function describeMysql(name: string, fn: () => void): void {
  describeWithServer(name, mysqlSkipReason(), fn)
}

let counter = 0

/** Creates a uniquely named, empty database on the test server. */
export async function createMysqlDatabase(): Promise<TestMysqlDatabase> {
  if ('skip' in server) throw new Error(`MariaDB/MySQL is not available: ${server.skip}`)
  const name = `weft_test_${process.pid}_${++counter}_${randomBytes(4).toString('hex')}`
  await admin(server.url, `CREATE DATABASE \`${name}\``)
  const url = new URL(server.url)
  url.pathname = `/${name}`
  let dropping: Promise<void> | undefined
  return {
    url: url.toString(),
    name,
    drop: () => (dropping ??= admin(server.url, `DROP DATABASE IF EXISTS \`${name}\``)),
  }
}

/** Runs one statement on the test server's admin connection. */
export async function mysqlAdmin(statement: string): Promise<void> {
  if ('skip' in server) throw new Error(`MariaDB/MySQL is not available: ${server.skip}`)
  await admin(server.url, statement)
}

async function admin(url: string, statement: string): Promise<void> {
  const connection = await mysql.createConnection({ uri: url })
  try {
    await connection.query(statement)
  } finally {
    await connection.end()
  }
}
