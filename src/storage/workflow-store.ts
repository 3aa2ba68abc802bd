import type { StepUsage } from '../core/step-usage.js'
import type { RunId } from '../core/ids.js'
import type { NewOutboxEntry, OutboxStore } from './outbox-store.js'
import type { LocalUserStore, SessionStore } from './session-store.js'
import type { AuditEntry, AuditStore } from './audit-store.js'
import type { SettingsStore } from './settings-store.js'
import type { HistoryStore } from './history-store.js'
import type { BacklogStore } from './backlog-store.js'
import type { StepRecovery } from './step-recovery.js'

export type { DurationPercentiles, HistoryQuery, HistoryStore, TaskHistoryRow, WorkflowHistoryRow } from './history-store.js'
export type { BacklogStore, RunBacklog } from './backlog-store.js'
export type { RecoveryStepRow, StepRecovery } from './step-recovery.js'

/**
 * Where a run is in its life.
 *
 * - `pending`: created, not claimed by a worker yet (or waiting for a worker
 *   that has its workflow version; see {@link RunRecord.statusMessage}).
 * - `running` / `paused`: a worker holds its lease.
 * - `completed` / `failed` / `cancelled`: finished.
 * - `dead-lettered`: its worker crashed too often while running it; an
 *   operator can resume it.
 *
 * @example
 * ```ts
 * import { createEngine, type RunStatus } from 'weft-sdk'
 * const engine = createEngine()
 * const stuck: RunStatus = 'dead-lettered'
 * for (const run of await engine.listRuns({ status: stuck })) console.log(run.id, run.workflow)
 * ```
 */
export type RunStatus = 'pending' | 'running' | 'paused' | 'completed' | 'failed' | 'cancelled' | 'dead-lettered'

/**
 * Where a task is in a run.
 *
 * @example
 * ```ts
 * import type { TaskStatus } from 'weft-sdk'
 * const finished = (status: TaskStatus): boolean => status === 'completed' || status === 'failed' || status === 'skipped' || status === 'cancelled'
 * ```
 */
export type TaskStatus = 'pending' | 'running' | 'retrying' | 'completed' | 'failed' | 'skipped' | 'cancelled'

/** The run statuses after which nothing changes any more (but an operator's resume of a dead-lettered run). */
export const finishedRunStatuses: readonly RunStatus[] = ['completed', 'failed', 'cancelled', 'dead-lettered']

/**
 * A serializable description of an error, as stored and reported: the
 * error's name, message and code, and, bounded so a record stays small
 * whatever was thrown, its stack, its causes and, for a thrown value that is
 * not an Error, that value as JSON. Stores keep it as JSON text.
 *
 * @example
 * ```ts
 * import type { RunOutcome } from 'weft-sdk'
 * declare const outcome: RunOutcome
 * const failed = outcome.tasks.filter((task) => task.error !== undefined)
 * for (const { task, error } of failed) console.error(task, error?.name, error?.code, error?.message)
 * ```
 */
