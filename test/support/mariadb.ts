/**
 * MariaDB / MySQL for tests. The server is, in order: the one at
 * `WEFT_TEST_MYSQL_URL` (it must answer: a URL that was set on purpose and
 * does not answer fails the suite), else the standard local one
 * (`mysql://root@127.0.0.1:3306`, root without a password, as CI and this
 * project's machines run it) when it answers, else none: `describeMysql`
 * suites are then reported as skipped with the reason in their name. A test
 * file asks for a fresh, uniquely named database and drops it afterwards:
 *
 * ```ts
 * describeMysql('my adapter on MariaDB', () => {
 *   let db: TestMysqlDatabase
 *   beforeAll(async () => { db = await createMysqlDatabase() })
 *   afterAll(() => db.drop())
 *   it('...', async () => { const adapter = new SqlAdapter({ name: 'm', dialect: 'mysql', url: db.url }) })
 * })
 * ```
 *
 * Starting a throwaway `mariadbd` is not done here: CI (`.ci/run`) starts the
 * Debian package's server at the standard port.
 */
import { describeWithServer } from './server-suites.js'
import { randomBytes } from 'node:crypto'
import mysql from 'mysql2/promise'
import { describe } from 'vitest'

export interface TestMysqlDatabase {
  /** `mysql://<user>[:<password>]@<host>:<port>/<name>` */
  readonly url: string
  readonly name: string
  /** Drops the database. Idempotent. */
  drop(): Promise<void>
}

/** Where the test server is, or why there is none. */
export type MysqlServer = { readonly url: string } | { readonly skip: string }

const standardUrl = 'mysql://root@127.0.0.1:3306/'

let found: Promise<MysqlServer> | undefined

/** The server the tests use (found once per test file). */
export function findMysqlServer(): Promise<MysqlServer> {
  return (found ??= locate())
}

async function locate(): Promise<MysqlServer> {
  const fromEnv = process.env['WEFT_TEST_MYSQL_URL']
  if (fromEnv) {
    const problem = await answers(fromEnv)
    if (problem !== undefined) throw new Error(`WEFT_TEST_MYSQL_URL is set but its server does not answer (${problem}): start it, or unset the variable`)
    return { url: fromEnv }
  }
  const problem = await answers(standardUrl)
  if (problem === undefined) return { url: standardUrl }
  return { skip: `no MariaDB/MySQL: WEFT_TEST_MYSQL_URL is not set and 127.0.0.1:3306 (root, no password) does not answer (${problem}); start one (apt-get install -y mariadb-server) or set the URL` }
}

/** `undefined` when a `select 1` succeeds within 3 s, else why not. */
async function answers(url: string): Promise<string | undefined> {
  try {
    const connection = await mysql.createConnection({ uri: url, connectTimeout: 3_000 })
    try {
      await connection.query('select 1')
    } finally {
      await connection.end()
    }
    return undefined
  } catch (error) {
    return (error as { code?: string }).code ?? (error as Error).message
  }
}

const server = await findMysqlServer()

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
