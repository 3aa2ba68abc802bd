import type { OperationStats } from './adapter.js'
import { LatencyWindow } from './latency-window.js'

/** The counters of one operation: calls, failures, the last latency and a bounded window of latencies. */
export class OperationCounters {
  private calls = 0
  private failures = 0
  private lastLatencyMs: number | undefined
  private readonly window = new LatencyWindow()

  constructor(readonly operation: string) {}

  /** Records a call that ended after `ms`, failed or not. */
  record(ms: number, failed: boolean): void {
    this.calls++
    if (failed) this.failures++
    this.lastLatencyMs = ms
    this.window.add(ms)
  }

  snapshot(): OperationStats {
    return { operation: this.operation, calls: this.calls, failures: this.failures, lastLatencyMs: this.lastLatencyMs, latency: this.window.percentiles() }
  }
}
