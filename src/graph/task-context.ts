import type { Schema } from 'effect'
import type { Duration } from '../core/duration.js'
import type { RunId } from '../core/ids.js'

/** Options of {@link TaskContext.waitForEvent}. */
export interface WaitForEventOptions<E> {
  /** Give up after this long with `EventTimeoutError`. @defaultValue wait until the run is cancelled */
  readonly timeout?: Duration
  /**
   * Only an event for which this returns true is taken; others are left for other waiters.
   * @defaultValue every event named `name` matches
   */
  readonly match?: (payload: E) => boolean
}

/** An Effect `Schema` an event's payload is decoded with (no services needed). */
export type PayloadSchema = Schema.ConstraintDecoder<unknown>

/**
 * The events a workflow declares: each name with the Effect `Schema` its
 * payloads decode with (`WorkflowBase.withEvents(...)`, `defineWorkflow(...).events(...)`).
 *
 * @example
 * ```ts
 * import { Schema } from 'effect'
 * import type { EventSchemas, TaskContext } from 'weft-sdk'
 * const Events = { approved: Schema.Struct({ by: Schema.String }) } satisfies EventSchemas
 * async function wait(ctx: TaskContext<void, typeof Events>) {
 *   return (await ctx.waitForEvent('approved')).by
 * }
 * ```
 */
export type EventSchemas = { readonly [name: string]: PayloadSchema }

/** @internal Key of the phantom property carrying a context's declared events. */
export const contextEventsKey: unique symbol = Symbol('weft/context-events')

/** The event names a context declares (none: `never`). */
export type DeclaredEventName<Ev> = keyof Ev & string

/** The names the untyped `waitForEvent` forms accept: any, unless the workflow declares its events (then only those, typed). */
export type UndeclaredEventName<Ev> = [keyof Ev] extends [never] ? string : never

/** Options of {@link TaskContext.waitForEvent} with a payload schema. */
export interface WaitForSchemaEventOptions<S extends PayloadSchema> extends WaitForEventOptions<S['Type']> {
  /**
   * Decodes each payload on receipt: events reach a run from `run.signal`,
   * `engine.emit`, the CLI and queues, so a payload is the least trusted
   * input of a workflow. A payload the schema refuses does not match: it is
   * left in the inbox and the task keeps waiting; `match` sees decoded
   * payloads only. The task receives the decoded value (after a restart
   * too: the recorded payload is decoded again).
   */
  readonly schema: S
}

/** Options of {@link TaskContext.events}. */
export interface EventStreamOptions<E> {
  /**
   * The stream ends (without error) after this long; `stream.timedOut` then reads true.
   * @defaultValue no timeout: the stream ends on `break` or when the task's signal fires
   */
  readonly timeout?: Duration
  /**
   * Only events for which this returns true enter the stream.
   * @defaultValue every event named `name` enters
   */
  readonly match?: (payload: E) => boolean
}

/**
 * A stream of external events delivered to a running task, in arrival order.
 * Iterate it with `for await`; `break` to stop early. It ends by itself when its
 * timeout is reached, and then {@link EventStream.timedOut} is true.
 */
export interface EventStream<E> extends AsyncIterable<E> {
  /** True once the stream ended because its timeout was reached. */
  readonly timedOut: boolean
}

/** Options of {@link TaskContext.map}. */
export interface MapOptions {
  /** Items processed at once. @defaultValue `Infinity` */
  readonly concurrency?: number
  /**
   * Distinguishes several `map` calls in one task; item keys become `task/name[i]`.
   * @defaultValue none: item keys are `task[i]`, and the task may call `map` once per attempt
   */
  readonly name?: string
}

/**
 * What a task receives as its last parameter: who and where it is, a signal
 * that fires on cancel and timeout, the run's input, and the durable helpers
 * (events, sub-steps, fan-out, sleep).
 *
 * @typeParam I - the workflow's input type.
 * @typeParam Ev - the events the workflow declares, by name (see {@link EventSchemas});
 * `waitForEvent` then takes only those names and returns their decoded payloads.
 * @defaultValue `{}`: no declared events, any name
 * @example
 * ```ts
 * import { Task, DependsOn, WorkflowBase, type TaskContext } from 'weft-sdk'
 * class Charge extends WorkflowBase<{ orderId: string }> {
 *   @Task() load(input: { orderId: string }) { return { id: input.orderId, total: 10 } }
 *   @DependsOn('load')
 *   async charge(order: { id: string; total: number }, ctx: TaskContext<{ orderId: string }>) {
 *     const res = await fetch('https://payments.example/charge', {
 *       method: 'POST', signal: ctx.signal, headers: { 'Idempotency-Key': ctx.idempotencyKey },
 *     })
 *     return res.status
 *   }
 * }
 * ```
 */
