import type { ErrorRecord, RunRecord, RunStatus, StepUsage } from '../index.js'
import { serialize, type StepRecord } from '../store.js'
import type { CliContext, OptionSpec } from './command.js'
import { runState, type RunState } from './run-text.js'
import { toAttemptsJson, type AttemptsJson } from './step-attempts.js'
import type { Terminal } from './terminal.js'

/**
 * The `--json` option of every command that prints. Shapes (one JSON value
 * on one line of standard output; times are epoch milliseconds, absent
 * fields are `null`; errors still go to standard error as text, with the
 * same exit codes):
 *
 * - `runs list`: `{ runs: RunJson[], nextBefore: string | null }`;
 * - `runs show`: `{ run: RunJson, steps: StepJson[], usage: StepUsage | null }` (with `--attempts`, each step's `history`; `usage`: the steps' metered usage summed);
 * - `runs cancel` / `runs resume`: {@link ActionJson};
 * - `runs signal`: `{ eventId, runId, event }`;
 * - `graph`: `{ workflow, version, tasks: [{ name, kind, dependsOn }], mermaid }`;
 * - `worker`: its `WorkerSummary` when it stops (progress goes to standard error).
 */
export const jsonOption: OptionSpec = { type: 'boolean', description: 'print one JSON value instead of text (shapes: README, "Operating it")' }

/**
 * A run as `weft runs list --json` and `weft runs show --json` print it.
 *
 * @example
 * ```ts
 * import { execFileSync } from 'node:child_process'
 * import type { RunJson } from 'weft-sdk/cli'
 * const { runs } = JSON.parse(execFileSync('npx', ['weft', 'runs', 'list', '--json'], { encoding: 'utf8' })) as { runs: RunJson[] }
 * const orphaned = runs.filter((run) => run.state === 'orphaned').map((run) => `${run.id} (last held by ${run.leaseOwner})`)
 * ```
 */
export interface RunJson {
  /** The run's id. */
  readonly id: string
  /** The workflow's name. */
  readonly workflow: string
  /** The workflow version the run is pinned to. */
  readonly version: number
  /** The stored status. */
  readonly status: RunStatus
  /** What `runs list` shows: the status, or `orphaned` (see {@link RunState}). */
  readonly state: RunState
  /** Why the run is in its status. */
  readonly statusMessage: string | null
  /** Who started it. */
  readonly principal: string | null
  /** When it was created (epoch milliseconds). */
  readonly createdAt: number
  /** When a worker first started it (epoch milliseconds). */
  readonly startedAt: number | null
  /** When it finished (epoch milliseconds). */
  readonly finishedAt: number | null
  /** Why it failed or was cancelled: the stored error record. */
  readonly error: ErrorRecord | null
  /** The worker holding (or, for an orphaned run, last holding) its lease. */
  readonly leaseOwner: string | null
  /** When that lease ends unless renewed (epoch milliseconds). */
  readonly leaseExpiresAt: number | null
  /** The fencing epoch: how many times a worker claimed it. */
  readonly epoch: number
  /** How many times a worker took it over from one that stopped. */
  readonly recoveries: number
  /** A cancel, pause or resume waiting for its worker. */
  readonly requestedAction: string | null
  /** Only with `--values`: the input in Weft's storage encoding (`serialize` of `weft/store`: lossless, `deserialize` reverses it). */
  readonly input?: unknown
}

/**
 * A recorded step as `weft runs show --json` prints it.
 *
 * @example
 * ```ts
 * import type { RunJson, StepJson } from 'weft-sdk/cli'
 * declare const shown: { run: RunJson; steps: StepJson[] } // JSON.parse of `weft runs show <id> --json`
 * const failed = shown.steps.filter((step) => step.status === 'failed').map((step) => `${step.key}: ${step.error?.message}`)
 * ```
 */
