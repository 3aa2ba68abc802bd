import type { RunId } from '../core/ids.js'
import type { WeftListener } from './event-hub.js'
import type { RunStarted } from './run-events.js'

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
 * each run it creates, records it with the run, and hands it to the tracing
 * as the run starts executing (here or on the worker that resumes it), so
 * every worker continues the run's trace. The tracing subscribes to the
 * engine's events only while it follows a run: an engine builds its events
 * only when someone listens, so a tracing that records nothing costs nothing
 * per task.
 *
 * @example
 * ```ts
 * import { createEngine, type RunTracing, type WeftListener } from 'weft-sdk'
 * const log: WeftListener = (event) => console.log(event.type)
 * let subscribe: ((listener: WeftListener) => () => void) | undefined
 * const tracing: RunTracing = {
 *   attach: (engineSubscribe) => void (subscribe = engineSubscribe),
 *   runCreated: (run) => run.parent, // keep the caller's trace context, start none
 *   runStarting: (started) => {
 *     console.log(`run ${started.runId} starts in trace ${started.traceContext ?? '(none)'}`)
 *     subscribe?.(log)
 *   },
 *   runAbandoned: (runId) => console.log(`run ${runId} left to another worker`),
 * }
 * const engine = createEngine({ tracing })
 * ```
 */
export interface RunTracing {
  /**
   * Called once as the engine is created, with how to subscribe to its
   * events (the function returned unsubscribes).
   */
  attach(subscribe: (listener: WeftListener) => () => void): void
  /**
   * Called as a run is created, before it is stored: returns the W3C trace
   * context (`traceparent`) to record with it, or `undefined` to record none.
   * Must not throw; it runs on the start path.
   */
  runCreated(run: TracedRunStart): string | undefined
  /**
   * Called as a run begins executing in this process (a new run, or one taken
   * over), with its `run.started` event before any listener gets it. Must not throw.
   */
  runStarting(event: RunStarted): void
  /**
   * Called when this process gives a run up before it ended (its lease was
   * lost, its store failed, or the engine closed and released it): another
   * worker continues it. No `run.*` event follows. Must not throw.
   */
  runAbandoned(runId: RunId, at: number): void
  /**
   * The W3C trace context (`traceparent`) of `task`'s current attempt in
   * `runId` at `at` (epoch milliseconds), or `undefined` when the run is not
   * followed: what an adapter carries across a process boundary
   * (`CallContext.traceparent`). Optional; asked only when an adapter asks,
   * never per task. Must not throw.
   */
  attemptTraceparent?(runId: RunId, task: string, at: number): string | undefined
}
