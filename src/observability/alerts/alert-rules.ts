// Alert rules as data: what a user writes in createEngine({ alerts: { rules } }). Each kind reads one signal of the
// live metrics (windowed on the monitor's ticks) or of the store (the backlog of runs, the outbox's dead entries);
// compile-alert-rules.ts validates them and fills in defaults. See guides/observability.md, "Alerts".

import type { Duration } from '../../core/duration.js'
import type { AlertSeverity } from '../../runtime/alert-events.js'
import type { MetricsReport } from '../metrics-report.js'
import type { AlertSink } from './alert-sink.js'

/**
 * What every alert rule has.
 *
 * @example
 * ```ts
 * import type { AlertRuleBase } from 'weft-sdk'
 * const paging: Omit<AlertRuleBase, 'name'> = { severity: 'critical', for: '2 m', hold: '5 m' }
 * ```
 */
export interface AlertRuleBase {
  /** The rule's name, unique among the engine's rules: in events, `engine.alerts()` and notifications. */
  readonly name: string
  /** How urgent its alerts are. @defaultValue `'warning'` */
  readonly severity?: AlertSeverity
  /**
   * How long the condition must hold, observation after observation, before
   * the alert fires (until then it is `pending`); `0` fires at the first
   * observation that holds. @defaultValue `0`
   */
  readonly for?: Duration
  /**
   * How long the condition must stay clear before a firing alert resolves:
   * a signal that dips below its threshold for less than this does not
   * resolve it (no flapping), and no alert resolves sooner than this after
   * it fired. @defaultValue `'1 m'`
   */
  readonly hold?: Duration
  /** A sentence for whoever is paged: what it means, what to do. */
  readonly description?: string
}

/**
 * A duration percentile above a threshold, over the steps (or runs) that
 * ended within a sliding window: one alert per task (or per workflow). From
 * the live monitor's DDSketches, so within their relative accuracy (1 % by
 * default).
 *
 * @example
 * ```ts
 * import type { DurationAlertRule } from 'weft-sdk'
 * const slowCharge: DurationAlertRule = { kind: 'duration', name: 'slow-charge', workflow: 'orders', task: 'charge', percentile: 95, above: '2 s', window: '5 m' }
 * ```
 */
export interface DurationAlertRule extends AlertRuleBase {
  /** The rule's kind. */
  readonly kind: 'duration'
  /** Only this workflow's runs or tasks. @defaultValue every workflow */
  readonly workflow?: string
  /** This task's steps; `'*'` for every task, one alert each. @defaultValue the workflow's runs, not a task */
  readonly task?: string
  /** The percentile compared, in (0, 100]. @defaultValue `95` */
  readonly percentile?: number
  /** The condition holds while the percentile is above this. */
  readonly above: Duration
  /** Durations of the steps (runs) that ended within this window count. @defaultValue `'5 m'` */
  readonly window?: Duration
  /** Fewer durations than this in the window: the condition does not hold (one slow step does not page). @defaultValue `5` */
  readonly minSamples?: number
}

/**
 * A failure rate above a threshold over a sliding window: a task's
 * `failed / (completed + failed)`, or a workflow's runs'
 * `(failed + dead-lettered) / (completed + failed + dead-lettered)`.
 *
 * @example
 * ```ts
 * import type { FailureRateAlertRule } from 'weft-sdk'
 * const failing: FailureRateAlertRule = { kind: 'failure-rate', name: 'orders-failing', workflow: 'orders', above: 0.2, window: '10 m', minSamples: 20 }
 * ```
 */
export interface FailureRateAlertRule extends AlertRuleBase {
  /** The rule's kind. */
  readonly kind: 'failure-rate'
  /** Only this workflow's runs or tasks. @defaultValue every workflow */
  readonly workflow?: string
  /** This task's steps; `'*'` for every task, one alert each. @defaultValue the workflow's runs, not a task */
  readonly task?: string
  /** The condition holds while the rate (0 to 1) is above this. */
  readonly above: number
  /** Steps (runs) that ended within this window count. @defaultValue `'5 m'` */
  readonly window?: Duration
  /** Fewer ended steps (runs) than this in the window: the condition does not hold (one failure of one run does not page). @defaultValue `10` */
  readonly minSamples?: number
}

