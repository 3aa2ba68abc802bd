// The engine's alerting: evaluates the rules on a timer it owns (unref'd, stopped by engine.close()) and at once
// when a breaker opens, a run or an outbox entry is dead-lettered or a failure is escalated; steps each alert's
// state machine; emits alert.fired / alert.resolved and delivers them to the sinks, in order per alert. The
// transitions of store rules (dead-letters, run-waiting: the same for every engine sharing the database) are
// claimed in the store's settings first, when it has them, so that one engine of the fleet delivers each
// (claimed-notifications.ts). Nothing here runs per task: the live monitor's counters are read on the tick.

import type { AlertDeliveryFailed, AlertEvent, AlertFired, AlertNotification } from '../../runtime/alert-events.js'
import type { TaskErrorClassified } from '../../runtime/run-events.js'
import type { WorkflowStore } from '../../storage/workflow-store.js'
import { describeCause, isWeftError } from '../../core/errors.js'
import type { LiveMetrics } from '../live-metrics.js'
import type { MetricsReport } from '../metrics-report.js'
import { alertClaimName, type ClaimAttempt } from './alert-claim.js'
import { labelKey, observe, watchedTargets, type AlertSignals, type Observation } from './alert-evaluation.js'
import { stepAlert, type AlertPhase } from './alert-state.js'
import { alertSummary } from './alert-summary.js'
import { ClaimedNotifications } from './claimed-notifications.js'
import type { CompiledAlertRule, CompiledAlerts } from './compile-alert-rules.js'
import { MetricTicks, targetKey, type TargetCounts, type Tick } from './metric-ticks.js'

/**
 * An alert pending or firing now (`engine.alerts()`).
 *
 * @example
 * ```ts
 * import { createEngine, type ActiveAlert } from 'weft-sdk'
 * const engine = createEngine({ metrics: true, alerts: { rules: [{ kind: 'breaker-open', name: 'breaker-open' }] } })
 * const firing: ActiveAlert[] = engine.alerts().filter((a) => a.state === 'firing')
 * ```
 */
export interface ActiveAlert {
  /** The rule's name. */
  readonly rule: string
  /** The rule's severity. */
  readonly severity: AlertNotification['severity']
  /** What it is about (see `AlertFired.labels`). */
  readonly labels: Readonly<Record<string, string>>
  /** `pending`: the condition holds, not yet for the rule's `for`; `firing`: it fired. */
  readonly state: 'pending' | 'firing'
  /** The value at the last evaluation. */
  readonly value: number
  /** The rule's threshold. */
  readonly threshold: number
  /** Since when the condition has held (epoch milliseconds). */
  readonly since: number
  /** When it fired; `undefined` while pending. */
  readonly firedAt: number | undefined
  /** One line for a human. */
  readonly summary: string
}

/** What the monitor needs from its engine. */
export interface AlertMonitorWiring {
  readonly metrics: LiveMetrics
  readonly store: Pick<WorkflowStore, 'backlog' | 'outbox' | 'settings'>
  /** This engine's `workerId`: the owner of the claims it writes. */
  readonly owner: string
  emit(event: AlertEvent): void
  now(): number
  reportError(error: unknown): void
}

/** One alert: a rule and a label set, with its phase and last value. */
interface AlertEntry {
  phase: AlertPhase
  value: number
  readonly labels: Readonly<Record<string, string>>
  /** Its firing's notification while it fires (a claimed resolution delivers it first when its owner never did). */
  fired?: AlertFired | undefined
}

/** The store's signals of one evaluation (`undefined`: not needed, or unreadable this round). */
interface StoreSignals {
  readonly backlog: AlertSignals['backlog']
  readonly deadOutbox: number | undefined
}

