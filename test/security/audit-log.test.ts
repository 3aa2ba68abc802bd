/**
 * AuditLog as a writer: entries committed with the operation they record
 * (in a SQLite write, a PostgreSQL transaction, memory) or not at all and
 * without a gap, checkpoints every N entries and at close through the
 * fsync'd file sink, the signing key kept out of prints, bad records refused.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inspect } from 'node:util'
import { describe, expect, it, vi } from 'vitest'
import { MemoryWorkflowStore, sqliteStore } from 'weft-sdk'
import { InvalidOptionsError } from '../../src/core/definition-errors.js'
import { SecurityConfigError } from '../../src/core/security-errors.js'
import { postgresStore } from '../../src/postgres.js'
import type { AuditEntry } from '../../src/storage/audit-store.js'
import { insertAuditEntryOn } from '../../src/storage/postgres/pg-audit.js'
import type { PgContext } from '../../src/storage/postgres/pg-context.js'
import { insertAuditEntry } from '../../src/storage/sqlite/sqlite-audit.js'
import type { SqliteContext } from '../../src/storage/sqlite/sqlite-context.js'
import { AuditLog } from '../../src/security/audit-log.js'
import { AuditSigner, FileCheckpointSink, generateAuditKeys, isCheckpointSigned } from '../../src/security/audit-checkpoints.js'
import { readCheckpointFile, verifyAudit, verifyAuditOrThrow } from '../../src/security/audit-verify.js'
import { AuditIntegrityError } from '../../src/core/security-errors.js'
import { createTestDatabase, describePostgres } from '../support/postgres.js'
import { memorySink, sampleRecord } from './audit-conformance.js'

const keys = generateAuditKeys()

function tempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'weft-audit-log-'))
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) }
}

describe('AuditLog on the memory store', () => {
  it('writes an entry with the operation through recordWith, and none (with no gap after) when the operation fails', async () => {
    const store = new MemoryWorkflowStore()
    const log = await AuditLog.open({ store: store.audit, writer: 'w' })
    await log.recordWith(sampleRecord(0), async (sealed) => store.audit.insert([sealed]))
    await expect(
      log.recordWith(sampleRecord(1), async (sealed) => {
        store.audit.insert([sealed])
        store.audit.rows.pop() // the operation's transaction rolled back, the entry with it
        throw new Error('the run could not be created')
      }),
    ).rejects.toThrow('the run could not be created')
    const next = await log.record(sampleRecord(2))
    expect(next.index).toBe(1)
    expect((await verifyAudit({ store: store.audit })).ok).toBe(true)
  })

  it('goes on after a write that committed although it reported a failure: the head is read again', async () => {
    const store = new MemoryWorkflowStore()
    const log = await AuditLog.open({ store: store.audit, writer: 'w' })
    await expect(
      log.recordWith(sampleRecord(0), async (sealed) => {
        store.audit.insert([sealed])
        throw new Error('connection lost during commit')
      }),
    ).rejects.toThrow('connection lost')
    expect((await log.record(sampleRecord(1))).index).toBe(1)
    expect((await verifyAudit({ store: store.audit })).ok).toBe(true)
  })

  it('seals entries decided inside the write through recordWithin: several in a row, or none without moving the chain', async () => {
    const store = new MemoryWorkflowStore()
    const log = await AuditLog.open({ store: store.audit, writer: 'w' })
    const writing = (n: number) => async (seal: (entry: ReturnType<typeof sampleRecord>) => AuditEntry) =>
      store.audit.insert(Array.from({ length: n }, (_, i) => seal(sampleRecord(i))))
    await log.recordWithin(writing(2))
    await log.recordWithin(writing(0))
    expect((await log.record(sampleRecord(9))).index).toBe(2)
    expect(store.audit.rows.map((e) => e.index)).toEqual([0, 1, 2])
    expect((await verifyAudit({ store: store.audit })).ok).toBe(true)
  })

  it('signs a checkpoint every N entries and a last one at close, in an fsync\'d JSON-lines file that verifies', async () => {
    const { dir, remove } = tempDir()
    try {
      const store = new MemoryWorkflowStore()
      const path = join(dir, 'checkpoints.jsonl')
      const log = await AuditLog.open({ store: store.audit, writer: 'w', signer: new AuditSigner(keys.privateKey), checkpoints: new FileCheckpointSink(path), checkpointEvery: 4 })
      for (let n = 0; n < 10; n++) await log.record(sampleRecord(n))
      await log.close()
      const checkpoints = await readCheckpointFile(path)
      expect(checkpoints.map((c) => ('heads' in c ? c.heads['w']!.index : c.kind))).toEqual([3, 7, 9])
      expect(checkpoints.every((c) => 'heads' in c && isCheckpointSigned(c, [keys.publicKey]))).toBe(true)
      expect((await verifyAuditOrThrow({ store: store.audit, checkpoints, publicKeys: [keys.publicKey] })).chains[0]).toMatchObject({ entries: 10, checkpointed: 9 })
      await expect(log.record(sampleRecord(11))).rejects.toBeInstanceOf(InvalidOptionsError)
    } finally {
      remove()
    }
  })

  it('signs a checkpoint every checkpointIntervalMs while entries come, and none while nothing changed', async () => {
    vi.useFakeTimers()
    try {
      const store = new MemoryWorkflowStore()
      const sink = memorySink()
      const log = await AuditLog.open({ store: store.audit, writer: 'w', signer: new AuditSigner(keys.privateKey), checkpoints: sink, checkpointIntervalMs: 5_000 })
      await log.record(sampleRecord(0))
      await vi.advanceTimersByTimeAsync(4_999)
      expect(sink.checkpoints).toHaveLength(0)
      await vi.advanceTimersByTimeAsync(1)
      expect(sink.checkpoints.map((c) => c.heads['w']!.index)).toEqual([0])
      await vi.advanceTimersByTimeAsync(20_000)
      expect(sink.checkpoints).toHaveLength(1)
      await log.record(sampleRecord(1))
      await vi.advanceTimersByTimeAsync(5_000)
      expect(sink.checkpoints.map((c) => c.heads['w']!.index)).toEqual([0, 1])
      await log.close()
      expect(sink.checkpoints).toHaveLength(2)
    } finally {
      vi.useRealTimers()
    }
  })

  it('reports a malformed checkpoint line, and verifyAuditOrThrow throws AuditIntegrityError naming the index', async () => {
    const { dir, remove } = tempDir()
    try {
      const store = new MemoryWorkflowStore()
      const log = await AuditLog.open({ store: store.audit, writer: 'w' })
      for (let n = 0; n < 5; n++) await log.record(sampleRecord(n))
      const path = join(dir, 'checkpoints.jsonl')
      writeFileSync(path, '{"not":"a checkpoint"}\n')
      expect((await verifyAudit({ store: store.audit, checkpoints: await readCheckpointFile(path) })).checkpoints.problems).toMatchObject([{ line: 1, kind: 'malformed' }])
      store.audit.rows[2] = { ...store.audit.rows[2]!, outcome: 'succeeded', reason: 'rewritten' }
      const error = await verifyAuditOrThrow({ store: store.audit }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(AuditIntegrityError)
      expect(error).toMatchObject({ code: 'WEFT_AUDIT_TAMPERED', chain: 'w', index: 2 })
    } finally {
      remove()
    }
  })

  it('never shows the signing key: the signer prints, inspects and serializes as its key id', () => {
    const signer = new AuditSigner(keys.privateKey)
    const body = keys.privateKey.split('\n')[1]!
    for (const shown of [String(signer), inspect(signer, { showHidden: true, depth: 5 }), JSON.stringify({ signer })]) {
      expect(shown).toContain(signer.keyId)
      expect(shown).not.toContain(body)
    }
  })

  it('refuses a key that is not Ed25519, a signer without a sink, and malformed records', async () => {
    const store = new MemoryWorkflowStore()
    expect(() => new AuditSigner('not a key')).toThrow(SecurityConfigError)
    await expect(AuditLog.open({ store: store.audit, writer: 'w', signer: new AuditSigner(keys.privateKey) })).rejects.toBeInstanceOf(SecurityConfigError)
    const log = await AuditLog.open({ store: store.audit, writer: 'w' })
    await expect(log.record({ ...sampleRecord(0), action: 'Run Start' })).rejects.toThrow(/<area>\.<event>/)
    await expect(log.record({ ...sampleRecord(0), outcome: 'maybe' as never })).rejects.toBeInstanceOf(InvalidOptionsError)
    expect(store.audit.rows).toHaveLength(0)
  })
})

describe('AuditLog on a SQLite file, inside the store\'s write', () => {
  it('commits the entry with the write, and rolls it back with a failing one', async () => {
    const { dir, remove } = tempDir()
    const store = sqliteStore({ path: join(dir, 'weft.sqlite') })
    try {
      await store.init()
      const sqlite = (store as unknown as { sqlite: SqliteContext }).sqlite
      const log = await AuditLog.open({ store: store.audit, writer: 'w' })
      const inWrite = (fail: boolean) => (sealed: AuditEntry) =>
        sqlite.writes.run(() => {
          insertAuditEntry(sqlite, [sealed])
          if (fail) throw new Error('the operation failed')
        })
      await log.recordWith(sampleRecord(0), inWrite(false))
      await expect(log.recordWith(sampleRecord(1), inWrite(true))).rejects.toThrow('the operation failed')
      await log.recordWith(sampleRecord(2), inWrite(false))
      const stored = await store.audit.readAuditChain('w', 0, 10)
      expect(stored.map((e) => [e.index, e.runId])).toEqual([[0, 'r-0'], [1, 'r-2']])
      expect((await verifyAudit({ store: store.audit })).ok).toBe(true)
    } finally {
      await store.close()
      remove()
    }
  })
})

describePostgres('AuditLog on PostgreSQL, inside a transaction', () => {
  it('commits the entry with the transaction, and rolls it back with a failing one', async () => {
    const database = await createTestDatabase()
    const store = postgresStore({ connectionString: database.url, maxConnections: 2 })
    try {
      await store.init()
      const pg = (store as unknown as { pg: PgContext }).pg
      const log = await AuditLog.open({ store: store.audit, writer: 'w' })
      const inTransaction = (fail: boolean) => (sealed: AuditEntry) =>
        pg.transaction(async (client) => {
          await insertAuditEntryOn(client, [sealed])
          if (fail) throw new Error('the operation failed')
        })
      await log.recordWith(sampleRecord(0), inTransaction(false))
      await expect(log.recordWith(sampleRecord(1), inTransaction(true))).rejects.toThrow('the operation failed')
      await log.recordWith(sampleRecord(2), inTransaction(false))
      expect((await store.audit.readAuditChain('w', 0, 10)).map((e) => [e.index, e.runId])).toEqual([[0, 'r-0'], [1, 'r-2']])
      expect((await verifyAudit({ store: store.audit })).ok).toBe(true)
    } finally {
      await store.close()
      await database.drop()
    }
  })
})
