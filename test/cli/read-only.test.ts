/**
 * Commands that only read (`weft runs list`, `weft runs show`) open the
 * database read-only and never migrate it; commands that change runs
 * (`cancel`, `resume`) never change the schema. Pointed at a database that is
 * not Weft's, or that a newer Weft migrated, every command says so and
 * changes nothing. (`runs list` used to add Weft's tables to any SQLite file
 * and switch it to WAL mode for good.)
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { createEngine, defineWorkflow, sqliteStore } from 'weft-sdk'
import { createTestDatabase, describePostgres } from '../support/postgres.js'
import { sqliteMigratedByNewerWeft } from '../support/newer-schema.js'
import { runWeft } from '../support/weft-cli.js'

const folder = mkdtempSync(join(tmpdir(), 'weft-cli-read-only-'))
afterAll(() => rmSync(folder, { recursive: true, force: true }))

/** A SQLite database of another application: one table, the default (rollback) journal. */
function otherDatabase(name: string): string {
  const path = join(folder, name)
  const db = new Database(path)
  db.exec(`create table notes (body text); insert into notes values ('keep me')`)
  db.close()
  return path
}

function tablesAndJournal(path: string): { tables: string[]; journal: string } {
  const db = new Database(path, { readonly: true })
  const tables = (db.prepare(`select name from sqlite_master where type = 'table' order by name`).all() as { name: string }[]).map((r) => r.name)
  const journal = String(db.pragma('journal_mode', { simple: true }))
  db.close()
  return { tables, journal }
}

describe('weft commands on a SQLite database that is not Weft\'s', () => {
  it.each([
    [['runs', 'list']],
    [['runs', 'show', 'r1']],
    [['runs', 'cancel', 'r1']],
    [['runs', 'resume', 'r1']],
    [['runs', 'signal', 'r1', 'go', 'true']],
  ])('%j says so, exits 1, and leaves the file byte for byte as it was', async (args) => {
    const path = otherDatabase(`other-${args.join('-')}.sqlite`)
    const before = readFileSync(path)
    const result = await runWeft([...args, '--database', path], folder)
    expect(result.code).toBe(1)
    expect(result.stderr).toBe(`weft: cannot open ${path}: ${path} is not a Weft database (it has no weft_runs table); pass the path or URL of a database a Weft engine created\n`)
    expect(readFileSync(path).equals(before)).toBe(true)
    expect(tablesAndJournal(path)).toEqual({ tables: ['notes'], journal: 'delete' })
  })
})

describe('weft commands on a database a newer Weft migrated', () => {
  it('say which migration this version does not know, and read nothing', async () => {
    const path = join(folder, 'newer.sqlite')
    await sqliteMigratedByNewerWeft(path)
    const result = await runWeft(['runs', 'list', '--database', path], folder)
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('was migrated by a newer version of Weft (it has migration "2099_01_01_999_future"')
  })
})

describe('weft runs list and show on a Weft database', () => {
  it('read it without writing to it: the database file is unchanged', async () => {
    const path = join(folder, 'weft.sqlite')
    const engine = createEngine({ store: sqliteStore({ path }) })
    const workflow = defineWorkflow({ name: 'hello', version: 1 }).task('greet', () => 'hi').build()
    const run = await engine.start(workflow)
    await run.result()
    await engine.close()
    const before = readFileSync(path)
    const list = await runWeft(['runs', 'list', '--database', path], folder)
    const show = await runWeft(['runs', 'show', run.id, '--database', path], folder)
    expect([list.code, show.code]).toEqual([0, 0])
    expect(list.stdout).toContain(run.id)
    expect(show.stdout).toContain('greet')
    expect(readFileSync(path).equals(before)).toBe(true)
  })
})

describePostgres('weft commands on a PostgreSQL database that is not Weft\'s', () => {
  it('say so, exit 1, and create no table', async () => {
    const database = await createTestDatabase()
    try {
      const result = await runWeft(['runs', 'list', '--database', database.url], folder)
      expect(result.code).toBe(1)
      expect(result.stderr).toContain('is not a Weft database (it has no weft_runs table)')
      const client = new pg.Client({ connectionString: database.url })
      await client.connect()
      const { rows } = await client.query(`select count(*)::int as n from information_schema.tables where table_schema = 'public'`)
      await client.end()
      expect(rows[0].n).toBe(0)
    } finally {
      await database.drop()
    }
  })
})
