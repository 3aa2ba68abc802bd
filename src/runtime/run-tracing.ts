import type { RunId } from '../core/ids.js'
import type { WeftListener } from './event-hub.js'

/**
 * A run being created, as a {@link RunTracing} sees it: enough to start its
 * trace before it is stored.
 *
 * @example
 * ```ts
 * import type { TracedRunStart } from 'weft-sdk'
 * const start: TracedRunStart = { runId: 'r-1', workflow: 'order-fulfilment', version: 1, createdAt: Date.now(), parent: undefined }
 * ```
 */
export interface TracedRunStart {
  /** The run's id. */
  readonly runId: RunId
  /** The workflow's name. */
  readonly workflow: string
  /** The workflow version the run is pinned to. */
  readonly version: number
  /** When the run is created (epoch milliseconds). */
  readonly createdAt: number
  /**
   * The W3C trace context (`traceparent`) the caller started the run under,
   * given explicitly (`engine.start(..., { traceparent })`, a trigger's
   * message header); `undefined` when none was given.
   */
  readonly parent: string | undefined
}

/**
 * The port through which an engine traces its runs (`createEngine({ tracing })`;
 * `weftTracing` of `weft-sdk/otel` implements it with OpenTelemetry). The
 * engine never passes a trace context implicitly: it asks for the context of
 * each run it creates, records it with the run, and announces it with
 * `run.started`, so every worker that executes the run continues its trace.
 *
 * @example
 * ```ts
 * import { createEngine, type RunTracing } from 'weft-sdk'
 * const tracing: RunTracing = {
 *   listener: (event) => console.log(event.type),
 *   runCreated: (run) => run.parent, // keep the caller's trace context, start none
 * }
 * const engine = createEngine({ tracing })
 * ```
 */
export interface RunTracing {
  /** Receives every engine event (subscribed as the engine is created). */
  readonly listener: WeftListener
  /**
   * Called as a run is created, before it is stored: returns the W3C trace
   * context (`traceparent`) to record with it, or `undefined` to record none.
   * Must not throw; it runs on the start path.
   */
  runCreated(run: TracedRunStart): string | undefined
}