export interface ErrorRecord {
  /** The error's class name, e.g. `TypeError` or `TaskTimeoutError`. */
  readonly name: string
  /** The error's message. */
  readonly message: string
  /** A Weft error's code (or a string `code` property of another error), when it has one. */
  readonly code?: string | undefined
  /** The task whose failure this is, for run errors. */
  readonly task?: string | undefined
  /**
   * The error's stack trace, cut to its first 20 lines and 4,096 characters
   * (a last line `…` says it was cut). Absent for a thrown value that is not
   * an Error, and in the records events carry (see `RunEvent`): stored
   * records have it, events stay small.
   */
  readonly stack?: string | undefined
  /**
   * The error's causes: its `cause`, then that one's `cause`, and so on, at
   * most 5, each with its name, message (cut to 1,024 characters), code, and
   * `value` when it is not an Error. The chain stops at a cause seen before
   * (a cycle). Absent when the error has no cause.
   */
  readonly causes?: readonly Pick<ErrorRecord, 'name' | 'message' | 'code' | 'value' | 'props'>[] | undefined
  /**
   * An `AggregateError`'s errors (`Promise.any`, a batch API), each like a
   * cause: name, message, code, `value` or `props`; at most 5. A
   * `MapItemsFailedError`'s members also have a `label` naming their item
   * (`item 2`); a `FallbackFailedError` has one member, what its fallback
   * threw (its `cause` is the task's own failure).
   */
  readonly errors?:
    | readonly (Pick<ErrorRecord, 'name' | 'message' | 'code' | 'value' | 'props'> & {
        /** The item a `MapItemsFailedError`'s member failed on (`item 2`); absent for other aggregates. */
        readonly label?: string | undefined
      })[]
    | undefined
  /** How many errors the `AggregateError` held, when more than `errors` keeps. */
  readonly errorCount?: number | undefined
  /**
   * An Error's own enumerable properties other than name, message, stack,
   * cause, code and errors, as JSON (an HTTP client's `{"status":429,"retryAfter":2}`),
   * at most 1,024 characters, rendered like `value`. Absent for Weft's own
   * errors, whose messages state their fields.
   */
  readonly props?: string | undefined
  /**
   * The thrown value as JSON, when it is not an Error (`throw { status: 503 }`
   * records `{"status":503}`, `throw null` records `null`), so what was thrown
   * can be told from a message. At most 4,096 characters; cycles, BigInts,
   * deep nesting and throwing getters are rendered, not refused. Absent for
   * Errors: its presence says the value was not one.
   */
  readonly value?: string | undefined
}

/**
 * A run as stored: what `engine.listRuns()` returns.
 *
 * @example
 * ```ts
 * import { createEngine, type RunRecord } from 'weft-sdk'
 * const failed: RunRecord[] = await createEngine().listRuns({ status: 'failed' })
 * for (const run of failed) console.log(run.id, run.workflow, run.error?.message)
 * ```
 */
export interface RunRecord {
  /** The run's id. */
  readonly id: RunId
  /** The workflow's name. */
  readonly workflow: string
  /** The workflow version the run is pinned to. */
  readonly version: number
  /** The validated input. */
  readonly input: unknown
  /** Where the run is. */
  readonly status: RunStatus
  /** Why a run is in its status, e.g. why a pending run is not running. */
  readonly statusMessage?: string | undefined
  /** Who started the run (the principal's subject), when known. */
  readonly principal?: string | undefined
  /** The tenant of the principal that started the run, if it had one. */
  readonly tenant?: string | undefined
  /** The roles of the principal that started the run, when recorded (a secured engine records them: a resumed run's task requirements are checked against them). */
  readonly roles?: readonly string[] | undefined
  /** When the run was created (epoch milliseconds). */
  readonly createdAt: number
  /** When a worker first started it (epoch milliseconds). */
  readonly startedAt?: number | undefined
  /** When it finished (epoch milliseconds). */
  readonly finishedAt?: number | undefined
  /** Why it failed or was cancelled. */
  readonly error?: ErrorRecord | undefined
  /** The worker holding the run's lease, if any. */
  readonly leaseOwner?: string | undefined
  /** When that lease ends unless renewed (epoch milliseconds). */
  readonly leaseExpiresAt?: number | undefined
  /**
   * The fencing epoch: incremented each time a worker claims the run. Every
   * write of a worker carries the epoch it claimed, and the store rejects it
   * when the run has been claimed since.
   */
  readonly epoch: number
  /** How many times a worker claimed the run after the previous one stopped without releasing it. */
  readonly recoveries: number
  /** An action requested by another process (an operator, another engine), applied by the run's worker. */
  readonly requestedAction?: RequestedAction | undefined
  /** The digest of the input (see `inputDigest`), for runs started with an explicit id: an idempotent start compares it. */
  readonly inputDigest?: string | undefined
  /**
   * The W3C trace context (a `traceparent` header value) the run was started
   * under, when tracing is on: every worker that executes the run parents its
   * spans to it, so a resumed run continues the same trace.
   */
  readonly traceContext?: string | undefined
}

