import { StorageError } from '../core/errors.js'
import type { WorkflowStore } from '../storage/workflow-store.js'

/** What {@link StoreHealth} holds and resumes: the engine's claims. */
export interface ClaimGate {
  holdClaims(): void
  resumeClaims(): void
}

/** The longest wait between two probes of a failing store. */
const maxProbeIntervalMs = 60_000

/**
 * Keeps an engine from claiming runs while its store fails in a way that
 * will not pass by itself (`StorageError` with `isRetryable` false: a full
 * disk, a file-size limit, a deleted file). A run given up for such a
 * failure would otherwise be claimed again when its lease ends and its tasks
 * run again, only to fail to record their results, lease after lease, until
 * it is dead-lettered for a fault that is not its own. Instead claims are
 * held and the store is probed with a small write (`WorkflowStore.probe`),
 * at growing intervals (from the claim interval, doubling, up to a minute);
 * the first probe that succeeds resumes claims, and the runs resume from
 * their checkpoints. A store without a probe is trusted again after the
 * first interval.
 */
export class StoreHealth {
  private timer: NodeJS.Timeout | undefined
  private intervalMs: number
  private failing = false
  private closed = false

  constructor(
    private readonly store: WorkflowStore,
    private readonly claims: ClaimGate,
    private readonly firstIntervalMs: number,
    private readonly reportError: (error: unknown) => void,
  ) {
    this.intervalMs = firstIntervalMs
  }

  /** Whether claims are held because the store failed. */
  get isFailing(): boolean {
    return this.failing
  }

  /** A store operation failed; a failure that will not pass by itself holds claims until a probe succeeds. */
  failed(error: unknown): void {
    if (!(error instanceof StorageError) || error.isRetryable || this.closed) return
    if (this.failing) return
    this.failing = true
    this.intervalMs = this.firstIntervalMs
    this.claims.holdClaims()
    this.schedule()
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
    try {
      await this.store.probe?.()
    } catch (error) {
      if (this.closed) return
      this.reportError(error)
      this.intervalMs = Math.min(this.intervalMs * 2, maxProbeIntervalMs)
      return this.schedule()
    }
    if (this.closed) return
    this.failing = false
    this.claims.resumeClaims()
  }
}
