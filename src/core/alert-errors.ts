// Errors of alerting: a rule or an alerts configuration refused at engine creation, a delivery to a sink that failed.
import { WeftError, type WeftErrorOptions } from './weft-error.js'

/**
 * An alert rule, or the `alerts` configuration of `createEngine`, was
 * refused when the engine was created: `rule` names the rule (its `name`,
 * or its place `rules[i]` when it has none) and `field` the option at fault;
 * the message says what was given and what to give instead. Nothing was
 * started. Not retryable: the fix is in the configuration.
 *
 * @example
 * ```ts
 * import { createEngine, InvalidAlertError } from 'weft-sdk'
 * try {
 *   createEngine({ metrics: true, alerts: { rules: [{ kind: 'duration', name: 'slow', task: 'charge', percentile: 120, above: '2 s' }] } })
 * } catch (error) {
 *   if (error instanceof InvalidAlertError) console.error(error.rule, error.field, error.message) // slow percentile alert rule "slow": percentile must be a number in (0, 100] ...
 * }
 * ```
 */
export class InvalidAlertError extends WeftError {
  readonly code = 'WEFT_INVALID_ALERT'
  readonly _tag = 'InvalidAlertError'
  override readonly isRetryable = false
  constructor(
    /** The rule at fault (its name, or `rules[i]`), or `'alerts'` for the configuration itself. */
    readonly rule: string,
    /** The option at fault (`percentile`, `above`, `for`, …). */
    readonly field: string,
    /** What is wrong and how to fix it. */
    problem: string,
  ) {
    super(rule === 'alerts' ? `alerts.${field}: ${problem}` : `alert rule ${rule.startsWith('rules[') ? rule : `"${rule}"`}: ${field} ${problem}`)
  }
}

/**
 * A sink could not deliver an alert notification: the webhook answered
 * with an error status, timed out or could not be reached, after its
 * retries. The engine reports it as an `alert.delivery-failed` event and
 * goes on; the message names the sink and its endpoint without credentials
 * (no user info, no query string, no header).
 *
 * @example
 * ```ts
 * import { AlertDeliveryError, createEngine } from 'weft-sdk'
 * const engine = createEngine({ metrics: true })
 * engine.on('alert.delivery-failed', (event) => console.error(`${event.sink}: ${event.error.message}`))
 * const isDeliveryError = (error: unknown) => error instanceof AlertDeliveryError
 * ```
 */
export class AlertDeliveryError extends WeftError {
  readonly code = 'WEFT_ALERT_DELIVERY'
  readonly _tag = 'AlertDeliveryError'
  constructor(
    /** The sink's name. */
    readonly sink: string,
    message: string,
    /** Whether another attempt may succeed (a timeout, a refused connection, a 5xx or 429 answer). */
    override readonly isRetryable: boolean,
    /** The HTTP status the endpoint answered, when it answered. */
    readonly status?: number,
    options?: WeftErrorOptions,
  ) {
    super(`alert sink "${sink}": ${message}`, options)
  }
}
