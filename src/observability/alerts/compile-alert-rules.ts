// Validates createEngine({ alerts }) once, at engine creation: every rule's fields checked (a misspelt one with a
// did-you-mean), defaults filled in, durations in milliseconds. A refusal is an InvalidAlertError naming the rule
// and the field.

import { InvalidAlertError } from '../../core/alert-errors.js'
import { toMillis, type Duration } from '../../core/duration.js'
import { closestName } from '../../graph/did-you-mean.js'
import type { AlertSeverity } from '../../runtime/alert-events.js'
import type { AlertRule, AlertsConfig } from './alert-rules.js'
import type { AlertSink } from './alert-sink.js'

/** A rule with its defaults filled in and its durations in milliseconds. */
export interface CompiledAlertRule {
  readonly rule: AlertRule
  readonly name: string
  readonly severity: AlertSeverity
  readonly forMs: number
  readonly holdMs: number
  /** The sliding window of windowed kinds (duration, failure-rate, escalations); 0 for the others. */
  readonly windowMs: number
  readonly minSamples: number
  /** What the value is compared with: milliseconds (duration, run-waiting), a rate, a count. */
  readonly threshold: number
  /** The percentile as a fraction in (0, 1] (duration rules; 0 for the others). */
  readonly fraction: number
  /** Whether it reads the shared store (dead-letters, run-waiting): every engine on the database sees its alerts, one delivers them. */
  readonly shared: boolean
}

/** The alerts configuration, validated. */
export interface CompiledAlerts {
  readonly rules: readonly CompiledAlertRule[]
  readonly sinks: readonly AlertSink[]
  readonly intervalMs: number
  /** How long an engine that claimed a store rule's notification has to deliver it before another engine may. */
  readonly deliveryLeaseMs: number
  /** The longest window of the rules (how long the monitor keeps its ticks). */
  readonly longestWindowMs: number
}

/** The store roles some kinds read, as far as validation needs to know them. */
export interface AlertStoreRoles {
  readonly backlog?: unknown
  readonly outbox?: unknown
}

const severities: readonly AlertSeverity[] = ['info', 'warning', 'critical']
const baseFields = ['kind', 'name', 'severity', 'for', 'hold', 'description']
/** The fields of each kind besides the base ones. */
const kindFields: Readonly<Record<AlertRule['kind'], readonly string[]>> = {
  duration: ['workflow', 'task', 'percentile', 'above', 'window', 'minSamples'],
  'failure-rate': ['workflow', 'task', 'above', 'window', 'minSamples'],
  'breaker-open': ['breaker'],
  'dead-letters': ['source', 'above'],
  'run-waiting': ['workflow', 'longerThan'],
  escalations: ['workflow', 'task', 'window', 'above'],
  predicate: ['when', 'threshold'],
}

/**
 * Validates the `alerts` option against the store the engine uses.
 * @throws `InvalidAlertError` naming the rule and the field at fault.
 */
export function compileAlerts(config: AlertsConfig, store: AlertStoreRoles): CompiledAlerts {
  if (typeof config !== 'object' || config === null || !Array.isArray(config.rules)) {
    throw new InvalidAlertError('alerts', 'rules', 'must be an array of alert rules, e.g. alerts: { rules: [{ kind: \'breaker-open\', name: \'breaker-open\' }] }')
  }
  const intervalMs = durationOf('alerts', 'interval', config.interval, 15_000)
  if (intervalMs < 10) throw new InvalidAlertError('alerts', 'interval', `must be at least 10 ms, got ${String(config.interval)}`)
  const deliveryLeaseMs = durationOf('alerts', 'deliveryLease', config.deliveryLease, 120_000)
  if (deliveryLeaseMs < 10) throw new InvalidAlertError('alerts', 'deliveryLease', `must be at least 10 ms, got ${String(config.deliveryLease)}`)
  const sinks = config.sinks ?? []
  sinks.forEach(checkSink)
  const names = new Set<string>()
  const rules = config.rules.map((rule, index) => {
    const compiled = compileRule(rule, index, store)
    if (names.has(compiled.name)) throw new InvalidAlertError(compiled.name, 'name', 'is used by two rules: give each rule its own name')
    names.add(compiled.name)
    return compiled
  })
  return { rules, sinks, intervalMs, deliveryLeaseMs, longestWindowMs: Math.max(0, ...rules.map((r) => r.windowMs)) }
}

