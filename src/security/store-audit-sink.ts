// The store's hash-chained audit log as an AuditSink, opened at its first entry: the engine's default sink (one
// chain per engine) and the default of sessions and local users (one chain per instance).
import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import type { AuditEntry, AuditStore } from '../storage/audit-store.js'
import { AuditLog, type AuditLogOptions } from './audit-log.js'
import type { AuditRecord, AuditSink } from './ports.js'

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

/**
 * The store's audit log as an {@link AuditSink}, opened at its first entry
 * (a failed open is tried again at the next); `writer` names its chain (an
 * engine's id, or {@link auditWriterId}). Not public: the engine, sessions
 * and local users make one from their options.
 */
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

  /** Hands `write` a sealer for entries decided inside its transaction (see {@link AuditLog.recordWithin}). */
  async recordWithin<T>(write: (seal: (entry: AuditRecord) => AuditEntry) => Promise<T>): Promise<T> {
    return (await this.log()).recordWithin(write)
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

/**
 * A writer id for one live instance of a component that audits,
 * `<component>:<host>:<pid>:<random>` (`sessions:web-1:4242:9f3a1c0e`), so
 * two instances (in one process or on two machines) never share a chain.
 */
export function auditWriterId(component: string): string {
  return `${component}:${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`
}
