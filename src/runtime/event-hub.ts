import type { RunId } from '../core/ids.js'
import type { RunEvent, WeftEvent, WeftEventOf, WeftEventType } from './run-events.js'

/**
 * A function called with each event.
 *
 * @example
 * ```ts
 * import type { Engine, WeftListener } from 'weft-sdk'
 * declare const engine: Engine
 * const log: WeftListener = (event) => console.log(event.type)
 * const stop = engine.on(log) // stop() unsubscribes
 * ```
 */
export type WeftListener<E = WeftEvent> = (event: E) => void

/**
 * Called when a listener throws; the error never reaches the run.
 *
 * @example
 * ```ts
 * import { createEngine, type ListenerErrorHandler } from 'weft-sdk'
 * const onListenerError: ListenerErrorHandler = (error, event) => console.error(`listener failed on ${event.type}`, error)
 * const engine = createEngine({ onListenerError })
 * ```
 */
export type ListenerErrorHandler = (error: unknown, event: WeftEvent) => void

/** Whether some listener gets events of one type, kept current as listeners come and go (see {@link EventHub.interestIn}). */
export interface EventInterest {
  readonly listening: boolean
}

/** A listener to every event type but some (see {@link EventHub.onAllBut}). */
interface PartialSubscription {
  readonly listener: WeftListener
  readonly except: ReadonlySet<WeftEventType>
}

/**
 * Delivers engine events to listeners, synchronously and in order. A listener
 * that throws is reported to `onListenerError` and does not affect the run.
 */
export class EventHub {
  private readonly everything = new Set<WeftListener>()
  private readonly byType = new Map<WeftEventType, Set<WeftListener>>()
  private readonly allBut = new Set<PartialSubscription>()
  /** Whether some listener gets events of a type, by type; updated when a subscription changes. */
  private readonly interests = new Map<WeftEventType, { listening: boolean }>()
  private count = 0

  constructor(private readonly onListenerError: ListenerErrorHandler) {}

  /** True when at least one listener is registered (emitters skip building events otherwise). */
  get listening(): boolean {
    return this.count > 0
  }

  /** True when some listener gets events of `type` (emitters skip building the event otherwise). */
  listeningTo(type: WeftEventType): boolean {
    return this.count > 0 && this.interestIn(type).listening
  }

  /**
   * Whether some listener gets events of `type`, as a flag the hub keeps
   * current: an emitter of an event every task has reads it once per run
   * and then costs one field read per event.
   */
  interestIn(type: WeftEventType): EventInterest {
    let interest = this.interests.get(type)
    if (interest === undefined) this.interests.set(type, (interest = { listening: this.someListenerOf(type) }))
    return interest
  }

  /** Listens to every event, or to events of one type. Returns a function that stops listening. */
  on(listener: WeftListener): () => void
  on<T extends WeftEventType>(type: T, listener: WeftListener<WeftEventOf<T>>): () => void
  on(typeOrListener: WeftEventType | WeftListener, maybeListener?: WeftListener<never>): () => void {
    const [set, listener] =
      typeof typeOrListener === 'function'
        ? [this.everything, typeOrListener]
        : [this.listenersOf(typeOrListener), maybeListener as WeftListener]
    // A wrapper per subscription: the same function subscribed twice is called twice, and each
    // unsubscribe removes only its own subscription.
    const subscription: WeftListener = (event) => listener(event)
    return this.subscribe(set, subscription)
  }

  /**
   * Listens to every event but those of the types in `except` (their emitters
   * build none for it), before the listeners of `on`. Returns a function that
   * stops listening.
   */
  onAllBut(except: readonly WeftEventType[], listener: WeftListener): () => void {
    return this.subscribe(this.allBut, { listener, except: new Set(except) })
  }

  emit(event: WeftEvent): void {
    if (this.count === 0) return
    if (this.allBut.size > 0) for (const partial of this.allBut) if (!partial.except.has(event.type)) this.call(partial.listener, event)
    for (const listener of this.everything) this.call(listener, event)
    const typed = this.byType.get(event.type)
    if (typed !== undefined) for (const listener of typed) this.call(listener, event)
  }

  private subscribe<S>(set: Set<S>, subscription: S): () => void {
    set.add(subscription)
    this.count++
    this.updateInterests()
    return () => {
      if (!set.delete(subscription)) return
      this.count--
      this.updateInterests()
    }
  }

  private updateInterests(): void {
    for (const [type, interest] of this.interests) interest.listening = this.someListenerOf(type)
  }