/** The engine's alert rules at work: see the file's header. */
export class AlertMonitor {
  private readonly alerts = new Map<string, Map<string, AlertEntry>>()
  private readonly ticks: MetricTicks
  /** Escalated failures by task target key (cumulative; windowed by the ticks). */
  private readonly escalated = new Map<string, number>()
  private readonly deliveries = new Set<Promise<void>>()
  private readonly chains = new Map<string, Promise<void>>()
  private timer: ReturnType<typeof setInterval> | undefined
  private running: Promise<void> | undefined
  private again = false
  private soonScheduled = false
  private closed = false
  private lastAt = -Infinity
  private readonly needsBacklog: boolean
  private readonly needsOutbox: boolean
  /** The claims of store rules' notifications; `undefined` when the store has no settings (each engine delivers its own). */
  private readonly claims: ClaimedNotifications | undefined

  constructor(
    private readonly config: CompiledAlerts,
    private readonly wiring: AlertMonitorWiring,
  ) {
    this.ticks = new MetricTicks(config.longestWindowMs)
    const sources = config.rules.map((r) => (r.rule.kind === 'dead-letters' ? (r.rule.source ?? 'any') : r.rule.kind === 'run-waiting' ? 'runs' : undefined))
    this.needsBacklog = sources.some((s) => s === 'runs' || s === 'any')
    this.needsOutbox = sources.some((s) => s === 'outbox' || s === 'any')
    this.claims = this.claimsOf(wiring.store.settings)
  }

  /** Starts the evaluation timer (it does not keep the process alive). */
  start(): void {
    if (this.closed || this.timer !== undefined) return
    this.timer = setInterval(() => void this.evaluate(), this.config.intervalMs)
    this.timer.unref()
  }

  /** Counts an escalated failure (a `task.error-classified` listener) and evaluates soon. */
  readonly classified = (event: TaskErrorClassified): void => {
    if (event.outcome !== 'escalated') return
    const key = targetKey(event.workflow, event.task)
    this.escalated.set(key, (this.escalated.get(key) ?? 0) + 1)
    this.soon()
  }

  /** Evaluates soon, not at the next tick: a breaker opened, a run or an outbox entry was dead-lettered. */
  readonly soon = (): void => {
    if (this.soonScheduled || this.closed) return
    this.soonScheduled = true
    setImmediate(() => {
      this.soonScheduled = false
      void this.evaluate()
    })
  }

  /** Evaluates every rule once (one evaluation at a time: a call during one runs another after it). */
  evaluate(): Promise<void> {
    if (this.closed) return Promise.resolve()
    if (this.running !== undefined) {
      this.again = true
      return this.running
    }
    this.running = this.evaluateUntilSettled().finally(() => (this.running = undefined))
    return this.running
  }

  /** The alerts pending or firing now, by rule then labels. */
  active(): ActiveAlert[] {
    const active: ActiveAlert[] = []
    for (const rule of this.config.rules) {
      for (const entry of this.alerts.get(rule.name)?.values() ?? []) {
        if (entry.phase.kind === 'inactive') continue
        const firedAt = entry.phase.kind === 'firing' ? entry.phase.firedAt : undefined
        const { name, severity, threshold } = rule
        active.push({ rule: name, severity, labels: entry.labels, state: entry.phase.kind, value: entry.value, threshold, since: entry.phase.since, firedAt, summary: alertSummary(rule, entry.labels, entry.value) })
      }
    }
    return active
  }

  /** Stops the timer, lets an evaluation under way finish and waits for the deliveries under way. */
  async close(): Promise<void> {
    this.closed = true
    if (this.timer !== undefined) clearInterval(this.timer)
    await this.running
    await Promise.allSettled([...this.deliveries])
    await this.claims?.idle()
  }

  private async evaluateUntilSettled(): Promise<void> {
    do {
      this.again = false
      try {
        await this.evaluateOnce()
      } catch (error) {
        this.wiring.reportError(error)
      }
    } while (this.again && !this.closed)
  }