/** What another process can ask of a run's worker. */
export type RequestedAction = 'cancel' | 'pause' | 'resume'

/** What proves a worker still holds a run: the run and the epoch it claimed. */
export interface Fence {
  /** The run held. */
  readonly runId: RunId
  /** The epoch the worker claimed the run at. */
  readonly epoch: number
}

/** A run to create. */
export interface NewRun {
  /** The run's id. */
  readonly id: RunId
  /** The workflow's name. */
  readonly workflow: string
  /** The workflow version the run is pinned to. */
  readonly version: number
  /** The validated input. */
  readonly input: unknown
  /** When the run was created (epoch milliseconds). */
  readonly createdAt: number
  /** Who started the run (the principal's subject), when known. */
  readonly principal?: string | undefined
  /** The starting principal's tenant. */
  readonly tenant?: string | undefined
  /** The starting principal's roles. */
  readonly roles?: readonly string[] | undefined
  /** The digest of the input (see `inputDigest`), stored with the run so a later start with the same id can be compared. */
  readonly inputDigest?: string | undefined
  /** The W3C trace context (`traceparent`) to record with the run, when tracing is on. */
  readonly traceContext?: string | undefined
  /**
   * Audit entries (sealed by the engine's `AuditLog`) written in the same
   * transaction as the run, so the start and its record commit together.
   * Written whether or not the run is new (an idempotent start is audited too).
   */
  readonly audit?: readonly AuditEntry[] | undefined
  /**
   * Create the run already claimed by this worker (status `running`, epoch 1),
   * so the starting process executes it without a claim round trip. Without
   * it the run is `pending` for any worker to claim.
   */
  readonly claimBy?: {
    /** The claiming worker's id. */
    readonly owner: string
    /** How long the lease lasts, in milliseconds. */
    readonly leaseMs: number
  } | undefined
}

/** Fields of a run its worker changes as it progresses. */
export type RunPatch = Partial<Pick<RunRecord, 'status' | 'statusMessage' | 'finishedAt' | 'error'>>

/**
 * How one attempt of a step ended: `completed`, `failed` (its error is in
 * the record), or `interrupted` (the process running it stopped before it
 * ended: its run was taken over by another claim; see
 * {@link AttemptHistory}). `fallback` is not an attempt but the fallback
 * `@Recover` ran after the step's last attempt failed (`fallbackValue`,
 * `fallbackTo`, `fallbackWith`): always the last entry, numbered like the
 * failed attempt it answers; without an error its result is the step's
 * output, with one the fallback failed too and so did the step (see
 * {@link AttemptHistory.fallbackStartedAt}).
 *
 * @example
 * ```ts
 * import { stepAttempts, type AttemptOutcome, type StepRecord } from 'weft-sdk/store'
 * declare const step: StepRecord
 * const outcomes: AttemptOutcome[] = stepAttempts(step).map((a) => a.outcome)
 * ```
 */
export type AttemptOutcome = 'completed' | 'failed' | 'interrupted' | 'fallback'

/**
 * One attempt of a step, as recorded.
 *
 * @example
 * ```ts
 * import { stepAttempts, type StepRecord } from 'weft-sdk/store'
 *
 * declare const step: StepRecord
 * for (const a of stepAttempts(step)) console.log(a.attempt, a.outcome, a.error?.message)
 * ```
 */
export interface AttemptRecord {
  /** The attempt's number, from 1 (attempts lost with a stopped process count); a `fallback` entry has the number of the failed attempt it answers. */
  readonly attempt: number
  /** How it ended. */
  readonly outcome: AttemptOutcome
  /** When it started (epoch milliseconds); `undefined` for an interrupted attempt (not recorded: see {@link AttemptHistory}). */
  readonly startedAt?: number | undefined
  /** When it ended (epoch milliseconds); `undefined` for an interrupted attempt. */
  readonly finishedAt?: number | undefined
  /** Why a failed attempt failed (why a `fallback` entry's fallback failed). */
  readonly error?: ErrorRecord | undefined
}