function checkSink(sink: AlertSink, index: number): void {
  if (typeof sink !== 'object' || sink === null || typeof sink.deliver !== 'function' || typeof sink.name !== 'string' || sink.name === '') {
    throw new InvalidAlertError('alerts', `sinks[${index}]`, 'must be an AlertSink: an object with a non-empty name and a deliver(alert) method, e.g. webhookSink({ url })')
  }
}

function compileRule(rule: AlertRule, index: number, store: AlertStoreRoles): CompiledAlertRule {
  if (typeof rule !== 'object' || rule === null) throw new InvalidAlertError(`rules[${index}]`, 'rule', `must be an object with a kind and a name, got ${String(rule)}`)
  const at = typeof rule.name === 'string' && rule.name !== '' ? rule.name : `rules[${index}]`
  checkKind(rule, at)
  if (at !== rule.name) throw new InvalidAlertError(at, 'name', `must be a non-empty string, got ${JSON.stringify(rule.name)}`)
  checkFields(rule, at)
  if (rule.severity !== undefined && !severities.includes(rule.severity)) throw new InvalidAlertError(at, 'severity', `must be one of ${severities.join(', ')}, got ${JSON.stringify(rule.severity)}`)
  if (rule.description !== undefined && typeof rule.description !== 'string') throw new InvalidAlertError(at, 'description', 'must be a string')
  const base = { rule, name: at, severity: rule.severity ?? 'warning', forMs: durationOf(at, 'for', rule.for, 0), holdMs: durationOf(at, 'hold', rule.hold, 60_000), shared: rule.kind === 'dead-letters' || rule.kind === 'run-waiting' }
  return { ...base, ...kindSettings(rule, at, store) }
}

function checkKind(rule: AlertRule, at: string): void {
  const kind: unknown = rule.kind
  if (typeof kind === 'string' && kind in kindFields) return
  const suggestion = typeof kind === 'string' ? closestName(kind, Object.keys(kindFields)) : undefined
  const hint = suggestion === undefined ? `one of ${Object.keys(kindFields).join(', ')}` : `"${suggestion}"`
  throw new InvalidAlertError(at, 'kind', `${JSON.stringify(kind)} is not a kind of alert rule: did you mean ${hint}?`)
}

/** Refuses a field the kind does not have (a misspelt `abvoe` would otherwise leave `above` missing or defaulted). */
function checkFields(rule: AlertRule, at: string): void {
  const known = [...baseFields, ...kindFields[rule.kind]]
  for (const field of Object.keys(rule)) {
    if (known.includes(field)) continue
    const suggestion = closestName(field, known)
    throw new InvalidAlertError(at, field, `is not an option of a "${rule.kind}" rule${suggestion === undefined ? ` (its options: ${known.join(', ')})` : `: did you mean "${suggestion}"?`}`)
  }
}

type KindSettings = Pick<CompiledAlertRule, 'windowMs' | 'minSamples' | 'threshold' | 'fraction'>

function kindSettings(rule: AlertRule, at: string, store: AlertStoreRoles): KindSettings {
  const none = { windowMs: 0, minSamples: 0, fraction: 0 }
  switch (rule.kind) {
    case 'duration':
      return { ...windowed(rule, at, 5), threshold: requiredDuration(at, 'above', rule.above), fraction: percentileOf(at, rule.percentile) }
    case 'failure-rate':
      return { ...windowed(rule, at, 10), threshold: rateOf(at, rule.above), fraction: 0 }
    case 'breaker-open':
      optionalName(at, 'breaker', rule.breaker)
      return { ...none, threshold: 0 }
    case 'dead-letters':
      return { ...none, threshold: deadLetterThreshold(rule, at, store) }
    case 'run-waiting':
      optionalName(at, 'workflow', rule.workflow)
      needsBacklog(at, store)
      return { ...none, threshold: requiredDuration(at, 'longerThan', rule.longerThan) }
    case 'escalations':
      return { ...windowed({ ...rule, minSamples: 1 }, at, 1, 900_000), threshold: countOf(at, 'above', rule.above), fraction: 0 }
    case 'predicate':
      if (typeof rule.when !== 'function') throw new InvalidAlertError(at, 'when', 'must be a function (report) => boolean | AlertMatch[]')
      if (rule.threshold !== undefined && !Number.isFinite(rule.threshold)) throw new InvalidAlertError(at, 'threshold', `must be a finite number, got ${String(rule.threshold)}`)
      return { ...none, threshold: rule.threshold ?? 0 }
  }
}

