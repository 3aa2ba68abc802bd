import { fail } from 'node:assert/strict'
import { Effect, type Exit } from 'effect'
import { MapItemsFailedError, type MapItemFailure } from '../core/errors.js'
import { OptionCheck } from '../graph/option-check.js'
import { normalizeRetry, positiveTimeout } from '../graph/policy-normalizers.js'
import type { MapItemContext, MapItemError, MapItemFunction, MapItemResult, MapOptions } from '../graph/task-context.js'
import type { RetryPolicy } from '../graph/workflow-graph.js'
import { thrownValue, TaskThrew } from '../resilience/attempt-failure.js'
import { withRetry } from '../resilience/retry.js'
import { withTimeout } from '../resilience/timeout.js'
import type { StepRecord } from '../storage/workflow-store.js'
import type { ItemAttempts } from './attempt-log.js'
import { inspectable, isThenable } from './inspectable.js'
import type { TaskHost } from './task-host.js'
import type { CallReport } from '../graph/call-context.js'
import { mapItemReport } from './own-calls.js'

/** A `ctx.map` call's options, checked, with their defaults. */
export interface MapSettings {
  readonly concurrency: number
  readonly retry: RetryPolicy | undefined
  readonly timeoutMs: number | undefined
  readonly failFast: boolean
  readonly settled: boolean
}

/**
 * Checks a `ctx.map` call's options (the retry options as `@Retry` checks
 * them, the timeout as `@Timeout`).
 * @throws `InvalidOptionsError` naming the task and the option.
 */
export function mapSettings(task: string, options: MapOptions): MapSettings {
  const check = new OptionCheck(`task "${task}": ctx.map options`)
  const concurrency = check.count('concurrency', options.concurrency ?? Infinity, 1)
  const settled = check.oneOf('mode', options.mode ?? 'all', ['all', 'settled'] as const) === 'settled'
  const failFast = options.failFast ?? false
  if (typeof failFast !== 'boolean') check.fail('failFast', 'a boolean', failFast)
  if (settled && failFast) check.fail('failFast', "false in mode 'settled' (which waits for every item)", failFast)
  return {
    concurrency,
    retry: options.retry === undefined ? undefined : normalizeRetry(check, options.retry, 'retry'),
    timeoutMs: options.timeout === undefined ? undefined : positiveTimeout(check, options.timeout, 'timeout'),
    failFast,
    settled,
  }
}

/** How an item ended here: its value, its failure after its attempts, or interrupted (the map or the task stopped). */
type ItemOutcome<R> =
  | { readonly ok: true; readonly value: R }
  | { readonly ok: false; readonly error: unknown; readonly record: MapItemError | undefined; readonly attempts: number }
  | { readonly ok: 'interrupted' }

/** What one `ctx.map` call runs with. */
export interface MapCall<T, R> {
  readonly host: TaskHost
  readonly task: string
  readonly items: readonly T[]
  readonly fn: MapItemFunction<T, R>
  readonly settings: MapSettings
  /** The step key of item `index`. */
  keyOf(index: number): string
  /** The task attempt's signal: when it fires, every item stops. */
  readonly signal: AbortSignal
  /** Throws when the task's attempt is over (nothing may be recorded any more). */
  assertOpen(index: number): void
  /** Whether an item's end would be heard if reported (the attempt is open and someone hears `task.call`): no report is built otherwise. */
  reporting(): boolean
  /** Reports how an item ended (a `task.call` report a tracing makes a span of). */
  report(call: CallReport): void
}

/**
 * Runs the items of one `ctx.map` call, at most `concurrency` at once, each
 * under its own retry and timeout (the resilience layer's policies, on the
 * engine's clock), and records each item's end with its attempts. Items
 * recorded before are not run again. Returns per-item results in settled
 * mode, the values otherwise.
 * @throws `MapItemsFailedError` when items failed (not in settled mode); the task's signal's reason when it fired.
 */