/**
 * The attempts of a step before its last one, written with the step's
 * record (no write of its own): present only when the step made more than
 * one attempt or `@Recover` classified a failure of it (see
 * {@link AttemptHistory.recovery}), so the common single attempt costs nothing. The last attempt
 * is the step itself (its status, error and `finishedAt`; it started at
 * {@link AttemptHistory.lastStartedAt}), except after a fallback, when the
 * step is the fallback and its last attempt is kept here too
 * ({@link AttemptHistory.fallbackStartedAt}). Bounded: the latest
 * {@link maxRecordedAttempts} earlier attempts are kept in full, older ones
 * only counted ({@link AttemptHistory.omitted}).
 *
 * A loop's attempts restart with each iteration: each iteration's step
 * (`task#2`) keeps its own attempts, and the loop task's record those of its
 * last iteration that ran (the one that failed, when the loop failed).
 *
 * Interrupted attempts are inferred, not written: a run taken over by a new
 * claim (its worker died, lost its lease or released it on shutdown) counts
 * one interrupted attempt for each task that was ready to run when it was
 * taken over (every dependency recorded, no record of its own), so a task
 * re-run after a crash shows 2 attempts. It is an inference: nothing records
 * an attempt's start, so a task that was ready but had not started yet (a
 * full concurrency limit, a paused run) counts one too, and a task whose
 * process died several times before it recorded anything counts one (the
 * take-overs are not counted per task). The same holds for the items of a
 * `ctx.map`: when the task is counted so and the map had recorded some of
 * its items, each unrecorded item counts one interrupted attempt (a map
 * that had recorded none cannot be told from one not called yet).
 *
 * A `ctx.map` item that failed in a task attempt (mode `'all'`) is written
 * as a failed step with its attempts when its task fails for good, and only
 * then: a task retry runs it again, its attempt numbers continue, and the
 * step that completes it keeps the failures of the earlier task attempts
 * (those made in this process).
 *
 * @example
 * ```ts
 * import type { StepRecord } from 'weft-sdk/store'
 * declare const step: StepRecord
 * if (step.history !== undefined) console.log(`${step.history.earlier.length} attempts kept, ${step.history.omitted} only counted`)
 * ```
 */
export interface AttemptHistory {
  /** The kept attempts before the last, oldest first. */
  readonly earlier: readonly AttemptRecord[]
  /** Attempts before {@link AttemptHistory.earlier} that were made but not kept (counted only). */
  readonly omitted: number
  /** When the step's last attempt started (epoch milliseconds; the step's `startedAt` is its first attempt's). */
  readonly lastStartedAt: number | undefined
  /**
   * How `@Recover` classified the step's failed attempts, when it did: a
   * step with a classified failure keeps a history even after one attempt.
   * Absent for steps without `@Recover` or without a failure.
   */
  readonly recovery?: StepRecovery | undefined
  /**
   * When `@Recover` answered the step's last attempt with a fallback
   * (`fallbackValue`, `fallbackTo`, `fallbackWith`), when that fallback began
   * (epoch milliseconds). Then the failed last attempt is the last of
   * {@link AttemptHistory.earlier} (with its error), and the step's own
   * status, error and `finishedAt` are the fallback's: `completed` with its
   * result as the output, or `failed` (`FallbackFailedError`, or `@Retry`'s
   * deadline). `stepAttempts` lists it as a last entry of outcome `fallback`.
   * Absent for every other step, and in records written before Weft
   * recorded fallbacks (whose last attempt reads as `completed`).
   */
  readonly fallbackStartedAt?: number | undefined
}

