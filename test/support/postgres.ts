/**
 * PostgreSQL for tests. One real server is started for the whole test run by
 * `postgres-global-setup.ts` (vitest `globalSetup`); a test file asks it for a
 * fresh, uniquely named database:
 *
 * ```ts
 * describePostgres('my store on PostgreSQL', () => {
 *   let db: TestDatabase
 *   beforeAll(async () => { db = await createTestDatabase() })
 *   afterAll(() => db.drop())
 *   it('...', async () => { const client = new pg.Client({ connectionString: db.url }) })
 * })
 * ```
 *
 * If the server could not start the run has already failed in the global
 * setup, unless `WEFT_SKIP_POSTGRES=1` (developers without PostgreSQL): then
 * `describePostgres` suites are reported as skipped and `createTestDatabase`
 * throws.
 */
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { describe, inject } from 'vitest'

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the shared test server's `weft` database; `null` when skipped. */
    postgresUrl: string | null
    /** Why PostgreSQL tests are skipped (only with `WEFT_SKIP_POSTGRES=1`); `null` otherwise. */
    postgresSkipReason: string | null
  }
}

export interface TestDatabase {
  /** `postgres://<user>@127.0.0.1:<port>/<name>` */
  readonly url: string
  readonly name: string
  /** Drops the database, ending any connection still open on it. Idempotent. */
  drop(): Promise<void>
}

/** Why PostgreSQL tests are skipped in this run, or `null` when they run. */
export function postgresSkipReason(): string | null {
  return inject('postgresSkipReason') ?? null
}

/** URL of the shared server's `weft` database. Throws when PostgreSQL tests are skipped. */
export function postgresUrl(): string {
  const url = inject('postgresUrl')
  if (!url) {
    throw new Error(
      `PostgreSQL is not available in this run: ${postgresSkipReason() ?? 'postgres-global-setup.ts is not in vitest.config.ts globalSetup'}`,
    )
  }
  return url
}

/**
 * `describe` for suites that need PostgreSQL: runs normally, or is reported
 * as skipped (with the reason in its name) when `WEFT_SKIP_POSTGRES=1` and no
 * server could start.
 */
export function describePostgres(name: string, fn: () => void): void {
  const reason = postgresSkipReason()
  if (reason === null) describe(name, fn)
  else describe.skip(`${name} [skipped: ${reason}]`, fn)
}

let counter = 0

/** Creates a uniquely named, empty database on the shared server. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const base = new URL(postgresUrl())
  const name = `weft_test_${process.pid}_${++counter}_${randomBytes(4).toString('hex')}`
  await admin(base, `CREATE DATABASE "${name}"`)
  const url = new URL(base)
  url.pathname = `/${name}`
  let dropping: Promise<void> | undefined
  return {
    url: url.toString(),
    name,
    drop: () => (dropping ??= admin(base, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)),
  }
}

/** Runs `fn` with a fresh database and drops it afterwards, whatever `fn` does. */
export async function withTestDatabase<T>(fn: (db: TestDatabase) => Promise<T> | T): Promise<T> {
  const db = await createTestDatabase()
  try {
    return await fn(db)
  } finally {
    await db.drop()
  }
}

async function admin(url: URL, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url.toString() })
  await client.connect()
  try {
    await client.query(sql)
  } finally {
    await client.end()
  }
}

/**
 * A conformance fixture of PostgreSQL stores, each on a throwaway database
 * dropped when the store closes; `open` makes the store on the database URL.
 */
export function throwawayPostgresStores<S extends { close(): Promise<void> }>(open: (url: string) => S): { create(): Promise<S> } {
  return {
    create: async () => {
      const database = await createTestDatabase()
      const store = open(database.url)
      const close = store.close.bind(store)
      store.close = async () => {
        await close()
        await database.drop()
      }
      return store
    },
  }
}
