import type { Schema } from 'effect'
import type { Duration } from '../core/duration.js'
import type { RunId } from '../core/ids.js'
import type { Bindable } from './call-context.js'
import type { RetryOptions } from './policy-options.js'

/**
 * Options of {@link TaskContext.waitForEvent}.
 *
 * @example
 * ```ts
 * import type { TaskContext } from 'weft-sdk'
 * declare const ctx: TaskContext<{ orderId: string }>
 * const approval = await ctx.waitForEvent<{ orderId: string; by: string }>('approved', {
 *   timeout: '2 d',
 *   match: (payload) => payload.orderId === ctx.input.orderId,
 * })
 * ```
 */
export interface WaitForEventOptions<E> {
  /** Give up after this long with `EventTimeoutError`. @defaultValue wait until the run is cancelled */
  readonly timeout?: Duration
  /**
   * Only an event for which this returns true is taken; others are left for other waiters.
   * @defaultValue every event named `name` matches
   */
  readonly match?: (payload: E) => boolean
}

/**
 * An Effect `Schema` an event's payload is decoded with (no services needed).
 *
 * @example
 * ```ts
 * import { Schema } from 'effect'
 * import type { PayloadSchema } from 'weft-sdk'
 * const Approval: PayloadSchema = Schema.Struct({ by: Schema.String })
 * ```
 */
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

/**
 * The event names a context declares (none: `never`).
 *
 * @example
 * ```ts
 * import { Schema } from 'effect'
 * import type { DeclaredEventName } from 'weft-sdk/types'
 * const Events = { approved: Schema.Struct({ by: Schema.String }), rejected: Schema.Struct({ reason: Schema.String }) }
 * const name: DeclaredEventName<typeof Events> = 'approved' // 'approved' | 'rejected'
 * ```
 */
export type DeclaredEventName<Ev> = keyof Ev & string

/**
 * The names the untyped `waitForEvent` forms accept: any, unless the workflow declares its events (then only those, typed).
 *
 * @example
 * ```ts
 * import { Schema } from 'effect'
 * import type { UndeclaredEventName } from 'weft-sdk/types'
 * const any: UndeclaredEventName<{}> = 'order.shipped' // no declared events: any name
 * type None = UndeclaredEventName<{ approved: typeof Schema.String }> // never: use the declared, typed names
 * ```
 */
export type UndeclaredEventName<Ev> = [keyof Ev] extends [never] ? string : never

/**
 * Options of {@link TaskContext.waitForEvent} with a payload schema.
 *
 * @example
 * ```ts
 * import { Schema } from 'effect'
 * import type { TaskContext } from 'weft-sdk'
 * declare const ctx: TaskContext
 * const approval = await ctx.waitForEvent('approved', { schema: Schema.Struct({ by: Schema.String }), timeout: '1 d' })
 * console.log(approval.by)
 * ```
 */
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

/**
 * Options of {@link TaskContext.events}.
 *
 * @example
 * ```ts
 * import type { TaskContext } from 'weft-sdk'
 * declare const ctx: TaskContext
 * const stream = ctx.events<{ level: number }>('reading', { timeout: '5 m', match: (reading) => reading.level > 3 })
 * for await (const reading of stream) console.log(reading.level)
 * ```
 */
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
 *
 * @example
 * ```ts
 * import type { TaskContext } from 'weft-sdk'
 * declare const ctx: TaskContext
 * const stream = ctx.events<string>('chat.message', { timeout: '10 m' })
 * for await (const message of stream) if (message === 'bye') break
 * if (stream.timedOut) console.log('no goodbye within 10 minutes')
 * ```
 */
export interface EventStream<E> extends AsyncIterable<E> {
  /** True once the stream ended because its timeout was reached. */
  readonly timedOut: boolean
}