/**
 * How many attempts before a step's last one its history keeps in full (older ones are counted).
 *
 * @example
 * ```ts
 * import type { StepRecord } from 'weft-sdk/store'
 * declare const step: StepRecord
 * if (step.history !== undefined) console.log(`${step.history.earlier.length} attempts kept, ${step.history.omitted} only counted`)
 * ```
 */
export const maxRecordedAttempts = 5

/** The final record of one step: a task, a loop iteration, a `map` item, a sub-step, or a consumed event. */
export interface StepRecord {
  /** The run the step belongs to. */
  readonly runId: RunId
  /**
   * The step's identity, independent of completion order: the task name, plus
   * `#<iteration>` for a loop iteration, `[<index>]` for a `map` item, or
   * `/<name>` for a `ctx.step` sub-step or a consumed event.
   */
  readonly key: string
  /** The task the step belongs to. */
  readonly task: string
  /** How the step ended. */
  readonly status: 'completed' | 'failed' | 'skipped'
  /** The step's output, when completed. */
  readonly output?: unknown
  /** Why it failed. */
  readonly error?: ErrorRecord | undefined
  /** Attempts made. */
  readonly attempts: number
  /** When its first attempt started (epoch milliseconds). */
  readonly startedAt?: number | undefined
  /** When it ended (epoch milliseconds). */
  readonly finishedAt: number
  /** The attempts before the last, when there were any (see {@link AttemptHistory}; read them all with `stepAttempts`). */
  readonly history?: AttemptHistory | undefined
  /** Tokens and cost the step's metered calls spent (an LLM adapter's, through `ctx.use`, or a fallback's `FallbackContext.use`), over its attempts and its fallback in the process that recorded it; absent when none metered. */
  readonly usage?: StepUsage | undefined
  /**
   * Messages the step's successful attempt recorded for delivery (a completed
   * step only): the store inserts them in the step's transaction, only when
   * it inserts the step. Not read back with the step (see `OutboxStore`).
   */
  readonly outbox?: readonly NewOutboxEntry[] | undefined
}

/**
 * Filters of {@link RunStore.listRuns}.
 *
 * @example
 * ```ts
 * import { createEngine, type RunQuery } from 'weft-sdk'
 * const engine = createEngine()
 * const query: RunQuery = { workflow: 'order-fulfilment', status: 'failed', limit: 20 }
 * console.log((await engine.listRuns(query)).map((run) => run.id))
 * ```
 */
export interface RunQuery {
  /** Only runs in this status. */
  readonly status?: RunStatus
  /** Only runs of this workflow. */
  readonly workflow?: string
  /** Most runs returned. @defaultValue 100 */
  readonly limit?: number
  /**
   * Only runs older than this run (the next page: pass the last id of the
   * previous one). An id that names no run gives no runs.
   */
  readonly before?: RunId
  /**
   * Only runs started by this subject, or (when `tenant` is given) by any
   * principal of this tenant. A secured engine sets it from the caller's
   * principal unless it may read every run.
   */
  readonly ownedBy?:
    | {
        /** A run whose owner's subject is this one matches. */
        readonly subject: string
        /** When given, a run whose owner's tenant is this one matches too. */
        readonly tenant?: string | undefined
      }
    | undefined
}

/** What {@link RunStore.createRun} did. */
export interface CreateRunResult {
  /** The stored run: the new one, or the one that already had this id. */
  readonly run: RunRecord
  /** False when a run with this id already existed (nothing was written). */
  readonly created: boolean
}

/** A workflow version a worker can run. */
export interface WorkflowVersion {
  /** The workflow's name. */
  readonly name: string
  /** The version. */
  readonly version: number
}

