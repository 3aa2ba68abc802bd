// The sink port: where alert notifications go besides the engine's events (a webhook is built in, webhook-sink.ts).

import type { AlertNotification } from '../../runtime/alert-events.js'

/**
 * Delivers alert notifications (an alert fired, an alert resolved)
 * somewhere: a webhook ({@link webhookSink}), a chat, a pager. The engine
 * calls `deliver` once per notification, in order per alert (an alert's
 * `resolved` after its `fired`), and never waits for it on a run's path; a
 * rejection is reported as an `alert.delivery-failed` event and the engine
 * goes on. `engine.close()` waits for deliveries under way. A store rule's
 * notification goes to the sinks of one engine of those sharing the
 * database (the one whose claim won), at least once: if that engine stops
 * before its sinks settled, another delivers it after `deliveryLease`.
 *
 * @example
 * ```ts
 * import { createEngine, type AlertSink } from 'weft-sdk'
 * const consoleSink: AlertSink = {
 *   name: 'console',
 *   deliver: async (alert) => console.log(`${alert.type} ${alert.severity} ${alert.summary}`),
 * }
 * const engine = createEngine({ metrics: true, alerts: { rules: [{ kind: 'breaker-open', name: 'breaker-open' }], sinks: [consoleSink] } })
 * ```
 */
export interface AlertSink {
  /** The sink's name, in `alert.delivery-failed` events. */
  readonly name: string
  /** Delivers one notification; rejects when it could not (after any retries of its own). */
  deliver(alert: AlertNotification): Promise<void>
}
