// The built-in sink: each notification POSTed as JSON, each attempt bounded by a timeout (its request aborted), a
// few retries with exponential backoff and full jitter on Effect (resilience/retry.ts, the policy tasks use). Secrets
// (headers, user info, the query string) never reach an error message or an event.

import { Duration as EffectDuration, Effect } from 'effect'
import { AlertDeliveryError, InvalidAlertError } from '../../core/alert-errors.js'
import { describeCause } from '../../core/errors.js'
import { toMillis, type Duration } from '../../core/duration.js'
import type { RetryPolicy } from '../../graph/workflow-graph.js'
import { withRetry } from '../../resilience/retry.js'
import type { AlertNotification } from '../../runtime/alert-events.js'
import type { AlertSink } from './alert-sink.js'

/**
 * Options of {@link webhookSink}.
 *
 * @example
 * ```ts
 * import { webhookSink, type WebhookSinkOptions } from 'weft-sdk'
 * const options: WebhookSinkOptions = { url: 'https://alerts.example.com/hooks/weft', headers: { authorization: `Bearer ${process.env.ALERT_TOKEN}` }, timeout: '3 s', retries: 2 }
 * const sink = webhookSink(options)
 * ```
 */
export interface WebhookSinkOptions {
  /** Where to POST: an `http:` or `https:` URL. Its user info and query string are never shown in messages. */
  readonly url: string
  /** The sink's name, in `alert.delivery-failed` events. @defaultValue `'webhook'` */
  readonly name?: string
  /** Headers sent with each request (an `authorization` one, say): never in errors or events. */
  readonly headers?: Readonly<Record<string, string>>
  /** How long one attempt may take before its request is aborted. @defaultValue `'5 s'` */
  readonly timeout?: Duration
  /** Attempts after the first one, for a timeout, a network error, a 408, 429 or 5xx answer. @defaultValue `3` */
  readonly retries?: number
  /** The delay bound before the first retry, doubling up to `max`; each delay is drawn in [0, bound]. @defaultValue `{ initial: '200 ms', max: '5 s' }` */
  readonly backoff?: {
    /** The first bound. @defaultValue `'200 ms'` */
    readonly initial?: Duration
    /** The largest bound. @defaultValue `'5 s'` */
    readonly max?: Duration
  }
}

/**
 * An {@link AlertSink} that POSTs each notification (an `AlertFired` or
 * `AlertResolved`, as JSON with `content-type: application/json`) to a URL.
 * A 2xx answer delivers it; a timeout, a network error or a 408, 429 or 5xx
 * answer is retried (`retries` times, with backoff); another answer fails at
 * once. A failed delivery rejects with `AlertDeliveryError`, which the engine
 * reports as `alert.delivery-failed`.
 *
 * @example
 * ```ts
 * import { createEngine, webhookSink } from 'weft-sdk'
 * const engine = createEngine({
 *   metrics: true,
 *   alerts: {
 *     rules: [{ kind: 'failure-rate', name: 'failing', above: 0.2 }],
 *     sinks: [webhookSink({ url: 'http://127.0.0.1:9093/hooks/weft', headers: { authorization: 'Bearer s3cret' } })],
 *   },
 * })
 * ```
 * @throws `InvalidAlertError` for a URL that is not http(s), a negative timeout or retry count.
 */
export function webhookSink(options: WebhookSinkOptions): AlertSink {
  const target = parseTarget(options.url)
  const name = options.name ?? 'webhook'
  const timeoutMs = settingMs('timeout', options.timeout, 5_000)
  const policy = retryPolicyOf(options)
  const headers = { ...options.headers, 'content-type': 'application/json' }
  const post = (body: string) => (n: number) => attemptOf(name, target, headers, body, timeoutMs, n)
  return {
    name,
    deliver: (alert: AlertNotification) => Effect.runPromise(withRetry(post(JSON.stringify(alert)), policy, `alert sink ${name}`, () => undefined)),
  }
}

/** The URL to call, and how messages show it: without user info, query or fragment. */
interface Target {
  readonly url: string
  readonly shown: string
}

function parseTarget(url: string): Target {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new InvalidAlertError('alerts', 'webhookSink.url', 'must be an absolute http: or https: URL, e.g. https://alerts.example.com/hooks/weft')
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new InvalidAlertError('alerts', 'webhookSink.url', `must use http: or https:, got ${parsed.protocol}`)
  return { url, shown: `${parsed.origin}${parsed.pathname}` }
}

function settingMs(field: string, value: Duration | undefined, fallback: number): number {
  try {
    const ms = value === undefined ? fallback : toMillis(value, field)
    if (ms <= 0) throw new Error(`${field} must be longer than 0 ms`)
    return ms
  } catch (error) {
    throw new InvalidAlertError('alerts', `webhookSink.${field}`, describeCause(error))
  }
}

function retryPolicyOf(options: WebhookSinkOptions): RetryPolicy {
  const retries = options.retries ?? 3
  if (!Number.isInteger(retries) || retries < 0) throw new InvalidAlertError('alerts', 'webhookSink.retries', `must be an integer ≥ 0, got ${String(options.retries)}`)
  const initialDelayMs = settingMs('backoff.initial', options.backoff?.initial, 200)
  const maxDelayMs = Math.max(initialDelayMs, settingMs('backoff.max', options.backoff?.max, 5_000))
  return { maxAttempts: retries + 1, initialDelayMs, maxDelayMs, factor: 2, jitter: 'full', retryIf: undefined, nonRetryable: [], deadlineMs: undefined }
}

/** One POST, aborted after `timeoutMs`; fails with a retryable or final `AlertDeliveryError`. */
function attemptOf(name: string, target: Target, headers: Record<string, string>, body: string, timeoutMs: number, attempt: number): Effect.Effect<void, AlertDeliveryError> {
  const request = Effect.tryPromise({
    try: (signal) => send(name, target, headers, body, signal),
    catch: (error) => (error instanceof AlertDeliveryError ? error : new AlertDeliveryError(name, `POST ${target.shown} failed (attempt ${attempt}): ${networkReason(error)}`, true)),
  })
  return Effect.timeoutOrElse(request, {
    duration: EffectDuration.millis(timeoutMs),
    orElse: () => Effect.fail(new AlertDeliveryError(name, `POST ${target.shown} timed out after ${timeoutMs} ms (attempt ${attempt})`, true)),
  })
}

async function send(name: string, target: Target, headers: Record<string, string>, body: string, signal: AbortSignal): Promise<void> {
  const response = await fetch(target.url, { method: 'POST', headers, body, signal })
  // The answer's body is not needed: read it so the connection can be reused.
  await response.arrayBuffer().catch(() => undefined)
  if (response.ok) return
  const retryable = response.status === 408 || response.status === 429 || response.status >= 500
  throw new AlertDeliveryError(name, `POST ${target.shown} answered ${response.status}${retryable ? '' : ' (not retried)'}`, retryable, response.status)
}

/** Why a request did not get an answer, without the URL (undici's messages may carry it): the system code when there is one. */
function networkReason(error: unknown): string {
  const cause = error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined
  return typeof cause?.code === 'string' ? cause.code : error instanceof Error ? error.name : 'the request failed'
}
