/**
 * The tamper suite (audit-conformance.ts) on memory, a real SQLite file and
 * real PostgreSQL; on the SQL stores every change is raw SQL on weft_audit,
 * after dropping the append-only triggers, which are tested first.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { MemoryWorkflowStore, sqliteStore } from 'weft-sdk'
import { postgresStore } from '../../src/postgres.js'
import type { AuditEntry } from '../../src/storage/audit-store.js'
import { AuditLog } from '../../src/security/audit-log.js'
import { createTestDatabase, describePostgres } from '../support/postgres.js'
import { auditTamperSuite, sampleRecord, type AuditTamper } from './audit-conformance.js'

/** The attacker's statements, over a connection that runs `?`-parameter SQL. */
function sqlTamper(exec: (sql: string, params: unknown[]) => Promise<void>): AuditTamper {
  const shift = async (chain: string, from: number, by: number) => {
    // Through a far range first: a unique key moved row by row would collide on the way.
    await exec('update weft_audit set idx = idx + 1000000 where chain = ? and idx >= ?', [chain, from])
    await exec('update weft_audit set idx = idx - 1000000 + ? where chain = ? and idx >= 1000000', [by, chain])
  }
  return {
    edit: (chain, index, subject) => exec('update weft_audit set subject = ? where chain = ? and idx = ?', [subject, chain, index]),
    async remove(chain, index, renumber) {
      await exec('delete from weft_audit where chain = ? and idx = ?', [chain, index])
      if (renumber) await shift(chain, index + 1, -1)
    },
    async insert(chain, index, hash, prevHash) {
      await shift(chain, index, 1)
      await exec(`insert into weft_audit (chain, idx, at, subject, tenant, action, resource, run_id, outcome, reason, prev_hash, hash) values (?, ?, 1, 'user:mallory', null, 'run.start', null, null, 'succeeded', null, ?, ?)`, [chain, index, prevHash, hash])
    },
    async swap(chain, a, b) {
      await exec('update weft_audit set idx = -1 where chain = ? and idx = ?', [chain, a])
      await exec('update weft_audit set idx = ? where chain = ? and idx = ?', [a, chain, b])
      await exec('update weft_audit set idx = ? where chain = ? and idx = -1', [b, chain])
    },
    truncate: (chain, index) => exec('delete from weft_audit where chain = ? and idx >= ?', [chain, index]),
  }
}

/** The same changes on the memory store's rows. */
function memoryTamper(rows: AuditEntry[]): AuditTamper {
  const at = (chain: string, index: number) => rows.findIndex((row) => row.chain === chain && row.index === index)
  const renumber = (chain: string, from: number, by: number) => rows.forEach((row, i) => row.chain === chain && row.index >= from && (rows[i] = { ...row, index: row.index + by }))
  return {
    edit: async (chain, index, subject) => void (rows[at(chain, index)] = { ...rows[at(chain, index)]!, subject }),
    async remove(chain, index, close) {
      rows.splice(at(chain, index), 1)
      if (close) renumber(chain, index + 1, -1)
    },
    async insert(chain, index, hash, prevHash) {
      renumber(chain, index, 1)
      rows.push({ chain, index, at: 1, subject: 'user:mallory', tenant: null, action: 'run.start', resource: null, runId: null, outcome: 'succeeded', reason: null, prevHash, hash })
    },
    async swap(chain, a, b) {
      const [i, j] = [at(chain, a), at(chain, b)]
      rows[i] = { ...rows[i]!, index: b }
      rows[j] = { ...rows[j]!, index: a }
    },
    truncate: async (chain, index) => void rows.splice(0, rows.length, ...rows.filter((row) => row.chain !== chain || row.index < index)),
  }
}

auditTamperSuite('memory', async () => {
  const store = new MemoryWorkflowStore()
  return { audit: store.audit, tamper: memoryTamper(store.audit.rows), close: () => store.close() }
})

function sqliteFile(): { path: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'weft-audit-'))
  return { path: join(dir, 'weft.sqlite'), remove: () => rmSync(dir, { recursive: true, force: true }) }
}

auditTamperSuite('SQLite file', async () => {
  const file = sqliteFile()
  const store = sqliteStore({ path: file.path })
  await store.init()
  const raw = new Database(file.path)
  raw.exec('drop trigger weft_audit_no_update; drop trigger weft_audit_no_delete')
  const tamper = sqlTamper(async (sql, params) => void raw.prepare(sql).run(...params))
  return { audit: store.audit, tamper, close: async () => (raw.close(), await store.close(), file.remove()) }
})

/** `?` parameters as PostgreSQL's `$n`. */
function numbered(sql: string): string {
  let n = 0
  return sql.replace(/\?/g, () => `$${++n}`)
}

describePostgres('PostgreSQL', () => {
  auditTamperSuite('PostgreSQL', async () => {
    const database = await createTestDatabase()
    const store = postgresStore({ connectionString: database.url, maxConnections: 4 })
    await store.init()
    const client = new pg.Client({ connectionString: database.url })
    await client.connect()
    await client.query('alter table weft_audit disable trigger user')
    const tamper = sqlTamper(async (sql, params) => void (await client.query(numbered(sql), params)))
    return { audit: store.audit, tamper, close: async () => (await client.end(), await store.close(), await database.drop()) }
  })

  it('refuses UPDATE, DELETE and TRUNCATE of weft_audit by trigger', async () => {
    const database = await createTestDatabase()
    const store = postgresStore({ connectionString: database.url, maxConnections: 2 })
    const client = new pg.Client({ connectionString: database.url })
    try {
      await store.init()
      await (await AuditLog.open({ store: store.audit, writer: 'w' })).record(sampleRecord(1))
      await client.connect()
      await expect(client.query(`update weft_audit set subject = 'x'`)).rejects.toThrow(/append-only \(UPDATE refused\)/)
      await expect(client.query('delete from weft_audit')).rejects.toThrow(/append-only \(DELETE refused\)/)
      await expect(client.query('truncate weft_audit')).rejects.toThrow(/append-only \(TRUNCATE refused\)/)
      expect((await client.query('select count(*)::int as n from weft_audit')).rows[0].n).toBe(1)
    } finally {
      await client.end()
      await store.close()
      await database.drop()
    }
  })
})

describe('SQLite weft_audit', () => {
  it('refuses UPDATE and DELETE by trigger', async () => {
    const file = sqliteFile()
    const store = sqliteStore({ path: file.path })
    try {
      await store.init()
      await (await AuditLog.open({ store: store.audit, writer: 'w' })).record(sampleRecord(1))
      const raw = new Database(file.path)
      expect(() => raw.prepare(`update weft_audit set subject = 'x'`).run()).toThrow('weft_audit is append-only')
      expect(() => raw.prepare('delete from weft_audit').run()).toThrow('weft_audit is append-only')
      expect(raw.prepare('select count(*) as n from weft_audit').get()).toEqual({ n: 1 })
      raw.close()
    } finally {
      await store.close()
      file.remove()
    }
  })
})