/**
 * A circuit breaker open (or half-open: not yet closed again), one alert per
 * breaker. Looked at as soon as a breaker opens, not only on the monitor's tick.
 *
 * @example
 * ```ts
 * import type { BreakerOpenAlertRule } from 'weft-sdk'
 * const paymentsDown: BreakerOpenAlertRule = { kind: 'breaker-open', name: 'payments-breaker', breaker: 'payments', severity: 'critical' }
 * ```
 */
export interface BreakerOpenAlertRule extends AlertRuleBase {
  /** The rule's kind. */
  readonly kind: 'breaker-open'
  /** Only this breaker (a task's, or an adapter's). @defaultValue any breaker */
  readonly breaker?: string
}

/**
 * Dead letters present in the store (over every worker): dead-lettered runs
 * (one alert per workflow, labels `source: 'runs'` and `workflow`) and outbox
 * entries given up (labels `source: 'outbox'`). Resolves once an operator
 * handled them (resumed the runs, dealt with the entries). Looked at as soon
 * as this process dead-letters a run or gives an outbox entry up. A store
 * rule: every engine on the database given it sees its alerts
 * (`engine.alerts()`), and one of them delivers each notification (see
 * `AlertsConfig.deliveryLease`).
 *
 * @example
 * ```ts
 * import type { DeadLetterAlertRule } from 'weft-sdk'
 * const deadLetters: DeadLetterAlertRule = { kind: 'dead-letters', name: 'dead-letters', severity: 'critical' }
 * ```
 */
export interface DeadLetterAlertRule extends AlertRuleBase {
  /** The rule's kind. */
  readonly kind: 'dead-letters'
  /** Which dead letters: dead-lettered runs, the outbox's dead entries, or both. @defaultValue `'any'` */
  readonly source?: 'runs' | 'outbox' | 'any'
  /** The condition holds while there are more than this many. @defaultValue `0` */
  readonly above?: number
}

/**
 * A run waiting for a worker longer than a threshold: the oldest run in
 * status `pending` (created, or resumed after a dead-letter, and not picked
 * up by any worker: none runs its workflow's version, or all are down),
 * measured from its creation; one alert per workflow. A run parked in a
 * wait for an event, a timer or an approval is running, not waiting: give
 * such waits a timeout instead. A store rule: every engine on the database
 * given it sees its alerts, and one of them delivers each notification (see
 * `AlertsConfig.deliveryLease`).
 *
 * @example
 * ```ts
 * import type { RunWaitingAlertRule } from 'weft-sdk'
 * const stuck: RunWaitingAlertRule = { kind: 'run-waiting', name: 'no-worker', longerThan: '5 m' }
 * ```
 */
export interface RunWaitingAlertRule extends AlertRuleBase {
  /** The rule's kind. */
  readonly kind: 'run-waiting'
  /** Only this workflow's runs. @defaultValue every workflow */
  readonly workflow?: string
  /** The condition holds while the oldest pending run has waited longer than this. */
  readonly longerThan: Duration
}

/**
 * Failures met by `@Recover`'s `escalate` strategy (`task.error-classified`
 * with outcome `escalated`) within a sliding window, one alert per task.
 * Looked at as soon as a failure is escalated.
 *
 * @example
 * ```ts
 * import type { EscalationAlertRule } from 'weft-sdk'
 * const escalated: EscalationAlertRule = { kind: 'escalations', name: 'escalated', severity: 'critical', window: '15 m' }
 * ```
 */
export interface EscalationAlertRule extends AlertRuleBase {
  /** The rule's kind. */
  readonly kind: 'escalations'
  /** Only this workflow's tasks. @defaultValue every workflow */
  readonly workflow?: string
  /** Only this task. @defaultValue every task */
  readonly task?: string
  /** Escalations within this window count. @defaultValue `'15 m'` */
  readonly window?: Duration
  /** The condition holds while there are more than this many. @defaultValue `0` */
  readonly above?: number
}

/**
 * One place where a predicate rule's condition holds: its labels and value.
 *
 * @example
 * ```ts
 * import type { AlertMatch } from 'weft-sdk'
 * const match: AlertMatch = { labels: { workflow: 'orders' }, value: 42 }
 * ```
 */
