import { formatMillis, type ErrorRecord, type RunRecord, type RunStatus } from '../index.js'
import { isDeadOwner, type StepRecord } from '../store.js'
import type { Tone } from './terminal.js'

/** What the CLI prints for a value that is not there. */
export const none = '-'

/** Epoch milliseconds as an ISO 8601 UTC instant with milliseconds: `2025-06-01T12:00:00.123Z`. */
export function formatInstant(ms: number | undefined): string {
  return ms === undefined ? none : new Date(ms).toISOString()
}

/** Epoch milliseconds as a UTC date and time to the second: `2025-06-01 12:00:00`. */
export function formatDateTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ')
}

/** `workflow@version`. */
export function workflowLabel(run: Pick<RunRecord, 'workflow' | 'version'>): string {
  return `${run.workflow}@${run.version}`
}

/** How long a run took from its start to its end, or has been running so far; `-` for a run no worker started. */
export function runDuration(run: RunRecord, now: number): string {
  if (run.startedAt === undefined) return none
  return formatMillis(Math.max(0, (run.finishedAt ?? now) - run.startedAt))
}

/** How long a step took, from its first attempt's start to its end. */
export function stepDuration(step: StepRecord): string {
  return step.startedAt === undefined ? none : formatMillis(Math.max(0, step.finishedAt - step.startedAt))
}

/** The most characters of an error's extra properties (`props`) a table cell shows (`--json` and the run's own error line show them whole). */
export const cellPropsChars = 120

/**
 * `Name [CODE]: message {extra properties}`, after `in task "t": ` when the
 * error is a run's failure in a task, then an AggregateError's errors
 * (`; 1 of 3: Name: message`, or `; item 2: Name: message` for a failed
 * `ctx.map` item; `; and 2 more` for those the record did not keep) and each
 * cause (`; caused by Name [CODE]: message`; not the first member again,
 * which a `ctx.map` failure has as its cause). A thrown value that is not an
 * Error reads `thrown object: {"status":503}`. One line: the stack is printed
 * apart (see {@link stackLines}). `propsChars` cuts each extra-properties
 * JSON (for a table cell: {@link cellPropsChars}).
 */
export function describeError(error: ErrorRecord, propsChars = Infinity): string {
  const task = error.task === undefined || error.name === 'RunFailedError' ? '' : `in task "${error.task}": `
  const kept = error.errors ?? []
  const total = error.errorCount ?? kept.length
  const members = kept.map((member, i) => `; ${member.label ?? `${i + 1} of ${total}`}: ${oneError(member, propsChars)}`).join('')
  const more = total > kept.length ? `; and ${total - kept.length} more` : ''
  const first = kept[0] === undefined ? undefined : oneError(kept[0], propsChars)
  const causes = (error.causes ?? []).filter((cause, i) => i > 0 || oneError(cause, propsChars) !== first)
  return `${task}${oneError(error, propsChars)}${members}${more}${causes.map((cause) => `; caused by ${oneError(cause, propsChars)}`).join('')}`
}

function oneError(error: Pick<ErrorRecord, 'name' | 'code' | 'message' | 'value' | 'props'>, propsChars: number): string {
  const code = error.code === undefined ? '' : ` [${error.code}]`
  const name = error.value === undefined ? error.name : `thrown ${error.name}`
  const props = error.props === undefined ? '' : ` ${cutText(error.props, propsChars)}`
  return `${name}${code}: ${error.message.replaceAll('\n', ' ')}${props}`
}

/** `text` cut to `chars` characters, the last one `…` when cut. */
function cutText(text: string, chars: number): string {
  return text.length <= chars ? text : `${text.slice(0, chars - 1)}…`
}

/** The frames of an error's recorded stack (its lines after the first, which repeats the message), indented; none without a stack. */
export function stackLines(error: ErrorRecord | undefined): string[] {
  if (error?.stack === undefined) return []
  const lines = error.stack.split('\n')
  const firstFrame = lines.findIndex((line) => /^\s+at /.test(line))
  return (firstFrame === -1 ? lines : lines.slice(firstFrame)).map((line) => `  ${line.trim()}`)
}

/**
 * What a run's line in a list says: its error's message without the run id
 * and workflow the line already shows (`failed in task "charge": declined`),
 * or else why it is in its status.
 */
export function runNote(run: RunRecord): string {
  if (run.error === undefined) return run.statusMessage ?? ''
  // A failure recorded with its task (Weft 0.1 recorded the RunFailedError around it: handled below).
  if (run.error.task !== undefined && run.error.name !== 'RunFailedError') return `failed in task "${run.error.task}": ${run.error.message}`
  const redundant = [`run ${run.id} of workflow "${run.workflow}" `, `run ${run.id} `].find((prefix) => run.error!.message.startsWith(prefix))
  return redundant === undefined ? run.error.message : run.error.message.slice(redundant.length)
}

/**
 * What `weft runs list` shows for a run: its stored status, or `orphaned`
 * for an unfinished run (pending, running or paused) naming a worker whose
 * lease has expired or whose process, on this host, is gone: the next worker
 * with its workflow version recovers it.
 *
 * @example
 * ```ts
 * import type { RunState } from 'weft-sdk/cli'
 * const needsAttention = (state: RunState): boolean => state === 'orphaned' || state === 'failed'
 * ```
 */
export type RunState = RunStatus | 'orphaned'

/**
 * `orphaned` for an unfinished run (pending, running or paused) that names a
 * worker (`leaseOwner`) that stopped renewing it (it crashed or was killed):
 * its lease has expired (`leaseExpiresAt` at or before `now`, or unset), or
 * the worker ran on this host and its process is gone (`ownerIsDead`, seen at
 * once, without waiting for the lease). The next worker with its workflow
 * version takes it over and recovers it. Otherwise the run's stored status.
 * A worker's clean shutdown releases its runs without an owner: those show `pending`.
 */
export function runState(
  run: Pick<RunRecord, 'status' | 'leaseOwner' | 'leaseExpiresAt'>,
  now: number,
  ownerIsDead: (owner: string) => boolean = isDeadOwner,
): RunState {
  const unfinished = run.status === 'pending' || run.status === 'running' || run.status === 'paused'
  if (!unfinished || run.leaseOwner === undefined) return run.status
  return (run.leaseExpiresAt ?? 0) <= now || ownerIsDead(run.leaseOwner) ? 'orphaned' : run.status
}

const statusTones: Readonly<Record<RunState | StepRecord['status'], Tone>> = {
  orphaned: 'magenta',
  pending: 'yellow',
  running: 'blue',
  paused: 'yellow',
  completed: 'green',
  failed: 'red',
  cancelled: 'dim',
  skipped: 'dim',
  'dead-lettered': 'magenta',
}

/** The colour of a run or step status on a terminal. */
export function statusTone(status: string): Tone | undefined {
  return statusTones[status as RunStatus]
}

/** Every run status, in life order (checked against `RunStatus` by the compiler). */
export const runStatuses = Object.keys({
  pending: true,
  running: true,
  paused: true,
  completed: true,
  failed: true,
  cancelled: true,
  'dead-lettered': true,
} satisfies Record<RunStatus, true>) as RunStatus[]
