/**
 * The attribute keys of Weft's spans (`weft-sdk/otel`), one table: the run's
 * and attempt's identity and outcome. Errors use OpenTelemetry's own
 * conventions besides (`error.type`, `exception` events); LLM calls the
 * GenAI ones (`gen_ai.*`).
 *
 * @example
 * ```ts
 * import { WeftSpanAttributes } from 'weft-sdk/otel'
 * import type { ReadableSpan } from '@opentelemetry/sdk-trace-base'
 * const failedAttempts = (spans: readonly ReadableSpan[]) =>
 *   spans.filter((span) => span.attributes[WeftSpanAttributes.taskOutcome] === 'failed').length
 * ```
 */
export const WeftSpanAttributes = {
  /** The workflow's name (every span). */
  workflow: 'weft.workflow.name',
  /** The workflow version the run is pinned to (every span). */
  version: 'weft.workflow.version',
  /** The run's id (every span). */
  runId: 'weft.run.id',
  /** How the run ended here: `completed`, `failed` or `cancelled` (run spans). */
  runOutcome: 'weft.run.outcome',
  /** The run's claim number: 1 for its first worker, one more for each takeover (run spans). */
  runEpoch: 'weft.run.epoch',
  /** How many times the run was taken over after its worker stopped (run spans of a resumed run). */
  runRecoveries: 'weft.run.recoveries',
  /** Steps recorded before this worker took the run over, replayed instead of run (run spans of a resumed run). */
  replayedSteps: 'weft.run.replayed_steps',
  /** The task's name (attempt spans, and task events on a run span). */
  task: 'weft.task.name',
  /** The attempt's number, 1 for the first call (attempt spans; on a fallback span, the failed attempt it answers). */
  attempt: 'weft.task.attempt',
  /**
   * How the attempt ended: `completed`, `retried` (another attempt follows),
   * `fell-back` (it failed and `@Recover`'s fallback answered it: a
   * `weft.fallback <task>` span follows), `failed` or `cancelled` (attempt
   * spans); how the fallback ended: `completed`, `failed` or `cancelled`
   * (fallback spans).
   */
  taskOutcome: 'weft.task.outcome',
  /** The class `@Recover` sorted a failure into: `connection`, `timeout`, …, or a rule's own (`weft.task.error-classified` events, fallback spans). */
  errorClass: 'weft.error.class',
  /** The strategy of that class: `retry`, `fallback`, `escalate`, …, `none` (`weft.task.error-classified` events; `fallback` on fallback spans). */
  recoveryStrategy: 'weft.recovery.strategy',
  /** What followed the failure: `retrying`, `falling-back`, `recovered`, `failed` or `escalated` (`weft.task.error-classified` events). */
  recoveryOutcome: 'weft.recovery.outcome',
  /** Wait before the next attempt, in milliseconds (attempt spans whose outcome is `retried`). */
  retryDelayMs: 'weft.task.retry_delay_ms',
  /** True when an `@OnFailure` handler or optional dependents handle the task's failure (failed attempt spans). */
  failureHandled: 'weft.task.failure_handled',
  /** Why a task did not run: `condition`, `dependency` or `not-failed` (`weft.task.skipped` events). */
  skipReason: 'weft.task.skip_reason',
  /** The adapter that reported progress (`weft.task.progress` events). */
  progressSource: 'weft.progress.source',
  /** What an internal span under an attempt covers: `wait` (`ctx.waitForEvent`), `sleep` (`ctx.sleep`) or `map.item` (an item of `ctx.map`); absent on adapters' call spans. */
  operation: 'weft.operation',
  /** The step key the wait, sleep or map item is recorded under (`charge/sleep#0`, `charge[3]`). */
  stepKey: 'weft.step.key',
  /** The event a wait is for (wait spans), or a refused event's name (`weft.event.refused` events). */
  eventName: 'weft.event.name',
  /** How a wait ended: `received` or `timed-out` (wait spans; a timed-out one is marked failed). */
  waitOutcome: 'weft.wait.outcome',
  /** The sleep asked for, in milliseconds (sleep spans; a sleep resumed after a restart spans only what was left). */
  sleepMs: 'weft.sleep.ms',
  /** The item's index in the list (map item spans). */
  mapIndex: 'weft.map.index',
  /** The attempts the item made, lost ones included (map item spans). */
  mapAttempts: 'weft.map.attempts',
} as const
