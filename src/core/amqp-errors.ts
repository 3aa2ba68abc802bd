// Errors of the AMQP (RabbitMQ) adapter and trigger: no connection to the
// broker, a publish the broker did not confirm, a declaration it refused, a
// message a trigger cannot start a run from.
import { WeftError } from './weft-error.js'

/**
 * No channel to the broker could be had in time: the broker is down or
 * restarting, or refuses the connection. The adapter keeps reconnecting with
 * backoff; retryable.
 *
 * @example
 * ```ts
 * import { AmqpUnavailableError } from 'weft-sdk/amqp'
 * const error = new AmqpUnavailableError('events', 'amqp://app:<redacted>@127.0.0.1:5672', 30_000, 'ECONNREFUSED')
 * error.isRetryable // true
 * ```
 */
export class AmqpUnavailableError extends WeftError {
  readonly code = 'WEFT_AMQP_UNAVAILABLE'
  readonly _tag = 'AmqpUnavailableError'
  override readonly isRetryable = true
  constructor(
    /** The adapter's (or trigger's) name. */
    readonly adapter: string,
    /** The broker's URL, its password redacted. */
    readonly url: string,
    /** How long the call waited for a connection, in milliseconds. */
    readonly waitedMs: number,
    /** The last connection failure, secrets redacted; `undefined` when none was seen yet. */
    readonly reason: string | undefined,
    /** The second half of the fix the message names. @defaultValue `'or let calls wait longer (connectionWait)'` */
    fix = 'or let calls wait longer (connectionWait)',
  ) {
    const last = reason === undefined ? '' : ` (last error: ${reason})`
    super(`adapter "${adapter}": no connection to the broker at ${url} within ${Math.round(waitedMs)} ms${last}; retryable: check that RabbitMQ is up and reachable, ${fix}`)
  }
}

/**
 * Why a publish was not confirmed: `nacked` (the broker refused it),
 * `timeout` (no confirm within `confirmTimeout`), `channel-closed` (the
 * channel or connection closed before the confirm came), `unroutable` (a
 * `mandatory` publish that no queue is bound to take; the broker returned it).
 *
 * @example
 * ```ts
 * import type { AmqpPublishFailure } from 'weft-sdk/amqp'
 * const reasons: AmqpPublishFailure[] = ['nacked', 'timeout', 'channel-closed', 'unroutable']
 * ```
 */
export type AmqpPublishFailure = 'nacked' | 'timeout' | 'channel-closed' | 'unroutable'

/**
 * A publish was not confirmed by the broker, so it may or may not have been
 * routed. Retryable (publishing again with the same `messageId` is safe for
 * consumers that deduplicate by it: at least once), except `unroutable`: no
 * queue takes the message until a binding changes.
 *
 * @example
 * ```ts
 * import { AmqpPublishError } from 'weft-sdk/amqp'
 * const error = new AmqpPublishError('events', 'orders', 'order.created', 'run-1:notify:events:1', 'timeout')
 * if (error.isRetryable) console.log(error.failure, error.messageId) // timeout run-1:notify:events:1
 * ```
 */
export class AmqpPublishError extends WeftError {
  readonly code = 'WEFT_AMQP_PUBLISH'
  readonly _tag = 'AmqpPublishError'
  override readonly isRetryable: boolean
  constructor(
    /** The adapter's name. */
    readonly adapter: string,
    /** The exchange published to (`''` for the default exchange). */
    readonly exchange: string,
    /** The routing key. */
    readonly routingKey: string,
    /** The message's id (publish again with it). */
    readonly messageId: string,
    /** Why it is not confirmed. */
    readonly failure: AmqpPublishFailure,
    /** What the channel said, secrets redacted. */
    readonly detail?: string,
  ) {
    const fix = failure === 'unroutable' ? 'not retryable: bind a queue for this routing key, or publish with another one' : 'retryable: publish again with the same messageId'
    super(`adapter "${adapter}": publish of message "${messageId}" to exchange "${exchange}" (routing key "${routingKey}") is not confirmed: ${publishFailures[failure]}${detail === undefined ? '' : ` (${detail})`}; ${fix}`)
    this.isRetryable = failure !== 'unroutable'
  }
}

