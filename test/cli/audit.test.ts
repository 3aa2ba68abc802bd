/**
 * `weft audit verify` and `weft audit list`, the built CLI in its own
 * process, on a SQLite file and a PostgreSQL database written by AuditLog
 * with a checkpoint file, then changed with raw SQL.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sqliteStore } from 'weft-sdk'
import { postgresStore } from '../../src/postgres.js'
import type { AuditStore } from '../../src/storage/audit-store.js'
import { AuditLog } from '../../src/security/audit-log.js'
import { AuditSigner, FileCheckpointSink, generateAuditKeys } from '../../src/security/audit-checkpoints.js'
import { createTestDatabase, describePostgres, type TestDatabase } from '../support/postgres.js'
import { runWeft } from '../support/weft-cli.js'
import { sampleRecord } from '../security/audit-conformance.js'

const keys = generateAuditKeys()

/** Writes `count` entries through an AuditLog that checkpoints to `<dir>/checkpoints.jsonl`; the public key goes to `<dir>/audit.pub.pem`. */
async function writeLog(audit: AuditStore, dir: string, count: number): Promise<void> {
  writeFileSync(join(dir, 'audit.pub.pem'), keys.publicKey)
  const log = await AuditLog.open({ store: audit, writer: 'worker-1', signer: new AuditSigner(keys.privateKey), checkpoints: new FileCheckpointSink(join(dir, 'checkpoints.jsonl')), checkpointEvery: 4 })
  for (let n = 0; n < count; n++) await log.record(sampleRecord(n))
  await log.close()
}

const verifyArgs = ['audit', 'verify', '--checkpoints', 'checkpoints.jsonl', '--public-key', 'audit.pub.pem']

describe('weft audit on a SQLite file', () => {
  let dir: string
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'weft-cli-audit-'))
    const store = sqliteStore({ path: join(dir, 'weft.sqlite') })
    await store.init()
    await writeLog(store.audit, dir, 10)
    await store.close()
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('verifies an intact log: exit 0, one line per chain and the checkpoints counted', async () => {
    const result = await runWeft([...verifyArgs, '--database', 'weft.sqlite'], dir)
    expect(result.code, result.stderr).toBe(0)
    expect(result.lines).toEqual([expect.stringMatching(/^ok\s+worker-1: 10 entries, signed through 9$/), '3 of 3 checkpoints verified'])
  })

  it('lists entries newest first with filters, as a table and as JSON', async () => {
    const table = await runWeft(['audit', 'list', '--database', 'weft.sqlite', '--outcome', 'denied'], dir)
    expect(table.code).toBe(0)
    expect(table.lines[0]).toMatch(/^AT \(UTC\)\s+ENTRY\s+SUBJECT\s+ACTION\s+RESOURCE\s+OUTCOME\s+REASON$/)
    expect(table.lines.slice(1).map((line) => line.split(/\s{2,}/)[1])).toEqual(['worker-1:7', 'worker-1:4', 'worker-1:1'])
    const json = await runWeft(['audit', 'list', '--database', 'weft.sqlite', '--subject', 'user:2', '--limit', '2', '--json'], dir)
    const page = JSON.parse(json.stdout) as { entries: { index: number; subject: string }[]; nextCursor: string | null }
    expect(page.entries.map((e) => [e.index, e.subject])).toEqual([[8, 'user:2'], [5, 'user:2']])
    const next = await runWeft(['audit', 'list', '--database', 'weft.sqlite', '--subject', 'user:2', '--cursor', page.nextCursor!, '--json'], dir)
    expect((JSON.parse(next.stdout) as { entries: { index: number }[] }).entries.map((e) => e.index)).toEqual([2])
  })

  it('refuses a bad --outcome and --checkpoints without a key (exit 2)', async () => {
    expect((await runWeft(['audit', 'list', '--database', 'weft.sqlite', '--outcome', 'maybe'], dir)).code).toBe(2)
    expect((await runWeft(['audit', 'verify', '--checkpoints', 'checkpoints.jsonl', '--database', 'weft.sqlite'], dir)).stderr).toContain('--public-key')
  })

  it('exits 1 naming the index of an entry edited with raw SQL', async () => {
    const copy = join(dir, 'edited.sqlite')
    const raw = new Database(join(dir, 'weft.sqlite'))
    await raw.backup(copy)
    raw.close()
    const edited = new Database(copy)
    edited.exec(`drop trigger weft_audit_no_update; update weft_audit set outcome = 'succeeded' where idx = 4`)
    edited.close()
    const result = await runWeft([...verifyArgs, '--database', 'edited.sqlite'], dir)
    expect(result.code, result.stderr).toBe(1)
    expect(result.lines[0]).toMatch(/^TAMPERED\s+worker-1: entry 4 edited: /)
    expect(result.stderr).toContain('the audit log does not verify')
    const json = JSON.parse((await runWeft([...verifyArgs, '--database', 'edited.sqlite', '--json'], dir)).stdout)
    expect(json.chains[0].problem).toMatchObject({ index: 4, kind: 'edited' })
  })

  it('exits 1 on a truncated log and on a checkpoint file signed with another key', async () => {
    const copy = join(dir, 'truncated.sqlite')
    const raw = new Database(join(dir, 'weft.sqlite'))
    await raw.backup(copy)
    raw.close()
    const truncated = new Database(copy)
    truncated.exec('drop trigger weft_audit_no_delete; delete from weft_audit where idx >= 6')
    truncated.close()
    const result = await runWeft([...verifyArgs, '--database', 'truncated.sqlite'], dir)
    expect(result.code, result.stderr).toBe(1)
    expect(result.lines[0]).toMatch(/entry 6 truncated/)
    writeFileSync(join(dir, 'other.pub.pem'), generateAuditKeys().publicKey)
    const forged = await runWeft(['audit', 'verify', '--checkpoints', 'checkpoints.jsonl', '--public-key', 'other.pub.pem', '--database', 'weft.sqlite'], dir)
    expect(forged.code, forged.stderr).toBe(1)
    expect(forged.stdout).toContain('checkpoint line 1: bad-signature')
  })
})

describePostgres('weft audit on PostgreSQL', () => {
  let dir: string
  let database: TestDatabase
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'weft-cli-audit-pg-'))
    database = await createTestDatabase()
    const store = postgresStore({ connectionString: database.url, maxConnections: 2 })
    await store.init()
    await writeLog(store.audit, dir, 8)
    await store.close()
  })
  afterAll(async () => {
    await database.drop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('verifies, then names the index of an entry deleted with raw SQL', async () => {
    expect((await runWeft([...verifyArgs, '--database', database.url], dir)).code).toBe(0)
    const client = new pg.Client({ connectionString: database.url })
    await client.connect()
    await client.query('alter table weft_audit disable trigger user')
    await client.query('delete from weft_audit where idx = 2')
    await client.end()
    const result = await runWeft([...verifyArgs, '--database', database.url], dir)
    expect(result.code, result.stderr).toBe(1)
    expect(result.lines[0]).toMatch(/^TAMPERED\s+worker-1: entry 2 deleted/)
  })
})
