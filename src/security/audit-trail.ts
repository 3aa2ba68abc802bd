// Where sessions and local users write their audit entries: the sink given, else the store's hash-chained log
// (a chain of the instance's own, opened at its first entry), else nowhere. On the store's own log the entry of a
// store write is inserted in that write's transaction: both commit, or neither (the operation fails). On a sink
// given, entries are written once the operation is done, and a write that fails is reported to `onAuditError`
// without changing the outcome of the operation it records.
import type { AuditEntry, AuditStore } from '../storage/audit-store.js'
import type { AuditEntriesOf } from '../storage/session-store.js'
import type { AuditRecord, AuditSink } from './ports.js'
import { StoreAuditSink, auditWriterId, type AuditLogSettings } from './store-audit-sink.js'

/**
 * The audit options of `SessionManager` and `LocalUsers`: where their
 * entries go, and what happens when one cannot be written.
 *
 * On the store's own audit log (the default given the whole store), the
 * entry of an operation that writes to the store (a login, a refresh, a
 * revocation, a user saved or deleted, a password accepted) is inserted in
 * the same transaction as the write: a crash cannot keep one without the
 * other, and when the entry cannot be inserted the operation fails with the
 * write and changes nothing (`onAuditError` is not called: the caller gets
 * the error). Entries of refusals that write nothing (a wrong password, a
 * locked name) are written on their own.
 *
 * On a sink given as `audit` (another database, a SIEM), entries are written
 * once the operation is done, and an audit write that fails never changes
 * what the operation answers: a login that succeeded still returns its
 * tokens, a refusal still throws its `AuthenticationError` (the refusal
 * stands, the caller is never let in because the log was down), and the
 * failure goes to `onAuditError`.
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
   * Called with an entry that could not be written on its own and why; the
   * operation's outcome is kept either way (an entry joined to a store write
   * fails that write instead). What it throws is ignored.
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

  /**
   * Runs a store write with the entry that records it: on the store's own
   * log the entry is sealed and handed to `write`, which inserts it in its
   * transaction (when it cannot, the write fails and so does this); on any
   * other sink `write` gets `undefined` and the entry is recorded after it.
   */
  async with<T>(entry: AuditRecord, write: (audit: readonly AuditEntry[] | undefined) => Promise<T>): Promise<T> {
    if (this.owned !== undefined) return this.owned.recordWith(entry, (sealed) => write([sealed]))
    const result = await write(undefined)
    await this.record(entry)
    return result
  }

  /**
   * Like {@link AuditTrail.with} for entries that depend on what the write
   * did (`entriesOf(result)`): on the store's own log the store calls them
   * inside its transaction and inserts them sealed; on any other sink they
   * are recorded after the write.
   */
  async decided<R>(write: (audit: AuditEntriesOf<R> | undefined) => Promise<R>, entriesOf: (result: R) => readonly AuditRecord[]): Promise<R> {
    let joined = false
    const joinedEntries = (seal: (entry: AuditRecord) => AuditEntry) => (result: R) => {
      joined = true
      return entriesOf(result).map(seal)
    }
    const result = this.owned === undefined ? await write(undefined) : await this.owned.recordWithin((seal) => write(joinedEntries(seal)))
    // A store that did not take the entries (one of the user's own, older than `audit`): recorded on their own.
    if (!joined && this.enabled) for (const entry of entriesOf(result)) await this.record(entry)
    return result
  }

  /** Records `entry` on its own once it is durable; a failure is reported, never thrown. */
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
