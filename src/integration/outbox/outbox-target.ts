import type { OutboxEntry } from '../../storage/outbox-store.js'

/**
 * The port of an adapter that can deliver durable outbox entries: the
 * engine's deliverer hands it each entry recorded under its name (after the
 * step that recorded it committed) and records the entry delivered once
 * `deliver` resolves. Resolve only when the far side has the message for
 * sure (a broker's confirm, a 2xx); reject otherwise — retryable errors
 * (`isRetryable`, or any non-Weft error) are tried again with backoff, others
 * give the entry up (`dead`). Deliver with `entry.id` as the message id:
 * delivery is at least once, and consumers deduplicate by it.
 * `AmqpAdapter` implements it; so can your adapters.
 *
 * @example
 * ```ts
 * import type { OutboxEntry, OutboxTarget } from 'weft-sdk'
 * class Webhook implements OutboxTarget {
 *   readonly name = 'webhook'
 *   async deliver(entry: OutboxEntry, signal: AbortSignal): Promise<void> {
 *     const response = await fetch('http://127.0.0.1:9/hook', { method: 'POST', body: JSON.stringify(entry.payload), headers: { 'Idempotency-Key': entry.id }, signal })
 *     if (!response.ok) throw new Error(`webhook answered ${response.status}`)
 *   }
 * }
 * ```
 */
export interface OutboxTarget {
  /** The adapter's name: entries recorded under it are delivered through it. */
  readonly name: string
  /**
   * Delivers one entry, resolving once it is certainly delivered. `signal`
   * fires when the deliverer's claim is about to end (or the engine closes):
   * stop then, the entry will be delivered again.
   */
  deliver(entry: OutboxEntry, signal: AbortSignal): Promise<void>
}

/**
 * Whether an adapter can deliver outbox entries (the engine delivers only through those).
 *
 * @example
 * ```ts
 * import { isOutboxTarget, type Adapter } from 'weft-sdk'
 * declare const adapter: Adapter
 * if (!isOutboxTarget(adapter)) console.warn(`${adapter.name} cannot deliver durable messages`)
 * ```
 */
export function isOutboxTarget(value: unknown): value is OutboxTarget {
  if (typeof value !== 'object' || value === null) return false
  const candidate = value as Record<string, unknown>
  return typeof candidate['name'] === 'string' && typeof candidate['deliver'] === 'function'
}
