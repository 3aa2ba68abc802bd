import type { RunId } from '../core/ids.js'
import type { Fence, RequestedAction, RunLeases, RunRecord, WorkflowVersion } from '../storage/workflow-store.js'
import { isDeadOwner } from './owner-id.js'

/** How a worker shares runs with other workers through the store. */
export interface WorkerConfig {
  /** This worker's id (see `newOwnerId`). */
  readonly owner: string
  /** How long a claimed lease lasts without renewal (milliseconds). */
  readonly leaseMs: number
  /** How often leases are renewed (milliseconds); below `leaseMs`. */
  readonly heartbeatMs: number
  /** How often the store is asked for runs to claim when it cannot notify (milliseconds). */
  readonly claimIntervalMs: number
  /** Most runs claimed at once. */
  readonly claimBatch: number
  /** Whether this worker claims runs it did not start (recovery, scale-out). */
  readonly claim: boolean
}

/** What the worker needs from the engine. */
export interface WorkerHost {
  /** The workflow versions this worker can run. */
  registeredVersions(): WorkflowVersion[]
  /** The fences of the runs this worker executes now. */
  activeFences(): Fence[]
  /** Starts executing a claimed run. */
  resumeClaimed(run: RunRecord): Promise<void>
  /** Applies an action another process requested. */
  applyAction(runId: RunId, action: RequestedAction): void
  /** The lease of a run was lost: stop executing it. */
  leaseLost(runId: RunId): void
  /** Reports an error of the worker's background work (the store may be down). */
  reportError(error: unknown): void
  now(): number
}

/**
 * The background work that makes an engine a worker: it claims runs to
 * recover or to scale out (periodically, and at once when the store notifies
 * a new run), renews the leases of the runs it executes, and picks up actions
 * other processes requested. Timers are unref'd: they never keep a process alive.
 */
export class RunWorker {
  private claimTimer: NodeJS.Timeout | undefined
  private heartbeatTimer: NodeJS.Timeout | undefined
  private claiming: Promise<number> | undefined
  private claimAgain = false
  private sweepAgain = false
  private claimingStopped = false
  private stopped = false
  /** Claims are held while the store cannot take writes (see {@link holdClaims}). */
  private held = false
  private readonly beats = new Set<Promise<void>>()

  constructor(
    private readonly store: RunLeases,
    private readonly config: WorkerConfig,
    private readonly host: WorkerHost,
  ) {}

  /** Starts the claim loop and the heartbeat; resolves after the first claim pass. */
  async start(): Promise<void> {
    this.heartbeatTimer = setInterval(() => this.beat(), this.config.heartbeatMs)
    this.heartbeatTimer.unref()
    if (!this.config.claim) return
    this.claimTimer = setInterval(() => this.sweep(), this.config.claimIntervalMs)
    this.claimTimer.unref()
    await this.claimNow(true)
  }

  /** A periodic pass: also looks for runs of dead owners, and notes runs no worker can take. */
  private sweep(): void {
    if (this.claimingStopped) return
    this.claimNow(true).catch((error: unknown) => this.host.reportError(error))
  }

  /** Asks for a claim pass soon (a run was created, or a workflow registered). */
  wake(): void {
    if (this.claimingStopped || !this.config.claim) return
    this.claimNow().catch((error: unknown) => this.host.reportError(error))
  }

  /** Claims and starts every claimable run (in batches), once; concurrent calls share a pass. */
  claimNow(sweep = false): Promise<number> {
    if (this.claimingStopped || this.held) return Promise.resolve(0)
    if (this.claiming !== undefined) {
      this.claimAgain = true
      this.sweepAgain ||= sweep
      return this.claiming
    }
    this.claiming = this.claimAll(sweep).finally(() => {
      this.claiming = undefined
      if (this.claimAgain && !this.claimingStopped) {
        const again = this.sweepAgain
        this.claimAgain = false
        this.sweepAgain = false
        this.claimNow(again).catch((error: unknown) => this.host.reportError(error))
      }
    })
    return this.claiming
  }

  /**
   * Stops claiming until {@link resumeClaims}: the store failed in a way that
   * will not pass by itself (a full disk), so a claimed run would only run
   * its tasks again and fail to record them. Leases keep being renewed.
   */
  holdClaims(): void {
    this.held = true
  }

  /** Claims again after {@link holdClaims} (the store takes writes again), starting with a sweep. */
  resumeClaims(): void {
    if (!this.held) return
    this.held = false
    if (!this.claimingStopped && this.config.claim) this.claimNow(true).catch((error: unknown) => this.host.reportError(error))
  }

  /** Renews the leases of running runs; stops the ones lost; applies requested actions. */
  async heartbeat(): Promise<void> {
    const fences = this.host.activeFences()
    if (fences.length === 0 || this.stopped) return
    const { lost, requested } = await this.store.renewLeases(this.config.owner, fences, this.config.leaseMs, this.host.now())
    for (const runId of lost) this.host.leaseLost(runId)
    for (const { runId, action } of requested) this.host.applyAction(runId, action)
  }

  /**
   * Stops claiming at once: no claim pass starts any more, and runs a pass in
   * flight still claims are released, not started. Resolves once that pass
   * has ended. Leases keep being renewed (a draining engine still runs tasks).
   */
  async stopClaiming(): Promise<void> {
    this.claimingStopped = true
    clearInterval(this.claimTimer)
    await this.claiming?.catch(() => undefined)
  }

  /** Stops claiming and renewing; resolves once no claim pass or renewal is in flight (the store may be closed then). */
  async stop(): Promise<void> {
    this.stopped = true
    clearInterval(this.heartbeatTimer)
    await this.stopClaiming()
    await Promise.all(this.beats)
  }

  private beat(): void {
    const beat = this.heartbeat().catch((error: unknown) => this.host.reportError(error))
    this.beats.add(beat)
    void beat.finally(() => this.beats.delete(beat))
  }

  /**
   * Claims runs in batches. A pass woken by a new run only claims; a sweep
   * (periodic, and at start) also asks which owners are dead and notes the
   * runs no worker can take — those scan more rows, and a new run needs neither.
   */
  private async claimAll(sweep: boolean): Promise<number> {
    let total = 0
    while (!this.claimingStopped && !this.held) {
      const workflows = this.host.registeredVersions()
      if (workflows.length === 0) return total
      const now = this.host.now()
      const deadOwners = sweep ? (await this.store.leaseOwners(now)).filter(isDeadOwner) : []
      if (this.claimingStopped) return total
      const claimed = await this.store.claimRuns({ owner: this.config.owner, leaseMs: this.config.leaseMs, limit: this.config.claimBatch, workflows, now, deadOwners })
      for (const [i, run] of claimed.entries()) {
        if (this.claimingStopped || this.held) {
          // Claimed as the engine began to close, or as claims were held: give them back at once rather than hold them until the lease ends.
          await this.store.releaseRuns(this.config.owner, claimed.slice(i).map((r) => ({ runId: r.id, epoch: r.epoch })))
          return total + i
        }
        try {
          await this.host.resumeClaimed(run)
        } catch (error) {
          // That run was released; the rest of the batch is still this worker's to start.
          this.host.reportError(error)
        }
      }
      total += claimed.length
      if (claimed.length < this.config.claimBatch) {
        if (sweep) await this.store.noteUnclaimable(workflows, now)
        return total
      }
    }
    return total
  }
}