/**
 * Options of {@link TaskContext.map}: how many items run at once, and each
 * item's own policies. Each item is its own step: it has its own retry and
 * timeout (the task's `@Retry` and `@Timeout` still wrap the whole task), its
 * own attempts (recorded on its step, see `AttemptHistory`), its own
 * idempotency key and its own `AbortSignal`.
 *
 * An item that fails (not in mode `'settled'`, which records it at once) is
 * written with its attempts when its task fails for good; when a task retry
 * runs it again its attempt numbers continue, and its step keeps the
 * attempts of every task attempt once it completes (in one process: a
 * process that stops loses them, counted as one interrupted attempt for
 * each unrecorded item of a map that had recorded some).
 *
 * @example
 * ```ts
 * import type { TaskContext } from 'weft-sdk'
 * declare const ctx: TaskContext
 * declare function ask(question: string, key: string, signal: AbortSignal): Promise<string>
 * const answers = await ctx.map(['why?', 'how?'], (q, _i, signal, item) => ask(q, item.idempotencyKey, signal), {
 *   concurrency: 4,
 *   retry: { maxAttempts: 3, backoff: { initial: '1 s' } },
 *   timeout: '30 s',
 * })
 * ```
 */
export interface MapOptions {
  /** Items processed at once. @defaultValue `Infinity` */
  readonly concurrency?: number
  /**
   * Distinguishes several `map` calls in one task; item keys become `task/name[i]`.
   * @defaultValue none: item keys are `task[i]`, and the task may call `map` once per attempt
   */
  readonly name?: string
  /**
   * Each item's retry policy (the options of `@Retry`): a failing item is
   * tried again alone, after its own backoff, while the others go on. Its
   * attempts count from 1 for each item.
   * @defaultValue one attempt per item
   */
  readonly retry?: RetryOptions
  /**
   * Each item attempt's time limit: when it passes the item's signal fires and
   * the attempt fails with `TaskTimeoutError` (tried again under `retry`).
   * @defaultValue no limit of its own (the task's `@Timeout` still applies)
   */
  readonly timeout?: Duration
  /**
   * Stop at the first item that fails after its retries: the other items'
   * signals fire and the map rejects with `MapItemsFailedError` at once.
   * Not allowed with `mode: 'settled'`, which waits for every item.
   * @defaultValue `false`: the other items finish (and are checkpointed) first
   */
  readonly failFast?: boolean
  /**
   * `'all'`: the items' values, in item order; when items fail after their
   * retries, the map rejects with `MapItemsFailedError` carrying every
   * failure (the completed items are checkpointed; a retry of the task runs
   * the failed ones again). `'settled'`: a {@link MapItemResult} per item,
   * never a rejection for an item's failure; a failed item is checkpointed
   * as failed, so a retry of the task or a resumed run returns its recorded
   * failure again instead of running it.
   * @defaultValue `'all'`
   */
  readonly mode?: 'all' | 'settled'
}

/**
 * Options of {@link TaskContext.map} in the default mode: the items' values, or `MapItemsFailedError`.
 *
 * @example
 * ```ts
 * import type { AllMapOptions } from 'weft-sdk'
 * const options: AllMapOptions = { concurrency: 4, retry: { maxAttempts: 3 }, failFast: true }
 * ```
 */
export interface AllMapOptions extends MapOptions {
  /** `'all'` (the default): the values, in item order. */
  readonly mode?: 'all'
}

/**
 * Options of {@link TaskContext.map} in settled mode: a result per item, failures as values.
 *
 * @example
 * ```ts
 * import type { MapItemResult, TaskContext } from 'weft-sdk'
 * declare const ctx: TaskContext
 * const results: MapItemResult<number>[] = await ctx.map([1, 2], (n) => n * 2, { mode: 'settled' })
 * for (const r of results) console.log(r.ok ? r.value : `failed after ${r.attempts}: ${r.error.message}`)
 * ```
 */
export interface SettledMapOptions extends MapOptions {
  readonly mode: 'settled'
  readonly failFast?: false
}

/**
 * What is kept of a failed item's error: its stored record (`ErrorRecord`
 * of the store; the fields named here, and its stack and causes).
 *
 * @example
 * ```ts
 * import type { MapItemResult, TaskContext } from 'weft-sdk'
 * declare const ctx: TaskContext
 * const results: MapItemResult<number>[] = await ctx.map([1, 2], (n) => n * 2, { mode: 'settled' })
 * for (const r of results) console.log(r.ok ? r.value : `failed after ${r.attempts}: ${r.error.message}`)
 * ```
 */