/** The window and minimum samples of a windowed rule, its workflow and task checked. */
function windowed(rule: { readonly workflow?: string; readonly task?: string; readonly window?: Duration; readonly minSamples?: number }, at: string, samples: number, windowMs = 300_000): Pick<CompiledAlertRule, 'windowMs' | 'minSamples'> {
  optionalName(at, 'workflow', rule.workflow)
  optionalName(at, 'task', rule.task)
  const window = durationOf(at, 'window', rule.window, windowMs)
  if (window < 60) throw new InvalidAlertError(at, 'window', `must last at least 60 ms, got ${String(rule.window)}`)
  const minSamples = rule.minSamples ?? samples
  if (!Number.isInteger(minSamples) || minSamples < 1) throw new InvalidAlertError(at, 'minSamples', `must be an integer ≥ 1, got ${String(rule.minSamples)}`)
  return { windowMs: window, minSamples }
}

function deadLetterThreshold(rule: Extract<AlertRule, { kind: 'dead-letters' }>, at: string, store: AlertStoreRoles): number {
  const source = rule.source ?? 'any'
  if (!['runs', 'outbox', 'any'].includes(source)) throw new InvalidAlertError(at, 'source', `must be 'runs', 'outbox' or 'any', got ${JSON.stringify(source)}`)
  if (source !== 'outbox') needsBacklog(at, store)
  if (source !== 'runs' && store.outbox === undefined) throw new InvalidAlertError(at, 'source', "reads the store's outbox, and this store has none: use the memory, SQLite or PostgreSQL store, or source: 'runs'")
  return countOf(at, 'above', rule.above)
}

function needsBacklog(at: string, store: AlertStoreRoles): void {
  if (store.backlog === undefined) throw new InvalidAlertError(at, 'kind', "reads the store's backlog of runs (its \"backlog\" role), and this store has none: use the memory, SQLite or PostgreSQL store, or implement BacklogStore in yours")
}

function optionalName(at: string, field: string, value: unknown): void {
  if (value !== undefined && (typeof value !== 'string' || value === '')) throw new InvalidAlertError(at, field, `must be a non-empty string, got ${JSON.stringify(value)}`)
}

function durationOf(at: string, field: string, value: Duration | undefined, fallback: number): number {
  if (value === undefined) return fallback
  try {
    return toMillis(value, field)
  } catch (error) {
    throw new InvalidAlertError(at, field, (error as Error).message.replace(`${field} `, ''))
  }
}

function requiredDuration(at: string, field: string, value: Duration | undefined): number {
  if (value === undefined) throw new InvalidAlertError(at, field, `is required: a duration such as '2 s' or 2000 (milliseconds)`)
  const ms = durationOf(at, field, value, 0)
  if (ms <= 0) throw new InvalidAlertError(at, field, `must be longer than 0 ms, got ${String(value)}`)
  return ms
}

function percentileOf(at: string, percentile: number | undefined): number {
  const p = percentile ?? 95
  if (typeof p !== 'number' || !(p > 0 && p <= 100)) throw new InvalidAlertError(at, 'percentile', `must be a number in (0, 100], got ${String(percentile)}; e.g. percentile: 95`)
  return p / 100
}

function rateOf(at: string, above: number | undefined): number {
  if (typeof above !== 'number' || !(above >= 0 && above < 1)) throw new InvalidAlertError(at, 'above', `must be a failure rate in [0, 1), got ${String(above)}; e.g. above: 0.2 for 20 %`)
  return above
}

function countOf(at: string, field: string, value: number | undefined): number {
  const count = value ?? 0
  if (!Number.isInteger(count) || count < 0) throw new InvalidAlertError(at, field, `must be an integer ≥ 0, got ${String(value)}`)
  return count
}
