import type { StoreLifecycle } from '../storage/workflow-store.js'
import { isBlockingStoreFailure } from '../storage/storage-failure.js'

/** What {@link StoreHealth} holds and resumes: the engine's claims. */
export interface ClaimGate {
  holdClaims(): void
  resumeClaims(): void
}

/** The longest wait between two probes of a failing store. */
const maxProbeIntervalMs = 60_000

/**
 * Keeps an engine from claiming runs while its store takes no writes until
 * someone acts (a full disk, a file-size limit, a deleted file, a read-only
 * mount). A run given up for such a failure would otherwise be claimed again
 * when its lease ends and its tasks run again, only to fail to record their
 * results, lease after lease. Instead claims are held and the store is
 * probed (`WorkflowStore.probe`: a write as large as the largest value a
 * step may store, removed again) at growing intervals: from the claim
 * interval, doubling after each failed probe, up to a minute; the interval
 * keeps growing across episodes until a run of the engine records its end
 * again ({@link healthy}). The first probe that succeeds resumes claims. A
 * probe that fails for another reason cannot judge, and claims resume (the
 * failure is reported); a store without a probe is trusted again after one
 * interval.
 */
export class StoreHealth {
  private timer: NodeJS.Timeout | undefined
  private intervalMs: number
  private failing = false
  private closed = false

  constructor(
    private readonly store: StoreLifecycle,
    private readonly claims: ClaimGate,
    private readonly firstIntervalMs: number,
    private readonly reportError: (error: unknown) => void,
  ) {
    this.intervalMs = firstIntervalMs
  }

  /** Whether claims are held because the store takes no writes. */
  get isFailing(): boolean {
    return this.failing
  }

  /** A store operation failed; a failure that blocks every write holds claims until a probe succeeds. */
  failed(error: unknown): void {
    if (!isBlockingStoreFailure(error) || this.closed || this.failing) return
    this.failing = true
    this.claims.holdClaims()
    this.schedule()
  }

  /** The store recorded a run's end: the next failure starts probing at the first interval again. */
  healthy(): void {
    if (!this.failing) this.intervalMs = this.firstIntervalMs
  }

  /** Stops probing (the engine closes). */
  stop(): void {
    this.closed = true
    clearTimeout(this.timer)
  }

  private schedule(): void {
    this.timer = setTimeout(() => void this.probe(), this.intervalMs)
    this.timer.unref()
  }

  private async probe(): Promise<void> {
    let error: unknown
    try {
      await this.store.probe?.()
    } catch (caught) {
      error = caught ?? new Error('the probe failed')
    }
    if (this.closed) return
    if (error !== undefined) this.report(error)
    this.intervalMs = Math.min(this.intervalMs * 2, maxProbeIntervalMs)
    if (isBlockingStoreFailure(error)) return this.schedule()
    this.failing = false
    this.claims.resumeClaims()
  }

  private report(error: unknown): void {
    try {
      this.reportError(error)
    } catch {
      // A reporter that throws must not stop the probing.
    }
  }
}