export interface TaskContext<I = unknown, Ev extends EventSchemas = {}> {
  /** @internal Phantom: never set at run time, it only carries the declared events' types. */
  readonly [contextEventsKey]?: Ev
  /** The run this task belongs to. */
  readonly runId: RunId
  /** The workflow's name. */
  readonly workflow: string
  /** The task's name. */
  readonly task: string
  /** 1 for the first call, 2 for the first retry, and so on. */
  readonly attempt: number
  /**
   * A key unique to this task in this run (`runId:task`, plus `#iteration` in
   * loops); pass it to external systems so a repeated call is applied once.
   */
  readonly idempotencyKey: string
  /**
   * Fires when the run is cancelled, the task times out, or a sibling's
   * failure ends the run — and once the attempt has ended, so that work the
   * task started and did not await stops.
   */
  readonly signal: AbortSignal
  /** The run's (validated) input. */
  readonly input: I
  /**
   * Waits for the next event named `name` that the workflow declares, and
   * returns its payload decoded by the declared schema: a payload the schema
   * refuses does not match (it stays in the inbox and the task keeps waiting).
   * @throws `EventTimeoutError` when `timeout` passes first.
   */
  waitForEvent<N extends DeclaredEventName<Ev>>(name: N, options?: WaitForEventOptions<Ev[N]['Type']>): Promise<Ev[N]['Type']>
  /**
   * Waits for the next event named `name` sent to this run (`run.signal`) or
   * to every run (`engine.emit`).
   * @throws `EventTimeoutError` when `timeout` passes first.
   */
  waitForEvent<S extends PayloadSchema>(name: UndeclaredEventName<Ev>, options: WaitForSchemaEventOptions<S>): Promise<S['Type']>
  /**
   * Waits for the next event named `name`; its payload is cast to `E`
   * unchecked. Prefer the form with a `schema`, which decodes it.
   * @throws `EventTimeoutError` when `timeout` passes first.
   */
  waitForEvent<E = unknown>(name: UndeclaredEventName<Ev>, options?: WaitForEventOptions<E>): Promise<E>
  /**
   * Subscribes to events named `name` that the workflow declares; iterate the
   * result with `for await`. Each payload is decoded by the declared schema; one
   * it refuses does not enter the stream.
   */
  events<N extends DeclaredEventName<Ev>>(name: N, options?: EventStreamOptions<Ev[N]['Type']>): EventStream<Ev[N]['Type']>
  /**
   * Subscribes to events named `name`; iterate the result with `for await`.
   * Payloads are cast to `E` unchecked: declare the event on the workflow to decode them.
   */
  events<E = unknown>(name: UndeclaredEventName<Ev>, options?: EventStreamOptions<E>): EventStream<E>
  /**
   * Runs a named sub-step once: its result is checkpointed, so a retried or
   * resumed task gets the recorded result instead of calling `fn` again.
   */
  step<R>(name: string, fn: (signal: AbortSignal) => Promise<R> | R): Promise<R>
  /**
   * Fans out over a list: calls `fn` for each item with at most `concurrency`
   * at once and returns the results in item order. Each item's result is
   * checkpointed, so a retry re-runs only the items that did not finish.
   */
  map<T, R>(items: readonly T[], fn: (item: T, index: number, signal: AbortSignal) => Promise<R> | R, options?: MapOptions): Promise<R[]>
  /** Sleeps without holding a thread; aborted by the task's signal. */
  sleep(duration: Duration): Promise<void>
}

/** The context a `@Loop` task receives: a {@link TaskContext} plus the iteration number. */
export interface LoopContext<I = unknown, Ev extends EventSchemas = {}> extends TaskContext<I, Ev> {
  /** 0 for the first iteration. */
  readonly iteration: number
}

/**
 * What a `@Loop` task produces, as in the reference loop handler: each
 * iteration's result, the final state, and whether the cap was hit.
 */
export interface LoopResult<S> {
  /** Iterations run. */
  readonly iterations: number
  /** True when the loop stopped because `maxIterations` was reached. */
  readonly maxIterationsReached: boolean
  /** The state returned by each iteration, in order. */
  readonly iterationResults: readonly S[]
  /** The state after the last iteration (the initial state if none ran). */
  readonly finalState: S
}

/** What an `@OnFailure` handler receives about the task that failed. */
export interface TaskFailure {
  /** The failed task. */
  readonly task: string
  /** The error of its last attempt. */
  readonly error: unknown
  /** The error's message. */
  readonly message: string
  /** Attempts made. */
  readonly attempts: number
}