export interface MapItemError {
  /** The error's class name, e.g. `TypeError` or `TaskTimeoutError`. */
  readonly name: string
  /** The error's message. */
  readonly message: string
  /** A Weft error's code, or a string `code` property of another error. */
  readonly code?: string | undefined
  /** The thrown value as JSON, when it was not an Error. */
  readonly value?: string | undefined
}

/**
 * How one item of a settled `ctx.map` ended: its value, or its failure after
 * its attempts (as recorded, so the same after a resume).
 *
 * @example
 * ```ts
 * import type { MapItemResult, TaskContext } from 'weft-sdk'
 * declare const ctx: TaskContext
 * const results: MapItemResult<number>[] = await ctx.map([1, 2], (n) => n * 2, { mode: 'settled' })
 * for (const r of results) console.log(r.ok ? r.value : `failed after ${r.attempts}: ${r.error.message}`)
 * ```
 */
export type MapItemResult<R> = MapItemValue<R> | MapItemFailed

/**
 * A settled `ctx.map` item that completed (see {@link MapItemResult}).
 *
 * @example
 * ```ts
 * import type { MapItemResult, MapItemValue } from 'weft-sdk'
 * declare const results: MapItemResult<number>[]
 * const values = results.filter((r): r is MapItemValue<number> => r.ok).map((r) => r.value)
 * ```
 */
export interface MapItemValue<R> {
  /** True: the item completed. */
  readonly ok: true
  /** Its value. */
  readonly value: R
}

/**
 * A settled `ctx.map` item that failed after its attempts (see {@link MapItemResult}).
 *
 * @example
 * ```ts
 * import type { MapItemFailed, MapItemResult } from 'weft-sdk'
 * declare const results: MapItemResult<number>[]
 * for (const failed of results.filter((r): r is MapItemFailed => !r.ok)) console.log(`after ${failed.attempts} attempts: ${failed.error.message}`)
 * ```
 */
export interface MapItemFailed {
  /** False: the item failed. */
  readonly ok: false
  /** Its last attempt's error, as recorded. */
  readonly error: MapItemError
  /** Attempts it made. */
  readonly attempts: number
}

/**
 * What the function of `ctx.map` receives about the item it handles (its fourth argument).
 *
 * @example
 * ```ts
 * import type { TaskContext } from 'weft-sdk'
 * declare const ctx: TaskContext
 * declare function charge(id: string, key: string, signal: AbortSignal): Promise<number>
 * await ctx.map(['o-1', 'o-2'], (id, _i, _signal, item) => charge(id, item.idempotencyKey, item.signal), { retry: { maxAttempts: 3 } })
 * ```
 */
export interface MapItemContext {
  /** The item's index in the list. */
  readonly index: number
  /** 1 for the item's first attempt, 2 for its first retry, and so on. */
  readonly attempt: number
  /** The item's step key: `task[2]`, or `task/name[2]` for a named map. */
  readonly key: string
  /**
   * A key unique to this item in this run (`runId:task[2]`, `runId:task/name[2]`):
   * the same for each attempt and after a restart; pass it to external systems
   * so a repeated call is applied once.
   */
  readonly idempotencyKey: string
  /** Fires when this attempt must stop: its timeout, a `failFast` sibling failure, the task's cancel or timeout. */
  readonly signal: AbortSignal
}

/**
 * Refuses (as `never`) options that ask for `failFast` in settled mode, which waits for every item.
 *
 * @example
 * ```ts
 * import type { NoFailFastWhenSettled } from 'weft-sdk'
 * type Refused = NoFailFastWhenSettled<{ mode: 'settled'; failFast: true }> // never
 * ```
 */
export type NoFailFastWhenSettled<O extends MapOptions> = O['mode'] extends 'settled' ? (O['failFast'] extends true ? never : unknown) : unknown

/**
 * The function `ctx.map` calls for each item (`signal` is `context.signal`).
 *
 * @example
 * ```ts
 * import type { MapItemFunction } from 'weft-sdk'
 * const double: MapItemFunction<number, number> = (n, _index, signal) => (signal.aborted ? 0 : n * 2)
 * ```
 */
