import type { StorageFailureReason } from '../core/errors.js'
import { failureReason, type StorageErrorClassifier } from './storage-failure.js'

/**
 * When a store operation that failed is tried again: for which failure
 * reasons, how long (attempts, or time), and how long to wait in between.
 * The one retry model of the stores: SQLite's busy database, PostgreSQL's
 * deadlock victims, each a policy value run by {@link withStoreRetry} (or its
 * blocking twin, or a scheduler that asks {@link retryDelay}).
 */
export interface StoreRetryPolicy {
  /** The failures worth another try (a lock, a deadlock victim); anything else is thrown at once. */
  readonly reasons: ReadonlySet<StorageFailureReason>
  /** What the driver's errors mean (errors already classified keep their reason). */
  readonly classify: StorageErrorClassifier
  /** Most attempts in all. @defaultValue unlimited (bounded by `maxWaitMs`) */
  readonly maxAttempts?: number
  /** Longest time from the first attempt after which no retry starts. @defaultValue unlimited (bounded by `maxAttempts`) */
  readonly maxWaitMs?: number
  /** The wait before attempt `attempt + 1`, after `attempt` failed (1-based). */
  readonly delayMs: (attempt: number) => number
}

/**
 * How long to wait before trying again after `attempt` failed with `error`,
 * or `undefined` when the policy says not to (another reason, or out of
 * attempts or time).
 */
export function retryDelay(policy: StoreRetryPolicy, error: unknown, attempt: number, startedAt: number, now = Date.now()): number | undefined {
  if (!policy.reasons.has(failureReason(error, policy.classify))) return undefined
  if (policy.maxAttempts !== undefined && attempt >= policy.maxAttempts) return undefined
  const delay = policy.delayMs(attempt)
  if (policy.maxWaitMs !== undefined && now + delay - startedAt > policy.maxWaitMs) return undefined
  return delay
}

/** Runs `operation`, and again after a wait while it fails in a way `policy` retries. */
export async function withStoreRetry<T>(operation: () => Promise<T>, policy: StoreRetryPolicy): Promise<T> {
  const startedAt = Date.now()
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation()
    } catch (error) {
      const delay = retryDelay(policy, error, attempt, startedAt)
      if (delay === undefined) throw error
      await new Promise((resolve) => setTimeout(resolve, delay))
    }
  }
}

/**
 * {@link withStoreRetry} for a synchronous operation: the waits block the
 * thread, so use it only where a store opens (once), never on a hot path.
 */
export function withStoreRetrySync<T>(operation: () => T, policy: StoreRetryPolicy): T {
  const startedAt = Date.now()
  for (let attempt = 1; ; attempt++) {
    try {
      return operation()
    } catch (error) {
      const delay = retryDelay(policy, error, attempt, startedAt)
      if (delay === undefined) throw error
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, delay)
    }
  }
}