export interface AlertMatch {
  /** What the alert is about. @defaultValue none (one alert for the rule) */
  readonly labels?: Readonly<Record<string, string>>
  /** The value to report. @defaultValue `1` */
  readonly value?: number
}

/**
 * Your own condition on the live metrics report, at each evaluation:
 * return `true` (or matches, one alert per label set) where it holds,
 * `false` (or none) where it does not. It runs on the monitor's tick; a
 * predicate that throws is reported to `onBackgroundError` and changes
 * nothing that round.
 *
 * @example
 * ```ts
 * import type { PredicateAlertRule } from 'weft-sdk'
 * const costly: PredicateAlertRule = {
 *   kind: 'predicate',
 *   name: 'llm-spend',
 *   threshold: 5,
 *   when: (report) => report.tasks.filter((t) => t.usage.costUsd > 5).map((t) => ({ labels: { workflow: t.workflow, task: t.task }, value: t.usage.costUsd })),
 * }
 * ```
 */
export interface PredicateAlertRule extends AlertRuleBase {
  /** The rule's kind. */
  readonly kind: 'predicate'
  /** Where the condition holds now. */
  readonly when: (report: MetricsReport) => boolean | readonly AlertMatch[]
  /** The threshold reported with its alerts (for the reader: the predicate decides). @defaultValue `0` */
  readonly threshold?: number
}

/**
 * An alert rule: one of the kinds, discriminated by `kind`.
 *
 * @example
 * ```ts
 * import type { AlertRule } from 'weft-sdk'
 * const rules: AlertRule[] = [
 *   { kind: 'duration', name: 'slow-charge', task: 'charge', above: '2 s' },
 *   { kind: 'failure-rate', name: 'failing', above: 0.1 },
 *   { kind: 'breaker-open', name: 'breaker-open', severity: 'critical' },
 *   { kind: 'dead-letters', name: 'dead-letters' },
 *   { kind: 'run-waiting', name: 'no-worker', longerThan: '5 m' },
 * ]
 * ```
 */
export type AlertRule = DurationAlertRule | FailureRateAlertRule | BreakerOpenAlertRule | DeadLetterAlertRule | RunWaitingAlertRule | EscalationAlertRule | PredicateAlertRule

/**
 * The `alerts` option of `createEngine`: rules evaluated on the live metrics
 * every `interval` (and at once when a breaker opens, a run or an outbox
 * entry is dead-lettered, a failure is escalated), their alerts emitted as
 * `alert.fired` / `alert.resolved` events and delivered to the sinks. The
 * notifications of store rules (`dead-letters`, `run-waiting`) are claimed in
 * the store's settings first, so that of several engines sharing a database
 * with the same rules exactly one emits and delivers each (at least once: see
 * `deliveryLease`); the others show the alert in `engine.alerts()` only.
 * Alerts need live metrics: `metrics` is turned on when not given, and
 * `metrics: false` with alerts is refused.
 *
 * @example
 * ```ts
 * import { createEngine, webhookSink, type AlertsConfig } from 'weft-sdk'
 * const alerts: AlertsConfig = {
 *   rules: [{ kind: 'failure-rate', name: 'failing', above: 0.2 }],
 *   sinks: [webhookSink({ url: 'http://127.0.0.1:9093/hooks/weft' })],
 *   interval: '15 s',
 *   deliveryLease: '2 m',
 * }
 * const engine = createEngine({ metrics: true, alerts })
 * ```
 */
export interface AlertsConfig {
  /** The rules. */
  readonly rules: readonly AlertRule[]
  /** Where notifications go besides the engine's events. @defaultValue none */
  readonly sinks?: readonly AlertSink[]
  /** How often the rules are evaluated. @defaultValue `'15 s'` */
  readonly interval?: Duration
  /**
   * How long the engine that claimed a store rule's notification has to
   * deliver it (every sink settled) before another engine sharing the
   * database delivers it instead, in case the first one stopped: make it
   * longer than your slowest sink's retries. Store rules (`dead-letters`,
   * `run-waiting`) are claimed in the store's settings so that one engine
   * of a fleet delivers each of their notifications; see the guide,
   * "Several workers". @defaultValue `'2 m'`
   */
  readonly deliveryLease?: Duration
}
