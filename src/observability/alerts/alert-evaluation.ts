// What each kind of rule observes at one evaluation: a value and whether the condition holds, per label set. Pure
// over its signals (the live report, the sketches, the windows' baselines, the store's backlog).

import type { RunBacklog } from '../../storage/workflow-store.js'
import type { LiveMetrics } from '../live-metrics.js'
import type { MetricsReport } from '../metrics-report.js'
import type { CompiledAlertRule } from './compile-alert-rules.js'
import { targetKey, type TargetCounts, type Tick } from './metric-ticks.js'

/** What an evaluation reads. */
export interface AlertSignals {
  readonly now: number
  readonly report: MetricsReport
  readonly metrics: LiveMetrics
  /** The counters of this evaluation, by target (see metric-ticks.ts). */
  readonly tick: Tick
  /** The counters a window of `windowMs` starts from. */
  baseline(windowMs: number): Tick | undefined
  /** The store's backlog; `undefined` when no rule needs it or it could not be read. */
  readonly backlog: RunBacklog | undefined
  /** The outbox's dead entries; `undefined` when no rule needs them or they could not be counted. */
  readonly deadOutbox: number | undefined
}

/** One label set of a rule at one evaluation. */
export interface Observation {
  readonly key: string
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
  readonly holds: boolean
}

/** A workflow's runs or one of its tasks, as a rule watches them. */
interface Target {
  readonly workflow: string
  readonly task: string | undefined
}

/** The label sets of a rule now; `undefined` when its signal is unavailable this round (its alerts are left as they are). */
export function observe(rule: CompiledAlertRule, signals: AlertSignals): Observation[] | undefined {
  const spec = rule.rule
  switch (spec.kind) {
    case 'duration':
      return watchedTargets(rule, signals.report).map((target) => durationObservation(rule, target, signals))
    case 'failure-rate':
      return watchedTargets(rule, signals.report).map((target) => failureObservation(rule, target, signals))
    case 'escalations':
      return escalationObservations(rule, signals)
    case 'breaker-open':
      return signals.report.breakers
        .filter((b) => spec.breaker === undefined || b.breaker === spec.breaker)
        .map((b) => observation(b.adapter === undefined ? { breaker: b.breaker } : { breaker: b.breaker, adapter: b.adapter }, b.state === 'closed' ? 0 : 1, 0))
    case 'dead-letters':
      return deadLetterObservations(rule, signals)
    case 'run-waiting':
      if (signals.backlog === undefined) return undefined
      return signals.backlog.pending.filter((p) => spec.workflow === undefined || p.workflow === spec.workflow).map((p) => observation({ workflow: p.workflow }, signals.now - p.oldestCreatedAt, rule.threshold))
    case 'predicate':
      return predicateObservations(spec.when(signals.report), rule.threshold)
  }
}

/** The targets a duration or failure-rate rule watches: the matching tasks, or the matching workflows' runs. */
export function watchedTargets(rule: CompiledAlertRule, report: MetricsReport): Target[] {
  const spec = rule.rule as { readonly workflow?: string; readonly task?: string }
  const inWorkflow = (workflow: string) => spec.workflow === undefined || spec.workflow === workflow
  if (spec.task === undefined) return report.workflows.filter((w) => inWorkflow(w.workflow)).map((w) => ({ workflow: w.workflow, task: undefined }))
  return report.tasks.filter((t) => inWorkflow(t.workflow) && (spec.task === '*' || spec.task === t.task)).map((t) => ({ workflow: t.workflow, task: t.task }))
}

function labelsOf(target: Target): Record<string, string> {
  return target.task === undefined ? { workflow: target.workflow } : { workflow: target.workflow, task: target.task }
}

function durationObservation(rule: CompiledAlertRule, target: Target, signals: AlertSignals): Observation {
  const key = targetKey(target.workflow, target.task)
  const sketch = signals.metrics.durationSketch(target.workflow, target.task)
  const { count, value } = sketch?.percentileSince(signals.baseline(rule.windowMs)?.get(key)?.sketch, rule.fraction) ?? { count: 0, value: undefined }
  return { ...observation(labelsOf(target), value ?? 0, rule.threshold), holds: count >= rule.minSamples && value !== undefined && value > rule.threshold }
}

function failureObservation(rule: CompiledAlertRule, target: Target, signals: AlertSignals): Observation {
  const key = targetKey(target.workflow, target.task)
  const { completed, failed } = since(signals.tick.get(key), signals.baseline(rule.windowMs)?.get(key))
  const ended = completed + failed
  const rate = ended === 0 ? 0 : failed / ended
  return { ...observation(labelsOf(target), rate, rule.threshold), holds: ended >= rule.minSamples && rate > rule.threshold }
}

function escalationObservations(rule: CompiledAlertRule, signals: AlertSignals): Observation[] {
  const spec = rule.rule as { readonly workflow?: string; readonly task?: string }
  const baseline = signals.baseline(rule.windowMs)
  const observations: Observation[] = []
  for (const [key, counts] of signals.tick) {
    const [workflow, task] = key.split('\u0000') as [string, string | undefined]
    if (task === undefined || counts.escalated === 0 || (spec.workflow !== undefined && spec.workflow !== workflow) || (spec.task !== undefined && spec.task !== task)) continue
    observations.push(observation({ workflow, task }, since(counts, baseline?.get(key)).escalated, rule.threshold))
  }
  return observations
}

function deadLetterObservations(rule: CompiledAlertRule, signals: AlertSignals): Observation[] | undefined {
  const source = (rule.rule as { readonly source?: 'runs' | 'outbox' | 'any' }).source ?? 'any'
  const observations: Observation[] = []
  if (source !== 'outbox') {
    if (signals.backlog === undefined) return undefined
    for (const dead of signals.backlog.deadLettered) observations.push(observation({ source: 'runs', workflow: dead.workflow }, dead.count, rule.threshold))
  }
  if (source !== 'runs') {
    if (signals.deadOutbox === undefined) return undefined
    observations.push(observation({ source: 'outbox' }, signals.deadOutbox, rule.threshold))
  }
  return observations
}

function predicateObservations(result: boolean | readonly { readonly labels?: Readonly<Record<string, string>>; readonly value?: number }[], threshold: number): Observation[] {
  if (result === true) return [{ ...observation({}, 1, threshold), holds: true }]
  if (result === false || !Array.isArray(result)) return []
  return result.map((match) => ({ ...observation(match.labels ?? {}, match.value ?? 1, threshold), holds: true }))
}

/** The counters added between `base` and `now` (all of `now` without a base). */
function since(now: TargetCounts | undefined, base: TargetCounts | undefined): Pick<TargetCounts, 'completed' | 'failed' | 'escalated'> {
  return {
    completed: (now?.completed ?? 0) - (base?.completed ?? 0),
    failed: (now?.failed ?? 0) - (base?.failed ?? 0),
    escalated: (now?.escalated ?? 0) - (base?.escalated ?? 0),
  }
}

/** An observation whose condition is `value > threshold`. */
function observation(labels: Readonly<Record<string, string>>, value: number, threshold: number): Observation {
  return { key: labelKey(labels), labels, value, holds: value > threshold }
}

/** A label set as one string: its entries sorted by name. */
export function labelKey(labels: Readonly<Record<string, string>>): string {
  return Object.keys(labels)
    .sort()
    .map((name) => `${name}=${labels[name]!}`)
    .join('\u0000')
}
