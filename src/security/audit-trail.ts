// Where sessions and local users write their audit entries: the sink given, else the store's hash-chained log
// (a chain of the instance's own, opened at its first entry), else nowhere. A write that fails is reported to
// `onAuditError` and never changes the outcome of the operation it records.
import type { AuditStore } from '../storage/audit-store.js'
import type { AuditRecord, AuditSink } from './ports.js'
import { StoreAuditSink, auditWriterId, type AuditLogSettings } from './store-audit-sink.js'

/**
 * The audit options of `SessionManager` and `LocalUsers`: where their
 * entries go, and what happens when one cannot be written.
 *
 * An audit write that fails never changes what the operation answers: a
 * login that succeeded still returns its tokens, a refusal still throws its
 * `AuthenticationError` (the refusal stands, the caller is never let in
 * because the log was down), and the failure goes to `onAuditError`.
 *
 * @example
 * ```ts
 * import { MemoryAuditSink, type LocalUsersOptions } from 'weft-sdk'
 * const options: Pick<LocalUsersOptions, 'audit' | 'onAuditError'> = {
 *   audit: new MemoryAuditSink(),
 *   onAuditError: (error, entry) => console.error(`audit entry ${entry.action} on ${entry.resource} not written`, error),
 * }
 * ```
 */
export interface AuditTrailOptions {
  /**
   * Where entries go (a SIEM forwarder, a `MemoryAuditSink` in tests).
   * @defaultValue the store's hash-chained audit log when the store given is a whole store with one (`store.audit`),
   * on a chain of this instance's own (`sessions:<host>:<pid>:<random>`, `local-users:…`); else nothing is recorded
   */
  readonly audit?: AuditSink
  /** Signer and checkpoint sink of the default log (not used with `audit`), as the engine's `security.auditLog`. @defaultValue no checkpoints */
  readonly auditLog?: AuditLogSettings
  /**
   * Called with an entry that could not be written and why; the operation's
   * outcome is kept either way. What it throws is ignored.
   * @defaultValue ignores the failure
   */
  readonly onAuditError?: (error: unknown, entry: AuditRecord) => void
}

/** An instance's audit: the sink entries go to (if any), how failures are reported, and the log it opened itself. */
export class AuditTrail {
  private constructor(
    private readonly sink: AuditSink | undefined,
    private readonly owned: StoreAuditSink | undefined,
    private readonly onError: ((error: unknown, entry: AuditRecord) => void) | undefined,
  ) {}

  /** The trail of one instance of `component`: the sink given, else a log on `store` (when there is one), else none. */
  static of(component: string, options: AuditTrailOptions, store: AuditStore | undefined, clock: () => number): AuditTrail {
    if (options.audit !== undefined) return new AuditTrail(options.audit, undefined, options.onAuditError)
    const owned = store === undefined ? undefined : new StoreAuditSink(store, auditWriterId(component), options.auditLog ?? {}, clock)
    return new AuditTrail(owned, owned, options.onAuditError)
  }

  /** Whether entries are recorded at all (when not, callers skip the reads an entry would need). */
  get enabled(): boolean {
    return this.sink !== undefined
  }

  /** Records `entry` once it is durable; a failure is reported, never thrown. */
  async record(entry: AuditRecord): Promise<void> {
    if (this.sink === undefined) return
    try {
      await this.sink.record(entry)
    } catch (error) {
      this.report(error, entry)
    }
  }

  /** Closes the log this trail opened itself (its last checkpoint); a sink given is the giver's to close. */
  async close(): Promise<void> {
    await this.owned?.close()
  }

  private report(error: unknown, entry: AuditRecord): void {
    try {
      this.onError?.(error, entry)
    } catch {
      // The operation's outcome stands whatever the callback does.
    }
  }
}
