/**
 * One suite for SqlAdapter, run against every dialect's real database
 * (sql-sqlite, sql-postgres and sql-mariadb test files): typed reads and
 * writes, transactions committed and rolled back, health up and down,
 * counters, errors classified and retried only where safe, cancellation,
 * and (for the servers) a connection killed mid-transaction.
 */
import { sql as rawSql, type Kysely } from 'kysely'
import { afterAll, afterEach, beforeAll, beforeEach, expect, expectTypeOf, it } from 'vitest'
import type { AdapterBaseOptions } from 'weft-sdk'
import { SqlAdapter, SqlConnectionError, SqlConstraintError, SqlStatementError, type SqlAdapterOptions } from 'weft-sdk/sql'

export interface Item {
  id: string
  qty: number
}

export interface DB {
  items: Item
}

/** A dialect's real database, as a test file provides it. */
export interface SqlTarget {
  readonly dialect: 'postgres' | 'mysql' | 'sqlite'
  /** Options connecting to the test database (fresh per file). */
  options(): SqlAdapterOptions
  /** Options naming a database that is not there (a port nobody listens on, a folder that does not exist). */
  unreachable(): SqlAdapterOptions
  /** Ends the connection `db` runs on, from another connection (servers only). */
  readonly killFrom?: (admin: Kysely<DB>, victim: Kysely<DB>) => Promise<void>
  /** A statement that ends its own connection while it runs (servers only). */
  readonly suicide?: string
  /** Called once after the suite (drop the database). */
  cleanup(): Promise<void>
}

const fastRetry = (maxAttempts: number): AdapterBaseOptions['retry'] => ({ maxAttempts, backoff: { initial: '1 ms', max: '5 ms', jitter: 'none' } })

/**
 * Registers the suite in the current `describe`. A server database (`'server'`)
 * also gets the cases that need connections of its own (killed, deadlocked);
 * SQLite (`'embedded'`) has none, so they are not registered for it.
 */