/** What a worker asks {@link RunLeases.claimRuns} for. */
export interface ClaimRequest {
  /** The worker's id. */
  readonly owner: string
  /** How long the claimed leases last. */
  readonly leaseMs: number
  /** Most runs to claim. */
  readonly limit: number
  /** Only runs of these workflow versions (the ones registered with the worker). */
  readonly workflows: readonly WorkflowVersion[]
  /** The current time (epoch milliseconds). */
  readonly now: number
  /** Owners known to be dead (their process is gone): their leases count as expired. */
  readonly deadOwners?: readonly string[]
}

/** Options of {@link RunLeases.releaseRuns}. */
export interface ReleaseOptions {
  /** Why this worker could not start the runs; the release then counts as a failed recovery. @defaultValue none: a plain release */
  readonly failure?: string
}

/** What {@link RunLeases.renewLeases} found. */
export interface RenewResult {
  /** Runs whose lease this worker no longer holds (claimed by another worker since). */
  readonly lost: readonly RunId[]
  /** Runs with an action requested by another process. */
  readonly requested: readonly {
    /** The run. */
    readonly runId: RunId
    /** What was asked of its worker. */
    readonly action: RequestedAction
  }[]
}

/** An external event as stored in the inbox. */
export interface StoredEvent {
  /** Increasing id: older events have smaller ids. */
  readonly id: number
  /** The event's name. */
  readonly name: string
  /** The run it was sent to; `undefined` for an event sent to every run. */
  readonly runId: RunId | undefined
  /** The event's payload. */
  readonly payload: unknown
  /** When it was sent (epoch milliseconds). */
  readonly sentAt: number
}

/** That an event was sent, without its payload. */
export interface EventNotice {
  /** The event's id (increasing). */
  readonly id: number
  /** The event's name. */
  readonly name: string
  /** The run it was sent to; `undefined` for an event sent to every run. */
  readonly runId: RunId | undefined
}

/** An event to send. */
export interface NewEvent {
  /** The event's name. */
  readonly name: string
  /** The run to send it to; omit to send it to every run. */
  readonly runId?: RunId | undefined
  /** The event's payload. */
  readonly payload: unknown
  /** When it is sent (epoch milliseconds). */
  readonly sentAt: number
  /**
   * Audit entries (sealed by the engine's `AuditLog`) written in the same
   * transaction as the event, so the send and its record commit together.
   */
  readonly audit?: readonly AuditEntry[] | undefined
}

/** What the store tells an engine happened elsewhere (another process), when it can. */
export type StoreNotification =
  | {
      /** A run was created, which a worker may claim. */
      readonly type: 'run-created'
    }
  | {
      /** A run finished. */
      readonly type: 'run-finished'
      /** The run. */
      readonly runId: RunId
    }
  | {
      /** An event was sent. */
      readonly type: 'event'
      /** The run it was sent to; `undefined` for an event sent to every run. */
      readonly runId: RunId | undefined
      /** The event's name. */
      readonly name: string
    }
  | {
      /** An action was requested of a run's worker. */
      readonly type: 'action'
      /** The run. */
      readonly runId: RunId
    }

/** A run and, when it has ended, its steps (see `RunStore.getRunWithSteps`). */
export interface RunWithSteps {
  /** The run as stored. */
  readonly run: RunRecord
  /** Present when the run has ended. */
  readonly steps?: StepRecord[]
}

/**
 * The runs themselves: creating, reading and listing them, a worker's fenced
 * updates, and requests from other processes (cancel, pause, resume).
 * Consumers that only read or steer runs (the CLI's `runs` commands, run
 * handles) take this role alone.
 */
