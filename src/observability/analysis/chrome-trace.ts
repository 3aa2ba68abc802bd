// One run's timeline in the Chrome trace event format, which chrome://tracing and ui.perfetto.dev open.
import { stepAttempts } from '../../storage/attempt-history.js'
import type { StepRecord } from '../../storage/workflow-store.js'
import type { RecordedRun } from './analysis-input.js'

/**
 * One event of a {@link ChromeTrace}: a complete event (`ph: 'X'`, a span
 * with `ts` and `dur` in microseconds) or a metadata event (`ph: 'M'`,
 * naming a process or thread).
 *
 * @example
 * ```ts
 * import type { ChromeTraceEvent } from 'weft-sdk'
 * const span: ChromeTraceEvent = { name: 'charge', cat: 'task', ph: 'X', ts: 0, dur: 1200, pid: 1, tid: 2, args: { attempt: 1 } }
 * ```
 */
export interface ChromeTraceEvent {
  /** The span's name, or `process_name` / `thread_name` for metadata. */
  readonly name: string
  /** `run`, `task`, `attempt` or `sub-step`. */
  readonly cat?: string
  /** `X` (complete event) or `M` (metadata). */
  readonly ph: 'X' | 'M'
  /** Start, microseconds from the run's start (complete events). */
  readonly ts?: number
  /** Duration, microseconds (complete events). */
  readonly dur?: number
  /** Always 1: one run is one process. */
  readonly pid: number
  /** 0 for the run, then one thread per task in graph order of first start. */
  readonly tid: number
  /** Details: status, attempt, error. */
  readonly args?: Readonly<Record<string, unknown>>
}

/**
 * A Chrome trace / Perfetto JSON document (`{"traceEvents": [...]}`); write
 * it with `JSON.stringify` and open it in ui.perfetto.dev or chrome://tracing.
 *
 * @example
 * ```ts
 * import type { ChromeTrace } from 'weft-sdk'
 * declare const trace: ChromeTrace
 * console.log(trace.traceEvents.filter((e) => e.ph === 'X').length)
 * ```
 */
export interface ChromeTrace {
  /** The events. */
  readonly traceEvents: readonly ChromeTraceEvent[]
  /** Always `ms`: how viewers display times. */
  readonly displayTimeUnit: 'ms'
}

/**
 * One run's timeline: a span for the run, one thread per task with a span
 * for the step (first attempt to end) and, when it took several attempts,
 * one per timed attempt inside it, and its sub-steps (loop iterations,
 * `map` items, `ctx.step` results) with their times. Times are microseconds
 * from the run's start (its first step's start when it has no start time).
 *
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs'
 * import { toChromeTrace, type RecordedRun } from 'weft-sdk'
 * declare const recorded: RecordedRun
 * writeFileSync('run.trace.json', JSON.stringify(toChromeTrace(recorded)))
 * ```
 */
export function toChromeTrace({ run, steps }: RecordedRun): ChromeTrace {
  const timed = steps.filter((s) => s.startedAt !== undefined).sort((a, b) => a.startedAt! - b.startedAt! || a.finishedAt - b.finishedAt || a.key.localeCompare(b.key))
  const origin = run.startedAt ?? timed[0]?.startedAt ?? run.createdAt
  const us = (at: number) => Math.round((at - origin) * 1000)
  const threads = new Map<string, number>()
  for (const step of timed) if (!threads.has(step.task)) threads.set(step.task, threads.size + 1)
  const events: ChromeTraceEvent[] = [
    { name: 'process_name', ph: 'M', pid: 1, tid: 0, args: { name: `${run.workflow}@${run.version} ${run.id}` } },
    { name: 'thread_name', ph: 'M', pid: 1, tid: 0, args: { name: 'run' } },
    ...[...threads].map(([task, tid]) => ({ name: 'thread_name', ph: 'M' as const, pid: 1, tid, args: { name: task } })),
  ]
  const runEnd = run.finishedAt ?? Math.max(origin, ...timed.map((s) => s.finishedAt))
  events.push({ name: `run ${run.id}`, cat: 'run', ph: 'X', ts: 0, dur: us(runEnd), pid: 1, tid: 0, args: { status: run.status } })
  for (const step of timed) events.push(...stepEvents(step, threads.get(step.task)!, us))
  return { traceEvents: events, displayTimeUnit: 'ms' }
}

function stepEvents(step: StepRecord, tid: number, us: (at: number) => number): ChromeTraceEvent[] {
  const isTask = step.key === step.task
  const args = { status: step.status, attempts: step.attempts, ...(step.error === undefined ? {} : { error: `${step.error.name}: ${step.error.message}` }) }
  const span: ChromeTraceEvent = { name: step.key, cat: isTask ? 'task' : 'sub-step', ph: 'X', ts: us(step.startedAt!), dur: us(step.finishedAt) - us(step.startedAt!), pid: 1, tid, args }
  return step.history === undefined ? [span] : [span, ...attemptEvents(step, tid, us)]
}

function attemptEvents(step: StepRecord, tid: number, us: (at: number) => number): ChromeTraceEvent[] {
  return stepAttempts(step).flatMap(({ attempt, startedAt, finishedAt, outcome, error }) => {
    if (startedAt === undefined || finishedAt === undefined) return []
    const args = { attempt, outcome, ...(error === undefined ? {} : { error: `${error.name}: ${error.message}` }) }
    // A step's fallback (after its last attempt failed) is a slice of its own.
    const name = outcome === 'fallback' ? `${step.key} fallback` : `${step.key} attempt ${attempt}`
    return [{ name, cat: outcome === 'fallback' ? 'fallback' : 'attempt', ph: 'X' as const, ts: us(startedAt), dur: us(finishedAt) - us(startedAt), pid: 1, tid, args }]
  })
}