export function sqlAdapterSuite(target: () => Promise<SqlTarget>, kind: 'server' | 'embedded' = 'server'): void {
  const serverIt = kind === 'server' ? it : () => undefined
  let t: SqlTarget
  let admin: SqlAdapter<DB>
  const opened: SqlAdapter<DB>[] = []
  const adapter = (extra: Partial<AdapterBaseOptions> = {}): SqlAdapter<DB> => {
    const created = new SqlAdapter<DB>({ ...t.options(), ...extra } as SqlAdapterOptions)
    opened.push(created)
    return created
  }
  const count = async () => Number((await admin.db.selectFrom('items').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)

  beforeAll(async () => {
    t = await target()
    admin = new SqlAdapter<DB>({ ...t.options(), name: 'admin' } as SqlAdapterOptions)
    await admin.db.schema.createTable('items').ifNotExists().addColumn('id', 'varchar(64)', (c) => c.primaryKey()).addColumn('qty', 'integer', (c) => c.notNull()).execute()
  })
  beforeEach(async () => {
    await admin.db.deleteFrom('items').execute()
  })
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((a) => a.close()))
  })
  afterAll(async () => {
    await admin?.close()
    await t?.cleanup()
  })

  it('inserts and selects typed rows', async () => {
    const sql = adapter()
    await sql.query('insert', (db) => db.insertInto('items').values([{ id: 'a', qty: 1 }, { id: 'b', qty: 2 }]).execute())
    const rows = await sql.query('list', (db) => db.selectFrom('items').select(['id', 'qty']).orderBy('id').execute(), { idempotent: true })
    expectTypeOf(rows).toEqualTypeOf<{ id: string; qty: number }[]>()
    expect(rows).toEqual([{ id: 'a', qty: 1 }, { id: 'b', qty: 2 }])
    expect(sql.dialect).toBe(t.dialect)
  })

  it('commits a transaction whole', async () => {
    const sql = adapter()
    const total = await sql.transaction('move', async (trx) => {
      await trx.insertInto('items').values({ id: 'a', qty: 5 }).execute()
      await trx.insertInto('items').values({ id: 'b', qty: 7 }).execute()
      const sum = await trx.selectFrom('items').select((eb) => eb.fn.sum<number>('qty').as('total')).executeTakeFirstOrThrow()
      return Number(sum.total)
    })
    expect(total).toBe(12)
    expect(await count()).toBe(2)
  })

  it('rolls a failed transaction back, nothing half-written, and rethrows the callback error', async () => {
    const sql = adapter()
    const boom = new Error('the second write is refused by the application')
    await expect(
      sql.transaction('half', async (trx) => {
        await trx.insertInto('items').values({ id: 'a', qty: 1 }).execute()
        throw boom
      }),
    ).rejects.toBe(boom)
    expect(await count()).toBe(0)
  })

  it('reports health up with its latency, and down when the database is not there', async () => {
    const up = await adapter().health()
    expect(up.state).toBe('up')
    expect(up.latencyMs).toBeGreaterThan(0)
    const gone = new SqlAdapter<DB>({ ...t.unreachable(), healthTimeout: '5 s' } as SqlAdapterOptions)
    opened.push(gone)
    const down = await gone.health()
    expect(down.state).toBe('down')
    expect(down.detail).toBeTruthy()
  })

  it('counts calls and failures per operation', async () => {
    const sql = adapter()
    await sql.query('read', (db) => db.selectFrom('items').selectAll().execute())
    await sql.query('read', (db) => db.selectFrom('items').selectAll().execute())
    await expect(sql.query('bad', (db) => rawSql`select * from no_such_table`.execute(db))).rejects.toBeInstanceOf(SqlStatementError)
    const stats = sql.stats()
    expect(stats.kind).toBe('sql')
    expect(stats.operations.map((o) => [o.operation, o.calls, o.failures])).toEqual([
      ['read', 2, 0],
      ['bad', 1, 1],
    ])
  })

  it('classifies a constraint violation and does not retry it', async () => {
    const sql = adapter({ retry: fastRetry(3) })
    await sql.query('seed', (db) => db.insertInto('items').values({ id: 'a', qty: 1 }).execute())
    const attempts: number[] = []
    const error = await sql
      .transaction('duplicate', async (trx, call) => {
        attempts.push(call.attempt)
        await trx.insertInto('items').values({ id: 'a', qty: 2 }).execute()
      })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SqlConstraintError)
    expect(error).toMatchObject({ code: 'WEFT_SQL_CONSTRAINT', kind: 'unique', isRetryable: false, adapter: 'sql', operation: 'duplicate' })
    expect(attempts).toEqual([1])
  })

  it('classifies a syntax error as a statement error, not retried', async () => {
    const sql = adapter({ retry: fastRetry(3) })
    let attempts = 0
    const error = await sql.query('typo', (db) => (attempts++, rawSql`selec 1`.execute(db))).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'WEFT_SQL_STATEMENT', reason: 'syntax', isRetryable: false })
    expect(attempts).toBe(1)
  })

  it('does not start a call whose signal has already fired', async () => {
    const sql = adapter()
    const reason = new Error('cancelled by the caller')
    let ran = false
    await expect(sql.query('never', async () => (ran = true), {}, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason)
    expect(ran).toBe(false)
  })

  it('stops a transaction at its next statement once its signal fires, and rolls it back', async () => {
    const sql = adapter()
    const controller = new AbortController()
    const reason = new Error('the task was cancelled')
    const outcome = sql
      .transaction(
        'cancelled',
        async (trx) => {
          await trx.insertInto('items').values({ id: 'a', qty: 1 }).execute()
          controller.abort(reason)
          await trx.insertInto('items').values({ id: 'b', qty: 1 }).execute()
        },
        {},
        { signal: controller.signal },
      )
      .catch((e: unknown) => e)
    expect(await outcome).toBe(reason)
    // The abandoned attempt rolls back on its own; wait for its connection to come back before counting.
    await expect.poll(count, { timeout: 10_000 }).toBe(0)
  })

  it('rolls back an attempt cut by its timeout instead of committing it late, and starts the retry only once it has settled', async () => {
    const sql = adapter({ retry: fastRetry(3), timeout: '1 s' })
    const events: string[] = []
    const value = await sql.transaction('slow', async (trx, call) => {
      events.push(`start ${call.attempt}`)
      await trx.insertInto('items').values({ id: 'row', qty: call.attempt }).execute()
      // Attempt 1 outlives its timeout: it is abandoned, and its callback returns after the cut.
      if (call.attempt === 1) await new Promise((resolve) => setTimeout(resolve, 1_200))
      events.push(`end ${call.attempt}`)
      return call.attempt
    })
    expect(value).toBe(2)
    expect(events).toEqual(['start 1', 'end 1', 'start 2', 'end 2'])
    expect(await admin.db.selectFrom('items').selectAll().execute()).toEqual([{ id: 'row', qty: 2 }])
  })

  it('retries a query whose connection was refused, and classifies it as a connection error that sent nothing', async () => {
    const gone = new SqlAdapter<DB>({ ...t.unreachable(), retry: fastRetry(2) } as SqlAdapterOptions)
    opened.push(gone)
    let attempts = 0
    const error = await gone.query('refused', (db) => (attempts++, db.selectFrom('items').selectAll().execute())).catch((e: unknown) => e)
    if (t.dialect === 'sqlite') {
      expect(error).toBeInstanceOf(TypeError) // better-sqlite3's own error for a folder that does not exist: not a driver error code
      return
    }
    expect(error).toBeInstanceOf(SqlConnectionError)
    expect(error).toMatchObject({ phase: 'connect', isRetryable: true, mayHaveApplied: false, driverCode: 'ECONNREFUSED' })
    expect(attempts).toBe(2)
  })

  serverIt('retries a transaction whose connection is killed mid-way from its start, and commits it once', async () => {
    const sql = adapter({ retry: fastRetry(3) })
    const attempts: number[] = []
    await sql.transaction('killed', async (trx, call) => {
      attempts.push(call.attempt)
      await trx.insertInto('items').values({ id: 'once', qty: call.attempt }).execute()
      if (call.attempt === 1) await t.killFrom!(admin.db, trx)
      await trx.updateTable('items').set({ qty: 10 }).where('id', '=', 'once').execute()
    })
    expect(attempts).toEqual([1, 2])
    expect(await admin.db.selectFrom('items').selectAll().execute()).toEqual([{ id: 'once', qty: 10 }])
  })

  serverIt('with retries off, fails a transaction whose connection is killed cleanly: classified retryable, nothing written', async () => {
    const sql = adapter()
    const error = await sql
      .transaction('killed', async (trx) => {
        await trx.insertInto('items').values({ id: 'never', qty: 1 }).execute()
        await t.killFrom!(admin.db, trx)
        await trx.insertInto('items').values({ id: 'never-2', qty: 1 }).execute()
      })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SqlConnectionError)
    expect(error).toMatchObject({ code: 'WEFT_SQL_CONNECTION', phase: 'statement', isRetryable: true, mayHaveApplied: false })
    expect(await count()).toBe(0)
    // The pool replaced the dead connection.
    expect(await sql.query('after', (db) => db.selectFrom('items').selectAll().execute())).toEqual([])
  })

  serverIt('does not retry a query that lost its connection mid-statement unless it is declared idempotent', async () => {
    const sql = adapter({ retry: fastRetry(3) })
    const statement = t.suicide!
    let attempts = 0
    const error = await sql.query('unsure', (db) => (attempts++, rawSql.raw(statement).execute(db))).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SqlConnectionError)
    expect(error).toMatchObject({ phase: 'statement', mayHaveApplied: true, isRetryable: false })
    expect(attempts).toBe(1)

    const seen: number[] = []
    const rows = await sql.query('sure', async (db, call) => {
      seen.push(call.attempt)
      if (call.attempt === 1) await rawSql.raw(statement).execute(db)
      return db.selectFrom('items').selectAll().execute()
    }, { idempotent: true })
    expect(rows).toEqual([])
    expect(seen).toEqual([1, 2])
  })

  serverIt('classifies a deadlock as transient, and retries the losing transaction from its start', async () => {
    await admin.db.insertInto('items').values([{ id: 'x', qty: 0 }, { id: 'y', qty: 0 }]).execute()
    const crossing = (sql: SqlAdapter<DB>, attempts: number[]) => {
      let ready!: () => void
      let other!: () => void
      const bothLocked = Promise.all([new Promise<void>((resolve) => (ready = resolve)), new Promise<void>((resolve) => (other = resolve))])
      const run = (first: string, second: string, mine: () => void) =>
        sql.transaction(`lock-${first}`, async (trx, call) => {
          attempts.push(call.attempt)
          await trx.updateTable('items').set((eb) => ({ qty: eb('qty', '+', 1) })).where('id', '=', first).execute()
          mine()
          await bothLocked
          await trx.updateTable('items').set((eb) => ({ qty: eb('qty', '+', 1) })).where('id', '=', second).execute()
        })
      return Promise.allSettled([run('x', 'y', () => ready()), run('y', 'x', () => other())])
    }
    const once: number[] = []
    const without = await crossing(adapter(), once)
    const failures = without.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as unknown)
    expect(failures).toHaveLength(1)
    expect(failures[0]).toMatchObject({ code: 'WEFT_SQL_TRANSIENT', reason: 'deadlock', isRetryable: true })

    const retried: number[] = []
    const withRetry = await crossing(adapter({ retry: fastRetry(3) }), retried)
    expect(withRetry.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled'])
    expect(retried.sort()).toEqual([1, 1, 2])
    // One crossing committed once without retries, the other twice: each row counted three times.
    expect(await admin.db.selectFrom('items').select(['id', 'qty']).orderBy('id').execute()).toEqual([
      { id: 'x', qty: 3 },
      { id: 'y', qty: 3 },
    ])
  })

  it('refuses calls after close()', async () => {
    const sql = adapter()
    await sql.close()
    await expect(sql.query('late', (db) => db.selectFrom('items').selectAll().execute())).rejects.toMatchObject({ code: 'WEFT_ADAPTER_CLOSED' })
    expect((await sql.health()).state).toBe('down')
  })
}

/** `url` with another port. */
export function withPort(url: string, port: number): string {
  const parsed = new URL(url)
  parsed.port = String(port)
  return parsed.toString()
}
