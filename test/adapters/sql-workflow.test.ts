/**
 * SqlAdapter from a real workflow run (SQLite): registered in the engine,
 * injected into a workflow class, used through ctx.use(sql) with the task's
 * idempotency key; plus the errors a user meets before any statement.
 */
import 'reflect-metadata'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { Retry, Task, Workflow, WorkflowBase, type TaskContext } from 'weft-sdk'
import { SqlAdapter, SqlDriverMissingError } from 'weft-sdk/sql'
import { buildDialect } from '../../src/integration/sql/sql-dialects.js'
import { memoryEngine } from '../support/engines.js'

interface DB {
  payments: { key: string; amount: number }
}

const folder = mkdtempSync(join(tmpdir(), 'weft-sql-workflow-'))
afterAll(() => rmSync(folder, { recursive: true, force: true }))

const attempts: number[] = []

@Workflow({ name: 'sql-record-payment', version: 1 })
class RecordPayment extends WorkflowBase<{ amount: number }> {
  constructor(private readonly sql: SqlAdapter<DB>) {
    super()
  }

  @Task()
  @Retry({ maxAttempts: 2, backoff: { initial: '1 ms', jitter: 'none' } })
  async record(input: { amount: number }, ctx: TaskContext): Promise<string> {
    attempts.push(ctx.attempt)
    const db = ctx.use(this.sql)
    const key = await db.transaction('record', async (trx, call) => {
      // The idempotency key is the same when the task is retried: the second insert finds the first.
      await trx.insertInto('payments').values({ key: call.idempotencyKey, amount: input.amount }).onConflict((c) => c.column('key').doNothing()).execute()
      return call.idempotencyKey
    })
    if (ctx.attempt === 1) throw new Error('the task fails after its write, and is retried')
    return key
  }
}

describe('SqlAdapter in a workflow', () => {
  it('is injected, bound to the task attempt by ctx.use, and writes once across a retried task', async () => {
    const sql = new SqlAdapter<DB>({ name: 'ledger', dialect: 'sqlite', file: join(folder, 'ledger.sqlite') })
    await sql.db.schema.createTable('payments').addColumn('key', 'text', (c) => c.primaryKey()).addColumn('amount', 'integer', (c) => c.notNull()).execute()
    const engine = memoryEngine({ adapters: [sql] })
    const run = await engine.start(RecordPayment, { amount: 42 }, { runId: 'pay-1' })
    const key = (await run.result()).output('record')
    expect(key).toBe('pay-1:record:ledger:1')
    expect(attempts).toEqual([1, 2])
    expect(await sql.db.selectFrom('payments').selectAll().execute()).toEqual([{ key: 'pay-1:record:ledger:1', amount: 42 }])
    expect(sql.stats().operations).toMatchObject([{ operation: 'record', calls: 2, failures: 0 }])
    const health = await engine.health()
    expect(health.adapters).toMatchObject([{ name: 'ledger', state: 'up' }])
    await engine.close()
    await expect(sql.query('late', (db) => db.selectFrom('payments').selectAll().execute())).rejects.toMatchObject({ code: 'WEFT_ADAPTER_CLOSED' })
  })

  it('names the npm install when the dialect driver is missing', () => {
    const missing = (id: string) => {
      throw Object.assign(new Error(`Cannot find module '${id}'`), { code: 'MODULE_NOT_FOUND' })
    }
    for (const [dialect, driver] of [['postgres', 'pg'], ['mysql', 'mysql2'], ['sqlite', 'better-sqlite3']] as const) {
      const error = (() => {
        try {
          buildDialect({ name: 'db', dialect, url: dialect === 'sqlite' ? undefined : `${dialect}://u@127.0.0.1/x`, file: 'x.sqlite' }, missing)
        } catch (e) {
          return e
        }
      })()
      expect(error).toBeInstanceOf(SqlDriverMissingError)
      expect(error).toMatchObject({ code: 'WEFT_SQL_DRIVER_MISSING', driver })
      expect((error as Error).message).toContain(`npm install ${driver}`)
    }
  })

  it('redacts the password of its URL from health details', async () => {
    const sql = new SqlAdapter({ name: 'secret', dialect: 'postgres', url: 'postgres://app:s3cr3t-pw@127.0.0.1:1/nowhere', healthTimeout: '5 s' })
    const health = await sql.health()
    expect(health.state).toBe('down')
    expect(JSON.stringify(health)).not.toContain('s3cr3t-pw')
    await sql.close()
  })
})
