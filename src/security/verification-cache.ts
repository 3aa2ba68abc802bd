// The memory of tokens already verified: keyed by the SHA-256 of the token (the token itself is never kept), bounded
// in size (least recently used first out), each entry valid until min(exp, verification + TTL). The TTL bounds how
// late a revocation is seen by a process that verified the token before it was revoked.
import { createHash } from 'node:crypto'
import type { Principal } from './principal.js'

interface CacheEntry {
  readonly principal: Principal
  readonly validUntilMs: number
}

/**
 * A size-capped LRU of verified tokens. Internal to `JwtAuthenticator`.
 * @internal
 */
export class VerificationCache {
  // A Map iterates in insertion order: re-inserting on a hit makes its first key the least recently used.
  private readonly entries = new Map<string, CacheEntry>()

  constructor(
    private readonly ttlMs: number,
    private readonly capacity: number,
  ) {}

  /** Whether the cache is on (a TTL of 0 turns it off). */
  get enabled(): boolean {
    return this.ttlMs > 0
  }

  /** The key of a token: its SHA-256, base64url. */
  keyOf(token: string): string {
    return createHash('sha256').update(token).digest('base64url')
  }

  /** The principal of a token verified before and still valid at `nowMs`. */
  get(key: string, nowMs: number): Principal | undefined {
    const entry = this.entries.get(key)
    if (entry === undefined) return undefined
    this.entries.delete(key)
    if (entry.validUntilMs <= nowMs) return undefined
    this.entries.set(key, entry)
    return entry.principal
  }

  /** Remembers a verified token until min(its `exp`, now + TTL). */
  set(key: string, principal: Principal, expiresAtMs: number, nowMs: number): void {
    const validUntilMs = Math.min(expiresAtMs, nowMs + this.ttlMs)
    if (validUntilMs <= nowMs) return
    this.entries.delete(key)
    this.entries.set(key, { principal, validUntilMs })
    if (this.entries.size > this.capacity) this.evictOldest()
  }

  /** How many tokens are remembered. */
  get size(): number {
    return this.entries.size
  }

  /** Forgets every token (after a revocation that must be seen at once). */
  clear(): void {
    this.entries.clear()
  }

  private evictOldest(): void {
    const oldest = this.entries.keys().next()
    if (oldest.done !== true) this.entries.delete(oldest.value)
  }
}
