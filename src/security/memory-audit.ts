// An audit sink that keeps entries in memory: for tests and for engines whose store has no audit log.
import type { AuditRecord, AuditSink } from './ports.js'

/**
 * Keeps audit entries in memory, in order (lost with the process: use the
 * store's audit log in production).
 *
 * @example
 * ```ts
 * import { MemoryAuditSink, createEngine } from 'weft-sdk'
 * const audit = new MemoryAuditSink()
 * const engine = createEngine({ security: { authorizer: { authorize: () => ({ allowed: true }) }, audit } })
 * // ... after some operations:
 * console.log(audit.entries.map((e) => `${e.action} ${e.outcome}`))
 * ```
 */
export class MemoryAuditSink implements AuditSink {
  private readonly list: AuditRecord[] = []

  /** The entries recorded so far, oldest first. */
  get entries(): readonly AuditRecord[] {
    return this.list
  }

  async record(entry: AuditRecord): Promise<void> {
    this.list.push(Object.freeze({ ...entry }))
  }
}