  private async evaluateOnce(): Promise<void> {
    const store = await this.readStore()
    // Observations are never earlier than the previous: a clock stepped back does not shorten a hold.
    const now = (this.lastAt = Math.max(this.lastAt, this.wiring.now()))
    const report = this.wiring.metrics.report(now)
    const tick = this.tickOf(report)
    const signals: AlertSignals = { now, report, metrics: this.wiring.metrics, tick, baseline: (windowMs) => this.ticks.baseline(now, windowMs), ...store }
    for (const rule of this.config.rules) {
      const observations = this.observed(rule, signals)
      if (observations !== undefined) this.apply(rule, observations, now)
    }
    this.ticks.record(now, tick)
    await this.claims?.settle(now, this.firingClaims())
  }

  private claimsOf(settings: AlertMonitorWiring['store']['settings']): ClaimedNotifications | undefined {
    if (settings === undefined || !this.config.rules.some((r) => r.shared)) return undefined
    const { deliveryLeaseMs: leaseMs, intervalMs } = this.config
    const { owner, now, reportError } = this.wiring
    return new ClaimedNotifications({ settings, owner, leaseMs, refreshMs: Math.max(leaseMs, intervalMs), deliver: (n) => this.notify(n), now, reportError })
  }

  /** The claim names of the store rules' alerts firing here. */
  private firingClaims(): string[] {
    const names: string[] = []
    for (const rule of this.config.rules) {
      if (!rule.shared) continue
      for (const entry of this.alerts.get(rule.name)?.values() ?? []) if (entry.phase.kind === 'firing') names.push(alertClaimName(rule.name, entry.labels))
    }
    return names
  }

  /** A rule's observations; `undefined` when its signal is missing or its predicate threw (reported). */
  private observed(rule: CompiledAlertRule, signals: AlertSignals): Observation[] | undefined {
    try {
      return observe(rule, signals)
    } catch (error) {
      this.wiring.reportError(error)
      return undefined
    }
  }

  /** The store's signals the rules need; one that cannot be read is reported and left out this round. */
  private async readStore(): Promise<StoreSignals> {
    const { backlog, outbox } = this.wiring.store
    const read = async <T>(needed: boolean, get: (() => Promise<T>) | undefined): Promise<T | undefined> => {
      if (!needed || get === undefined) return undefined
      return get().catch((error: unknown) => (this.wiring.reportError(error), undefined))
    }
    const [runs, counts] = await Promise.all([read(this.needsBacklog, backlog && (() => backlog.backlog())), read(this.needsOutbox, outbox && (() => outbox.countOutbox()))])
    return { backlog: runs, deadOutbox: counts?.dead }
  }

  /** The counters of the targets the rules window over: every workflow's runs and task's steps, sketches for duration rules. */
  private tickOf(report: MetricsReport): Tick {
    const tick = new Map<string, TargetCounts>()
    const sketched = new Set(this.config.rules.filter((r) => r.rule.kind === 'duration').flatMap((r) => watchedTargets(r, report).map((t) => targetKey(t.workflow, t.task))))
    const sketch = (workflow: string, task: string | undefined) => (sketched.has(targetKey(workflow, task)) ? this.wiring.metrics.durationSketch(workflow, task)?.snapshot() : undefined)
    for (const w of report.workflows) tick.set(w.workflow, { completed: w.runs.completed, failed: w.runs.failed + w.runs.deadLettered, escalated: 0, sketch: sketch(w.workflow, undefined) })
    for (const t of report.tasks) tick.set(targetKey(t.workflow, t.task), { completed: t.tasks.completed, failed: t.tasks.failed, escalated: this.escalated.get(targetKey(t.workflow, t.task)) ?? 0, sketch: sketch(t.workflow, t.task) })
    for (const [key, escalated] of this.escalated) if (!tick.has(key)) tick.set(key, { completed: 0, failed: 0, escalated, sketch: undefined })
    return tick
  }

