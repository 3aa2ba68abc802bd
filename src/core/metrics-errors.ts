// Errors of the metrics API: live metrics asked of an engine that keeps none, history of a store that has none.
import { WeftError } from './weft-error.js'

/**
 * Metrics were asked for that this engine cannot give: `engine.metrics()`
 * or `engine.liveMetrics()` of an engine created without `metrics`
 * (`reason: 'live-metrics-off'`), or
 * `engine.history()` over a custom store without the `history` role
 * (`'no-history'`). Not retryable: the fix is in the configuration.
 *
 * @example
 * ```ts
 * import { createEngine, MetricsUnavailableError } from 'weft-sdk'
 * try {
 *   createEngine().metrics()
 * } catch (error) {
 *   if (error instanceof MetricsUnavailableError) console.error(error.reason, error.message) // live-metrics-off ...
 * }
 * ```
 */
export class MetricsUnavailableError extends WeftError {
  readonly code = 'WEFT_METRICS_UNAVAILABLE'
  readonly _tag = 'MetricsUnavailableError'
  override readonly isRetryable = false
  constructor(
    /** What is missing: live metrics were not enabled, or the store has no history. */
    readonly reason: 'live-metrics-off' | 'no-history',
  ) {
    super(
      reason === 'live-metrics-off'
        ? 'engine.metrics() / engine.liveMetrics(): this engine keeps no live metrics; create it with createEngine({ metrics: true })'
        : `engine.history(): the engine's store has no history (its "history" role is missing); use the memory, SQLite or PostgreSQL store, or implement HistoryStore in yours`,
    )
  }
}
