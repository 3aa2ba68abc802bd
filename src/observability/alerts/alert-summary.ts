// One line per alert for whoever reads it: the rule, what it is about, the value against the threshold.

import type { CompiledAlertRule } from './compile-alert-rules.js'

/** `ms` as a person reads it: `850 ms`, `2.3 s`, `4.5 m`, `1.2 h`. */
function readableMs(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${+(ms / 1_000).toFixed(1)} s`
  if (ms < 3_600_000) return `${+(ms / 60_000).toFixed(1)} m`
  return `${+(ms / 3_600_000).toFixed(1)} h`
}

const percent = (rate: number) => `${+(rate * 100).toFixed(1)} %`

/** What the value of a rule's kind is, with the threshold. */
function measure(rule: CompiledAlertRule, value: number): string {
  const spec = rule.rule
  switch (spec.kind) {
    case 'duration':
      return `p${+(rule.fraction * 100).toFixed(3)} ${readableMs(value)} above ${readableMs(rule.threshold)} over ${readableMs(rule.windowMs)}`
    case 'failure-rate':
      return `failure rate ${percent(value)} above ${percent(rule.threshold)} over ${readableMs(rule.windowMs)}`
    case 'breaker-open':
      return value > 0 ? 'circuit open' : 'circuit closed'
    case 'dead-letters':
      return `${value} dead letter${value === 1 ? '' : 's'} (more than ${rule.threshold} raises it)`
    case 'run-waiting':
      return `oldest pending run waiting ${readableMs(value)}, longer than ${readableMs(rule.threshold)}`
    case 'escalations':
      return `${value} escalated failure${value === 1 ? '' : 's'} in ${readableMs(rule.windowMs)} (more than ${rule.threshold} raises it)`
    case 'predicate':
      return `value ${value} (threshold ${rule.threshold})`
  }
}

/** The summary line of an alert: `slow-charge [workflow=orders task=charge]: p95 2.4 s above 2 s over 5 m`. */
export function alertSummary(rule: CompiledAlertRule, labels: Readonly<Record<string, string>>, value: number): string {
  const names = Object.keys(labels)
  const about = names.length === 0 ? '' : ` [${names.map((name) => `${name}=${labels[name]!}`).join(' ')}]`
  return `${rule.name}${about}: ${measure(rule, value)}`
}
