/**
 * The audit log's tamper suite, run against every store (memory, a SQLite
 * file, PostgreSQL): a log is written through AuditLog, then changed behind
 * Weft's back the way someone with access to the table would (raw SQL on the
 * SQL stores, with the append-only triggers dropped), and verifyAudit must
 * name the first changed entry and what was done to it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { AuditStore, NewAuditEntry } from '../../src/storage/audit-store.js'
import { AuditLog } from '../../src/security/audit-log.js'
import { AuditSigner, generateAuditKeys, type AuditCheckpoint, type CheckpointSink } from '../../src/security/audit-checkpoints.js'
import { verifyAudit } from '../../src/security/audit-verify.js'

/** What an attacker with write access to the table does, entry by entry (chain, index). */
export interface AuditTamper {
  /** Changes one entry's subject. */
  edit(chain: string, index: number, subject: string): Promise<void>
  /** Removes one entry; `renumber` closes the gap by moving later entries down. */
  remove(chain: string, index: number, renumber: boolean): Promise<void>
  /** Inserts a forged entry at `index`, moving the entries from there up by one. */
  insert(chain: string, index: number, hash: string, prevHash: string): Promise<void>
  /** Swaps two entries' places. */
  swap(chain: string, a: number, b: number): Promise<void>
  /** Removes every entry from `index` on. */
  truncate(chain: string, index: number): Promise<void>
}

/** A store with its audit log, the attacker's access to it, and its end. */
export interface AuditFixture {
  readonly audit: AuditStore
  readonly tamper: AuditTamper
  close(): Promise<void>
}

const keys = generateAuditKeys()
const otherKeys = generateAuditKeys()

/** A sink that keeps checkpoints in memory (the file sink has its own test). */
export function memorySink(): CheckpointSink & { readonly checkpoints: AuditCheckpoint[] } {
  const checkpoints: AuditCheckpoint[] = []
  return { checkpoints, write: async (checkpoint) => void checkpoints.push(checkpoint) }
}

/** The n-th of a log's records: varied subjects, actions and outcomes. */
export function sampleRecord(n: number): NewAuditEntry {
  const outcomes = ['succeeded', 'denied', 'failed'] as const
  const actions = ['run.start', 'run.cancel', 'auth.failed', 'access.denied', 'run.signal'] as const
  return { at: 1_000_000 + n * 1000, subject: n % 7 === 0 ? null : `user:${n % 3}`, tenant: 'acme', action: actions[n % actions.length]!, resource: `run:r-${n}`, runId: `r-${n}`, outcome: outcomes[n % 3]!, reason: n % 2 === 0 ? null : `reason ${n}` }
}

