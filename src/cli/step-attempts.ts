import { formatMillis, type ErrorRecord } from '../index.js'
import { stepAttempts, type AttemptOutcome, type AttemptRecord, type StepRecord } from '../store.js'
import type { CliContext } from './command.js'
import { cellPropsChars, describeError, formatInstant, none, statusTone } from './run-text.js'
import type { StepRow } from './step-rows.js'
import { paint } from './terminal.js'
import { formatTable, type Column } from './text-table.js'

/**
 * One attempt of a step as `weft runs show --attempts --json` prints it.
 *
 * @example
 * ```ts
 * import type { StepJson } from 'weft-sdk/cli'
 * declare const step: StepJson // from `weft runs show <id> --attempts --json`
 * for (const a of step.history?.attempts ?? []) console.log(a.attempt, a.outcome, a.durationMs, a.error?.message)
 * ```
 */
export interface AttemptJson {
  /** The attempt's number, from 1 (a `fallback` entry: the failed attempt it answers). */
  readonly attempt: number
  /**
   * How it ended: `completed`, `failed`, or `interrupted` (its process
   * stopped; inferred, see `AttemptHistory`); `fallback` is the fallback
   * `@Recover` ran after the last attempt failed (last; `error` set when the
   * fallback failed too).
   */
  readonly outcome: AttemptOutcome
  /** When it started (epoch milliseconds); `null` for an interrupted attempt. */
  readonly startedAt: number | null
  /** When it ended (epoch milliseconds); `null` for an interrupted attempt. */
  readonly finishedAt: number | null
  /** How long it ran, in milliseconds; `null` when not known. */
  readonly durationMs: number | null
  /** Why it failed: the stored error record. */
  readonly error: ErrorRecord | null
}

/**
 * A step's attempts as `--attempts --json` prints them (the `history` of a `StepJson`).
 *
 * @example
 * ```ts
 * import type { StepJson } from 'weft-sdk/cli'
 * declare const step: StepJson // from `weft runs show <id> --attempts --json`
 * for (const a of step.history?.attempts ?? []) console.log(a.attempt, a.outcome, a.durationMs, a.error?.message)
 * ```
 */
export interface AttemptsJson {
  /** The attempts the record keeps, oldest first (the last one is the step's own). */
  readonly attempts: readonly AttemptJson[]
  /** Attempts made before those and only counted (a history keeps the latest 5 before the last). */
  readonly omitted: number
}

/** A step's attempts as JSON. */
export function toAttemptsJson(step: StepRecord): AttemptsJson {
  return { attempts: stepAttempts(step).map(toAttemptJson), omitted: step.history?.omitted ?? 0 }
}

function toAttemptJson(attempt: AttemptRecord): AttemptJson {
  return {
    attempt: attempt.attempt,
    outcome: attempt.outcome,
    startedAt: attempt.startedAt ?? null,
    finishedAt: attempt.finishedAt ?? null,
    durationMs: durationOf(attempt) ?? null,
    error: attempt.error ?? null,
  }
}

function durationOf(attempt: AttemptRecord): number | undefined {
  return attempt.startedAt === undefined || attempt.finishedAt === undefined ? undefined : Math.max(0, attempt.finishedAt - attempt.startedAt)
}

/** A line of the attempts table: an attempt of a step, or the count of attempts a step's record did not keep. */
interface AttemptLine {
  readonly label: string
  readonly attempt: AttemptRecord | undefined
  readonly omitted: number
}

/**
 * `--attempts`: each step's attempts, in the steps table's order: number,
 * start, duration, outcome and the error's line (an interrupted attempt's
 * process stopped: its times are not known).
 */
export function printAttempts(context: CliContext, rows: readonly StepRow[]): void {
  const lines = rows.flatMap((row) => (row.step === undefined ? [] : attemptLines(row.label, row.step)))
  if (lines.length === 0) return
  context.out.line()
  context.out.line(paint(context.out, 'bold', 'ATTEMPTS'))
  const columns: Column<AttemptLine>[] = [
    { header: 'step', cell: (line) => line.label },
    { header: 'attempt', cell: (line) => attemptText(line.attempt) },
    { header: 'started (utc)', cell: (line) => formatInstant(line.attempt?.startedAt) },
    { header: 'duration', cell: (line) => durationText(line.attempt) },
    { header: 'outcome', cell: (line) => outcomeText(line), tone: (line) => statusTone(toneOf(line.attempt)) },
    { header: 'error', cell: (line) => errorText(line.attempt), tone: () => 'red' },
  ]
  for (const line of formatTable(context.out, columns, lines)) context.out.line(line)
}

function attemptLines(label: string, step: StepRecord): AttemptLine[] {
  const omitted = step.history?.omitted ?? 0
  const kept = stepAttempts(step).map((attempt, i): AttemptLine => ({ label: i === 0 && omitted === 0 ? label : '', attempt, omitted: 0 }))
  return omitted === 0 ? kept : [{ label, attempt: undefined, omitted }, ...kept]
}

function attemptText(attempt: AttemptRecord | undefined): string {
  if (attempt === undefined) return none
  return attempt.outcome === 'fallback' ? `after #${attempt.attempt}` : `#${attempt.attempt}`
}

function outcomeText(line: AttemptLine): string {
  const attempt = line.attempt
  if (attempt === undefined) return `${line.omitted} earlier not kept`
  if (attempt.outcome !== 'fallback') return attempt.outcome
  return attempt.error === undefined ? 'fallback' : 'fallback failed'
}

/** A fallback is coloured by how it ended: completed (its result is the output) or failed. */
function toneOf(attempt: AttemptRecord | undefined): string {
  if (attempt === undefined) return 'skipped'
  if (attempt.outcome !== 'fallback') return attempt.outcome
  return attempt.error === undefined ? 'completed' : 'failed'
}

function durationText(attempt: AttemptRecord | undefined): string {
  const ms = attempt === undefined ? undefined : durationOf(attempt)
  return ms === undefined ? none : formatMillis(ms)
}

function errorText(attempt: AttemptRecord | undefined): string {
  if (attempt?.error !== undefined) return describeError(attempt.error, cellPropsChars)
  return attempt?.outcome === 'interrupted' ? 'its process stopped before it ended' : ''
}
