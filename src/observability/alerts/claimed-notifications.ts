// The notifications of store rules, claimed in the shared store's settings before they are delivered (see
// alert-claim.ts): one queue per alert, in the order of its transitions, settled at each evaluation. A transition
// this engine wins is delivered here (its event emitted, its sinks given it) and then marked delivered; one another
// engine delivers is dropped; one waiting for another engine's delivery stays queued. A claim that cannot be read
// or written is reported and tried again at the next evaluation.

import type { AlertFired, AlertNotification } from '../../runtime/alert-events.js'
import type { WorkflowStore } from '../../storage/workflow-store.js'
import { decideAlertClaim, markedDelivered, parseAlertClaim, seenFiring, type AlertClaim, type ClaimAttempt, type ClaimDecision } from './alert-claim.js'

/** What the claims need from the monitor. */
export interface ClaimWiring {
  /** The shared store's settings (`SettingsStore`). */
  readonly settings: NonNullable<WorkflowStore['settings']>
  /** This engine's `workerId`. */
  readonly owner: string
  readonly leaseMs: number
  /** How often an engine records that it still sees an alert firing; a firing unseen for twice that plus twice a lease is over. */
  readonly refreshMs: number
  /** Emits a notification and hands it to the sinks; resolves once every sink settled. */
  deliver(notification: AlertNotification): Promise<void>
  now(): number
  reportError(error: unknown): void
}

/** A transition waiting for its claim; a resolution carries its firing, delivered first when its owner never did. */
interface Queued {
  readonly notification: AlertNotification
  readonly attempt: ClaimAttempt
  readonly fired: AlertFired | undefined
}

/** The claimed notifications of one engine: see the file's header. */
export class ClaimedNotifications {
  /** Transitions waiting for their claim, by claim name, oldest first. */
  private readonly queues = new Map<string, Queued[]>()
  /** When this engine last recorded seeing each alert firing. */
  private readonly seen = new Map<string, number>()
  private readonly marks = new Set<Promise<void>>()
  /** Claims delivered whose mark failed to be written (the store failed): marked again at the next settle. */
  private readonly unmarked = new Map<string, AlertClaim>()

  constructor(private readonly wiring: ClaimWiring) {}

  /** Queues a transition of the alert whose claim is `name`. */
  add(name: string, notification: AlertNotification, attempt: ClaimAttempt, fired?: AlertFired): void {
    const queue = this.queues.get(name)
    const queued = { notification, attempt, fired }
    if (queue === undefined) this.queues.set(name, [queued])
    else queue.push(queued)
  }

  /** Claims what is queued, alert by alert, and records seeing the alerts in `firing` (their claim names) firing. */
  async settle(now: number, firing: readonly string[]): Promise<void> {
    // Marks that failed first: a claim left unmarked would be delivered again by another engine once its lease ends.
    await Promise.all([...this.unmarked].map(([name, claim]) => this.mark(name, claim)))
    const names = new Set([...this.queues.keys(), ...firing])
    await Promise.all([...names].map((name) => (this.queues.has(name) ? this.settleQueue(name, now) : this.refresh(name, now))))
    for (const name of [...this.seen.keys()]) if (!firing.includes(name)) this.seen.delete(name)
  }

  /** Waits for the deliveries under way and their marks. */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.marks])
  }

  private async settleQueue(name: string, now: number): Promise<void> {
    const queue = this.queues.get(name)!
    while (queue.length > 0) {
      const decision = await this.claim(name, queue[0]!.attempt, now)
      if (decision === undefined || decision.kind === 'wait') return
      const queued = queue.shift()!
      if (decision.kind === 'deliver') this.deliver(name, queued, decision)
    }
    this.queues.delete(name)
  }

  /** The decision on a transition, its claim written when it delivers; `undefined` when the store failed (reported). */
  private async claim(name: string, attempt: ClaimAttempt, now: number): Promise<ClaimDecision | undefined> {
    const { owner, leaseMs, refreshMs } = this.wiring
    let decision: ClaimDecision | undefined
    const change = (value: unknown) => {
      decision = decideAlertClaim(parseAlertClaim(value), attempt, { owner, now, leaseMs, staleAfterMs: 2 * (leaseMs + refreshMs) })
      return decision.kind === 'deliver' ? decision.claim : undefined
    }
    try {
      await this.wiring.settings.update(name, change, now)
      if (attempt.transition === 'fired' && decision?.kind !== 'wait') this.seen.set(name, now)
      return decision
    } catch (error) {
      this.wiring.reportError(error)
      return undefined
    }
  }

  private deliver(name: string, queued: Queued, decision: Extract<ClaimDecision, { kind: 'deliver' }>): void {
    const fired = decision.firedFirst && queued.fired !== undefined ? this.wiring.deliver(queued.fired) : Promise.resolve()
    const delivered = this.wiring.deliver(queued.notification)
    const mark = Promise.all([fired, delivered]).then(
      () => this.mark(name, decision.claim),
      (error: unknown) => this.wiring.reportError(error),
    )
    this.marks.add(mark)
    void mark.finally(() => this.marks.delete(mark))
  }

  /** Marks a delivered claim as delivered; never rejects (a failure is reported and the mark kept for the next settle). */
  private async mark(name: string, claim: AlertClaim): Promise<void> {
    try {
      await this.wiring.settings.update(name, (value) => markedDelivered(parseAlertClaim(value), claim), this.wiring.now())
      if (this.unmarked.get(name) === claim) this.unmarked.delete(name)
    } catch (error) {
      this.unmarked.set(name, claim)
      this.wiring.reportError(error)
    }
  }

  /** Records that this engine still sees the alert firing, at most once per `refreshMs`. */
  private async refresh(name: string, now: number): Promise<void> {
    const last = this.seen.get(name)
    if (last !== undefined && now - last < this.wiring.refreshMs) return
    this.seen.set(name, now)
    await this.wiring.settings.update(name, (value) => seenFiring(parseAlertClaim(value), now, this.wiring.refreshMs), now).catch((error: unknown) => this.wiring.reportError(error))
  }
}
