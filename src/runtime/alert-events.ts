// The events of alerting (observability/alerts/): a rule's condition began to fire or resolved, a sink failed to
// deliver. Types only: the runtime's event hub carries them, the alert monitor emits them.

/**
 * How urgent an alert is: a sink may route `critical` to a pager and
 * `info` to a channel.
 *
 * @example
 * ```ts
 * import type { AlertSeverity } from 'weft-sdk'
 * const pages = (severity: AlertSeverity) => severity === 'critical'
 * ```
 */
export type AlertSeverity = 'info' | 'warning' | 'critical'

interface AlertEventBase {
  /** When it happened (epoch milliseconds). */
  readonly at: number
  /** The rule's name. */
  readonly rule: string
  /** The rule's severity. */
  readonly severity: AlertSeverity
  /**
   * What the alert is about, as the rule's kind labels it: `workflow` and
   * `task` (durations, failure rates, escalations), `breaker`, `source`
   * (`runs` or `outbox` dead letters), or a predicate rule's own.
   */
  readonly labels: Readonly<Record<string, string>>
  /** The rule's value at `at` (a duration in ms, a rate, a count, …; 1 for a breaker open). */
  readonly value: number
  /** The threshold the value is compared with (`value > threshold` holds the condition). */
  readonly threshold: number
  /** Since when the condition has held (epoch milliseconds): its first observation of this episode. */
  readonly since: number
  /** One line for a human: the rule, its labels, the value against its threshold. */
  readonly summary: string
  /** The rule's `description`, when it has one. */
  readonly description: string | undefined
}

/**
 * An alert began to fire: its rule's condition held for the rule's `for`
 * duration. Fires once per episode: the next `alert.fired` of the same rule
 * and labels comes only after an `alert.resolved`. A store rule's
 * (`dead-letters`, `run-waiting`) is emitted by the one engine, of those
 * sharing the database, that claimed it and delivers it to the sinks.
 *
 * @example
 * ```ts
 * import { createEngine, type AlertFired } from 'weft-sdk'
 * const engine = createEngine({ metrics: true })
 * engine.on('alert.fired', (alert: AlertFired) => console.error(`[${alert.severity}] ${alert.summary}`))
 * ```
 */
export interface AlertFired extends AlertEventBase {
  /** The event type. */
  readonly type: 'alert.fired'
}

/**
 * A firing alert resolved: its condition stopped holding and stayed so for
 * the rule's `hold` duration. Resolves once per firing; a store rule's is
 * emitted by the one engine that claimed it, as `alert.fired`.
 *
 * @example
 * ```ts
 * import { createEngine, type AlertResolved } from 'weft-sdk'
 * const engine = createEngine({ metrics: true })
 * engine.on('alert.resolved', (alert: AlertResolved) => console.log(`resolved after ${alert.at - alert.firedAt} ms: ${alert.summary}`))
 * ```
 */
export interface AlertResolved extends AlertEventBase {
  /** The event type. */
  readonly type: 'alert.resolved'
  /** When the alert fired (epoch milliseconds). */
  readonly firedAt: number
}

/**
 * What a sink is given: an alert that fired or resolved (the event itself).
 *
 * @example
 * ```ts
 * import type { AlertNotification } from 'weft-sdk'
 * const title = (n: AlertNotification) => `${n.type === 'alert.fired' ? 'FIRING' : 'RESOLVED'} ${n.rule}`
 * ```
 */
export type AlertNotification = AlertFired | AlertResolved

/**
 * A sink failed to deliver an alert notification (after its own retries).
 * The engine goes on; the notification is not delivered again.
 *
 * @example
 * ```ts
 * import { createEngine, type AlertDeliveryFailed } from 'weft-sdk'
 * const engine = createEngine({ metrics: true })
 * engine.on('alert.delivery-failed', (event: AlertDeliveryFailed) => console.error(`${event.sink} lost ${event.notification} of ${event.rule}: ${event.error.message}`))
 * ```
 */
export interface AlertDeliveryFailed {
  /** The event type. */
  readonly type: 'alert.delivery-failed'
  /** When the delivery gave up (epoch milliseconds). */
  readonly at: number
  /** The sink's name. */
  readonly sink: string
  /** The rule of the notification. */
  readonly rule: string
  /** The notification's labels. */
  readonly labels: Readonly<Record<string, string>>
  /** Which notification was lost. */
  readonly notification: AlertNotification['type']
  /** Why: name, code and message (a sink's message carries no credentials). */
  readonly error: {
    /** The error's class name. */
    readonly name: string
    /** Its Weft code, when it has one. */
    readonly code: string | undefined
    /** Its message. */
    readonly message: string
  }
}

/**
 * The events of alerting: not tied to a run, they reach `engine.on`.
 *
 * @example
 * ```ts
 * import type { AlertEvent } from 'weft-sdk'
 * const line = (event: AlertEvent) => (event.type === 'alert.delivery-failed' ? `${event.sink} failed` : event.summary)
 * ```
 */
export type AlertEvent = AlertFired | AlertResolved | AlertDeliveryFailed