/** Runs the tamper suite against the stores `open` makes (a fresh, migrated store for each test). */
export function auditTamperSuite(name: string, open: () => Promise<AuditFixture>): void {
  describe(`${name}: the audit log`, () => {
    let fixture: AuditFixture
    const chain = 'writer-a'

    beforeEach(async () => {
      fixture = await open()
    })
    afterEach(async () => {
      await fixture.close()
    })

    async function writeLog(count: number, options: { checkpoint?: boolean } = {}): Promise<{ sink: ReturnType<typeof memorySink> }> {
      const sink = memorySink()
      const log = await AuditLog.open({ store: fixture.audit, writer: chain, signer: new AuditSigner(keys.privateKey), checkpoints: sink, checkpointEvery: 1_000_000 })
      for (let n = 0; n < count; n++) await log.record(sampleRecord(n))
      if (options.checkpoint === true) await log.flushCheckpoint()
      return { sink }
    }

    async function firstProblem(sink?: { checkpoints: AuditCheckpoint[] }) {
      const report = await verifyAudit({ store: fixture.audit, checkpoints: sink?.checkpoints ?? [], publicKeys: [keys.publicKey] })
      return { report, problem: report.chains.find((c) => c.chain === chain)?.problem }
    }

    it('verifies an untouched log, with its checkpoint', async () => {
      const { sink } = await writeLog(12, { checkpoint: true })
      const { report } = await firstProblem(sink)
      expect(report).toMatchObject({ ok: true, chains: [{ chain, entries: 12, checkpointed: 11 }], checkpoints: { given: 1, valid: 1, problems: [] } })
    })

    it('finds an edited entry at its index', async () => {
      await writeLog(10)
      await fixture.tamper.edit(chain, 6, 'user:mallory')
      expect((await firstProblem()).problem).toMatchObject({ index: 6, kind: 'edited' })
    })

    it('finds a deleted entry at its index', async () => {
      await writeLog(10)
      await fixture.tamper.remove(chain, 4, false)
      expect((await firstProblem()).problem).toMatchObject({ index: 4, kind: 'deleted' })
    })

    it('finds a deleted entry whose gap was closed by renumbering the later ones', async () => {
      await writeLog(10)
      await fixture.tamper.remove(chain, 4, true)
      expect((await firstProblem()).problem).toMatchObject({ index: 4, kind: 'deleted' })
    })

    it('finds an inserted entry at its index', async () => {
      await writeLog(10)
      await fixture.tamper.insert(chain, 5, 'f'.repeat(64), 'e'.repeat(64))
      expect((await firstProblem()).problem).toMatchObject({ index: 5, kind: 'inserted' })
    })

    it('finds reordered entries at the first moved one', async () => {
      await writeLog(10)
      await fixture.tamper.swap(chain, 3, 4)
      expect((await firstProblem()).problem).toMatchObject({ index: 3, kind: 'reordered' })
    })

    it('finds a truncation after a checkpoint: the chain ends before the index it signed', async () => {
      const { sink } = await writeLog(10, { checkpoint: true })
      await fixture.tamper.truncate(chain, 7)
      const { report, problem } = await firstProblem(sink)
      expect(problem).toMatchObject({ index: 7, kind: 'truncated' })
      expect(report.ok).toBe(false)
      // Without the checkpoint, a truncated chain still links up: only the signed head shows the loss.
      expect((await firstProblem()).problem).toBeUndefined()
    })

    it('refuses a checkpoint signed with another key, and does not trust its heads', async () => {
      await writeLog(5)
      const forged = new AuditSigner(otherKeys.privateKey).sign({ version: 1, writer: chain, at: 0, heads: { [chain]: { index: 40, hash: 'a'.repeat(64) } } })
      const report = await verifyAudit({ store: fixture.audit, checkpoints: [forged], publicKeys: [keys.publicKey] })
      expect(report.ok).toBe(false)
      expect(report.checkpoints).toMatchObject({ given: 1, valid: 0, problems: [{ line: 1, kind: 'bad-signature' }] })
      expect(report.chains[0]!.problem).toBeUndefined()
    })

    it('refuses a checkpoint whose signed heads were changed', async () => {
      const { sink } = await writeLog(5, { checkpoint: true })
      const checkpoint = sink.checkpoints[0]!
      const changed = { ...checkpoint, heads: { [chain]: { index: 2, hash: checkpoint.heads[chain]!.hash } } }
      const report = await verifyAudit({ store: fixture.audit, checkpoints: [changed], publicKeys: [keys.publicKey] })
      expect(report.checkpoints.problems).toMatchObject([{ line: 1, kind: 'bad-signature' }])
    })

    it('lets two writers append concurrently, each on its own chain, and both verify', async () => {
      const sink = memorySink()
      const open = (writer: string) => AuditLog.open({ store: fixture.audit, writer, signer: new AuditSigner(keys.privateKey), checkpoints: sink, lanes: 2 })
      const [a, b] = await Promise.all([open('writer-1'), open('writer-2')])
      await Promise.all(Array.from({ length: 40 }, (_, n) => (n % 2 === 0 ? a : b).record(sampleRecord(n))))
      await Promise.all([a.close(), b.close()])
      const report = await verifyAudit({ store: fixture.audit, checkpoints: sink.checkpoints, publicKeys: [keys.publicKey] })
      expect(report.ok).toBe(true)
      expect(report.chains.map((c) => c.chain)).toEqual(['writer-1', 'writer-1#1', 'writer-2', 'writer-2#1'])
      expect(report.chains.reduce((sum, c) => sum + c.entries, 0)).toBe(40)
      expect(report.checkpoints.valid).toBe(2)
    })

    it('goes on with a chain a previous writer left: the head is read once, at open', async () => {
      await writeLog(3)
      const log = await AuditLog.open({ store: fixture.audit, writer: chain })
      const entry = await log.record(sampleRecord(3))
      expect(entry.index).toBe(3)
      expect((await firstProblem()).report.ok).toBe(true)
    })

    it('keeps one chain intact when two live logs share a writer id: a taken index is retried from the stored head', async () => {
      const [a, b] = [await AuditLog.open({ store: fixture.audit, writer: chain }), await AuditLog.open({ store: fixture.audit, writer: chain })]
      for (let n = 0; n < 6; n++) await (n % 2 === 0 ? a : b).record(sampleRecord(n))
      const { report } = await firstProblem()
      expect(report.ok).toBe(true)
      expect(report.chains).toMatchObject([{ chain, entries: 6 }])
    })

    it('lists entries newest first with filters, a page at a time', async () => {
      await writeLog(12)
      const first = await fixture.audit.listAudit({ outcome: 'denied', limit: 2 })
      expect(first.entries.map((e) => e.index)).toEqual([10, 7])
      const second = await fixture.audit.listAudit({ outcome: 'denied', limit: 2, cursor: first.nextCursor! })
      expect(second.entries.map((e) => e.index)).toEqual([4, 1])
      expect(second.nextCursor).toBeUndefined()
      const filtered = await fixture.audit.listAudit({ subject: 'user:1', action: 'run.start', from: 1_000_000, to: 1_011_000 })
      expect(filtered.entries.map((e) => [e.index, e.subject, e.action])).toEqual([[10, 'user:1', 'run.start']])
      expect((await fixture.audit.listAudit({ runId: 'r-3' })).entries.map((e) => e.index)).toEqual([3])
    })
  })
}