  private someListenerOf(type: WeftEventType): boolean {
    if (this.everything.size > 0 || (this.byType.get(type)?.size ?? 0) > 0) return true
    for (const partial of this.allBut) if (!partial.except.has(type)) return true
    return false
  }

  private listenersOf(type: WeftEventType): Set<WeftListener> {
    let set = this.byType.get(type)
    if (set === undefined) {
      set = new Set()
      this.byType.set(type, set)
    }
    return set
  }

  private call(listener: WeftListener, event: WeftEvent): void {
    try {
      listener(event)
    } catch (error) {
      this.onListenerError(error, event)
    }
  }
}

const OTHER = 0
const TASK_STARTED = 1
const TASK_COMPLETED = 2

/**
 * The events of one run, kept from its start so that an iterator created at
 * any time replays them all, then follows live events until the run ends.
 *
 * The two events every task has (`task.started`, `task.completed`) are kept
 * as numbers in typed arrays and built as objects when an iterator reaches
 * them; other events are kept as they are. Kept as objects, a 10,000-task
 * run's 20,000 events outlived V8's young generation and their promotion and
 * old-generation collection made each task of a large run a third slower
 * than of a small one.
 */
export class RunEventLog {
  private kinds = new Uint8Array(16)
  /** Task id (compact events) or index into `others`. */
  private refs = new Int32Array(16)
  private ats = new Float64Array(16)
  private attempts = new Int32Array(16)
  private durations = new Float64Array(16)
  private readonly others: RunEvent[] = []
  private length = 0
  private readonly wakers = new Set<() => void>()
  private ended = false

  constructor(
    private readonly runId: RunId,
    private readonly workflow: string,
    private readonly taskNames: readonly string[],
  ) {}

  push(event: RunEvent): void {
    const i = this.append(OTHER, 0)
    this.refs[i] = this.others.length
    this.others.push(event)
    this.wake()
  }

  /** Records `task.started` for the task with id `taskId`. */
  taskStarted(taskId: number, at: number): void {
    this.ats[this.append(TASK_STARTED, taskId)] = at
    this.wake()
  }

  /** Records `task.completed` for the task with id `taskId`. */
  taskCompleted(taskId: number, at: number, attempts: number, durationMs: number, fromCheckpoint: boolean): void {
    const i = this.append(TASK_COMPLETED, taskId)
    this.ats[i] = at
    this.attempts[i] = fromCheckpoint ? -attempts - 1 : attempts
    this.durations[i] = durationMs
    this.wake()
  }

  end(): void {
    this.ended = true
    this.wake()
  }

  /** Iterates every event of the run, from the first; ends after the run's final event. */
  async *iterate(): AsyncGenerator<RunEvent, void, undefined> {
    let next = 0
    while (true) {
      while (next < this.length) yield this.event(next++)
      if (this.ended) return
      await new Promise<void>((resolve) => this.wakers.add(resolve))
    }
  }

  private event(i: number): RunEvent {
    const kind = this.kinds[i]
    if (kind === OTHER) return this.others[this.refs[i]!]!
    const base = { at: this.ats[i]!, runId: this.runId, workflow: this.workflow, task: this.taskNames[this.refs[i]!]! }
    if (kind === TASK_STARTED) return { type: 'task.started', ...base }
    const stored = this.attempts[i]!
    const fromCheckpoint = stored < 0
    return { type: 'task.completed', ...base, attempts: fromCheckpoint ? -stored - 1 : stored, durationMs: this.durations[i]!, fromCheckpoint }
  }

  /** Appends an entry, growing the arrays (doubling) when full; returns its index. */
  private append(kind: number, ref: number): number {
    if (this.length === this.kinds.length) this.grow()
    const i = this.length++
    this.kinds[i] = kind
    this.refs[i] = ref
    return i
  }

  private grow(): void {
    const size = this.kinds.length * 2
    const widen = <A extends Uint8Array | Int32Array | Float64Array>(from: A, to: A): A => (to.set(from), to)
    this.kinds = widen(this.kinds, new Uint8Array(size))
    this.refs = widen(this.refs, new Int32Array(size))
    this.ats = widen(this.ats, new Float64Array(size))
    this.attempts = widen(this.attempts, new Int32Array(size))
    this.durations = widen(this.durations, new Float64Array(size))
  }

  private wake(): void {
    if (this.wakers.size === 0) return
    for (const wake of this.wakers) wake()
    this.wakers.clear()
  }
}
