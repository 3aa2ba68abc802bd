import { isSpanContextValid, ROOT_CONTEXT, trace, type Context, type SpanContext } from '@opentelemetry/api'

/** `version-traceid-spanid-flags`, lower-case hex (W3C Trace Context, level 1). */
const traceparentPattern = /^([\da-f]{2})-([\da-f]{32})-([\da-f]{16})-([\da-f]{2})(?:-.*)?$/

/**
 * Writes a span context as a W3C `traceparent` header value
 * (`00-<trace id>-<span id>-<flags>`): what Weft records with a run and what
 * a message header carries.
 *
 * @example
 * ```ts
 * import { toTraceparent } from 'weft-sdk/otel'
 * const header = toTraceparent({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 })
 * // '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'
 * ```
 */
export function toTraceparent(spanContext: SpanContext): string {
  const flags = (spanContext.traceFlags & 0xff).toString(16).padStart(2, '0')
  return `00-${spanContext.traceId}-${spanContext.spanId}-${flags}`
}

/**
 * Reads a W3C `traceparent` header value into a remote span context; returns
 * `undefined` for anything that is not a valid one (wrong shape, version
 * `ff`, all-zero ids), so a malformed header starts a new trace instead of
 * failing a run.
 *
 * @example
 * ```ts
 * import { parseTraceparent } from 'weft-sdk/otel'
 * const parent = parseTraceparent('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01')
 * console.log(parent?.traceId, parseTraceparent('not a header')) // '0af76519…', undefined
 * ```
 */
export function parseTraceparent(header: string | undefined): SpanContext | undefined {
  if (header === undefined) return undefined
  const match = traceparentPattern.exec(header.trim())
  if (match === null) return undefined
  const [, version, traceId, spanId, flags] = match as unknown as [string, string, string, string, string]
  // Version 00 has exactly four fields; a later version may add more (read the first four).
  if (version === 'ff' || (version === '00' && header.trim().length !== 55)) return undefined
  const spanContext: SpanContext = { traceId, spanId, traceFlags: Number.parseInt(flags, 16) & 0xff, isRemote: true }
  return isSpanContextValid(spanContext) ? spanContext : undefined
}

/** The context whose span is the remote parent `header` names; the root context when there is none (or it is malformed). */
export function contextOfTraceparent(header: string | undefined): Context | undefined {
  const parent = parseTraceparent(header)
  return parent === undefined ? undefined : trace.setSpanContext(ROOT_CONTEXT, parent)
}
