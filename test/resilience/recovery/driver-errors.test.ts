/**
 * The built-in error rules on errors real drivers throw, not hand-built
 * ones: Node's fetch and pg on a closed port (a refused connection), pg
 * against the test PostgreSQL server (a unique violation, a statement
 * timeout) and better-sqlite3 on a real file (a constraint, a lock, a full
 * database, a read-only connection, a file that cannot be opened). Each is
 * classified live and from its stored record.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { createErrorClassifier, type ErrorClassification } from 'weft-sdk'
import { toErrorRecord } from '../../../src/runtime/error-record.js'
import { createTestDatabase, describePostgres } from '../../support/postgres.js'
import { freePort } from '../../support/postgres-server.js'

const classifier = createErrorClassifier()

/** What `work` threw (it must throw). */
async function thrown(work: () => unknown): Promise<unknown> {
  try {
    await work()
  } catch (error) {
    return error
  }
  throw new Error('expected the call to throw')
}

/** The error's class, checked to be the same from its stored record. */
function classified(error: unknown): ErrorClassification {
  const live = classifier.classify(error)
  expect(classifier.classifyRecord(toErrorRecord(error, 'task')).errorClass).toBe(live.errorClass)
  return live
}

describe('a network error', () => {
  it("classifies fetch's failure on a closed port as connection, by the ECONNREFUSED of its cause", async () => {
    const port = await freePort()
    const error = await thrown(() => fetch(`http://127.0.0.1:${port}/quote`))
    expect(error).toBeInstanceOf(TypeError)
    expect((error as Error & { cause: { code: string } }).cause.code).toBe('ECONNREFUSED')
    expect(classified(error)).toMatchObject({ errorClass: 'connection', depth: 1, rule: { description: 'a system error: connection refused, reset or unreachable' } })
  })

  it("classifies pg's refused connection (no server on the port) as connection", async () => {
    const port = await freePort()
    const client = new pg.Client({ host: '127.0.0.1', port, user: 'weft', database: 'weft', connectionTimeoutMillis: 5_000 })
    const error = await thrown(() => client.connect())
    expect(error).toMatchObject({ code: 'ECONNREFUSED' })
    expect(classified(error).errorClass).toBe('connection')
  })
})

describePostgres('a PostgreSQL error from pg', () => {
  const drops: (() => Promise<void>)[] = []
  afterAll(async () => {
    for (const drop of drops) await drop()
  })

  async function connected(): Promise<pg.Client> {
    const database = await createTestDatabase()
    const client = new pg.Client({ connectionString: database.url })
    await client.connect()
    drops.push(async () => {
      await client.end()
      await database.drop()
    })
    return client
  }

  it('classifies a unique violation (SQLSTATE 23505) as validation', async () => {
    const client = await connected()
    await client.query('create table orders (id text primary key)')
    await client.query("insert into orders values ('o-1')")
    const error = await thrown(() => client.query("insert into orders values ('o-1')"))
    expect(error).toMatchObject({ code: '23505' })
    expect(classified(error)).toMatchObject({ errorClass: 'validation', rule: { description: 'SQLSTATE class 23: integrity constraint violation' } })
  })

  it('classifies a statement cancelled by statement_timeout (SQLSTATE 57014) as timeout', async () => {
    const client = await connected()
    await client.query('set statement_timeout = 1')
    const error = await thrown(() => client.query('select pg_sleep(5)'))
    expect(error).toMatchObject({ code: '57014' })
    expect(classified(error).errorClass).toBe('timeout')
  })
})

describe('a SQLite error from better-sqlite3', () => {
  const dir = mkdtempSync(join(tmpdir(), 'weft-driver-errors-'))
  const open: Database.Database[] = []
  afterAll(() => {
    for (const db of open) db.close()
    rmSync(dir, { recursive: true, force: true })
  })
  let files = 0

  /** A new database file with a table `t` holding the row 1; `options` for a second connection to it. */
  function database(): { path: string; db: Database.Database; connect(options?: Database.Options): Database.Database } {
    const path = join(dir, `db-${++files}.sqlite`)
    const db = new Database(path)
    open.push(db)
    db.exec('create table t (id integer primary key, v text)')
    db.prepare('insert into t values (1, ?)').run('one')
    const connect = (options?: Database.Options) => {
      const other = new Database(path, options)
      open.push(other)
      return other
    }
    return { path, db, connect }
  }

  it('classifies a primary key violation (SQLITE_CONSTRAINT_PRIMARYKEY) as validation', async () => {
    const { db } = database()
    const error = await thrown(() => db.prepare('insert into t values (1, ?)').run('again'))
    expect(error).toMatchObject({ name: 'SqliteError', code: 'SQLITE_CONSTRAINT_PRIMARYKEY' })
    expect(classified(error).errorClass).toBe('validation')
  })

  it('classifies a write blocked by another connection (SQLITE_BUSY) as database', async () => {
    const { db, connect } = database()
    const other = connect({ timeout: 0 })
    db.exec('begin exclusive')
    const error = await thrown(() => other.prepare('insert into t values (2, ?)').run('two'))
    db.exec('commit')
    expect(error).toMatchObject({ code: 'SQLITE_BUSY' })
    expect(classified(error).errorClass).toBe('database')
  })

  it('classifies a full database (SQLITE_FULL) as database', async () => {
    const { db } = database()
    db.pragma('max_page_count = 3')
    const insert = db.prepare('insert into t values (?, ?)')
    const error = await thrown(() => {
      for (let id = 2; id < 1_000; id++) insert.run(id, 'x'.repeat(1_000))
    })
    expect(error).toMatchObject({ code: 'SQLITE_FULL' })
    expect(classified(error)).toMatchObject({ errorClass: 'database', rule: { description: expect.stringContaining('SQLite I/O error, full database') } })
  })

  it('classifies a write on a read-only connection (SQLITE_READONLY) as database', async () => {
    const { connect } = database()
    const readonly = connect({ readonly: true })
    const error = await thrown(() => readonly.prepare('insert into t values (2, ?)').run('two'))
    expect(error).toMatchObject({ code: 'SQLITE_READONLY' })
    expect(classified(error).errorClass).toBe('database')
  })

  it('classifies a database file that cannot be opened (SQLITE_CANTOPEN) as database', async () => {
    const error = await thrown(() => new Database(join(dir, 'missing.sqlite'), { fileMustExist: true }))
    expect(error).toMatchObject({ code: 'SQLITE_CANTOPEN' })
    expect(classified(error).errorClass).toBe('database')
  })
})