  /** Steps a rule's alerts: each observed label set, and every other one it has (its condition no longer seen: clear). */
  private apply(rule: CompiledAlertRule, observations: readonly Observation[], now: number): void {
    let alerts = this.alerts.get(rule.name)
    if (alerts === undefined) this.alerts.set(rule.name, (alerts = new Map()))
    const seen = new Set<string>()
    for (const o of observations) {
      seen.add(o.key)
      this.step(rule, alerts, o.key, o.labels, o.value, o.holds, now)
    }
    for (const [key, entry] of [...alerts]) if (!seen.has(key)) this.step(rule, alerts, key, entry.labels, entry.value, false, now)
  }

  private step(rule: CompiledAlertRule, alerts: Map<string, AlertEntry>, key: string, labels: Readonly<Record<string, string>>, value: number, holds: boolean, now: number): void {
    const entry = alerts.get(key) ?? { phase: { kind: 'inactive' }, value, labels }
    const before = entry.phase
    const { phase, transition } = stepAlert(before, holds, now, rule)
    entry.phase = phase
    entry.value = value
    if (phase.kind === 'inactive') alerts.delete(key)
    else alerts.set(key, entry)
    if (transition === 'fired' && phase.kind === 'firing') {
      entry.fired = { type: 'alert.fired', ...this.alertFields(rule, labels, value, phase.since, now) }
      this.announce(rule, entry.fired, { transition: 'fired', since: phase.since, clearSince: now, at: now })
    }
    if (transition === 'resolved' && before.kind === 'firing') {
      const attempt: ClaimAttempt = { transition: 'resolved', since: before.since, clearSince: before.clearSince ?? now, at: now }
      this.announce(rule, { type: 'alert.resolved', ...this.alertFields(rule, labels, value, before.since, now), firedAt: before.firedAt }, attempt, entry.fired)
    }
  }

  /** Notifies a transition; a store rule's is claimed first, at the end of the evaluation, when the store has settings. */
  private announce(rule: CompiledAlertRule, notification: AlertNotification, attempt: ClaimAttempt, fired?: AlertFired): void {
    if (this.claims !== undefined && rule.shared) this.claims.add(alertClaimName(rule.name, notification.labels), notification, attempt, fired)
    else void this.notify(notification)
  }

  private alertFields(rule: CompiledAlertRule, labels: Readonly<Record<string, string>>, value: number, since: number, at: number) {
    const { name, severity, threshold } = rule
    return { at, rule: name, severity, labels, value, threshold, since, summary: alertSummary(rule, labels, value), description: rule.rule.description }
  }

  /** Emits a notification as an event and hands it to every sink; resolves once every sink settled. */
  private notify(notification: AlertNotification): Promise<void> {
    this.wiring.emit(notification)
    const settled: Promise<void>[] = []
    for (const sink of this.config.sinks) {
      // One chain per sink and alert: a resolution is delivered after its firing, whatever the retries.
      const key = `${sink.name}\u0000${notification.rule}\u0000${labelKey(notification.labels)}`
      const delivery = (this.chains.get(key) ?? Promise.resolve()).then(() => sink.deliver(notification)).catch((error: unknown) => this.wiring.emit(deliveryFailed(sink.name, notification, error, this.wiring.now())))
      this.chains.set(key, delivery)
      this.deliveries.add(delivery)
      settled.push(delivery)
      void delivery.finally(() => {
        this.deliveries.delete(delivery)
        if (this.chains.get(key) === delivery) this.chains.delete(key)
      })
    }
    return Promise.all(settled).then(() => undefined)
  }
}

function deliveryFailed(sink: string, notification: AlertNotification, error: unknown, at: number): AlertDeliveryFailed {
  return { type: 'alert.delivery-failed', at, sink, rule: notification.rule, labels: notification.labels, notification: notification.type, error: { name: error instanceof Error ? error.name : typeof error, code: isWeftError(error) ? error.code : undefined, message: describeCause(error) } }
}
