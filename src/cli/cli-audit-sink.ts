// Where the CLI's own security decisions go (a refused caller, an admin command done): the `--config`'s audit sink
// when it gives one, else the store's hash-chained audit log, as the engine's secure path does. The CLI process
// writes to the store's log under one writer id of its own, opened at the first entry and closed with the store.
import { AuditLog } from '../index.js'
import type { AuditRecord, AuditSink, SecurityConfig } from '../index.js'
import type { AuditStore } from '../store.js'

let processWriter: string | undefined

/**
 * The writer id of this CLI process in the store's audit log (its chain's
 * name): `weft-cli:<pid>:<start time, base 36>`, the same for every command
 * the process runs (e.g. `weft-cli:4242:m5x1k2p0`).
 */
function cliAuditWriter(): string {
  processWriter ??= `weft-cli:${process.pid}:${Date.now().toString(36)}`
  return processWriter
}

/**
 * The audit sink of a CLI command: the configuration's `security.audit` when
 * it has one, else the store's audit log (written under
 * {@link cliAuditWriter}, with the configuration's `security.auditLog`
 * checkpoints). Close it before the store: the log takes its last checkpoint.
 * Internal to the CLI (`withSecuredStore` makes and closes one per command).
 */
export class CliAuditSink implements AuditSink {
  private opened: Promise<AuditLog> | undefined

  constructor(
    /** The store's audit log; `undefined` for a store without one (then only a configured sink records). */
    private readonly store: AuditStore | undefined,
    private readonly security: SecurityConfig,
  ) {}

  /** Records one entry in the configured sink, else in the store's log; resolves once it is durable. */
  async record(entry: AuditRecord): Promise<void> {
    if (this.security.audit !== undefined) return this.security.audit.record(entry)
    const log = this.log()
    if (log !== undefined) await (await log).record(entry)
  }

  /** Takes the store log's last checkpoint and closes it (nothing when no entry was written to it). */
  async close(): Promise<void> {
    if (this.opened !== undefined) await (await this.opened).close()
  }

  private log(): Promise<AuditLog> | undefined {
    if (this.store === undefined) return undefined
    this.opened ??= AuditLog.open({ ...this.security.auditLog, store: this.store, writer: cliAuditWriter() })
    this.opened.catch(() => (this.opened = undefined))
    return this.opened
  }
}