export interface StepJson {
  /** The step's key: the task name, with `#i`, `[i]` or `/name` for a sub-step. */
  readonly key: string
  /** The task it belongs to. */
  readonly task: string
  /** How it ended. */
  readonly status: StepRecord['status']
  /** Attempts made. */
  readonly attempts: number
  /** When its first attempt started (epoch milliseconds). */
  readonly startedAt: number | null
  /** When it ended (epoch milliseconds). */
  readonly finishedAt: number
  /** Why it failed: the stored error record. */
  readonly error: ErrorRecord | null
  /** Only with `--values`: the output in Weft's storage encoding (`null` when the step has none). */
  readonly output?: unknown
  /** Only with `--attempts`: each attempt the record keeps (number, times, outcome, error), and how many earlier ones were only counted. */
  readonly history?: AttemptsJson
  /** Tokens and cost the step's metered calls spent (an LLM adapter's, through `ctx.use`); `null` when none metered. */
  readonly usage: StepUsage | null
}

/**
 * What `weft runs cancel --json` and `weft runs resume --json` print.
 *
 * @example
 * ```ts
 * import type { ActionJson } from 'weft-sdk/cli'
 * declare const printed: string // the standard output of `weft runs cancel <id> --json`
 * const result = JSON.parse(printed) as ActionJson
 * if (result.outcome === 'refused') console.error(result.message)
 * ```
 */
export interface ActionJson {
  /** The action asked for. */
  readonly action: 'cancel' | 'resume'
  /** `done` (applied at once), `requested` (its worker applies it), `unchanged` (nothing to do), `refused` (exit code 1). */
  readonly outcome: 'done' | 'requested' | 'unchanged' | 'refused'
  /** The sentence the text output prints. */
  readonly message: string
  /** The run after the request. */
  readonly run: RunJson
}

const unlimited = { warnBytes: Number.POSITIVE_INFINITY, maxBytes: Number.POSITIVE_INFINITY }

/**
 * A stored value as JSON, losslessly: Weft's storage encoding (`serialize`),
 * where a Date, Map, Set, bigint, `undefined`, Uint8Array or RegExp is a
 * `{ "$weft": tag, "v": … }` object; `deserialize(JSON.stringify(it))` from
 * `weft/store` gives the value back.
 */
export function toStoredJson(value: unknown, what: string): unknown {
  return value === undefined ? null : JSON.parse(serialize(value, what, unlimited, () => undefined))
}

/** A run as JSON; its input only when `values`. */
export function toRunJson(run: RunRecord, now: number, values = false): RunJson {
  return {
    id: run.id,
    workflow: run.workflow,
    version: run.version,
    status: run.status,
    state: runState(run, now),
    statusMessage: run.statusMessage ?? null,
    principal: run.principal ?? null,
    createdAt: run.createdAt,
    startedAt: run.startedAt ?? null,
    finishedAt: run.finishedAt ?? null,
    error: run.error ?? null,
    leaseOwner: run.leaseOwner ?? null,
    leaseExpiresAt: run.leaseExpiresAt ?? null,
    epoch: run.epoch,
    recoveries: run.recoveries,
    requestedAction: run.requestedAction ?? null,
    ...(values ? { input: toStoredJson(run.input, `input of run ${run.id}`) } : {}),
  }
}

/** A step as JSON; its output only when `values`, its attempts only when `attempts`. */
export function toStepJson(step: StepRecord, values = false, attempts = false): StepJson {
  return {
    key: step.key,
    task: step.task,
    status: step.status,
    attempts: step.attempts,
    startedAt: step.startedAt ?? null,
    finishedAt: step.finishedAt,
    error: step.error ?? null,
    usage: step.usage ?? null,
    ...(values ? { output: toStoredJson(step.output, `output of step "${step.key}"`) } : {}),
    ...(attempts ? { history: toAttemptsJson(step) } : {}),
  }
}

/** Prints `value` as one line of JSON. */
export function printJson(terminal: Terminal, value: unknown): void {
  terminal.line(JSON.stringify(value))
}

/** What `runs cancel` or `runs resume` did, before it is printed. */
export type ActionOutcome = Pick<ActionJson, 'outcome' | 'message'>

/** Prints what `runs cancel` or `runs resume` did, as text (a refusal on standard error) or JSON; returns the exit code, 1 when refused. */
export function reportAction(context: CliContext, json: boolean, action: ActionJson['action'], run: RunRecord, { outcome, message }: ActionOutcome): number {
  if (json) printJson(context.out, { action, outcome, message, run: toRunJson(run, context.now()) } satisfies ActionJson)
  else if (outcome === 'refused') context.err.line(`weft: ${message}`)
  else context.out.line(message)
  return outcome === 'refused' ? 1 : 0
}