export type MapItemFunction<T, R> = (item: T, index: number, signal: AbortSignal, context: MapItemContext) => Promise<R> | R

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
   * An adapter bound to this attempt: each call of the client it returns
   * carries this attempt's `signal` and an idempotency key of its own,
   * `<ctx.idempotencyKey>:<adapter>:<n>`, n counting the attempt's calls to
   * that adapter from 1. A retry of the task counts from 1 again, so its calls
   * carry the same keys as the attempt before and the remote side can
   * deduplicate them; the second call of one attempt is never taken for a
   * repeat of its first.
   *
   * @example
   * ```ts
   * // const payments = ctx.use(this.payments)          // an HttpAdapter injected in the constructor
   * // await payments.post('/charges', order)            // Idempotency-Key: <run>:charge:payments:1
   * // await payments.post('/charges', fee)              // Idempotency-Key: <run>:charge:payments:2
   * ```
   */
  use<C>(adapter: Bindable<C>): C
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
   * at once and returns the results in item order. Each item is its own step:
   * its result is checkpointed (a retry of the task or a resumed run re-runs
   * only the items that did not finish), and it has its own retry, timeout,
   * attempts, idempotency key and signal (see {@link MapOptions}). A failing
   * item does not stop the others unless `failFast` is set.
   * @throws `MapItemsFailedError` when items fail after their retries (not in settled mode).
   * @example
   * ```ts
   * import type { TaskContext } from 'weft-sdk'
   * declare const ctx: TaskContext
   * declare function ask(question: string, signal: AbortSignal): Promise<string>
   * const results = await ctx.map(['a', 'b', 'c'], (q, _i, signal) => ask(q, signal), { mode: 'settled', retry: { maxAttempts: 2 } })
   * const answers = results.flatMap((r) => (r.ok ? [r.value] : []))
   * ```
   */
  map<T, R, O extends SettledMapOptions = SettledMapOptions>(items: readonly T[], fn: MapItemFunction<T, R>, options: O): Promise<MapItemResult<R>[]>
  /** Fans out over a list in the default mode: the items' values, in item order, or `MapItemsFailedError` (see the settled form above). */
  map<T, R, O extends AllMapOptions = {}>(items: readonly T[], fn: MapItemFunction<T, R>, options?: O): Promise<R[]>
  /** Fans out over a list with options whose mode is not known statically: either shape (see the forms above). */
  map<T, R, O extends MapOptions>(items: readonly T[], fn: MapItemFunction<T, R>, options: O & NoFailFastWhenSettled<O>): Promise<R[] | MapItemResult<R>[]>
  /** Sleeps without holding a thread; aborted by the task's signal. */
  sleep(duration: Duration): Promise<void>
}

/**
 * The context a `@Loop` task receives: a {@link TaskContext} plus the iteration number.
 *
 * @example
 * ```ts
 * import type { LoopContext } from 'weft-sdk'
 * declare const ctx: LoopContext<{ topic: string }>
 * console.log(`iteration ${ctx.iteration} on ${ctx.input.topic}`)
 * ```
 */
export interface LoopContext<I = unknown, Ev extends EventSchemas = {}> extends TaskContext<I, Ev> {
  /** 0 for the first iteration. */
  readonly iteration: number
}

/**
 * What a `@Loop` task produces, as in the reference loop handler: each
 * iteration's result, the final state, and whether the cap was hit.
 *
 * @example
 * ```ts
 * import type { LoopResult } from 'weft-sdk'
 * declare const result: LoopResult<{ draft: string; score: number }>
 * if (result.maxIterationsReached) console.warn(`gave up after ${result.iterations} iterations`)
 * console.log(result.finalState.draft)
 * ```
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

/**
 * What an `@OnFailure` handler receives about the task that failed.
 *
 * @example
 * ```ts
 * import { defineWorkflow, type TaskFailure } from 'weft-sdk'
 * const report = (failure: TaskFailure) => `${failure.task} failed after ${failure.attempts} attempts: ${failure.message}`
 * defineWorkflow({ name: 'sync', version: 1 }).task('pull', () => 1).onFailure('alert', 'pull', report).build()
 * ```
 */
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
