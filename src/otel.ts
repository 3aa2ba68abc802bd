/**
 * OpenTelemetry tracing for Weft: spans per run and per task attempt, built
 * from the engine's events with explicit parents, and the W3C trace context
 * recorded with each run so that the worker that resumes it continues the
 * same trace. A separate entry point (`weft-sdk/otel`): only applications
 * that import it load `@opentelemetry/api` (an optional peer dependency).
 *
 * @example
 * ```ts
 * import { createEngine } from 'weft-sdk'
 * import { weftTracing } from 'weft-sdk/otel'
 * const engine = createEngine({ tracing: weftTracing() }) // spans go to the globally registered SDK
 * ```
 *
 * @packageDocumentation
 */
export { weftTracing, type WeftTracing, type WeftTracingOptions } from './observability/weft-tracing.js'
export { WeftSpanAttributes } from './observability/span-attributes.js'
export { parseTraceparent, toTraceparent } from './observability/trace-context.js'