const publishFailures: Record<AmqpPublishFailure, string> = {
  nacked: 'the broker nacked it',
  timeout: 'no confirm came in time',
  'channel-closed': 'the channel closed before the confirm came',
  unroutable: 'no queue is bound to take it (the broker returned the mandatory message)',
}

/**
 * The broker refused a declaration (an exchange or queue that exists with
 * other settings, a missing exchange, no permission), or a publish named an
 * exchange that does not exist. Not retryable: the topology or the call must
 * change.
 *
 * @example
 * ```ts
 * import { AmqpTopologyError } from 'weft-sdk/amqp'
 * const error = new AmqpTopologyError('events', 'exchange "orders"', '404 NOT_FOUND - no exchange \'orders\' in vhost \'/\'')
 * error.isRetryable // false
 * ```
 */
export class AmqpTopologyError extends WeftError {
  readonly code = 'WEFT_AMQP_TOPOLOGY'
  readonly _tag = 'AmqpTopologyError'
  constructor(
    /** The adapter's (or trigger's) name. */
    readonly adapter: string,
    /** What was refused, e.g. `queue "orders"`. */
    readonly subject: string,
    /** The broker's reply, secrets redacted. */
    readonly detail: string,
  ) {
    super(`adapter "${adapter}": the broker refused ${subject}: ${detail}; declare it in the adapter's topology with the settings it already has on the broker, or delete it there`)
  }
}

/**
 * A message a trigger cannot start a run from: it has no message id, is not
 * JSON, or its input is refused (by the trigger's schema or the workflow's
 * input validation). The trigger dead-letters it with this error's message
 * as the reason (header `x-weft-reason`); not retryable.
 *
 * @example
 * ```ts
 * import { AmqpInvalidMessageError } from 'weft-sdk/amqp'
 * const error = new AmqpInvalidMessageError('orders-trigger', undefined, 'it has no message id: publish it with a messageId')
 * error.message // 'trigger "orders-trigger": message (no id) cannot start a run: it has no message id: …'
 * ```
 */
export class AmqpInvalidMessageError extends WeftError {
  readonly code = 'WEFT_AMQP_INVALID_MESSAGE'
  readonly _tag = 'AmqpInvalidMessageError'
  constructor(
    /** The trigger's name. */
    readonly trigger: string,
    /** The message's id; `undefined` when it has none. */
    readonly messageId: string | undefined,
    /** Why no run can start from it. */
    readonly reason: string,
  ) {
    super(`trigger "${trigger}": message ${messageId === undefined ? '(no id)' : `"${messageId}"`} cannot start a run: ${reason}`)
  }
}

/**
 * A trigger gave up on a message whose start kept failing: `attempts`
 * consecutive starts of it failed (a store that stays down, a starter that
 * always throws), so it is dead-lettered with this error's message (the count
 * and the last failure) as the reason instead of being requeued forever.
 * The last failure is the `cause`. Not retryable as is: fix the cause, then
 * republish the message from the dead-letter queue (its id is kept, so a run
 * that did start is not started twice).
 *
 * @example
 * ```ts
 * import { AmqpStartExhaustedError } from 'weft-sdk/amqp'
 * const error = new AmqpStartExhaustedError('orders-trigger', 'order-42', 20, 'database is locked')
 * error.message // 'trigger "orders-trigger": message "order-42" could not start a run in 20 attempts in a row (the last failed with: database is locked); …'
 * ```
 */
export class AmqpStartExhaustedError extends WeftError {
  readonly code = 'WEFT_AMQP_START_EXHAUSTED'
  readonly _tag = 'AmqpStartExhaustedError'
  constructor(
    /** The trigger's name. */
    readonly trigger: string,
    /** The message's id (the run id it would have started). */
    readonly messageId: string,
    /** How many starts of it failed in a row. */
    readonly attempts: number,
    /** The last failure, described (secrets redacted). */
    readonly lastFailure: string,
    options?: { readonly cause?: unknown },
  ) {
    super(`trigger "${trigger}": message "${messageId}" could not start a run in ${attempts} attempts in a row (the last failed with: ${lastFailure}); it was dead-lettered so the queue keeps flowing: fix the cause and republish it, or raise the trigger's maxStartAttempts`, options)
  }
}