export async function runMap<T, R>(call: MapCall<T, R>): Promise<R[] | MapItemResult<R>[]> {
  const outcomes = await runItems(call)
  call.signal.throwIfAborted()
  if (call.settings.settled) return outcomes.map((outcome, index) => settledResult(call, outcome, index))
  const failures = failuresOf(call, outcomes)
  if (failures.length > 0) throw new MapItemsFailedError(call.task, failures, call.items.length, call.settings.retry !== undefined)
  return outcomes.map((outcome) => (outcome as { value: R }).value)
}

async function runItems<T, R>(call: MapCall<T, R>): Promise<ItemOutcome<R>[]> {
  const { items, settings, signal } = call
  const outcomes = new Array<ItemOutcome<R>>(items.length)
  const controller = new AbortController()
  const stop = () => controller.abort(signal.reason)
  signal.addEventListener('abort', stop, { once: true })
  let next = 0
  const lost = lostItemAttempts(call)
  const worker = async (): Promise<void> => {
    while (next < items.length && !controller.signal.aborted) {
      const index = next++
      const outcome = await runItem(call, index, controller.signal, lost)
      outcomes[index] = outcome
      if (outcome.ok === false && settings.failFast) controller.abort(outcome.error)
    }
  }
  try {
    const workers = Array.from({ length: Math.min(settings.concurrency, items.length) }, worker)
    // A failure of the map itself (a store failure, a context used too late) stops the other items.
    await Promise.all(workers.map((w) => w.catch((error: unknown) => (controller.abort(error), Promise.reject(error)))))
  } finally {
    signal.removeEventListener('abort', stop)
  }
  return outcomes
}

/** One item: its recorded end, or its attempts under its policies, then its record. */
async function runItem<T, R>(call: MapCall<T, R>, index: number, signal: AbortSignal, lost: number): Promise<ItemOutcome<R>> {
  const key = call.keyOf(index)
  const recorded = call.host.recordedStep(key)
  if (recorded !== undefined) return recordedOutcome<R>(recorded)
  const attempts = call.host.itemAttempts(key, lost)
  attempts.beginRound(call.host.now())
  const program = itemProgram(call, index, key, attempts)
  const exit = await Effect.runPromiseExitWith(call.host.services)(program, { signal })
  return settle(call, index, key, exit, attempts)
}

function recordedOutcome<R>(step: StepRecord): ItemOutcome<R> {
  if (step.status === 'completed') return { ok: true, value: step.output as R }
  const record = step.error ?? { name: 'Error', message: `failed (${step.status})` }
  return { ok: false, error: record, record, attempts: step.attempts }
}

/**
 * Attempts inferred lost for each unrecorded item of this map: 1 when the
 * run was taken over with the task ready and some item of the map was
 * recorded (the map was running, so its unrecorded items were running or
 * queued in the process that stopped; see `AttemptHistory`), else 0.
 */
function lostItemAttempts<T, R>(call: MapCall<T, R>): number {
  if (call.host.lostAttempts(call.task) === 0) return 0
  return call.items.some((_, index) => call.host.recordedStep(call.keyOf(index)) !== undefined) ? 1 : 0
}

/** The item's attempts under its timeout and retry (the resilience layer's, as tasks use them). */
function itemProgram<T, R>(call: MapCall<T, R>, index: number, key: string, attempts: ItemAttempts): Effect.Effect<R, unknown> {
  const { retry, timeoutMs } = call.settings
  const context = { index, key, idempotencyKey: `${call.host.runId}:${key}` }
  const attempt = (n: number): Effect.Effect<R, unknown> => {
    const once = Effect.suspend(() => {
      attempts.started(n, call.host.now())
      return itemAttempt(call, context, n)
    })
    return timeoutMs === undefined ? once : withTimeout(once, timeoutMs, key)
  }
  if (retry === undefined) return attempt(1)
  return withRetry(attempt, retry, key, (failedAttempt, _delayMs, error) => attempts.failed(failedAttempt, call.host.now(), error))
}