export interface RunStore {
  /** Creates a run unless one with its id exists (then returns that one, `created: false`). */
  createRun(run: NewRun): Promise<CreateRunResult>
  /** A run, or `undefined`. */
  getRun(runId: RunId): Promise<RunRecord | undefined>
  /** Runs, newest first. */
  listRuns(query?: RunQuery): Promise<RunRecord[]>
  /** Updates a run as its worker. @throws `LeaseLostError` when the fence is stale. */
  updateRun(fence: Fence, patch: RunPatch): Promise<void>
  /**
   * Asks a run's worker to cancel, pause or resume it (from any process). A
   * pending run is cancelled at once. A dead-lettered run is made pending
   * again by `resume`, with its recovery count reset. `audit` entries (sealed
   * by the engine's `AuditLog`) are written in the same transaction when the
   * run exists, so the request and its record commit together.
   * @returns the run after the request, or `undefined` when there is no such run (then nothing is written).
   */
  requestAction(runId: RunId, action: RequestedAction, now: number, audit?: readonly AuditEntry[]): Promise<RunRecord | undefined>
  /** Clears a handled request. */
  clearAction(fence: Fence): Promise<void>
  /**
   * A run and, once it has ended (`completed`, `failed` or `cancelled`), its
   * steps, in one read where the store can do that in one round trip: handles
   * that wait for runs of other processes read with it. Without it they call
   * `getRun`, then `loadSteps`.
   */
  getRunWithSteps?(runId: RunId): Promise<RunWithSteps | undefined>
}

/**
 * How workers share runs: claims, leases and their renewal, releases. Every
 * claim increments the run's fencing epoch (see {@link Fence}).
 */
export interface RunLeases {
  /**
   * Claims runs for a worker: `pending` runs, and unfinished runs whose lease
   * expired or whose owner is dead, of the given workflow versions. Each
   * claimed run's epoch is incremented and its lease given to `owner`.
   */
  claimRuns(request: ClaimRequest): Promise<RunRecord[]>
  /**
   * Notes on unfinished, unclaimed runs whose workflow version is not among
   * `workflows` why they wait (their `statusMessage`); a `running` one (its
   * worker stopped) is `pending` again, keeping its last `leaseOwner`, so the
   * claim of a worker with its version counts that stop as a recovery.
   * Returns how many runs changed.
   */
  noteUnclaimable(workflows: readonly WorkflowVersion[], now: number): Promise<number>
  /** Extends the leases a worker holds; reports the ones it lost and requested actions. */
  renewLeases(owner: string, fences: readonly Fence[], leaseMs: number, now: number): Promise<RenewResult>
  /**
   * Gives up leases so another worker can claim the runs at once: on a
   * graceful shutdown, or (with `options.failure`) because this worker could
   * not start them. A failed start keeps the lease's owner and only ends the
   * lease, so the next claim counts a recovery (and after
   * `maxRecoveryAttempts` the run is dead-lettered instead of being claimed
   * and failed forever); `failure` becomes the run's status message.
   */
  releaseRuns(owner: string, fences: readonly Fence[], options?: ReleaseOptions): Promise<void>
  /** The owners of unfinished runs whose leases have not expired. */
  leaseOwners(now: number): Promise<string[]>
}

/**
 * A run's journal: the step records (first writer wins, so each result is
 * recorded exactly once) and its durable timers. Writes are fenced.
 */
export interface StepJournal {
  /** Records a step once; returns the record that is stored. @throws `LeaseLostError`. */
  saveStep(fence: Fence, step: StepRecord): Promise<StepRecord>
  /**
   * Records a run's last step and its end (the patch) in one write, when the
   * store can do that in one commit; engines then save a round trip per run.
   * @throws `LeaseLostError`.
   */
  saveFinalStep?(fence: Fence, step: StepRecord, patch: RunPatch): Promise<StepRecord>
  /** Every step recorded for a run. */
  loadSteps(runId: RunId): Promise<StepRecord[]>
  /**
   * A durable timer: stores `wakeAt` under `key` unless the key exists, and
   * returns the stored deadline, so a timer keeps its first deadline across restarts.
   * @throws `LeaseLostError`.
   */
  timer(fence: Fence, key: string, wakeAt: number): Promise<number>
}

