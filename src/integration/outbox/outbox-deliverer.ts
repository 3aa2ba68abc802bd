import { isWeftError } from '../../core/weft-error.js'
import type { RetryPolicy } from '../../graph/workflow-graph.js'
import { retryDelay, retryDelayBound } from '../../resilience/retry.js'
import { isDeadOwner } from '../../runtime/owner-id.js'
import type { OutboxEvent } from '../../runtime/run-events.js'
import type { OutboxClaimRequest, OutboxEntry, OutboxSettlement, OutboxStore } from '../../storage/outbox-store.js'
import type { OutboxTarget } from './outbox-target.js'

/** How a deliverer shares the outbox with other workers. */
export interface OutboxDelivererConfig {
  /** This worker's id (the engine's `workerId`). */
  readonly owner: string
  /** How long a claim of an entry lasts (milliseconds); a delivery is cut (and retried) before it ends. */
  readonly leaseMs: number
  /** How often pending entries are looked for (milliseconds): retries whose backoff ended, entries of dead workers. */
  readonly pollMs: number
  /** Most entries claimed per pass. */
  readonly batch: number
  /** Attempts and backoff between failed deliveries of one entry (durable: counted in the store). */
  readonly retry: RetryPolicy
}

/** What the deliverer needs from the engine. */
export interface OutboxDelivererHost {
  /** The registered adapters that can deliver entries, by name. */
  targets(): ReadonlyMap<string, OutboxTarget>
  emit(event: OutboxEvent): void
  reportError(error: unknown): void
  now(): number
}

/** A delivery is cut at this share of the claim's lease, so it ends before another worker may take the entry over. */
const deliveryShareOfLease = 0.8

/**
 * Delivers the durable outbox of an engine: entries are claimed under a
 * lease (one deliverer each, across processes), delivered one by one through
 * the adapter named by each, and settled: delivered, retried after a backoff
 * (the attempt count is the store's, so backoff and the dead letter survive
 * restarts), or given up (`dead`). Two paths: {@link deliverSoon} right after
 * a step committed its entries (the fast path), and a poll every `pollMs`
 * that also takes over entries whose deliverer died (its lease expired, or
 * its process is gone on this host). Timers are unref'd.
 */
export class OutboxDeliverer {
  private timer: NodeJS.Timeout | undefined
  private running: Promise<void> | undefined
  /** Entry ids to claim in the next fast pass; `sweep` when the next pass must look at every pending entry. */
  private wanted = new Set<string>()
  private sweepWanted = false
  private stopped = false
  private readonly inFlight = new AbortController()

  constructor(
    private readonly store: OutboxStore,
    private readonly config: OutboxDelivererConfig,
    private readonly host: OutboxDelivererHost,
  ) {}

  /** Starts polling, with a first sweep at once (entries left by a worker that stopped). */
  start(): void {
    this.timer = setInterval(() => this.schedule(undefined), this.config.pollMs)
    this.timer.unref()
    this.schedule(undefined)
  }

  /** Delivers these just-committed entries soon (their step's write resolved). */
  deliverSoon(ids: readonly string[]): void {
    this.schedule(ids)
  }

  /** One pass now (tests, and `engine.outbox.deliver()`); resolves when it and any pass queued meanwhile are done. */
  async flush(): Promise<void> {
    this.schedule(undefined)
    while (this.running !== undefined) await this.running
  }

  /** Stops: no new pass starts, a delivery under way is cut (its entry will be delivered again), and resolves once the pass has ended. */
  async stop(): Promise<void> {
    this.stopped = true
    clearInterval(this.timer)
    this.inFlight.abort(new Error('the engine is closing'))
    await this.running?.catch(() => undefined)
  }

  private schedule(ids: readonly string[] | undefined): void {
    if (this.stopped) return
    if (ids === undefined) this.sweepWanted = true
    else for (const id of ids) this.wanted.add(id)
    if (this.running !== undefined) return
    this.running = this.passes().finally(() => (this.running = undefined))
  }

