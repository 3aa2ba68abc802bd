// The secure path's default audit sink: the store's hash-chained audit log, one chain per engine, opened at first use.
import { AuditLog, type AuditLogOptions } from '../security/audit-log.js'
import type { AuditRecord, AuditSink } from '../security/ports.js'
import type { AuditEntry, AuditStore } from '../storage/audit-store.js'

/**
 * Options of the store's audit log, as `createEngine({ security: { auditLog } })`
 * takes them: signed checkpoints kept outside the database (without them
 * the chain shows edits, deletions, insertions and reordering, not a
 * truncated end).
 *
 * @example
 * ```ts
 * import { AuditSigner, FileCheckpointSink, generateAuditKeys, type AuditLogSettings } from 'weft-sdk'
 * const keys = generateAuditKeys()
 * const auditLog: AuditLogSettings = { signer: new AuditSigner(keys.privateKey), checkpoints: new FileCheckpointSink('audit-checkpoints.jsonl') }
 * ```
 */
export type AuditLogSettings = Pick<AuditLogOptions, 'signer' | 'checkpoints' | 'checkpointEvery' | 'checkpointIntervalMs' | 'lanes' | 'onCheckpointError'>

/** The store's audit log as an {@link AuditSink}: the engine's id is its writer. */
export class StoreAuditSink implements AuditSink {
  private opened: Promise<AuditLog> | undefined

  constructor(
    private readonly store: AuditStore,
    private readonly writer: string,
    private readonly settings: AuditLogSettings,
    private readonly clock: () => number,
  ) {}

  async record(entry: AuditRecord): Promise<void> {
    await (await this.log()).record(entry)
  }

  /** Seals `entry` and hands it to `write`, which stores it in the transaction of the operation it records. */
  async recordWith<T>(entry: AuditRecord, write: (sealed: AuditEntry) => Promise<T>): Promise<T> {
    return (await this.log()).recordWith(entry, write)
  }

  /** Takes a last checkpoint and closes the log (nothing when it was never opened). */
  async close(): Promise<void> {
    if (this.opened !== undefined) await (await this.opened).close()
  }

  private log(): Promise<AuditLog> {
    this.opened ??= AuditLog.open({ ...this.settings, store: this.store, writer: this.writer, clock: this.clock })
    this.opened.catch(() => (this.opened = undefined))
    return this.opened
  }
}