/** External events: sending them, and a run taking one (recorded as a step of the run). */
export interface EventInbox {
  /** Stores an event in the inbox; returns its id. */
  sendEvent(event: NewEvent): Promise<number>
  /**
   * Events named `name` that `runId` has not taken: those sent to it, and
   * those sent to every run at or after `since`; oldest first.
   */
  pendingEvents(runId: RunId, name: string, since: number): Promise<StoredEvent[]>
  /**
   * Takes an event for a run: records `step` (whose output is the payload)
   * and marks the event taken by the run, atomically. Returns false when the
   * run had already taken it (or, for an event sent to that run, it was taken).
   * @throws `LeaseLostError`.
   */
  takeEvent(fence: Fence, event: StoredEvent, step: StepRecord): Promise<boolean>
}

/** What happened in other processes: the order of sent events, and notifications where the store can push them. */
export interface ChangeFeed {
  /**
   * Which events were sent after event `afterId` (oldest first, at most
   * `limit`): engines use it to wake their waiting tasks when events come
   * from other processes. `afterId` 0 starts from the first event.
   */
  eventsAfter(afterId: number, limit: number): Promise<readonly EventNotice[]>
  /** The id of the newest event, 0 if there is none. */
  latestEventId(): Promise<number>
  /**
   * Subscribes to what other processes do, where the store can say (PostgreSQL
   * LISTEN/NOTIFY). Stores that cannot return `undefined`: engines then poll.
   */
  subscribe?(listener: (notification: StoreNotification) => void): Promise<() => Promise<void>>
}

/** The store as a resource: preparing it, probing its health, closing it. */
export interface StoreLifecycle {
  /** Whether runs survive the process (false for the memory store). */
  readonly durable: boolean
  /** Prepares the store (runs migrations). Safe to call from several processes at once. */
  init(): Promise<void>
  /**
   * Writes a little data that needs new space and removes it again (a health
   * probe): rejects with a `StorageError` while the store cannot take such
   * writes (a full disk, a file-size limit, a deleted file). Engines probe a
   * store that failed that way before they claim runs again. Stores that
   * cannot fail that way need not have it.
   */
  probe?(): Promise<void>
  /** Releases connections. */
  close(): Promise<void>
}

/**
 * The port through which the runtime persists runs, step results, durable
 * timers and the event inbox, and through which workers share runs (leases
 * and fencing): every role above, which each store implements together.
 * Consumers that need one role take that role's interface. Every
 * implementation (memory, SQLite, PostgreSQL) passes one conformance suite.
 *
 * Writes of a run's worker are fenced: they carry the {@link Fence} of the
 * claim and fail with `LeaseLostError` when another worker claimed the run
 * since, so a worker that lost its lease cannot overwrite anything.
 * Step records are first-writer-wins: saving a step whose key is stored
 * changes nothing and returns the stored record, so each result is recorded
 * exactly once.
 */
export interface WorkflowStore extends RunStore, RunLeases, StepJournal, EventInbox, ChangeFeed, StoreLifecycle {
  /** The durable outbox (memory, SQLite and PostgreSQL have one); a store without it refuses steps that record outbox entries. */
  readonly outbox?: OutboxStore
  /** Sessions and their refresh tokens (memory, SQLite and PostgreSQL have them), for `SessionManager`. */
  readonly sessions?: SessionStore
  /** Local users and login attempt counters (memory, SQLite and PostgreSQL have them), for `LocalUsers`. */
  readonly localUsers?: LocalUserStore
  /** The append-only audit log (memory, SQLite and PostgreSQL have one); `AuditLog` writes to it. */
  readonly audit?: AuditStore
  /** Database-wide settings (memory, SQLite and PostgreSQL have them), e.g. that security is enabled. */
  readonly settings?: SettingsStore
  /** Historical metrics over every worker's runs (memory, SQLite and PostgreSQL have them), for `engine.history()` and `weft stats`. */
  readonly history?: HistoryStore
  /** Pending and dead-lettered runs per workflow (memory, SQLite and PostgreSQL have them), for the alert rules `run-waiting` and `dead-letters`. */
  readonly backlog?: BacklogStore
}