  /** Passes while work was asked for (asks that arrive during a pass are served by the next). */
  private async passes(): Promise<void> {
    while (!this.stopped && (this.sweepWanted || this.wanted.size > 0)) {
      const sweep = this.sweepWanted
      const ids = sweep ? undefined : [...this.wanted]
      this.sweepWanted = false
      this.wanted = new Set()
      try {
        await this.pass(ids)
      } catch (error) {
        this.host.reportError(error)
      }
    }
  }

  /** Claims (the given ids, or every claimable entry in batches) and delivers what it claimed. */
  private async pass(ids: readonly string[] | undefined): Promise<void> {
    const targets = this.host.targets()
    if (targets.size === 0) return
    const adapters = [...targets.keys()]
    const deadOwners = ids === undefined ? (await this.store.outboxOwners(this.host.now())).filter(isDeadOwner) : []
    for (;;) {
      if (this.stopped) return
      const request: OutboxClaimRequest = { owner: this.config.owner, leaseMs: this.config.leaseMs, limit: this.config.batch, adapters, now: this.host.now(), deadOwners, ids }
      const claimed = await this.store.claimOutbox(request)
      for (const entry of claimed) await this.deliver(entry, targets.get(entry.adapter)!)
      if (ids !== undefined || claimed.length < this.config.batch) return
    }
  }

  /** Delivers one claimed entry and settles it under the claim. */
  private async deliver(entry: OutboxEntry, target: OutboxTarget): Promise<void> {
    const signal = AbortSignal.any([this.inFlight.signal, AbortSignal.timeout(Math.max(1, Math.floor(this.config.leaseMs * deliveryShareOfLease)))])
    let settlement: OutboxSettlement
    let failure: unknown
    try {
      if (this.stopped) return
      await target.deliver(entry, signal)
      settlement = { kind: 'delivered', at: this.host.now() }
    } catch (error) {
      failure = error
      settlement = this.failed(entry, error)
    }
    const settled = await this.store.settleOutbox({ id: entry.id, owner: this.config.owner, attempts: entry.attempts }, settlement)
    // Not ours any more (taken over after our lease ended): the other deliverer reports it.
    if (settled) this.report(entry, settlement, failure)
  }

  /** A failed delivery: retried after its backoff while attempts remain and the error is retryable, else given up. */
  private failed(entry: OutboxEntry, error: unknown): OutboxSettlement {
    const at = this.host.now()
    const message = describe(error)
    const retryable = !isWeftError(error) || error.isRetryable
    if (!retryable || entry.attempts >= this.config.retry.maxAttempts) return { kind: 'dead', at, error: message }
    const { retry } = this.config
    const delayMs = retryDelay(retry, retryDelayBound(retry, entry.attempts), error, Math.random())
    return { kind: 'retry', at, retryAt: at + delayMs, error: message }
  }

  private report(entry: OutboxEntry, settlement: OutboxSettlement, failure: unknown): void {
    const { id, runId, adapter, attempts } = entry
    if (settlement.kind === 'delivered') return this.host.emit({ type: 'outbox.delivered', at: settlement.at, id, runId, adapter, attempts })
    const retryAt = settlement.kind === 'retry' ? settlement.retryAt : undefined
    this.host.emit({ type: 'outbox.failed', at: settlement.at, id, runId, adapter, attempts, willRetry: retryAt !== undefined, retryAt, error: errorOf(failure) })
  }
}

function errorOf(error: unknown): { name: string; code: string | undefined; message: string } {
  if (error instanceof Error) return { name: error.name, code: isWeftError(error) ? error.code : undefined, message: error.message }
  return { name: typeof error, code: undefined, message: String(error) }
}

function describe(error: unknown): string {
  const { code, message } = errorOf(error)
  return code === undefined ? message : `${code}: ${message}`
}
