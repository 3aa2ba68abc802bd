/**
 * The table types kysely checks every statement against (sql/schema.ts) are
 * the schema the migrations build: both dialects are migrated for real and
 * their columns compared with `weftColumns`, the value typed by those table
 * types (a column missing from it, or one it has that the type lacks, fails
 * tsc; one the migrations lack or add fails here).
 */
import Database from 'better-sqlite3'
import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { sqliteStore } from 'weft-sdk'
import { postgresStore } from '../../src/postgres.js'
import type { SqlDialect } from '../../src/storage/sql/migrations.js'
import { weftColumns, type ColumnDeclaration, type ColumnKind } from '../../src/storage/sql/schema.js'
import { createTestDatabase, describePostgres } from '../support/postgres.js'

/** A column as a database reports it: its name, its declared type and whether it may be null. */
type ReportedColumn = readonly [name: string, type: string, nullable: boolean]

const sqliteTypes: Record<ColumnKind, string> = { text: 'text', integer: 'integer', time: 'integer', serial: 'integer', 'event-id': 'integer', bytes: 'blob' }
const postgresTypes: Record<ColumnKind, string> = {
  text: 'text',
  integer: 'integer',
  time: 'double precision',
  serial: 'bigint',
  'event-id': 'bigint',
  bytes: 'bytea',
}

/** What the declared columns say a dialect reports, table by table, in name order. */
function declared(dialect: SqlDialect, types: Record<ColumnKind, string>): Record<string, ReportedColumn[]> {
  return Object.fromEntries(
    Object.entries(weftColumns).map(([table, columns]) => [
      table,
      Object.entries(columns)
        .filter(([, column]: [string, ColumnDeclaration]) => column.only === undefined || column.only === dialect)
        .map(([name, column]): ReportedColumn => [name, types[column.kind], column.nullable])
        .sort(([a], [b]) => a.localeCompare(b)),
    ]),
  )
}

function sqliteColumns(db: Database.Database): Record<string, ReportedColumn[]> {
  const tables = db.prepare(`select name from sqlite_master where type = 'table' and name like 'weft_%' order by name`).all() as { name: string }[]
  return Object.fromEntries(
    tables.map(({ name }) => {
      const info = db.prepare(`select name, lower(type) as type, "notnull", pk from pragma_table_info(?)`).all(name) as { name: string; type: string; notnull: number; pk: number }[]
      // SQLite lets a primary-key column of a rowid table hold null unless it says NOT NULL; Weft never writes null there.
      const columns = info.map((c): ReportedColumn => [c.name, c.type, c.notnull === 0 && c.pk === 0])
      return [name, columns.sort(([a], [b]) => a.localeCompare(b))]
    }),
  )
}

async function postgresColumns(client: pg.Client): Promise<Record<string, ReportedColumn[]>> {
  const { rows } = await client.query<{ table_name: string; column_name: string; data_type: string; is_nullable: string }>(
    `select table_name, column_name, data_type, is_nullable from information_schema.columns
     where table_schema = current_schema() and table_name like 'weft\\_%' order by table_name, column_name`,
  )
  const tables: Record<string, ReportedColumn[]> = {}
  for (const row of rows) (tables[row.table_name] ??= []).push([row.column_name, row.data_type, row.is_nullable === 'YES'])
  for (const columns of Object.values(tables)) columns.sort(([a], [b]) => a.localeCompare(b))
  return tables
}

describe('the declared schema on SQLite', () => {
  it('has exactly the tables and columns the migrations create', async () => {
    const db = new Database(':memory:')
    const store = sqliteStore({ database: db })
    await store.init()
    expect(sqliteColumns(db)).toEqual(declared('sqlite', sqliteTypes))
    await store.close()
    db.close()
  })
})

describePostgres('the declared schema on PostgreSQL', () => {
  it('has exactly the tables and columns the migrations create', async () => {
    const database = await createTestDatabase()
    const client = new pg.Client({ connectionString: database.url })
    try {
      const store = postgresStore({ connectionString: database.url })
      await store.init()
      await store.close()
      await client.connect()
      expect(await postgresColumns(client)).toEqual(declared('postgres', postgresTypes))
    } finally {
      await client.end().catch(() => undefined)
      await database.drop()
    }
  })
})
