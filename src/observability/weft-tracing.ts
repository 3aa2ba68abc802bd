import { context, isSpanContextValid, ROOT_CONTEXT, trace, type Context, type Tracer } from '@opentelemetry/api'
import type { RunTracing, TracedRunStart } from '../runtime/run-tracing.js'
import { RunSpans } from './run-spans.js'
import { WeftSpanAttributes as A } from './span-attributes.js'
import { contextOfTraceparent, toTraceparent } from './trace-context.js'

/**
 * Options of {@link weftTracing}.
 *
 * @example
 * ```ts
 * import { trace } from '@opentelemetry/api'
 * import type { WeftTracingOptions } from 'weft-sdk/otel'
 * const options: WeftTracingOptions = { tracer: trace.getTracer('orders'), useActiveContext: false }
 * ```
 */
export interface WeftTracingOptions {
  /** The tracer spans are made with. @defaultValue `trace.getTracer('weft-sdk')` (the globally registered SDK's, a no-op without one) */
  readonly tracer?: Tracer
  /**
   * Parent a run started without an explicit `traceparent` to the active
   * context of the application's context manager (`context.active()`), if it
   * registered one: a run started while handling a traced request joins the
   * request's trace. Weft itself never sets the active context.
   * @defaultValue true
   */
  readonly useActiveContext?: boolean
}

/**
 * OpenTelemetry tracing for an engine, from `weft-sdk/otel` (the only entry
 * point that loads `@opentelemetry/api`).
 *
 * @example
 * ```ts
 * import { createEngine } from 'weft-sdk'
 * import { weftTracing, type WeftTracing } from 'weft-sdk/otel'
 * const tracing: WeftTracing = weftTracing()
 * const engine = createEngine({ tracing })
 * process.on('uncaughtException', () => tracing.endOpenSpans()) // engine.close() ends the spans of the runs it releases
 * ```
 */
export interface WeftTracing extends RunTracing {
  /** How many runs have a span open in this process. */
  readonly openRuns: number
  /**
   * Ends the spans still open in this process, marked `abandoned`, at `at`
   * (epoch milliseconds; default now). `engine.close()` ends those of the
   * runs it releases already; this is for a process that stops without it.
   */
  endOpenSpans(at?: number): void
}

/**
 * Traces an engine's runs with OpenTelemetry: pass it as `createEngine({ tracing })`.
 *
 * Each run created gets a short `weft.start <workflow>` span (the child of the
 * caller's `traceparent`, or of the application's active context) whose W3C
 * trace context is recorded with the run. Each worker that executes the run
 * makes a `weft.run <workflow>` span, the child of that recorded context, so a
 * run resumed by another worker continues the same trace; under it a
 * `weft.task <task>` span per task attempt (a retry is a new attempt span), and
 * events for progress, pauses, skipped and replayed tasks. Under an attempt's
 * span: a client span per call its adapters reported (LLM calls with the
 * GenAI conventions), and an internal span per wait for an event
 * (`weft.wait <event>`: a signal, an approval), per durable sleep
 * (`weft.sleep`) and per `ctx.map` item (`weft.map.item <task>`), each
 * covering the time this process spent on it. The AMQP adapter puts the
 * attempt's trace context in the headers of what it publishes, so a run its
 * message starts continues the trace. Attributes are in
 * {@link WeftSpanAttributes}. Parents are passed explicitly: Weft never uses
 * the active context (no AsyncLocalStorage) while it runs a workflow.
 *
 * Without an SDK registered (or for a run its sampler drops) the run's span
 * does not record and the run is not followed: an engine whose runs are not
 * recorded builds no events for the tracing, so its tasks cost nothing more.
 *
 * @example
 * ```ts
 * import { createEngine, defineWorkflow } from 'weft-sdk'
 * import { weftTracing } from 'weft-sdk/otel'
 * import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
 * const exporter = new InMemorySpanExporter()
 * const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
 * const engine = createEngine({ tracing: weftTracing({ tracer: provider.getTracer('orders') }) })
 * const hello = defineWorkflow({ name: 'hello', version: 1 }).task('greet', () => 'hi').build()
 * await (await engine.start(hello)).result()
 * console.log(exporter.getFinishedSpans().map((span) => span.name)) // ['weft.start hello', 'weft.task greet', 'weft.run hello']
 * ```
 */
export function weftTracing(options: WeftTracingOptions = {}): WeftTracing {
  const tracer = options.tracer ?? trace.getTracer('weft-sdk')
  const useActiveContext = options.useActiveContext ?? true
  const spans = new RunSpans(tracer)
  return {
    attach: (subscribe) => spans.attach(subscribe),
    runStarting: (event) => spans.runStarting(event),
    runAbandoned: (runId, at) => spans.runAbandoned(runId, at),
    attemptTraceparent: (runId, task, at) => spans.attemptTraceparent(runId, task, at),
    runCreated: (run) => startRun(tracer, run, parentOf(run, useActiveContext)),
    get openRuns() {
      return spans.open
    },
    endOpenSpans: (at = Date.now()) => spans.endAll(at),
  }
}

function parentOf(run: TracedRunStart, useActiveContext: boolean): Context {
  return contextOfTraceparent(run.parent) ?? (useActiveContext ? context.active() : ROOT_CONTEXT)
}

/** Records the run's start as a span and returns its trace context (or the parent's, when the span is not sampled). */
function startRun(tracer: Tracer, run: TracedRunStart, parent: Context): string | undefined {
  const attributes = { [A.workflow]: run.workflow, [A.version]: run.version, [A.runId]: run.runId }
  const span = tracer.startSpan(`weft.start ${run.workflow}`, { startTime: run.createdAt, attributes }, parent)
  span.end(run.createdAt)
  const recorded = span.spanContext()
  return isSpanContextValid(recorded) ? toTraceparent(recorded) : run.parent
}