/** One call of the map's function for an item, with a signal of its own that fires when the attempt is interrupted. */
function itemAttempt<T, R>(call: MapCall<T, R>, base: Omit<MapItemContext, 'attempt' | 'signal'>, n: number): Effect.Effect<R, TaskThrew> {
  return Effect.callback<R, TaskThrew>((resume) => {
    const controller = new AbortController()
    const context: MapItemContext = { ...base, attempt: n, signal: controller.signal }
    const threw = (error: unknown) => resume(Effect.fail(new TaskThrew(inspectable({ name: call.task }, error))))
    try {
      const result = call.fn(call.items[base.index]!, base.index, controller.signal, context)
      if (isThenable(result)) result.then((value) => resume(Effect.succeed(value as R)), threw)
      else resume(Effect.succeed(result))
    } catch (error) {
      threw(error)
    }
    return Effect.sync(() => controller.abort())
  })
}

/** Records how the item ended (a failure only in settled mode: otherwise a retry of the task runs it again). */
async function settle<T, R>(call: MapCall<T, R>, index: number, key: string, exit: Exit.Exit<R, unknown>, attempts: ItemAttempts): Promise<ItemOutcome<R>> {
  const reason = exit._tag === 'Failure' ? (exit.cause.reasons.find((r) => r._tag === 'Fail') ?? exit.cause.reasons.find((r) => r._tag === 'Die')) : undefined
  if (exit._tag === 'Failure' && reason === undefined) {
    attempts.roundInterrupted(call.host.now())
    return { ok: 'interrupted' }
  }
  call.assertOpen(index)
  const end = { key, task: call.task, attempts: attempts.count, startedAt: attempts.startedAt, history: attempts.history() }
  if (exit._tag === 'Success') {
    const stored = await call.host.recordSubStep({ ...end, status: 'completed', output: exit.value })
    if (call.reporting()) call.report(mapItemReport(call.task, key, index, end.attempts, end.startedAt, call.host.now()))
    return { ok: true, value: stored.output as R }
  }
  const error = reason!._tag === 'Fail' ? thrownValue(reason!.error) : reason!.defect
  if (call.reporting()) call.report(mapItemReport(call.task, key, index, end.attempts, end.startedAt, call.host.now(), error))
  if (!call.settings.settled) {
    attempts.roundFailed(call.host.now(), error)
    call.host.itemFailed({ ...end, status: 'failed', error })
    return { ok: false, error, record: undefined, attempts: attempts.count }
  }
  const stored = await call.host.recordSubStep({ ...end, status: 'failed', error })
  return recordedOutcome<R>(stored)
}

/**
 * An item's result in settled mode. Every item of a settled map that returns
 * ended: an item is interrupted (or never run) only when the task's signal
 * fired (`runMap` threw before this), a sibling's map failure rejected
 * `runItems`, or `failFast` stopped it, which settled mode refuses. The
 * assertion names the broken invariant should that ever change.
 */
function settledResult<T, R>(call: MapCall<T, R>, outcome: ItemOutcome<R> | undefined, index: number): MapItemResult<R> {
  if (outcome?.ok === true) return { ok: true, value: outcome.value }
  if (outcome?.ok === false && outcome.record !== undefined) return { ok: false, error: outcome.record, attempts: outcome.attempts }
  return fail(`Weft invariant broken: item ${index} of the settled ctx.map of task "${call.task}" did not end (or has no record) though the map did; please report it`)
}

function failuresOf<T, R>(call: MapCall<T, R>, outcomes: readonly ItemOutcome<R>[]): MapItemFailure[] {
  const failures: MapItemFailure[] = []
  outcomes.forEach((outcome, index) => {
    if (outcome.ok === false) failures.push({ index, key: call.keyOf(index), error: outcome.error, attempts: outcome.attempts })
  })
  return failures
}
